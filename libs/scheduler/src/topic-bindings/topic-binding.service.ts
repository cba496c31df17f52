import { Logger } from '@nestjs/common';
import { DagDefinition } from '@tributary/domain';
import { DagRegistry } from '@tributary/runtime';
import {
  TopicBindingCommit,
  TopicBindingConsumer,
  TopicBindingDeps,
  TopicBindingStats,
} from './topic-binding-consumer';

export interface TopicBindingServiceOptions {
  /** The cluster this process talks to (RuntimeOptions.kafkaBrokers): bindings without their own `brokers` read it. */
  kafkaBrokers?: string[];
  /** Kafka client id of the bindings' consumers (default `tributary-bindings`). */
  clientId?: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Pause between attempts while a topic is missing or the broker unreachable (default 10 s). */
  retryMs?: number;
  /**
   * For crash tests only: called after a flush's transaction committed and before its
   * offsets are committed. A crash (`abandon()`) while it is pending commits nothing.
   */
  beforeCommit?: (commit: TopicBindingCommit) => Promise<void> | void;
}

/**
 * The event-driven schedule: for each deployed DAG with a `topic` schedule, a Kafka consumer
 * that turns messages into `run.requested` (see TopicBindingConsumer for the guarantees).
 */
export class TopicBindingService {
  private readonly logger = new Logger('TopicBindings');
  private bindings: TopicBindingConsumer[] = [];

  constructor(
    private readonly deps: TopicBindingDeps,
    private readonly options: TopicBindingServiceOptions = {},
  ) {}

  /** The DAGs of a bundle that a topic schedule drives. */
  static boundDags(registry: DagRegistry): DagDefinition[] {
    return registry
      .all()
      .map((d) => d.definition)
      .filter((d) => d.schedule.kind === 'topic');
  }

  /**
   * Starts one consumer per bound DAG, in the background (a missing topic is logged and
   * retried). Throws before starting any when a binding has no brokers to read.
   */
  async start(registry: DagRegistry): Promise<void> {
    const dags = TopicBindingService.boundDags(registry);
    const plans = dags.map((dag) => ({ dag, brokers: this.brokersOf(dag) }));
    this.bindings = plans.map(
      ({ dag, brokers }) =>
        new TopicBindingConsumer(dag, this.deps, {
          brokers,
          clientId: this.options.clientId ?? 'tributary-bindings',
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 3_000,
          retryMs: this.options.retryMs ?? 10_000,
          beforeCommit: this.options.beforeCommit,
        }),
    );
    this.bindings.forEach((b) => b.start());
    if (this.bindings.length > 0) {
      this.logger.log(`bound ${this.bindings.map((b) => `${b.groupId} ← '${b.topic}'`).join(', ')}`);
    }
  }

  /**
   * Resolves once the bindings' consumers (of these DAGs, default all) have joined their
   * groups: a message produced after that is consumed. A binding whose topic is missing joins
   * once the topic exists.
   */
  async ready(dagIds?: string[]): Promise<void> {
    const waited = this.bindings.filter((b) => !dagIds || dagIds.includes(b.dagId));
    await Promise.all(waited.map((b) => b.joined));
  }

  /** Graceful: stop fetching, record and commit pending batches, leave the groups. */
  async stop(): Promise<void> {
    await Promise.all(this.bindings.map((b) => b.stop()));
  }

  /** A crash: pending batches are neither recorded nor committed (Kafka redelivers them), then leave the groups. */
  async abandon(): Promise<void> {
    await Promise.all(this.bindings.map((b) => b.abandon()));
  }

  /** Counters per DAG id. */
  stats(): Record<string, TopicBindingStats> {
    return Object.fromEntries(this.bindings.map((b) => [b.dagId, { ...b.stats }]));
  }

  private brokersOf(dag: DagDefinition): string[] {
    const schedule = dag.schedule.kind === 'topic' ? dag.schedule : null;
    const brokers = schedule?.brokers ?? this.options.kafkaBrokers;
    if (!brokers || brokers.length === 0) {
      throw new Error(
        `DAG '${dag.dagId}' is scheduled on Kafka topic '${schedule?.topic}', but no Kafka brokers are configured: ` +
          `set KAFKA_BROKERS (e.g. KAFKA_BROKERS=127.0.0.1:9092), or give the topic's cluster in the schedule ` +
          `(topic('${schedule?.topic}', { brokers: ['host:9092'] }))`,
      );
    }
    return brokers;
  }
}
