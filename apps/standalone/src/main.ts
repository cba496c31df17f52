// The standalone deployable: `node dist/apps/standalone/src/main.js [--dags dir] [--port n]`, same as `tributary standalone`.
import { runCli } from '@tributary/cli';

runCli(['standalone', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
