// The api service of distributed mode: `node dist/apps/api/src/main.js`, same as `tributary serve api`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'api', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
