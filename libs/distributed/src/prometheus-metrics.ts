import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KafkaTransport } from '@tributary/messaging';
import { Database } from '@tributary/persistence';
import { ServiceMetrics } from '@tributary/runtime';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * One service's Prometheus registry. Counters and histograms are fed as things happen;
 * consumer lag, TI state counts and the outbox backlog are read when Prometheus scrapes.
 */
export class PrometheusMetrics implements ServiceMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'topic' | 'group' | 'outcome'>;
  private readonly queueLatency: Histogram;
  private readonly taskDuration: Histogram<'outcome'>;

  constructor(service: string, db: Database, transport: KafkaTransport | null) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'tributary_' });
    this.events = new Counter({
      name: 'tributary_events_handled_total',
      help: 'Messages handed to a consumer, by topic, consumer group and outcome (handled, failed_attempt, dead_lettered).',
      labelNames: ['topic', 'group', 'outcome'],
      registers: [this.registry],
    });
    this.queueLatency = new Histogram({
      name: 'tributary_task_queue_latency_seconds',
      help: 'From a task instance being queued to an executor claiming it.',
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.taskDuration = new Histogram({
      name: 'tributary_task_duration_seconds',
      help: 'How long tries ran, by outcome.',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    new Gauge({
      name: 'tributary_task_instances',
      help: 'Task instances by state (from the database, at scrape time).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const rows: { state: string; n: number }[] = await db.manager.query(
          `SELECT state, count(*)::int AS n FROM task_instances GROUP BY state`,
        );
        this.reset();
        rows.forEach((r) => this.set({ state: r.state }, r.n));
      },
    });
    new Gauge({
      name: 'tributary_outbox_unpublished',
      help: 'Outbox rows committed but not yet acknowledged by the broker.',
      registers: [this.registry],
      async collect() {
        const [row] = await db.manager.query(
          `SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`,
        );
        this.set(row.n);
      },
    });
    if (transport) {
      new Gauge({
        name: 'tributary_consumer_lag',
        help: "Messages not yet committed by this service's consumer groups, per partition.",
        labelNames: ['group', 'topic', 'partition'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const lag of await transport.consumerLag()) {
            this.set({ group: lag.groupId, topic: lag.topic, partition: String(lag.partition) }, lag.lag);
          }
        },
      });
    }
  }

  eventHandled(topic: string, group: string, outcome: 'handled' | 'failed_attempt' | 'dead_lettered'): void {
    this.events.inc({ topic, group, outcome });
  }

  taskStarted(queuedMs: number): void {
    this.queueLatency.observe(Math.max(0, queuedMs) / 1000);
  }

  taskFinished(outcome: 'succeeded' | 'failed' | 'rescheduled', durationMs: number): void {
    this.taskDuration.observe({ outcome }, Math.max(0, durationMs) / 1000);
  }
}
