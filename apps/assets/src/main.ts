// The assets service of distributed mode: `node dist/apps/assets/src/main.js`, same as `tributary serve assets`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'assets', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
