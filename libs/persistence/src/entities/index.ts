// Decorators below need the metadata polyfill even when this library is imported first.
import 'reflect-metadata';
import { AssetDagQueueEntity, AssetEntity, AssetEventEntity, RunAssetEventEntity } from './asset.entity';
import { DagRunEntity } from './dag-run.entity';
import { DagEntity } from './dag.entity';
import {
  OutboxEntity,
  ProcessedEventEntity,
  RunRequestEntity,
  TimerEntity,
  TriggerEntity,
  WebhookDeliveryEntity,
  WorkerEntity,
} from './infrastructure.entity';
import { TaskInstanceEntity, TaskInstanceLogEntity, TaskInstanceTryEntity } from './task-instance.entity';

export * from './asset.entity';
export * from './dag-run.entity';
export * from './dag.entity';
export * from './infrastructure.entity';
export * from './task-instance.entity';

export const ENTITIES = [
  DagEntity,
  DagRunEntity,
  TaskInstanceEntity,
  TaskInstanceTryEntity,
  TaskInstanceLogEntity,
  AssetEntity,
  AssetEventEntity,
  AssetDagQueueEntity,
  RunAssetEventEntity,
  TimerEntity,
  OutboxEntity,
  ProcessedEventEntity,
  TriggerEntity,
  WorkerEntity,
  RunRequestEntity,
  WebhookDeliveryEntity,
];
