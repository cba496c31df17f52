import { ConfigError, SERVICE_NAMES, loadMigrateConfig, loadServiceConfig } from '@tributary/config';
import { ServiceHost } from '@tributary/distributed';
import { DagValidationError } from '@tributary/domain';
import { ScaledClock } from '@tributary/runtime';
import { CliError, EXIT_USAGE } from './cli-error';

/** `tributary serve <service>`: one service of distributed mode, configured by its environment, until SIGTERM. */
export async function runServe(
  service: string,
  env: Record<string, string | undefined>,
  print: (text: string) => void,
  waitForStop: () => Promise<void>,
): Promise<void> {
  if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
    throw new CliError(`unknown service '${service}': one of ${SERVICE_NAMES.join(', ')}`, EXIT_USAGE);
  }
  let host: ServiceHost;
  try {
    host = await ServiceHost.start(loadServiceConfig(service, env));
  } catch (error) {
    throw startupError(error);
  }
  print(
    `tributary ${service} ready: ${host.url}/health, ${host.url}/metrics (worker ${host.config.workerId})`,
  );
  await waitForStop();
  print(`tributary ${service} stopping: consumers first, then running work, the outbox, Kafka, the database`);
  const deadline = host.config.shutdownTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), deadline)),
  );
  const result = await Promise.race([host.stop().then(() => 'stopped' as const), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    throw new CliError(
      `tributary ${service} did not stop within TRIBUTARY_SHUTDOWN_TIMEOUT_MS=${deadline}; exiting`,
      1,
    );
  }
  print(`tributary ${service} stopped`);
}

/** `tributary migrate`: applies pending migrations (and deploys the DAG folder when TRIBUTARY_DAGS_DIR is set). */
export async function runMigrate(
  env: Record<string, string | undefined>,
  print: (text: string) => void,
): Promise<void> {
  let result;
  try {
    const { databaseUrl, clock } = loadMigrateConfig(env);
    result = await ServiceHost.migrate(
      databaseUrl,
      env.TRIBUTARY_DAGS_DIR || undefined,
      clock ? new ScaledClock(clock.start, clock.epoch, clock.speed) : undefined,
    );
  } catch (error) {
    throw startupError(error);
  }
  print(
    result.applied.length > 0
      ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
      : 'the schema is up to date',
  );
  if (env.TRIBUTARY_DAGS_DIR) print(`deployed ${result.dags} DAG(s) from ${env.TRIBUTARY_DAGS_DIR}`);
}

function startupError(error: unknown): CliError {
  if (error instanceof ConfigError || error instanceof DagValidationError)
    return new CliError(error.message, EXIT_USAGE);
  const message = (error as Error).message ?? String(error);
  if (
    /ECONNREFUSED|ENOTFOUND|Connection error|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded/i.test(
      message,
    )
  ) {
    return new CliError(`cannot reach a dependency at start-up: ${message.split('\n')[0]}`, 1);
  }
  return new CliError(message.split('\n')[0], 1);
}
