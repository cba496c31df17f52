// The triggerer service of distributed mode: `node dist/apps/triggerer/src/main.js`, same as `tributary serve triggerer`.
import { runCli } from '@tributary/cli';

runCli(['serve', 'triggerer', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
