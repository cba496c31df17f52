import { InitialSchema1763683200000 } from './1763683200000-initial-schema';
import { DagSlotStarved1763769600000 } from './1763769600000-dag-slot-starved';
import { OutboxProducer1763856000000 } from './1763856000000-outbox-producer';
import { SensorsAndTriggers1763942400000 } from './1763942400000-sensors-and-triggers';
import { AssetsAndFreshness1764028800000 } from './1764028800000-assets-and-freshness';
import { OperationsSurface1764115200000 } from './1764115200000-operations-surface';

/** Every migration, in order. Add new ones at the end; never edit an applied one. */
export const MIGRATIONS = [
  InitialSchema1763683200000,
  DagSlotStarved1763769600000,
  OutboxProducer1763856000000,
  SensorsAndTriggers1763942400000,
  AssetsAndFreshness1764028800000,
  OperationsSurface1764115200000,
];
