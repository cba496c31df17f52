// What DAG authors import: `import { dag, cron, every, assets, and, or, asset } from '@tributary/sdk'`.
export * from './asset';
export * from './schedules';
export * from './context';
export * from './calendar';
export * from './task';
export * from './dag';
export type { TriggerRule, SensorMode, DagDefinition, DagProblem, InputFreshness } from '@tributary/domain';
