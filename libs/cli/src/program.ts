import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-error';
import { explainCron, formatCronExplanation } from './cron-explain.command';
import { formatDagsValidate, validateDagsFolder } from './dags-validate.command';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  now?: () => Date;
}

const defaultIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** The `tributary` command tree. Commands are thin: behaviour lives in *.command.ts. */
export function buildProgram(io: CliIO = defaultIO): Command {
  const print = (text: string) => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const program = new Command('tributary')
    .description('Tributary: a Kafka-native DAG orchestrator')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

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

  const dagsCommand = program.command('dags').description('DAG bundles');
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
