import { AssetCondition, assetNamesIn } from '../assets/asset-condition';
import { freshnessContractProblems } from '../assets/freshness';
import { runDeadlineProblems } from '../assets/run-deadline';
import { cronProblem } from '../cron/cron-expression';
import { closestMatch } from '../text/suggest';
import { parseDateInput } from '../time/date-input';
import { DurationError, DurationInput, parseDuration } from '../time/duration';
import { timezoneProblem } from '../time/timezone';
import { TRIGGER_RULES } from '../trigger-rules/trigger-rule';
import { SENSOR_FAMILIES, SensorFamily } from '../sensors/sensor-spec';
import { templateProblem } from '../sensors/sensor-templates';
import { RUN_STATES } from '../state/run-state';
import { TASK_INSTANCE_STATES } from '../state/task-instance-state';
import { ASSET_EVENT_MODES, DagDefinition, SENSOR_MODES, TASK_KINDS, TaskDefinition } from './dag-definition';

/** One thing wrong with a DAG: where (DAG, task, field) and a message that says the fix. */
export interface DagProblem {
  dagId: string;
  taskId?: string;
  field: string;
  message: string;
}

export function formatDagProblem(problem: DagProblem): string {
  const where = [`DAG '${problem.dagId}'`, problem.taskId ? `task '${problem.taskId}'` : null, problem.field]
    .filter(Boolean)
    .join(', ');
  return `${where}: ${problem.message}`;
}

export class DagValidationError extends Error {
  constructor(readonly problems: DagProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in DAG definitions:\n` +
        problems.map((p) => `  - ${formatDagProblem(p)}`).join('\n'),
    );
    this.name = 'DagValidationError';
  }
}

export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,249}$/;
const ID_RULE = "use 1-250 letters, digits, '_', '-' or '.', starting with a letter, digit or '_'";
export const ASSET_NAME_PATTERN = /^[^\s]{1,1000}$/;

/** Every problem in one DAG, all at once. An empty list means the DAG is valid. */
export function validateDag(dag: DagDefinition): DagProblem[] {
  const problems: DagProblem[] = [];
  const dagId = typeof dag.dagId === 'string' && dag.dagId !== '' ? dag.dagId : '<missing id>';
  const add = (field: string, message: string, taskId?: string) =>
    problems.push({ dagId, field, message, ...(taskId !== undefined ? { taskId } : {}) });

  if (!ID_PATTERN.test(String(dag.dagId ?? ''))) add('dagId', `invalid id '${dag.dagId ?? ''}': ${ID_RULE}`);

  const tzProblem = timezoneProblem(dag.timezone);
  if (tzProblem) add('timezone', tzProblem);
  const zone = tzProblem ? 'UTC' : dag.timezone;

  validateSchedule(dag, zone, add);

  const start = checkDate(dag.startDate, 'startDate', zone, add);
  const end = checkDate(dag.endDate, 'endDate', zone, add);
  if (start && end && end.getTime() < start.getTime()) {
    add(
      'endDate',
      `endDate ${end.toISOString()} is before startDate ${start.toISOString()}; swap or fix them`,
    );
  }
  checkPositiveInteger(dag.maxActiveRuns, 'maxActiveRuns', add);
  checkPositiveInteger(dag.maxActiveTasks, 'maxActiveTasks', add);
  if (dag.backfillWindow !== undefined)
    checkDuration(dag.backfillWindow, 'backfillWindow', add, { positive: true });

  if (!Array.isArray(dag.tasks) || dag.tasks.length === 0) {
    add('tasks', 'the DAG has no tasks; add at least one task');
  } else {
    validateTasks(dag.tasks, add);
  }

  for (const asset of dag.assets ?? []) {
    validateAssetName(asset.name, 'assets', add);
    if (asset.freshness !== undefined) {
      for (const p of freshnessContractProblems(asset.freshness))
        add(`assets.${asset.name}.${p.field}`, p.message);
    }
  }
  if (dag.deadline !== undefined) for (const p of runDeadlineProblems(dag.deadline)) add(p.field, p.message);
  if (
    dag.webhook !== undefined &&
    !(typeof dag.webhook.secretEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(dag.webhook.secretEnv))
  ) {
    add(
      'webhook.secretEnv',
      `'${String(dag.webhook.secretEnv)}' is not an environment variable name; use e.g. 'ORDERS_WEBHOOK_SECRET' (the secret itself never goes in code)`,
    );
  }
  return problems;
}

/** Every problem across a bundle of DAGs, including DAG ids declared twice. */
export function validateDagBundle(dags: DagDefinition[]): DagProblem[] {
  const problems = dags.flatMap(validateDag);
  const seen = new Map<string, number>();
  for (const dag of dags) seen.set(dag.dagId, (seen.get(dag.dagId) ?? 0) + 1);
  for (const [dagId, count] of seen) {
    if (count > 1) {
      problems.push({
        dagId,
        field: 'dagId',
        message: `declared ${count} times in the bundle; DAG ids must be unique, rename all but one`,
      });
    }
  }
  return problems;
}

/** Throws DagValidationError listing every problem, or returns the DAG unchanged. */
export function assertValidDag(dag: DagDefinition): DagDefinition {
  const problems = validateDag(dag);
  if (problems.length > 0) throw new DagValidationError(problems);
  return dag;
}

type AddProblem = (field: string, message: string, taskId?: string) => void;

function validateSchedule(dag: DagDefinition, zone: string, add: AddProblem): void {
  const schedule = dag.schedule;
  switch (schedule?.kind) {
    case 'cron': {
      const problem = cronProblem(schedule.expression);
      if (problem) add('schedule', `bad cron '${schedule.expression}': ${problem.message}`);
      // A DAG inherits its cron's zone: the same bad zone is reported once, on the DAG.
      if (schedule.timezone !== undefined && schedule.timezone !== dag.timezone) {
        const tz = timezoneProblem(schedule.timezone);
        if (tz) add('schedule.timezone', tz);
      }
      return;
    }
    case 'interval': {
      checkDuration(schedule.every, 'schedule.every', add, { positive: true });
      if (schedule.anchor !== undefined) checkDate(schedule.anchor, 'schedule.anchor', zone, add);
      return;
    }
    case 'assets': {
      const names = schedule.condition ? assetNamesIn(schedule.condition) : [];
      if (names.length === 0) {
        add(
          'schedule',
          'an asset schedule needs at least one asset, e.g. assets(and(rawEvents, rawPayments))',
        );
      }
      for (const name of names) validateAssetName(name, 'schedule', add);
      if (names.length > 0 && hasEmptyGroup(schedule.condition)) {
        add(
          'schedule',
          'an and()/or() with no assets can never be met; give it at least one asset or remove it',
        );
      }
      if (
        schedule.events !== undefined &&
        !(ASSET_EVENT_MODES as readonly string[]).includes(schedule.events)
      ) {
        add('schedule.events', `unknown events mode '${schedule.events}'; use 'batched' or 'per_event'`);
      }
      if (schedule.partitioned && schedule.events === 'per_event') {
        add(
          'schedule.events',
          'a partitioned schedule runs once per partition; per_event applies to non-partitioned schedules only',
        );
      }
      if (schedule.fallback) {
        const problem = cronProblem(schedule.fallback.at);
        if (problem) add('schedule.fallback.at', `bad cron '${schedule.fallback.at}': ${problem.message}`);
        if (schedule.fallback.timezone !== undefined) {
          const tz = timezoneProblem(schedule.fallback.timezone);
          if (tz) add('schedule.fallback.timezone', tz);
        }
        if (!['alert', 'run'].includes(schedule.fallback.action)) {
          add(
            'schedule.fallback.action',
            `unknown action '${schedule.fallback.action}'; use 'alert' or 'run'`,
          );
        }
      }
      return;
    }
    case 'topic': {
      if (typeof schedule.topic !== 'string' || !KAFKA_TOPIC_PATTERN.test(schedule.topic)) {
        add('schedule.topic', KAFKA_TOPIC_RULE(String(schedule.topic ?? '')));
      }
      checkBrokers(schedule.brokers, 'schedule.brokers', add);
      if (schedule.logicalDateField !== undefined && schedule.partitionField !== undefined) {
        add(
          'schedule.partitionField',
          'give logicalDateField or partitionField, not both: one field decides the logical date',
        );
      }
      for (const field of ['logicalDateField', 'partitionField'] as const) {
        const value = schedule[field];
        if (value !== undefined && !(typeof value === 'string' && /^[^.\s]+(\.[^.\s]+)*$/.test(value))) {
          add(`schedule.${field}`, `'${String(value)}' is not a field path; use e.g. 'event.date'`);
        }
      }
      if (
        schedule.filter !== undefined &&
        (typeof schedule.filter !== 'object' || schedule.filter === null)
      ) {
        add('schedule.filter', "must map field paths to values, e.g. { type: 'shipment.created' }");
      }
      if (schedule.batch !== undefined) {
        checkPositiveInteger(schedule.batch.maxMessages, 'schedule.batch.maxMessages', add);
        checkDuration(schedule.batch.maxWait, 'schedule.batch.maxWait', add, { positive: true });
      }
      return;
    }
    case 'none':
      return;
    default:
      add(
        'schedule',
        'missing or unknown schedule; use cron(...), every(...), assets(...), topic(...) or manual()',
      );
  }
}

function validateTasks(tasks: TaskDefinition[], add: AddProblem): void {
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.taskId, (counts.get(task.taskId) ?? 0) + 1);
  for (const [taskId, count] of counts) {
    if (count > 1) add('taskId', `declared ${count} times; task ids must be unique within a DAG`, taskId);
  }
  const known = new Set(counts.keys());

  for (const task of tasks) {
    const id = task.taskId;
    const addTask = (field: string, message: string) => add(field, message, String(id));
    if (!ID_PATTERN.test(String(id ?? ''))) addTask('taskId', `invalid id '${id ?? ''}': ${ID_RULE}`);
    if (!TASK_KINDS.includes(task.kind))
      addTask('kind', `unknown kind '${task.kind}'; use ${TASK_KINDS.join(', ')}`);

    for (const upstream of task.upstreams) {
      if (upstream === id) addTask('upstreams', 'depends on itself; remove the self-dependency');
      else if (!known.has(upstream)) {
        const hint = closestMatch(upstream, known);
        addTask(
          'upstreams',
          `depends on unknown task '${upstream}'` +
            (hint ? `; did you mean '${hint}'?` : `; declare it in this DAG or remove the dependency`),
        );
      }
    }

    const retry = task.retry;
    if (!Number.isInteger(retry.retries) || retry.retries < 0) {
      addTask(
        'retries',
        `${retry.retries} is not allowed; retries must be a whole number ≥ 0 (0 = no retries)`,
      );
    }
    const delay = checkDuration(retry.retryDelay, 'retryDelay', addTask, { positive: false });
    const maxDelay =
      retry.maxRetryDelay === undefined
        ? undefined
        : checkDuration(retry.maxRetryDelay, 'maxRetryDelay', addTask, { positive: true });
    if (delay !== undefined && maxDelay !== undefined && maxDelay < delay) {
      addTask('maxRetryDelay', `is shorter than retryDelay; make it at least ${String(retry.retryDelay)}`);
    }
    if (retry.jitter !== undefined && !(retry.jitter >= 0 && retry.jitter <= 1)) {
      addTask('jitter', `${retry.jitter} is out of range; jitter is a fraction from 0 to 1`);
    }
    if (task.timeout !== undefined) checkDuration(task.timeout, 'timeout', addTask, { positive: true });
    if (!TRIGGER_RULES.includes(task.triggerRule)) {
      addTask(
        'triggerRule',
        `unknown trigger rule '${task.triggerRule}'; use one of ${TRIGGER_RULES.join(', ')}`,
      );
    }
    for (const name of task.inlets) validateAssetName(name, 'inlets', addTask);
    for (const name of task.outlets) validateAssetName(name, 'outlets', addTask);

    if (task.kind === 'sensor') validateSensor(task, addTask);
    if (task.kind === 'shell' && !(typeof task.command === 'string' && task.command.trim())) {
      addTask('command', 'a shell task needs a non-empty command');
    }
    if (task.kind === 'http' && !(typeof task.http?.url === 'string' && /^https?:\/\//.test(task.http.url))) {
      addTask('http.url', 'an http task needs a url starting with http:// or https://');
    }
    if (task.kind === 'sql' && !(typeof task.sql?.query === 'string' && task.sql.query.trim())) {
      addTask('sql.query', 'a sql task needs a non-empty query');
    }
  }

  for (const cycle of findCycles(tasks)) {
    add(
      'upstreams',
      `cycle ${cycle.join(' -> ')}; a DAG cannot loop, remove one of these dependencies`,
      cycle[0],
    );
  }
}

function validateSensor(task: TaskDefinition, addTask: (field: string, message: string) => void): void {
  const sensor = task.sensor;
  if (!sensor) {
    addTask('sensor', 'a sensor task needs sensor options (mode, pokeInterval, timeout)');
    return;
  }
  if (!SENSOR_MODES.includes(sensor.mode)) {
    addTask('sensor.mode', `unknown mode '${sensor.mode}'; use ${SENSOR_MODES.join(', ')}`);
  }
  const poke = checkDuration(sensor.pokeInterval, 'sensor.pokeInterval', addTask, { positive: true });
  if (sensor.timeout === undefined || sensor.timeout === null) {
    addTask('sensor.timeout', "a sensor needs a timeout so it cannot wait forever; add e.g. timeout: '6h'");
  } else {
    const timeout = checkDuration(sensor.timeout, 'sensor.timeout', addTask, { positive: true });
    if (poke !== undefined && timeout !== undefined && timeout < poke) {
      addTask(
        'sensor.timeout',
        'is shorter than pokeInterval, so the sensor would time out before its first re-check',
      );
    }
  }
  if (sensor.maxPokeInterval !== undefined) {
    checkDuration(sensor.maxPokeInterval, 'sensor.maxPokeInterval', addTask, { positive: true });
  }
  if (!SENSOR_FAMILIES.includes(sensor.check)) {
    addTask('sensor.check', `unknown sensor family '${sensor.check}'; use ${SENSOR_FAMILIES.join(', ')}`);
    return;
  }
  if (sensor.check === 'predicate' && sensor.mode === 'deferrable') {
    addTask(
      'sensor.mode',
      "a predicate sensor runs user code, which the triggerer cannot; use mode 'poke' or 'reschedule'",
    );
  } else if (sensor.mode === 'deferrable' && sensor.code?.length) {
    addTask(
      'sensor.mode',
      `option ${sensor.code.map((c) => `'${c}'`).join(', ')} is a function, which the triggerer cannot run; ` +
        `use mode 'poke' or 'reschedule', or express the check as data`,
    );
  }
  validateSensorSpec(sensor.check, (sensor.spec ?? {}) as Record<string, unknown>, (field, message) =>
    addTask(`sensor.${field}`, message),
  );
}

function validateSensorSpec(
  family: SensorFamily,
  spec: Record<string, unknown>,
  add: (field: string, message: string) => void,
): void {
  const text = (field: string, example: string, required = true): string | undefined => {
    const value = spec[field];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      add(field, `a ${family} sensor needs ${field}, e.g. ${example}`);
      return undefined;
    }
    const problem = templateProblem(value);
    if (problem) add(field, problem);
    return value;
  };
  const regex = (field: string) => {
    const value = spec[field];
    if (value === undefined) return;
    try {
      new RegExp(String(value));
    } catch (error) {
      add(field, `'${String(value)}' is not a regular expression (${(error as Error).message})`);
    }
  };
  const states = (field: string) => {
    const value = spec[field];
    if (!Array.isArray(value) || value.length === 0) return;
    for (const state of value) {
      if (
        !(TASK_INSTANCE_STATES as readonly string[]).includes(state) &&
        !(RUN_STATES as readonly string[]).includes(state)
      ) {
        add(field, `unknown state '${state}'; use task or run states such as success, failed, skipped`);
      }
    }
  };
  switch (family) {
    case 'file': {
      text('path', "'/data/orders/{{ ds }}/_SUCCESS'");
      if (spec.minSize !== undefined && !(Number.isInteger(spec.minSize) && (spec.minSize as number) >= 0)) {
        add('minSize', `${String(spec.minSize)} is not a size; use a whole number of bytes ≥ 0`);
      }
      regex('contains');
      return;
    }
    case 'http': {
      const url = text('url', "'https://partner.example.com/exports/{{ ds }}/ready'");
      if (url !== undefined && !/^https?:\/\//.test(url)) {
        add('url', `'${url}' must start with http:// or https://`);
      }
      const expect = spec.expectStatus;
      if (
        expect !== undefined &&
        !(Array.isArray(expect) && expect.every((c) => Number.isInteger(c) && c >= 100 && c <= 599))
      ) {
        add('expectStatus', 'must be a list of HTTP status codes (100-599), e.g. [200]');
      }
      regex('bodyContains');
      return;
    }
    case 'external_task': {
      const dagId = text('dagId', "'upstream_etl'");
      if (dagId !== undefined && !ID_PATTERN.test(dagId))
        add('dagId', `invalid DAG id '${dagId}': ${ID_RULE}`);
      const taskId = text('taskId', "'load'", false);
      if (taskId !== undefined && !ID_PATTERN.test(taskId))
        add('taskId', `invalid task id '${taskId}': ${ID_RULE}`);
      if (spec.executionDelta !== undefined) {
        checkDuration(spec.executionDelta as DurationInput, 'executionDelta', add, { positive: false });
      }
      states('allowedStates');
      states('failedStates');
      return;
    }
    case 'asset': {
      const name = spec.asset;
      if (typeof name !== 'string') add('asset', "an asset sensor needs asset, e.g. 'raw.shipments'");
      else validateAssetName(name, 'asset', add);
      text('partition', "'{{ ds }}'", false);
      return;
    }
    case 'kafka_offset': {
      const topic = text('topic', "'orders'");
      if (topic !== undefined && !KAFKA_TOPIC_PATTERN.test(topic)) add('topic', KAFKA_TOPIC_RULE(topic));
      const hasOffset = spec.minOffset !== undefined;
      const hasGroup = spec.consumerGroup !== undefined;
      if (hasOffset === hasGroup) {
        add(
          'minOffset',
          'a Kafka offset sensor waits for either minOffset (every partition reached it) or consumerGroup (no lag left); give exactly one',
        );
      }
      if (hasOffset && !(Number.isInteger(spec.minOffset) && (spec.minOffset as number) >= 0)) {
        add('minOffset', `${String(spec.minOffset)} is not an offset; use a whole number ≥ 0`);
      }
      if (hasGroup && !(typeof spec.consumerGroup === 'string' && spec.consumerGroup !== '')) {
        add('consumerGroup', 'must be a consumer group id');
      }
      checkBrokers(spec.brokers, 'brokers', add);
      return;
    }
    case 'predicate':
      return;
  }
}

export const KAFKA_TOPIC_PATTERN = /^[A-Za-z0-9._-]{1,249}$/;
const KAFKA_TOPIC_RULE = (topic: string) =>
  `invalid Kafka topic '${topic}': use 1-249 letters, digits, '.', '_' or '-'`;

function checkBrokers(value: unknown, field: string, add: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((b) => typeof b === 'string' && /^[^\s:]+:\d{1,5}$/.test(b))
  ) {
    add(field, "must be a list of host:port, e.g. ['127.0.0.1:9092']");
  }
}

/**
 * Cycles among known tasks, one per looping edge a depth-first walk meets, each as a path
 * that returns to its start (a -> b -> a). Enough to show every loop that must be broken.
 */
export function findCycles(tasks: Pick<TaskDefinition, 'taskId' | 'upstreams'>[]): string[][] {
  const downstream = new Map<string, string[]>();
  for (const task of tasks) downstream.set(task.taskId, []);
  for (const task of tasks) {
    for (const upstream of task.upstreams) {
      if (upstream !== task.taskId) downstream.get(upstream)?.push(task.taskId);
    }
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of downstream.get(node) ?? []) {
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next]);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const task of tasks) if (!state.has(task.taskId)) visit(task.taskId);
  return cycles;
}

/** Every task that runs after `taskId`, directly or through other tasks. */
export function downstreamTaskIds(
  tasks: Pick<TaskDefinition, 'taskId' | 'upstreams'>[],
  taskId: string,
): Set<string> {
  const found = new Set<string>();
  const pending = [taskId];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const task of tasks) {
      if (task.upstreams.includes(current) && !found.has(task.taskId)) {
        found.add(task.taskId);
        pending.push(task.taskId);
      }
    }
  }
  return found;
}

/** Task ids in an order where every task comes after its upstreams (ties by declaration order). */
export function topologicalOrder(tasks: Pick<TaskDefinition, 'taskId' | 'upstreams'>[]): string[] {
  const remaining = new Map(tasks.map((t) => [t.taskId, new Set(t.upstreams)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.entries()].filter(([, ups]) => [...ups].every((u) => !remaining.has(u)));
    if (ready.length === 0) throw new Error(`cycle among ${[...remaining.keys()].join(', ')}`);
    for (const [id] of ready) {
      order.push(id);
      remaining.delete(id);
    }
  }
  return order;
}

function hasEmptyGroup(condition: AssetCondition): boolean {
  return condition.kind !== 'asset' && (condition.of.length === 0 || condition.of.some(hasEmptyGroup));
}

function validateAssetName(name: string, field: string, add: (field: string, message: string) => void): void {
  if (typeof name !== 'string' || !ASSET_NAME_PATTERN.test(name)) {
    add(
      field,
      `invalid asset name '${name}': use a non-empty name without spaces, e.g. 'raw.events' or 's3://lake/raw'`,
    );
  }
}

function checkDuration(
  value: DurationInput,
  field: string,
  add: (field: string, message: string) => void,
  options: { positive: boolean },
): number | undefined {
  try {
    const { ms } = parseDuration(value);
    if (options.positive ? ms <= 0 : ms < 0) {
      add(
        field,
        `${String(value)} must be ${options.positive ? 'positive' : 'zero or more'}, e.g. '30s' or '15m'`,
      );
      return undefined;
    }
    return ms;
  } catch (error) {
    if (error instanceof DurationError) {
      add(field, error.message);
      return undefined;
    }
    throw error;
  }
}

function checkDate(
  value: DagDefinition['startDate'],
  field: string,
  zone: string,
  add: (field: string, message: string) => void,
): Date | null {
  if (value === undefined) return null;
  const date = parseDateInput(value, zone);
  if (!date)
    add(field, `'${String(value)}' is not a date; use ISO 8601, e.g. '2026-04-01' or '2026-04-01T02:00:00Z'`);
  return date;
}

function checkPositiveInteger(
  value: number,
  field: string,
  add: (field: string, message: string) => void,
): void {
  if (!Number.isInteger(value) || value < 1) add(field, `${value} is not allowed; use a whole number ≥ 1`);
}
