import { Command, CommanderError } from 'commander';
import { commandContext } from './api-client';
import { registerAssetsCommands } from './assets.command';
import { registerBackfillCommands } from './backfill.command';
import { CliError, EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-error';
import { explainCron, formatCronExplanation } from './cron-explain.command';
import { formatDagsValidate, validateDagsFolder } from './dags-validate.command';
import { registerDagsCommands } from './dags.command';
import { runThreeCadencesDemo } from './demo.command';
import { registerRunsCommands } from './runs.command';
import { runMigrate, runServe } from './serve.command';
import { runStandalone } from './standalone.command';
import { registerTasksCommands } from './tasks.command';
import { registerTokensCommands } from './tokens.command';
import { DEFAULT_API_URL, describeSignedWebhook, signWebhookRequest } from './webhook.command';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
  /** Resolves when the user asks a long-running command to stop (Ctrl-C). */
  waitForStop?: () => Promise<void>;
  /** Whether stderr is a terminal (progress bars redraw in place). */
  interactive?: boolean;
  /** How often commands that follow a run or a backfill ask the API (default 1s). */
  pollIntervalMs?: number;
}

const ENVIRONMENT_HELP = [
  'Environment:',
  `  TRIBUTARY_URL    the API for commands that talk to it (default ${DEFAULT_API_URL}; or --url)`,
  '  TRIBUTARY_TOKEN  the API token they send (or --token); `tributary tokens create` makes one',
].join('\n');

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

/** The `tributary` command tree. Commands are thin: behaviour lives in *.command.ts. */
export function buildProgram(io: CliIO = defaultIO): Command {
  const print = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command('tributary')
    .description('Tributary: a Kafka-native DAG orchestrator')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`);
  const ctx = commandContext(io);

  const cronCommand = program.command('cron').description('cron expression tools');
  cronCommand
    .command('explain')
    .description('describe a cron expression in words and list its next fires, in the zone and in UTC')
    .argument('<expression>', 'cron expression, e.g. "0 2 * * *" (quote it)')
    .option('--tz <zone>', 'IANA timezone the expression is evaluated in', 'UTC')
    .option('--from <instant>', 'list fires after this ISO instant (default: now)')
    .option('--count <n>', 'how many fires to list', '5')
    .option('--json', 'print one JSON object')
    .action((expression: string, options: { tz: string; from?: string; count: string; json?: boolean }) => {
      const explanation = explainCron({
        expression,
        timezone: options.tz,
        from: options.from,
        count: options.count,
        now: io.now?.(),
      });
      print(options.json ? JSON.stringify(explanation) : formatCronExplanation(explanation));
    });

  const dagsCommand = program
    .command('dags')
    .description('DAGs: list, show, pause, unpause (through the API); validate a bundle folder');
  registerDagsCommands(dagsCommand, ctx);
  dagsCommand
    .command('validate')
    .description('load a folder of DAG files and report every problem in every DAG')
    .argument('<dir>', 'DAG bundle folder')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, options: { json?: boolean }) => {
      const result = await validateDagsFolder(dir);
      print(options.json ? JSON.stringify(result) : formatDagsValidate(result));
      if (result.problems.length > 0) throw new CliError('', EXIT_USAGE);
    });

  registerRunsCommands(program, ctx);
  registerTasksCommands(program, ctx);
  registerBackfillCommands(program, ctx);
  registerAssetsCommands(program, ctx);
  registerTokensCommands(program, ctx);

  program
    .command('standalone')
    .description(
      'run every service in one process: scheduler, coordinator, executor, assets and the REST API',
    )
    .option('--dags <dir>', 'DAG bundle folder', process.env.TRIBUTARY_DAGS_DIR ?? 'examples/three-cadences')
    .option('--data-dir <dir>', 'embedded PGlite data directory', '.tributary')
    .option(
      '--database-url <url>',
      'use PostgreSQL instead of PGlite (or set DATABASE_URL)',
      process.env.DATABASE_URL,
    )
    .option('--host <host>', 'API host', '127.0.0.1')
    .option('--port <port>', 'API port', '8080')
    .option('--slots <n>', 'executor slots (task instances at once)', '16')
    .action(async (options) => {
      await runStandalone(options, print, io.waitForStop ?? waitForSignal);
    });

  program
    .command('serve')
    .description(
      'run one service of distributed mode (api, scheduler, coordinator, executor, triggerer, assets) over Kafka and PostgreSQL; configured by environment variables (see docs/distributed.md)',
    )
    .argument('<service>', 'api | scheduler | coordinator | executor | triggerer | assets')
    .action(async (service: string) => {
      await runServe(service, process.env, print, io.waitForStop ?? waitForSignal);
    });

  program
    .command('migrate')
    .description(
      'apply pending database migrations to DATABASE_URL, and deploy the DAGs of TRIBUTARY_DAGS_DIR when it is set',
    )
    .action(async () => {
      await runMigrate(process.env, print);
    });

  program
    .command('demo')
    .description('run an example on a simulated clock in seconds and summarise it')
    .argument('<example>', 'example name: three-cadences')
    .requiredOption('--from <date>', 'first revenue date (YYYY-MM-DD, Los Angeles)')
    .requiredOption('--to <date>', 'last revenue date (YYYY-MM-DD, Los Angeles)')
    .option('--dags <dir>', 'the example bundle folder', 'examples/three-cadences')
    .option('--json', 'print one JSON object: {"runs": {...}, "mart": [...]}')
    .option('--no-faults', 'do not inject the few task failures that show retries at work')
    .action(
      async (
        example: string,
        options: { from: string; to: string; dags: string; json?: boolean; faults: boolean },
      ) => {
        if (example !== 'three-cadences')
          throw new CliError(`unknown example '${example}'; available: three-cadences`);
        let lastPrinted = -1;
        await runThreeCadencesDemo(options, print, (line, fraction, final) => {
          if (io.interactive) io.stderr(`\r${line}${final ? '\n' : ''}`);
          else {
            // Not a terminal (CI, a pipe): one line per 10%, not one per step.
            const percent = Math.round(fraction * 100);
            if (final || percent >= lastPrinted + 10) {
              lastPrinted = percent;
              io.stderr(`${line}\n`);
            }
          }
        });
      },
    );

  const webhookCommand = program.command('webhook').description('signed webhooks');
  webhookCommand
    .command('sign')
    .description(
      "print a curl command that sends a signed webhook to a DAG (the body becomes the run's conf)",
    )
    .argument('<dagId>', 'the DAG, which declares webhook: { secretEnv } in its options')
    .requiredOption('--body <json>', 'the JSON object to send, e.g. \'{"orderId": 42}\'')
    .option('--secret-env <name>', "environment variable holding the secret (what the DAG's secretEnv names)")
    .option('--secret <secret>', 'the secret itself (prefer --secret-env: this one stays in shell history)')
    .option('--url <url>', 'the API', 'http://127.0.0.1:8080')
    .option('--delivery <id>', 'X-Tributary-Delivery: a retried delivery with the same id is the same run')
    .action(
      (
        dagId: string,
        options: { body: string; secretEnv?: string; secret?: string; url: string; delivery?: string },
      ) => {
        const signed = signWebhookRequest({ dagId, ...options, env: process.env, now: io.now?.() });
        print(signed.curl);
        io.stderr(`${describeSignedWebhook(signed)}\n`);
      },
    );

  return program;
}

/** Runs the CLI and resolves to its exit code; never throws. */
export async function runCli(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliError) {
      if (error.message) io.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof CommanderError) {
      // Help and version are successes; anything else commander rejects is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    io.stderr(`${(error as Error).stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
