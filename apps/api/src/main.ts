// The api service of distributed mode: `node dist/apps/api/src/main.js`, same as `tributary serve api`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'api', ...process.argv.slice(2)]).then((code) => {
  // Exit now: a stopped service (or a finished command) has nothing left to do, whatever handles a client library still holds.
  process.exit(code);
});
