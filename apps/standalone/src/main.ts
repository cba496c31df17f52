// The standalone deployable: `node dist/apps/standalone/src/main.js [--dags dir] [--port n]`, same as `tributary standalone`.
import { runCli } from '@tributary/cli';

runCli(['standalone', ...process.argv.slice(2)]).then((code) => {
  // Exit now: a stopped service (or a finished command) has nothing left to do, whatever handles a client library still holds.
  process.exit(code);
});
