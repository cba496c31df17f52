import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { TOPICS, TopicName } from '../topics';
import { Envelope } from './envelope';
import {
  AlertEvent,
  AssetEventEvent,
  DeadLetterEvent,
  RunRequestedEvent,
  TaskCommandEvent,
  TaskEventEvent,
  TriggerEvent,
  TriggerFiredEvent,
} from './events';

/** Topic → the envelope class its messages must satisfy, and the schema versions understood. */
export const CONTRACTS: Partial<
  Record<TopicName, { type: string; envelope: new () => Envelope; versions: number[] }>
> = {
  [TOPICS.runRequested]: { type: 'run.requested', envelope: RunRequestedEvent, versions: [1] },
  [TOPICS.taskCommands]: { type: 'task.command', envelope: TaskCommandEvent, versions: [1] },
  [TOPICS.taskEvents]: { type: 'task.event', envelope: TaskEventEvent, versions: [1] },
  [TOPICS.triggers]: { type: 'trigger', envelope: TriggerEvent, versions: [1] },
  [TOPICS.triggerEvents]: { type: 'trigger.fired', envelope: TriggerFiredEvent, versions: [1] },
  [TOPICS.assetEvents]: { type: 'asset.event', envelope: AssetEventEvent, versions: [1] },
  [TOPICS.alerts]: { type: 'alert', envelope: AlertEvent, versions: [1] },
  [TOPICS.dlq]: { type: 'dead.letter', envelope: DeadLetterEvent, versions: [1] },
};

export class MalformedMessageError extends Error {
  constructor(readonly reasons: string[]) {
    super(`malformed message: ${reasons.join('; ')}`);
    this.name = 'MalformedMessageError';
  }
}

/**
 * Thrown by a handler for a message that can never succeed (e.g. a run for an unknown
 * DAG): it goes to the DLQ at once instead of being retried.
 */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/** Parses and validates a message of a catalog topic; throws MalformedMessageError naming every bad field. */
export function decodeMessage<E extends Envelope>(topic: TopicName, raw: string | Buffer | null): E {
  const contract = CONTRACTS[topic];
  if (!contract) throw new MalformedMessageError([`topic '${topic}' has no message contract`]);
  if (raw === null || raw === undefined) throw new MalformedMessageError(['empty message value']);
  let plain: unknown;
  try {
    plain = JSON.parse(raw.toString());
  } catch (error) {
    throw new MalformedMessageError([`value is not JSON (${(error as Error).message})`]);
  }
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new MalformedMessageError(['value must be a JSON object (an envelope)']);
  }
  const instance = plainToInstance(contract.envelope, plain) as E;
  const errors = validateSync(instance, { forbidUnknownValues: false });
  const reasons = flatten(errors);
  const env = plain as { type?: unknown; version?: unknown };
  if (env.type !== undefined && env.type !== contract.type) {
    reasons.push(`type '${String(env.type)}' does not belong on this topic (expected '${contract.type}')`);
  }
  if (typeof env.version === 'number' && !contract.versions.includes(env.version)) {
    reasons.push(`version ${env.version} is not supported (supported: ${contract.versions.join(', ')})`);
  }
  if (reasons.length > 0) throw new MalformedMessageError(reasons);
  return instance;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? `${prefix}${message}` : `${path}: ${message}`,
    );
    return [...own, ...flatten(error.children ?? [], `${path}.`)];
  });
}
