/* global console */
'use strict';
// jest globalSetup of the `integration` project: a local Kafka broker and PostgreSQL cluster
// (scripts/local-infra), unless KAFKA_BROKERS / DATABASE_URL already point at ones (then that part is used as is).
// The URLs go into process.env, which the test workers (forked after this) inherit, and into
// .cache/integration-infra.json; test/support/integration-global-teardown.js stops what was started here.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { startLocalInfra } = require('../../scripts/local-infra');

const INFO_FILE = path.resolve(__dirname, '..', '..', '.cache', 'integration-infra.json');
const STATE_KEY = '__tributaryIntegrationInfra';

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

module.exports = async function integrationGlobalSetup() {
  const t0 = Date.now();
  // The suites start services as processes from dist/: build it, so they never run stale code.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: path.resolve(__dirname, '..', '..'),
    stdio: 'inherit',
  });
  execFileSync(
    process.execPath,
    [require.resolve('tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json'],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: 'inherit',
    },
  );
  const infra = await startLocalInfra();
  const { kafka, postgres, env, timings } = infra;
  process.env.KAFKA_BROKERS = env.KAFKA_BROKERS;
  process.env.DATABASE_URL = env.DATABASE_URL;

  fs.mkdirSync(path.dirname(INFO_FILE), { recursive: true });
  const info = {
    ...env,
    started: { kafka: Boolean(kafka), postgres: Boolean(postgres) },
    pid: process.pid,
    at: new Date().toISOString(),
  };
  fs.writeFileSync(INFO_FILE, `${JSON.stringify(info, null, 2)}\n`);

  // Ctrl-C / kill: exit (not die), so the local-infra exit hooks kill the broker and postgres and remove their dirs.
  const onSignal = (signal) => {
    removeInfoFile();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
  globalThis[STATE_KEY] = { infra, onSignal };

  const parts = [
    kafka
      ? `Kafka ${kafka.version} at ${kafka.brokers} (${seconds(timings.kafkaMs)})`
      : `Kafka from KAFKA_BROKERS (${env.KAFKA_BROKERS})`,
    postgres
      ? `PostgreSQL ${postgres.version} at 127.0.0.1:${postgres.port} (${seconds(timings.postgresMs)})`
      : 'PostgreSQL from DATABASE_URL',
  ];
  const what =
    kafka || postgres ? `started ${parts.join(', ')} in ${seconds(Date.now() - t0)}` : parts.join(', ');
  console.log(`\nintegration infra: ${what}`);
};

function removeInfoFile() {
  try {
    const info = JSON.parse(fs.readFileSync(INFO_FILE, 'utf8'));
    if (info.pid === process.pid) fs.rmSync(INFO_FILE, { force: true });
  } catch {
    // missing or unreadable: nothing of ours to remove
  }
}

module.exports.STATE_KEY = STATE_KEY;
module.exports.removeInfoFile = removeInfoFile;
