import { DynamicModule, Global, Module } from '@nestjs/common';
import { OutboxRelay, TopicCatalog } from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { MessageTransport } from '@tributary/messaging';
import { Clock } from './clock';
import { DagRegistry } from './dag-registry';
import { NO_METRICS, ServiceMetrics } from './service-metrics';
import {
  CLOCK,
  DAG_REGISTRY,
  DATABASE,
  OUTBOX_RELAY,
  RUNTIME_OPTIONS,
  RuntimeOptions,
  SERVICE_METRICS,
  TOPIC_CATALOG,
  TRANSPORT,
} from './tokens';

export interface RuntimeParts {
  db: Database;
  clock: Clock;
  transport: MessageTransport;
  topics: TopicCatalog;
  relay: OutboxRelay;
  registry: DagRegistry;
  options: RuntimeOptions;
  metrics?: ServiceMetrics;
}

/** Makes the infrastructure every service needs injectable, once per process (standalone or one distributed service). */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(parts: RuntimeParts): DynamicModule {
    const providers = [
      { provide: DATABASE, useValue: parts.db },
      { provide: CLOCK, useValue: parts.clock },
      { provide: TRANSPORT, useValue: parts.transport },
      { provide: TOPIC_CATALOG, useValue: parts.topics },
      { provide: OUTBOX_RELAY, useValue: parts.relay },
      { provide: DAG_REGISTRY, useValue: parts.registry },
      { provide: RUNTIME_OPTIONS, useValue: parts.options },
      { provide: SERVICE_METRICS, useValue: parts.metrics ?? NO_METRICS },
    ];
    return { module: RuntimeModule, providers, exports: providers.map((p) => p.provide) };
  }
}
