#!/usr/bin/env node
// Runs the compiled CLI. `npm ci` builds it (the `prepare` script).
const path = require('path');
const fs = require('fs');

const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('tributary is not built yet: run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
require(entry);
