// The `tributary` command. Thin by design: every command lives in @tributary/cli.
import { runCli } from '@tributary/cli';

runCli(process.argv.slice(2)).then((code) => {
  // Exit now: a stopped service (or a finished command) has nothing left to do, whatever handles a client library still holds.
  process.exit(code);
});
