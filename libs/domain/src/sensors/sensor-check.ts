import type { SensorDefinition } from '../dag/dag-definition';
import { durationMs } from '../time/duration';
import {
  AssetSensorSpec,
  ExternalTaskSensorSpec,
  FileSensorSpec,
  HttpSensorSpec,
  KafkaOffsetSensorSpec,
  SensorFamily,
} from './sensor-spec';
import { TemplateContext, renderTemplate } from './sensor-templates';

/**
 * A sensor's check for one task instance: templates rendered and dates shifted, so whoever
 * runs it (an executor or the triggerer) needs nothing but this data.
 */
export type ResolvedSensorCheck =
  | ({ family: 'file' } & FileSensorSpec)
  | ({ family: 'http' } & HttpSensorSpec)
  | ({ family: 'external_task'; logicalDate: string } & Omit<ExternalTaskSensorSpec, 'executionDelta'>)
  | ({ family: 'asset'; partition: string } & AssetSensorSpec)
  | ({ family: 'kafka_offset' } & KafkaOffsetSensorSpec)
  | { family: 'predicate' };

/** How often a sensor looks, and for how long: the part of its definition that paces checks. */
export type SensorPoke = Pick<
  SensorDefinition,
  'pokeInterval' | 'exponentialBackoff' | 'maxPokeInterval' | 'timeout'
>;

/** What a `triggers` row holds for a deferred sensor: the rendered check and how often to look. */
export interface TriggerSpec {
  check: ResolvedSensorCheck;
  poke: SensorPoke;
  dagId: string;
  runId: string;
  taskId: string;
}

/**
 * Renders a sensor's spec for one TI. `mappedLogicalDate` is what an external-task sensor's
 * mapping function returned (it runs on an executor, never here).
 */
export function resolveSensorCheck(
  family: SensorFamily,
  spec: Record<string, unknown> | undefined,
  context: TemplateContext,
  options: { mappedLogicalDate?: Date } = {},
): ResolvedSensorCheck {
  const s = (spec ?? {}) as Record<string, unknown>;
  switch (family) {
    case 'file': {
      const file = s as unknown as FileSensorSpec;
      return { family, ...file, path: renderTemplate(file.path, context) };
    }
    case 'http': {
      const http = s as unknown as HttpSensorSpec;
      return { family, ...http, url: renderTemplate(http.url, context) };
    }
    case 'external_task': {
      const { executionDelta, ...rest } = s as unknown as ExternalTaskSensorSpec;
      const target =
        options.mappedLogicalDate ??
        new Date(context.logicalDate.getTime() - (executionDelta ? durationMs(executionDelta) : 0));
      return { family, ...rest, logicalDate: target.toISOString() };
    }
    case 'asset': {
      const asset = s as unknown as AssetSensorSpec;
      return { family, ...asset, partition: renderTemplate(asset.partition ?? '{{ ds }}', context) };
    }
    case 'kafka_offset':
      return { family, ...(s as unknown as KafkaOffsetSensorSpec) };
    case 'predicate':
      return { family };
  }
}

/** How long a sensor waits before its next check, after `checksDone` checks (1 after the first). */
export function pokeDelayMs(sensor: SensorPoke, checksDone: number): number {
  const base = durationMs(sensor.pokeInterval);
  if (!sensor.exponentialBackoff) return base;
  const cap =
    sensor.maxPokeInterval !== undefined
      ? durationMs(sensor.maxPokeInterval)
      : sensor.timeout !== undefined
        ? durationMs(sensor.timeout)
        : Number.MAX_SAFE_INTEGER;
  const exponent = Math.min(Math.max(checksDone - 1, 0), 40);
  return Math.min(base * 2 ** exponent, Math.max(cap, base));
}

/** A check in words, for logs: what the sensor waits for. */
export function describeSensorCheck(check: ResolvedSensorCheck): string {
  switch (check.family) {
    case 'file':
      return `file ${check.path}`;
    case 'http':
      return `${check.method} ${check.url} answering ${check.expectStatus.join('/')}`;
    case 'external_task':
      return `${check.dagId}${check.taskId ? `.${check.taskId}` : ''} for ${check.logicalDate} to be ${check.allowedStates.join(' or ')}`;
    case 'asset':
      return `an event of asset ${check.asset} for partition ${check.partition}`;
    case 'kafka_offset':
      return check.consumerGroup !== undefined
        ? `consumer group ${check.consumerGroup} to have no lag on ${check.topic}`
        : `every partition of ${check.topic} to reach offset ${check.minOffset}`;
    case 'predicate':
      return 'a predicate';
  }
}
