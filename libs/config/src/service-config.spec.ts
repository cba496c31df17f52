import { ConfigError, loadMigrateConfig, loadServiceConfig } from './service-config';

const valid = {
  KAFKA_BROKERS: 'kafka:9092,kafka-2:9092',
  DATABASE_URL: 'postgres://tributary:secret@postgres:5432/tributary',
  TRIBUTARY_DAGS_DIR: __dirname,
};

function problemsOf(service: string, env: Record<string, string | undefined>): string[] {
  try {
    loadServiceConfig(service, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('service configuration from the environment', () => {
  it('reads a minimal environment with defaults', () => {
    const config = loadServiceConfig('executor', valid);
    expect(config.kafka).toEqual({
      brokers: ['kafka:9092', 'kafka-2:9092'],
      clientId: 'tributary-executor',
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      topicPrefix: 'tributary.',
      partitions: 6,
      replicationFactor: 1,
      logLevel: 'nothing',
    });
    expect(config.workerSlots).toBe(8);
    expect(config.http).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.workerId).toMatch(/^executor-/);
  });

  it('converts numbers and keeps explicit values', () => {
    const config = loadServiceConfig('scheduler', {
      ...valid,
      TRIBUTARY_TOPIC_PARTITIONS: '12',
      TRIBUTARY_WORKER_SLOTS: '3',
      HTTP_PORT: '9464',
      TRIBUTARY_TOPIC_PREFIX: 'acme.',
      KAFKA_CLIENT_ID: 'acme-scheduler',
      TRIBUTARY_WORKER_ID: 'scheduler-1',
    });
    expect(config.kafka.partitions).toBe(12);
    expect(config.kafka.topicPrefix).toBe('acme.');
    expect(config.kafka.clientId).toBe('acme-scheduler');
    expect(config.workerSlots).toBe(3);
    expect(config.http.port).toBe(9464);
    expect(config.workerId).toBe('scheduler-1');
  });

  it('reports every missing required variable at once, with an example value', () => {
    expect(problemsOf('coordinator', {})).toEqual([
      'KAFKA_BROKERS is required (the Kafka bootstrap servers, e.g. KAFKA_BROKERS=kafka:9092)',
      'DATABASE_URL is required (the PostgreSQL database, e.g. DATABASE_URL=postgres://tributary:secret@postgres:5432/tributary)',
      'TRIBUTARY_DAGS_DIR is required (the folder of DAG files, e.g. TRIBUTARY_DAGS_DIR=/dags)',
    ]);
  });

  it('names the variable and the fix for malformed values', () => {
    const problems = problemsOf('executor', {
      ...valid,
      KAFKA_BROKERS: 'kafka',
      DATABASE_URL: 'mysql://x',
      TRIBUTARY_WORKER_SLOTS: 'many',
      HTTP_PORT: '70000',
      TRIBUTARY_DAGS_DIR: '/no/such/folder',
      LOG_LEVEL: 'chatty',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'KAFKA_BROKERS must be a comma-separated list of host:port, e.g. KAFKA_BROKERS=kafka:9092',
        'DATABASE_URL must be a PostgreSQL URL, e.g. DATABASE_URL=postgres://tributary:secret@postgres:5432/tributary',
        'TRIBUTARY_WORKER_SLOTS must be a whole number (tasks one executor runs at once, default 8)',
        'HTTP_PORT must be a port number between 0 and 65535',
        "TRIBUTARY_DAGS_DIR: '/no/such/folder' is not a folder; mount the DAG folder there or point the variable at it",
        'LOG_LEVEL must be one of error, warn, log, debug, verbose (default log)',
      ]),
    );
  });

  it('rejects timing that would break liveness', () => {
    expect(
      problemsOf('executor', {
        ...valid,
        TRIBUTARY_HEARTBEAT_INTERVAL_MS: '40000',
        TRIBUTARY_WORKER_TIMEOUT_MS: '60000',
      }),
    ).toEqual([
      'TRIBUTARY_HEARTBEAT_INTERVAL_MS (40000) must be at most half of TRIBUTARY_WORKER_TIMEOUT_MS (60000), or live workers are reaped',
    ]);
    expect(
      problemsOf('executor', {
        ...valid,
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '3000',
      }),
    ).toEqual([
      'KAFKA_HEARTBEAT_INTERVAL_MS (3000) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (6000)',
    ]);
  });

  it('under a sped-up clock, weighs the real heartbeat against the simulated worker timeout', () => {
    const clock = {
      TRIBUTARY_CLOCK_START: '2026-04-25T07:00:00Z',
      TRIBUTARY_CLOCK_EPOCH: '2026-11-21T12:00:00Z',
      TRIBUTARY_CLOCK_SPEED: '720',
    };
    expect(problemsOf('executor', { ...valid, ...clock, TRIBUTARY_HEARTBEAT_INTERVAL_MS: '1000' })).toEqual([
      'TRIBUTARY_HEARTBEAT_INTERVAL_MS (1000, ×720 clock speed) must be at most half of TRIBUTARY_WORKER_TIMEOUT_MS (60000), or live workers are reaped',
    ]);
    const config = loadServiceConfig('executor', {
      ...valid,
      ...clock,
      TRIBUTARY_HEARTBEAT_INTERVAL_MS: '1000',
      TRIBUTARY_WORKER_TIMEOUT_MS: String(5_000 * 720),
    });
    expect(config.clock).toEqual({
      start: new Date(clock.TRIBUTARY_CLOCK_START),
      epoch: new Date(clock.TRIBUTARY_CLOCK_EPOCH),
      speed: 720,
    });
  });

  it('a default worker id is unique per start, even for the same host and pid', () => {
    expect(loadServiceConfig('executor', valid).workerId).not.toBe(
      loadServiceConfig('executor', valid).workerId,
    );
  });

  it('rejects an unknown service', () => {
    expect(problemsOf('web', valid)).toEqual([
      "unknown service 'web': one of api, scheduler, coordinator, executor, triggerer, assets",
    ]);
  });

  it('the migrate job needs only a PostgreSQL URL', () => {
    expect(loadMigrateConfig({ DATABASE_URL: valid.DATABASE_URL })).toEqual({
      databaseUrl: valid.DATABASE_URL,
    });
    expect(() => loadMigrateConfig({})).toThrow(/DATABASE_URL is required/);
    expect(() => loadMigrateConfig({ DATABASE_URL: 'sqlite://x' })).toThrow(/must be a PostgreSQL URL/);
  });
});
