'use strict';
// Local infrastructure without Docker: a single-node Kafka broker (Maven Central jars) and a throw-away
// PostgreSQL cluster (Debian's binaries). Used by the integration tests' jest globalSetup and by
// `npm run infra -- up`. An already-set KAFKA_BROKERS / DATABASE_URL wins: that part is not started.
const { KafkaBroker, fetchKafkaLibs, KAFKA_VERSION, USE_EXISTING_HINT } = require('./kafka-broker');
const { PostgresCluster, createDatabase, findPostgresBin } = require('./postgres-cluster');

const started = new Set();

/**
 * Starts what the environment does not already point at (both in parallel).
 * @param {{ env?: Record<string, string | undefined>, log?: (line: string) => void }} [options]
 *   env defaults to process.env (read only: the caller exports the result).
 * @returns {Promise<{ kafka: KafkaBroker | null, postgres: PostgresCluster | null,
 *   env: { KAFKA_BROKERS: string, DATABASE_URL: string }, timings: { kafkaMs?: number, postgresMs?: number } }>}
 *   kafka / postgres are null when the environment already named one.
 */
async function startLocalInfra({ env = process.env, log } = {}) {
  const timings = {};
  const timed = async (key, start) => {
    const t0 = Date.now();
    const handle = await start();
    timings[key] = Date.now() - t0;
    return handle;
  };
  const [kafkaResult, postgresResult] = await Promise.allSettled([
    env.KAFKA_BROKERS
      ? null
      : timed('kafkaMs', async () => {
          const broker = await KafkaBroker.create({ log });
          try {
            await broker.start();
          } catch (error) {
            await broker.destroy().catch(() => {});
            throw error;
          }
          return broker;
        }),
    env.DATABASE_URL
      ? null
      : timed('postgresMs', async () => {
          const cluster = await PostgresCluster.create();
          try {
            await cluster.start();
          } catch (error) {
            await cluster.destroy().catch(() => {});
            throw error;
          }
          return cluster;
        }),
  ]);
  const failures = [kafkaResult, postgresResult].filter((result) => result.status === 'rejected');
  if (failures.length > 0) {
    const handles = [kafkaResult, postgresResult].filter((r) => r.status === 'fulfilled' && r.value);
    await Promise.all(handles.map((r) => r.value.destroy().catch(() => {})));
    let message = failures.map((failure) => failure.reason.message).join('\n\n');
    if (!message.includes(USE_EXISTING_HINT)) message += `\n\n${USE_EXISTING_HINT}`;
    const error = new Error(`Could not start the local test infrastructure:\n${message}`);
    error.cause = failures[0].reason;
    throw error;
  }
  const kafka = kafkaResult.value;
  const postgres = postgresResult.value;
  const infra = {
    kafka,
    postgres,
    env: {
      KAFKA_BROKERS: kafka ? kafka.brokers : env.KAFKA_BROKERS,
      DATABASE_URL: postgres ? postgres.url : env.DATABASE_URL,
    },
    timings,
  };
  started.add(infra);
  return infra;
}

/**
 * Stops and destroys what startLocalInfra() started (never what the environment pointed at):
 * the given result, or without an argument everything it started in this process.
 */
async function stopLocalInfra(infra) {
  const targets = infra ? [infra] : [...started];
  for (const target of targets) {
    started.delete(target);
    const handles = [target.kafka, target.postgres].filter(Boolean);
    const results = await Promise.allSettled(handles.map((handle) => handle.destroy()));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

module.exports = {
  KafkaBroker,
  PostgresCluster,
  startLocalInfra,
  stopLocalInfra,
  createDatabase,
  fetchKafkaLibs,
  findPostgresBin,
  KAFKA_VERSION,
  USE_EXISTING_HINT,
};
