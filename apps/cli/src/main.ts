// The `tributary` command. Thin by design: every command lives in @tributary/cli.
import { runCli } from '@tributary/cli';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
