// The executor service of distributed mode: `node dist/apps/executor/src/main.js`, same as `tributary serve executor`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'executor', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
