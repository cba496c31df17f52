import { Admin, Kafka, KafkaConfig, logLevel } from 'kafkajs';

/** One partition's offsets: `high` is the next offset to be written, `low` the oldest kept. */
export interface TopicPartitionOffsets {
  partition: number;
  high: number;
  low: number;
}

/** A consumer group's committed offset on one partition; -1 when it has committed nothing there. */
export interface CommittedPartitionOffset {
  partition: number;
  offset: number;
}

export interface KafkaAdminPoolOptions {
  /** Names this process to the brokers. */
  clientId: string;
  /** Builds the kafkajs client of one cluster (tests may substitute their own). */
  createKafka?: (config: KafkaConfig) => Kafka;
}

export interface KafkaAdminPoolStats {
  /** Admin clients created: one per cluster, plus one per reconnect after an error. */
  adminClients: number;
  /** Admin operations sent to a broker (an offsets fetch may take several wire requests). */
  requests: number;
  /** Calls answered by an identical request already in flight instead of a new one. */
  coalesced: number;
}

interface Cluster {
  brokers: string[];
  kafka: Kafka;
  admin: Admin | null;
  connecting: Promise<Admin> | null;
}

/**
 * Shares one kafkajs admin client per cluster among every Kafka sensor of the process, and
 * one in-flight request among identical asks: checks of one topic that overlap in time share a
 * request, and every check shares the one connection (10,000 sensors, not 10,000 connections).
 * Checks spread over a poke round still cost several requests per round (bench/README.md).
 */
export class KafkaAdminPool {
  private readonly clusters = new Map<string, Cluster>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly counters: KafkaAdminPoolStats = { adminClients: 0, requests: 0, coalesced: 0 };
  private closed = false;

  constructor(private readonly options: KafkaAdminPoolOptions) {}

  /** Every partition's low and high watermarks; rejects when the topic does not exist. */
  topicOffsets(brokers: string[], topic: string): Promise<TopicPartitionOffsets[]> {
    return this.shared(brokers, `offsets\0${topic}`, async (admin) => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets
        .map((p) => ({ partition: p.partition, high: Number(p.high), low: Number(p.low) }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  /** The group's committed offsets on the topic's partitions. */
  committedOffsets(brokers: string[], groupId: string, topic: string): Promise<CommittedPartitionOffset[]> {
    return this.shared(brokers, `group\0${groupId}\0${topic}`, async (admin) => {
      const topics = await admin.fetchOffsets({ groupId, topics: [topic] });
      const partitions = topics.find((t) => t.topic === topic)?.partitions ?? [];
      return partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    });
  }

  stats(): KafkaAdminPoolStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    const admins = [...this.clusters.values()].map((c) => c.admin);
    this.clusters.clear();
    await Promise.all(admins.map((admin) => admin?.disconnect().catch(() => undefined)));
  }

  /** Runs `request` once for all identical asks in flight on the cluster. */
  private shared<T>(brokers: string[], what: string, request: (admin: Admin) => Promise<T>): Promise<T> {
    const clusterKey = clusterKeyOf(brokers);
    const key = `${clusterKey}\0${what}`;
    const existing = this.inFlight.get(key);
    if (existing) {
      this.counters.coalesced++;
      return existing as Promise<T>;
    }
    const pending = this.send(clusterKey, brokers, request);
    this.inFlight.set(key, pending);
    // Both callbacks: the shared promise counts as handled even if every caller gave up on it.
    const forget = () => this.inFlight.delete(key);
    pending.then(forget, forget);
    return pending;
  }

  private async send<T>(
    clusterKey: string,
    brokers: string[],
    request: (admin: Admin) => Promise<T>,
  ): Promise<T> {
    const cluster = this.cluster(clusterKey, brokers);
    const admin = await this.connected(cluster);
    this.counters.requests++;
    try {
      return await request(admin);
    } catch (error) {
      // A broker's answer (unknown topic, ...) leaves the connection sound; anything else may not.
      if (!isBrokerAnswer(error)) this.discard(cluster, admin);
      throw error;
    }
  }

  private cluster(clusterKey: string, brokers: string[]): Cluster {
    if (this.closed) throw new Error('the Kafka admin pool is closed');
    let cluster = this.clusters.get(clusterKey);
    if (!cluster) {
      const createKafka = this.options.createKafka ?? ((config: KafkaConfig) => new Kafka(config));
      const kafka = createKafka({
        clientId: this.options.clientId,
        brokers: [...brokers],
        // Failures surface as sensor messages; kafkajs would log retriable ones as errors.
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3_000,
        requestTimeout: 10_000,
        // A sensor looks again at its next poke: long retries would only delay "waiting".
        retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
      });
      cluster = { brokers: [...brokers], kafka, admin: null, connecting: null };
      this.clusters.set(clusterKey, cluster);
    }
    return cluster;
  }

  /** The cluster's admin client, connected on first use and after an error dropped it. */
  private connected(cluster: Cluster): Promise<Admin> {
    if (cluster.admin) return Promise.resolve(cluster.admin);
    if (cluster.connecting) return cluster.connecting;
    const admin = cluster.kafka.admin();
    this.counters.adminClients++;
    const connecting = admin.connect().then(
      () => {
        cluster.connecting = null;
        if (this.closed) {
          void admin.disconnect().catch(() => undefined);
          throw new Error('the Kafka admin pool is closed');
        }
        cluster.admin = admin;
        return admin;
      },
      (error: unknown) => {
        cluster.connecting = null;
        void admin.disconnect().catch(() => undefined);
        throw error;
      },
    );
    cluster.connecting = connecting;
    return connecting;
  }

  private discard(cluster: Cluster, admin: Admin): void {
    if (cluster.admin !== admin) return;
    cluster.admin = null;
    void admin.disconnect().catch(() => undefined);
  }
}

/** Brokers in any order name the same cluster. */
export function clusterKeyOf(brokers: string[]): string {
  return [...brokers]
    .map((b) => b.trim())
    .sort()
    .join(',');
}

/** The kafkajs error's broker error type (e.g. UNKNOWN_TOPIC_OR_PARTITION), looking through retry wrappers. */
export function kafkaErrorType(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    const next = (current as { cause?: unknown }).cause;
    if (next === current) break;
    current = next;
  }
  return undefined;
}

function isBrokerAnswer(error: unknown): boolean {
  return kafkaErrorType(error) !== undefined;
}
