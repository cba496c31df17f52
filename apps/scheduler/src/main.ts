// The scheduler service of distributed mode: `node dist/apps/scheduler/src/main.js`, same as `tributary serve scheduler`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'scheduler', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
