// The coordinator service of distributed mode: `node dist/apps/coordinator/src/main.js`, same as `tributary serve coordinator`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'coordinator', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
