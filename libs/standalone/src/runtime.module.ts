import { DynamicModule, Global, Module } from '@nestjs/common';
import { OutboxRelay, TopicCatalog } from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import {
  CLOCK,
  Clock,
  DAG_REGISTRY,
  DATABASE,
  DagRegistry,
  OUTBOX_RELAY,
  RUNTIME_OPTIONS,
  RuntimeOptions,
  TOPIC_CATALOG,
  TRANSPORT,
} from '@tributary/runtime';
import { MessageTransport } from '@tributary/messaging';

export interface RuntimeParts {
  db: Database;
  clock: Clock;
  transport: MessageTransport;
  topics: TopicCatalog;
  relay: OutboxRelay;
  registry: DagRegistry;
  options: RuntimeOptions;
}

/** Makes the infrastructure every service needs injectable, once for the whole process. */
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
    ];
    return { module: RuntimeModule, providers, exports: providers.map((p) => p.provide) };
  }
}
