import { DagValidationError, formatInZone, formatUtc } from '@tributary/domain';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { CliError } from './cli-error';

export interface StandaloneCommandOptions {
  dags: string;
  dataDir: string;
  databaseUrl?: string;
  host: string;
  port: string;
  slots: string;
}

/** `tributary standalone`: every service in one process until Ctrl-C; restarting resumes where it stopped. */
export async function runStandalone(
  options: StandaloneCommandOptions,
  print: (text: string) => void,
  waitForStop: () => Promise<void>,
): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: '${options.port}' is not a port number`);
  const slots = Number(options.slots);
  if (!Number.isInteger(slots) || slots < 1)
    throw new CliError(`--slots: '${options.slots}' must be a whole number ≥ 1`);
  let orchestrator: StandaloneOrchestrator;
  try {
    orchestrator = await StandaloneOrchestrator.start({
      dagsDir: options.dags,
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      http: { host: options.host, port },
      executorSlots: slots,
      logLevels: ['error', 'warn'],
      // Topic-scheduled DAGs read this cluster unless they name their own brokers.
      kafkaBrokers: brokersFromEnv(process.env.KAFKA_BROKERS),
    });
  } catch (error) {
    if (error instanceof DagValidationError) throw new CliError(error.message);
    const message = (error as Error).message;
    if (/EADDRINUSE/.test(message)) {
      throw new CliError(`port ${port} on ${options.host} is in use: stop the other server or pass --port`);
    }
    throw new CliError(message.split('\n')[0], 1);
  }
  print(await banner(orchestrator, options));
  await waitForStop();
  print('stopping: finishing running tasks and flushing the outbox...');
  await orchestrator.stop();
  print('stopped cleanly; start again to resume where it stopped');
}

/** `KAFKA_BROKERS=host:9092,host2:9092` as a list; unset or blank → undefined. */
function brokersFromEnv(value: string | undefined): string[] | undefined {
  const brokers = (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  return brokers.length > 0 ? brokers : undefined;
}

async function banner(o: StandaloneOrchestrator, options: StandaloneCommandOptions): Promise<string> {
  const dags: {
    dag_id: string;
    schedule_description: string;
    timezone: string;
    next_run_after: Date | null;
    next_logical_date: Date | null;
  }[] = await o.db.manager.query(
    `SELECT dag_id, schedule_description, timezone, next_run_after, next_logical_date FROM dags WHERE is_active ORDER BY next_run_after NULLS LAST, dag_id`,
  );
  const width = Math.max(...dags.map((d) => d.dag_id.length), 6);
  const lines = [
    'Tributary standalone',
    `  DAGs:  ${dags.length} from ${options.dags} (bundle ${o.registry.bundleVersion})`,
    `  data:  ${o.db.kind === 'pglite' ? `${o.db.location} (embedded PGlite)` : `${o.db.location} (PostgreSQL)`}`,
    `  UI:    ${o.url}/ui/`,
    `  API:   ${o.url}/api/v1/dags (OpenAPI docs: ${o.url}/api/docs)`,
    ...(o.adminToken
      ? [
          `admin token: ${o.adminToken}`,
          '  (shown once, at the first start of this data directory: store it; `tributary tokens create` makes more)',
        ]
      : []),
    '  next runs:',
    ...dags.map((d) => {
      const next = d.next_run_after
        ? `runs at ${formatInZone(d.next_run_after.getTime(), d.timezone)} (${formatUtc(d.next_run_after.getTime())}) for ${formatInZone(d.next_logical_date!.getTime(), d.timezone)}`
        : 'on events or triggers';
      return `    ${d.dag_id.padEnd(width)}  ${d.schedule_description}: ${next}`;
    }),
    'Press Ctrl-C to stop.',
  ];
  return lines.join('\n');
}
