'use strict';
// jest globalTeardown of the `integration` project: stops and removes what integration-global-setup.js
// started (never a broker or database that KAFKA_BROKERS / DATABASE_URL pointed at).
const { stopLocalInfra } = require('../../scripts/local-infra');
const { STATE_KEY, removeInfoFile } = require('./integration-global-setup');

module.exports = async function integrationGlobalTeardown() {
  const state = globalThis[STATE_KEY];
  if (!state) return;
  delete globalThis[STATE_KEY];
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(signal, state.onSignal);
  try {
    await stopLocalInfra(state.infra);
  } finally {
    removeInfoFile();
  }
};
