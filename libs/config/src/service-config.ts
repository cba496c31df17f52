// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { existsSync, statSync } from 'fs';
import { randomBytes } from 'crypto';
import * as os from 'os';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

export const SERVICE_NAMES = ['api', 'scheduler', 'coordinator', 'executor', 'triggerer', 'assets'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

/**
 * What a distributed service reads from its environment. Every message names the variable
 * and says how to fix it, because this is what an operator sees when a container won't start.
 */
export class ServiceEnvironment {
  @Matches(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, {
    message: 'KAFKA_BROKERS must be a comma-separated list of host:port, e.g. KAFKA_BROKERS=kafka:9092',
  })
  KAFKA_BROKERS!: string;

  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message:
      'DATABASE_URL must be a PostgreSQL URL, e.g. DATABASE_URL=postgres://tributary:secret@postgres:5432/tributary',
  })
  DATABASE_URL!: string;

  @IsString({
    message: 'TRIBUTARY_DAGS_DIR must be set to the folder of DAG files, e.g. TRIBUTARY_DAGS_DIR=/dags',
  })
  @IsNotEmpty({
    message: 'TRIBUTARY_DAGS_DIR must be set to the folder of DAG files, e.g. TRIBUTARY_DAGS_DIR=/dags',
  })
  TRIBUTARY_DAGS_DIR!: string;

  @Matches(/^[A-Za-z0-9._-]*$/, {
    message:
      "TRIBUTARY_TOPIC_PREFIX may contain only letters, digits, '.', '_' and '-' (default 'tributary.')",
  })
  TRIBUTARY_TOPIC_PREFIX = 'tributary.';

  @IsInt({ message: 'TRIBUTARY_TOPIC_PARTITIONS must be a whole number (default 6)' })
  @Min(1, { message: 'TRIBUTARY_TOPIC_PARTITIONS must be at least 1' })
  @Max(1000, { message: 'TRIBUTARY_TOPIC_PARTITIONS must be at most 1000' })
  TRIBUTARY_TOPIC_PARTITIONS = 6;

  @IsInt({
    message: 'TRIBUTARY_TOPIC_REPLICATION_FACTOR must be a whole number (default 1; 3 on a 3-broker cluster)',
  })
  @Min(1, { message: 'TRIBUTARY_TOPIC_REPLICATION_FACTOR must be at least 1' })
  TRIBUTARY_TOPIC_REPLICATION_FACTOR = 1;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]+$/, {
    message: "KAFKA_CLIENT_ID may contain only letters, digits, '.', '_' and '-'",
  })
  KAFKA_CLIENT_ID?: string;

  @IsIn(KAFKA_LOG_LEVELS, {
    message: `KAFKA_LOG_LEVEL must be one of ${KAFKA_LOG_LEVELS.join(', ')} (kafkajs's own logs; default nothing)`,
  })
  KAFKA_LOG_LEVEL: (typeof KAFKA_LOG_LEVELS)[number] = 'nothing';

  @IsInt({ message: 'KAFKA_SESSION_TIMEOUT_MS must be a whole number of milliseconds (default 30000)' })
  @Min(6000, { message: 'KAFKA_SESSION_TIMEOUT_MS must be at least 6000 (the broker minimum)' })
  KAFKA_SESSION_TIMEOUT_MS = 30_000;

  @IsInt({ message: 'KAFKA_HEARTBEAT_INTERVAL_MS must be a whole number of milliseconds (default 3000)' })
  @Min(100, { message: 'KAFKA_HEARTBEAT_INTERVAL_MS must be at least 100' })
  KAFKA_HEARTBEAT_INTERVAL_MS = 3_000;

  @IsString() HTTP_HOST = '0.0.0.0';

  @IsInt({ message: 'HTTP_PORT must be a port number (0 picks a free one)' })
  @Min(0, { message: 'HTTP_PORT must be a port number between 0 and 65535' })
  @Max(65535, { message: 'HTTP_PORT must be a port number between 0 and 65535' })
  HTTP_PORT = 0;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]+$/, {
    message: "TRIBUTARY_WORKER_ID may contain only letters, digits, '.', '_', ':' and '-'",
  })
  TRIBUTARY_WORKER_ID?: string;

  @IsInt({
    message: 'TRIBUTARY_WORKER_SLOTS must be a whole number (tasks one executor runs at once, default 8)',
  })
  @Min(1, { message: 'TRIBUTARY_WORKER_SLOTS must be at least 1' })
  TRIBUTARY_WORKER_SLOTS = 8;

  @IsInt({
    message:
      'TRIBUTARY_TRIGGERER_CAPACITY must be a whole number (deferred sensors one triggerer watches, default 20000)',
  })
  @Min(1, { message: 'TRIBUTARY_TRIGGERER_CAPACITY must be at least 1' })
  TRIBUTARY_TRIGGERER_CAPACITY = 20_000;

  @IsInt({ message: 'TRIBUTARY_POLL_INTERVAL_MS must be a whole number of milliseconds (default 250)' })
  @Min(10, { message: 'TRIBUTARY_POLL_INTERVAL_MS must be at least 10' })
  TRIBUTARY_POLL_INTERVAL_MS = 250;

  @IsInt({ message: 'TRIBUTARY_HEARTBEAT_INTERVAL_MS must be a whole number of milliseconds (default 5000)' })
  @Min(100, { message: 'TRIBUTARY_HEARTBEAT_INTERVAL_MS must be at least 100' })
  TRIBUTARY_HEARTBEAT_INTERVAL_MS = 5_000;

  @IsInt({ message: 'TRIBUTARY_WORKER_TIMEOUT_MS must be a whole number of milliseconds (default 60000)' })
  @Min(1000, { message: 'TRIBUTARY_WORKER_TIMEOUT_MS must be at least 1000' })
  TRIBUTARY_WORKER_TIMEOUT_MS = 60_000;

  @IsInt({ message: 'TRIBUTARY_SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds (default 30000)' })
  @Min(0, { message: 'TRIBUTARY_SHUTDOWN_TIMEOUT_MS must not be negative' })
  TRIBUTARY_SHUTDOWN_TIMEOUT_MS = 30_000;

  @IsOptional()
  @IsISO8601(
    { strict: true },
    { message: 'TRIBUTARY_CLOCK_START must be an ISO instant, e.g. 2026-04-25T00:00:00-07:00' },
  )
  TRIBUTARY_CLOCK_START?: string;

  @IsOptional()
  @IsISO8601(
    { strict: true },
    {
      message:
        'TRIBUTARY_CLOCK_EPOCH must be an ISO instant: the real time at which the clock reads TRIBUTARY_CLOCK_START',
    },
  )
  TRIBUTARY_CLOCK_EPOCH?: string;

  @IsOptional()
  @IsNumber(
    {},
    { message: 'TRIBUTARY_CLOCK_SPEED must be a number: simulated seconds per real second (e.g. 720)' },
  )
  @Min(1, { message: 'TRIBUTARY_CLOCK_SPEED must be at least 1' })
  TRIBUTARY_CLOCK_SPEED?: number;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (default log)` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'log';

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{32,200}$/, {
    message:
      'TRIBUTARY_ADMIN_TOKEN must be 32 to 200 letters, digits, - or _ (e.g. the output of `openssl rand -hex 32`)',
  })
  TRIBUTARY_ADMIN_TOKEN?: string;
}

export interface ServiceConfig {
  service: ServiceName;
  kafka: {
    brokers: string[];
    clientId: string;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    topicPrefix: string;
    partitions: number;
    replicationFactor: number;
    logLevel: (typeof KAFKA_LOG_LEVELS)[number];
  };
  databaseUrl: string;
  dagsDir: string;
  http: { host: string; port: number };
  workerId: string;
  workerSlots: number;
  triggererCapacity: number;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  workerTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** A sped-up clock shared by every process of a test or demo cluster; absent: the wall clock. */
  clock?: { start: Date; epoch: Date; speed: number };
  /** An admin API token the api service stores (hashed) at start, so a cluster is usable at once. */
  adminToken?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration for tributary ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const INTEGER_KEYS: (keyof ServiceEnvironment)[] = [
  'TRIBUTARY_TOPIC_PARTITIONS',
  'TRIBUTARY_TOPIC_REPLICATION_FACTOR',
  'KAFKA_SESSION_TIMEOUT_MS',
  'KAFKA_HEARTBEAT_INTERVAL_MS',
  'HTTP_PORT',
  'TRIBUTARY_WORKER_SLOTS',
  'TRIBUTARY_TRIGGERER_CAPACITY',
  'TRIBUTARY_POLL_INTERVAL_MS',
  'TRIBUTARY_HEARTBEAT_INTERVAL_MS',
  'TRIBUTARY_WORKER_TIMEOUT_MS',
  'TRIBUTARY_SHUTDOWN_TIMEOUT_MS',
];

/** Reads and validates a service's environment; throws ConfigError listing every problem at once. */
export function loadServiceConfig(
  service: string,
  env: Record<string, string | undefined> = process.env,
): ServiceConfig {
  if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
    throw new ConfigError(service, [`unknown service '${service}': one of ${SERVICE_NAMES.join(', ')}`]);
  }
  const plain: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (key === 'TRIBUTARY_CLOCK_SPEED') {
      plain[key] = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    } else if ((INTEGER_KEYS as string[]).includes(key)) {
      // Not a number stays a string, so the validator reports it with its message.
      plain[key] = /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    } else {
      plain[key] = value.trim();
    }
  }
  const parsed = plainToInstance(ServiceEnvironment, plain, { exposeDefaultValues: true });
  for (const error of validateSync(parsed, { forbidUnknownValues: false })) {
    problems.push(...Object.values(error.constraints ?? {}));
  }
  const missing = (['KAFKA_BROKERS', 'DATABASE_URL', 'TRIBUTARY_DAGS_DIR'] as const).filter(
    (k) => plain[k] === undefined,
  );
  // Replace the generic format messages of absent variables with one clear "is required".
  for (const key of missing) {
    for (let i = problems.length - 1; i >= 0; i--) if (problems[i].startsWith(key)) problems.splice(i, 1);
    problems.push(`${key} is required (${REQUIRED_HINTS[key]})`);
  }
  const dagsDir = parsed.TRIBUTARY_DAGS_DIR;
  if (dagsDir && !(existsSync(dagsDir) && statSync(dagsDir).isDirectory())) {
    problems.push(
      `TRIBUTARY_DAGS_DIR: '${dagsDir}' is not a folder; mount the DAG folder there or point the variable at it`,
    );
  }
  if (parsed.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > parsed.KAFKA_SESSION_TIMEOUT_MS) {
    problems.push(
      `KAFKA_HEARTBEAT_INTERVAL_MS (${parsed.KAFKA_HEARTBEAT_INTERVAL_MS}) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${parsed.KAFKA_SESSION_TIMEOUT_MS})`,
    );
  }
  // The heartbeat interval is real time; the worker timeout is clock time (simulated under a sped-up clock).
  const speed = typeof parsed.TRIBUTARY_CLOCK_SPEED === 'number' ? parsed.TRIBUTARY_CLOCK_SPEED : 1;
  if (parsed.TRIBUTARY_HEARTBEAT_INTERVAL_MS * 2 * speed > parsed.TRIBUTARY_WORKER_TIMEOUT_MS) {
    problems.push(
      `TRIBUTARY_HEARTBEAT_INTERVAL_MS (${parsed.TRIBUTARY_HEARTBEAT_INTERVAL_MS}${speed !== 1 ? `, ×${speed} clock speed` : ''}) must be at most half of TRIBUTARY_WORKER_TIMEOUT_MS (${parsed.TRIBUTARY_WORKER_TIMEOUT_MS}), or live workers are reaped`,
    );
  }
  const clockKeys = ['TRIBUTARY_CLOCK_START', 'TRIBUTARY_CLOCK_EPOCH', 'TRIBUTARY_CLOCK_SPEED'] as const;
  const clockSet = clockKeys.filter((k) => plain[k] !== undefined);
  if (clockSet.length > 0 && clockSet.length < clockKeys.length) {
    problems.push(`a sped-up clock needs all of ${clockKeys.join(', ')} (only ${clockSet.join(', ')} set)`);
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return {
    service: service as ServiceName,
    kafka: {
      brokers: parsed.KAFKA_BROKERS.split(','),
      clientId: parsed.KAFKA_CLIENT_ID ?? `tributary-${service}`,
      sessionTimeoutMs: parsed.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: parsed.KAFKA_HEARTBEAT_INTERVAL_MS,
      topicPrefix: parsed.TRIBUTARY_TOPIC_PREFIX,
      partitions: parsed.TRIBUTARY_TOPIC_PARTITIONS,
      replicationFactor: parsed.TRIBUTARY_TOPIC_REPLICATION_FACTOR,
      logLevel: parsed.KAFKA_LOG_LEVEL,
    },
    databaseUrl: parsed.DATABASE_URL,
    dagsDir: parsed.TRIBUTARY_DAGS_DIR,
    http: { host: parsed.HTTP_HOST, port: parsed.HTTP_PORT },
    // A random part: a restarted container keeps its hostname and often its pid, and a reused id
    // would hide the dead predecessor's running tries from the reaper.
    workerId:
      parsed.TRIBUTARY_WORKER_ID ??
      `${service}-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    workerSlots: parsed.TRIBUTARY_WORKER_SLOTS,
    triggererCapacity: parsed.TRIBUTARY_TRIGGERER_CAPACITY,
    pollIntervalMs: parsed.TRIBUTARY_POLL_INTERVAL_MS,
    heartbeatIntervalMs: parsed.TRIBUTARY_HEARTBEAT_INTERVAL_MS,
    workerTimeoutMs: parsed.TRIBUTARY_WORKER_TIMEOUT_MS,
    shutdownTimeoutMs: parsed.TRIBUTARY_SHUTDOWN_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
    ...(parsed.TRIBUTARY_ADMIN_TOKEN ? { adminToken: parsed.TRIBUTARY_ADMIN_TOKEN } : {}),
    ...(clockSet.length === clockKeys.length
      ? {
          clock: {
            start: new Date(parsed.TRIBUTARY_CLOCK_START!),
            epoch: new Date(parsed.TRIBUTARY_CLOCK_EPOCH!),
            speed: parsed.TRIBUTARY_CLOCK_SPEED!,
          },
        }
      : {}),
  };
}

const REQUIRED_HINTS = {
  KAFKA_BROKERS: 'the Kafka bootstrap servers, e.g. KAFKA_BROKERS=kafka:9092',
  DATABASE_URL:
    'the PostgreSQL database, e.g. DATABASE_URL=postgres://tributary:secret@postgres:5432/tributary',
  TRIBUTARY_DAGS_DIR: 'the folder of DAG files, e.g. TRIBUTARY_DAGS_DIR=/dags',
};

/** The migrate one-shot needs only the database. */
export function loadMigrateConfig(env: Record<string, string | undefined> = process.env): {
  databaseUrl: string;
  clock?: ServiceConfig['clock'];
} {
  const url = env.DATABASE_URL?.trim();
  if (!url) throw new ConfigError('migrate', [`DATABASE_URL is required (${REQUIRED_HINTS.DATABASE_URL})`]);
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) {
    throw new ConfigError('migrate', [
      'DATABASE_URL must be a PostgreSQL URL, e.g. DATABASE_URL=postgres://tributary:secret@postgres:5432/tributary',
    ]);
  }
  const { TRIBUTARY_CLOCK_START: start, TRIBUTARY_CLOCK_EPOCH: epoch, TRIBUTARY_CLOCK_SPEED: speed } = env;
  // Deploying plans the first runs: with a sped-up cluster clock it must plan on that clock.
  if (start && epoch && speed) {
    return {
      databaseUrl: url,
      clock: { start: new Date(start), epoch: new Date(epoch), speed: Number(speed) },
    };
  }
  return { databaseUrl: url };
}
