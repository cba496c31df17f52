/**
 * The topic catalog (DESIGN §2). Names are prefixed (default `tributary.`); outside
 * producers and consumers use the full names, e.g. `tributary.run.requested`.
 */
export const TOPICS = {
  runRequested: 'run.requested',
  taskCommands: 'task.commands',
  taskEvents: 'task.events',
  triggers: 'triggers',
  triggerEvents: 'trigger.events',
  assetEvents: 'asset.events',
  alerts: 'alerts',
  dlq: 'dlq',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export const DEFAULT_TOPIC_PREFIX = 'tributary.';

export class TopicCatalog {
  constructor(readonly prefix: string = DEFAULT_TOPIC_PREFIX) {}

  /** The full topic name on the wire, e.g. `tributary.run.requested`. */
  name(topic: TopicName): string {
    return `${this.prefix}${topic}`;
  }

  /** The catalog name of a full topic name, or null when it is not one of ours. */
  topicOf(fullName: string): TopicName | null {
    if (!fullName.startsWith(this.prefix)) return null;
    const short = fullName.slice(this.prefix.length);
    return (Object.values(TOPICS) as string[]).includes(short) ? (short as TopicName) : null;
  }

  /**
   * The Kafka consumer group of a service's consumer, e.g. `tributary.coordinator`: prefixed
   * like the topics, so two deployments sharing a broker never join each other's groups.
   */
  group(name: string): string {
    return `${this.prefix}${name}`;
  }

  all(): string[] {
    return Object.values(TOPICS).map((t) => this.name(t));
  }
}
