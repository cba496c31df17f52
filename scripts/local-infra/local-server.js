'use strict';
// What the local Kafka broker and PostgreSQL cluster share: free ports, an owned temp data dir,
// and clean-up when this process exits before destroy() (see also the watchdog in cli.js).
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

/** `count` distinct free ports on 127.0.0.1 (held together while picked, so they differ). */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

/** The given data dir, or a fresh temp dir (`ownsDataDir`: destroy() and the exit hooks remove only that). */
function prepareDataDir(dataDir, prefix) {
  const dir = dataDir
    ? path.resolve(dataDir)
    : fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), prefix));
  fs.mkdirSync(dir, { recursive: true });
  return { dir, ownsDataDir: !dataDir };
}

function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

// Servers not yet destroyed: if this node process exits first, each one's cleanupSync() runs.
// (A jest test file sees a copy of `process` whose 'exit' never fires, and a SIGKILL runs no hooks
// at all: for those, each server also has a watchdog process, see spawnWatchdog in cli.js.)
const live = new Set();
let exitHookInstalled = false;

/** Registers a server (with a synchronous, best-effort `cleanupSync()`) for the exit hook. */
function cleanUpOnExit(server) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const s of live) s.cleanupSync();
    });
  }
  live.add(server);
}

/** destroy() of a server: stop it, forget it, remove its data dir, dismiss its watchdog. */
async function destroyServer(server) {
  await server.stop();
  server.destroyed = true;
  live.delete(server);
  removeDir(server.dataDir);
  server.watchdog.done();
}

module.exports = { freePorts, prepareDataDir, removeDir, cleanUpOnExit, destroyServer };
