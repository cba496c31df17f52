import { DagDefinition, ScheduleDefinition, SensorDefinition, TaskDefinition } from './dag-definition';
import {
  DagProblem,
  DagValidationError,
  assertValidDag,
  findCycles,
  formatDagProblem,
  topologicalOrder,
  validateDag,
  validateDagBundle,
} from './dag-validation';

const ID_RULE = "use 1-250 letters, digits, '_', '-' or '.', starting with a letter, digit or '_'";
const DURATION_FORMS = "write a number and a unit (ms, s, m, h, d, w), e.g. '30s', '15m', '1h30m', '1d'";
const ASSET_RULE = "use a non-empty name without spaces, e.g. 'raw.events' or 's3://lake/raw'";

function task(taskId: string, overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  return {
    taskId,
    kind: 'function',
    upstreams: [],
    retry: { retries: 0, retryDelay: '5m', exponentialBackoff: false },
    triggerRule: 'all_success',
    inlets: [],
    outlets: [],
    ...overrides,
  };
}

function sensorTask(taskId: string, sensor: Partial<SensorDefinition> = {}): TaskDefinition {
  return task(taskId, {
    kind: 'sensor',
    sensor: {
      mode: 'poke',
      pokeInterval: '60s',
      timeout: '6h',
      softFail: false,
      exponentialBackoff: false,
      check: 'file',
      spec: { path: '/data/{{ ds }}/_SUCCESS' },
      ...sensor,
    },
  });
}

function dag(overrides: Partial<DagDefinition> = {}): DagDefinition {
  return {
    dagId: 'etl',
    tags: [],
    schedule: { kind: 'cron', expression: '0 2 * * *' },
    timezone: 'UTC',
    catchup: false,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    tasks: [
      task('extract'),
      task('transform', { upstreams: ['extract'] }),
      task('load', { upstreams: ['transform'] }),
    ],
    assets: [],
    ...overrides,
  };
}

const withSchedule = (schedule: ScheduleDefinition, overrides: Partial<DagDefinition> = {}) =>
  dag({ schedule, ...overrides });
const withTasks = (...tasks: TaskDefinition[]) => dag({ tasks });

/** Exactly one problem, and it is this one. */
function expectOnlyProblem(
  definition: DagDefinition,
  expected: Omit<DagProblem, 'dagId'> & { dagId?: string },
) {
  expect(validateDag(definition)).toEqual([{ dagId: 'etl', ...expected }]);
}

describe('validateDag', () => {
  describe('valid DAGs', () => {
    it.each<[string, DagDefinition]>([
      ['the base fixture', dag()],
      [
        'a 6-field cron in a zone',
        withSchedule({ kind: 'cron', expression: '0 0 5 * * 1-5', timezone: 'Asia/Tokyo' }),
      ],
      ['a cron alias', withSchedule({ kind: 'cron', expression: '@daily' })],
      [
        'an interval with an anchor',
        withSchedule({ kind: 'interval', every: '1h30m', anchor: '2026-04-01T00:00' }),
      ],
      ['an interval in milliseconds', withSchedule({ kind: 'interval', every: 60_000 })],
      [
        'an asset schedule with a fallback',
        withSchedule({
          kind: 'assets',
          condition: {
            kind: 'all',
            of: [
              { kind: 'asset', name: 'raw.events' },
              { kind: 'asset', name: 's3://lake/raw/payments' },
            ],
          },
          partitioned: true,
          fallback: { at: '0 4 * * *', timezone: 'America/Los_Angeles', action: 'run' },
        }),
      ],
      ['a manual DAG', withSchedule({ kind: 'none' })],
      [
        'every option set',
        dag({
          timezone: 'America/Los_Angeles',
          startDate: '2026-01-01',
          endDate: new Date('2026-12-31T00:00:00Z'),
          maxActiveRuns: 1,
          maxActiveTasks: 1,
          backfillWindow: '90d',
          assets: [{ name: 'mart.daily', freshness: { by: '04:00' } }],
        }),
      ],
      ['equal start and end dates', dag({ startDate: '2026-04-01', endDate: '2026-04-01T00:00:00Z' })],
      [
        'tasks of every kind',
        withTasks(
          task('fn'),
          task('sh', { kind: 'shell', command: 'echo hi', upstreams: ['fn'] }),
          task('call', {
            kind: 'http',
            http: { url: 'https://example.com/hook', method: 'POST', expectStatus: [200] },
          }),
          task('plain_http', {
            kind: 'http',
            http: { url: 'http://localhost:8080', method: 'GET', expectStatus: [] },
          }),
          task('q', { kind: 'sql', sql: { query: 'select 1' } }),
          sensorTask('wait_file'),
          sensorTask('wait_kafka', {
            mode: 'deferrable',
            check: 'kafka_offset',
            spec: { topic: 'orders', minOffset: 100 },
          }),
          sensorTask('wait_pred', { mode: 'reschedule', check: 'predicate', timeout: '60s' }),
        ),
      ],
      [
        'a task with a full retry policy, timeout and assets',
        withTasks(
          task('t', {
            retry: {
              retries: 3,
              retryDelay: '30s',
              exponentialBackoff: true,
              maxRetryDelay: '30s',
              jitter: 1,
            },
            timeout: '1h',
            triggerRule: 'none_failed',
            inlets: ['raw.events'],
            outlets: ['s3://lake/clean/events'],
          }),
          task('u', { retry: { retries: 0, retryDelay: 0, exponentialBackoff: false, jitter: 0 } }),
        ),
      ],
      [
        'ids with dots, dashes and underscores',
        dag({ dagId: '_etl.v2-daily', tasks: [task('9_load.part-1')] }),
      ],
      ['a 250-character id', dag({ dagId: 'a'.repeat(250) })],
      [
        'a diamond',
        withTasks(
          task('a'),
          task('b', { upstreams: ['a'] }),
          task('c', { upstreams: ['a'] }),
          task('d', { upstreams: ['b', 'c'] }),
        ),
      ],
    ])('%s has no problems', (_label, definition) => {
      expect(validateDag(definition)).toEqual([]);
    });
  });

  describe('the DAG itself', () => {
    it.each(['my dag', '-etl', '.etl', 'etl/daily', 'a'.repeat(251), 'étl'])('rejects the id %j', (dagId) => {
      expect(validateDag(dag({ dagId }))).toEqual([
        { dagId, field: 'dagId', message: `invalid id '${dagId}': ${ID_RULE}` },
      ]);
    });

    it('names a DAG without an id "<missing id>"', () => {
      expect(validateDag(dag({ dagId: '' }))).toEqual([
        { dagId: '<missing id>', field: 'dagId', message: `invalid id '': ${ID_RULE}` },
      ]);
      expect(validateDag(dag({ dagId: undefined as unknown as string }))).toEqual([
        { dagId: '<missing id>', field: 'dagId', message: `invalid id '': ${ID_RULE}` },
      ]);
    });

    it('suggests the closest timezone for a typo', () => {
      expectOnlyProblem(dag({ timezone: 'America/Los_Angles' }), {
        field: 'timezone',
        message:
          "unknown timezone 'America/Los_Angles': use an IANA zone name (did you mean 'America/Los_Angeles'?)",
      });
    });

    it('gives example zones when nothing is close', () => {
      expectOnlyProblem(dag({ timezone: 'Mars/Olympus_Mons' }), {
        field: 'timezone',
        message:
          "unknown timezone 'Mars/Olympus_Mons': use an IANA zone name such as 'America/Los_Angeles', 'Europe/London' or 'UTC'",
      });
    });

    it('still checks dates (in UTC) when the timezone is unknown', () => {
      const problems = validateDag(
        dag({ timezone: 'Nowhere/Zone', startDate: '2026-04-02', endDate: '2026-04-01' }),
      );
      expect(problems.map((p) => p.field)).toEqual(['timezone', 'endDate']);
      expect(problems[1].message).toBe(
        'endDate 2026-04-01T00:00:00.000Z is before startDate 2026-04-02T00:00:00.000Z; swap or fix them',
      );
    });

    it('reports endDate before startDate, reading date-only values in the DAG zone', () => {
      expectOnlyProblem(
        dag({ timezone: 'America/Los_Angeles', startDate: '2026-04-01', endDate: '2026-03-01' }),
        {
          field: 'endDate',
          message:
            'endDate 2026-03-01T08:00:00.000Z is before startDate 2026-04-01T07:00:00.000Z; swap or fix them',
        },
      );
    });

    it.each<['startDate' | 'endDate', string]>([
      ['startDate', 'yesterday'],
      ['endDate', '2026-02-30'],
    ])('rejects an unreadable %s', (field, value) => {
      expectOnlyProblem(dag({ [field]: value }), {
        field,
        message: `'${value}' is not a date; use ISO 8601, e.g. '2026-04-01' or '2026-04-01T02:00:00Z'`,
      });
    });

    it.each<['maxActiveRuns' | 'maxActiveTasks', number]>([
      ['maxActiveRuns', 0],
      ['maxActiveRuns', -1],
      ['maxActiveRuns', 1.5],
      ['maxActiveRuns', NaN],
      ['maxActiveTasks', 0],
      ['maxActiveTasks', 2.5],
    ])('rejects %s = %d', (field, value) => {
      expectOnlyProblem(dag({ [field]: value }), {
        field,
        message: `${value} is not allowed; use a whole number ≥ 1`,
      });
    });

    it('rejects a backfill window that is not a positive duration', () => {
      expectOnlyProblem(dag({ backfillWindow: '0d' }), {
        field: 'backfillWindow',
        message: "0d must be positive, e.g. '30s' or '15m'",
      });
      expectOnlyProblem(dag({ backfillWindow: 'forever' }), {
        field: 'backfillWindow',
        message: `'forever' is not a duration; ${DURATION_FORMS}`,
      });
    });

    it('rejects a DAG without tasks', () => {
      expectOnlyProblem(dag({ tasks: [] }), {
        field: 'tasks',
        message: 'the DAG has no tasks; add at least one task',
      });
      expectOnlyProblem(dag({ tasks: undefined as unknown as TaskDefinition[] }), {
        field: 'tasks',
        message: 'the DAG has no tasks; add at least one task',
      });
    });

    it('rejects invalid names of declared assets', () => {
      expect(
        validateDag(dag({ assets: [{ name: 'raw events' }, { name: '' }, { name: 'ok.asset' }] })),
      ).toEqual([
        { dagId: 'etl', field: 'assets', message: `invalid asset name 'raw events': ${ASSET_RULE}` },
        { dagId: 'etl', field: 'assets', message: `invalid asset name '': ${ASSET_RULE}` },
      ]);
    });

    it('accepts a missing assets list', () => {
      expect(validateDag(dag({ assets: undefined as unknown as [] }))).toEqual([]);
    });
  });

  describe('schedules', () => {
    it.each<[string, string]>([
      [
        '0 0 30 2 *',
        'day-of-month: 30 never occurs in FEB, so the schedule would never fire; pick days that exist in those months',
      ],
      ['61 * * * *', 'minute: 61 is out of range 0-59'],
      ['0 2 * * FUN', "day-of-week: 'FUN' is not a day of the week; use 0-7 or SUN-SAT"],
      [
        '0 2 * *',
        'expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4',
      ],
      [
        '0 0 L * *',
        "day-of-month: 'L' uses L, W or #, which standard (Vixie) cron does not support; list the values explicitly",
      ],
    ])('a bad cron %j names the field', (expression, problem) => {
      expectOnlyProblem(withSchedule({ kind: 'cron', expression }), {
        field: 'schedule',
        message: `bad cron '${expression}': ${problem}`,
      });
    });

    it('checks the timezone of a cron schedule', () => {
      expectOnlyProblem(withSchedule({ kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Londn' }), {
        field: 'schedule.timezone',
        message: "unknown timezone 'Europe/Londn': use an IANA zone name (did you mean 'Europe/London'?)",
      });
    });

    it('reports a bad zone shared by the DAG and its cron once, on the DAG', () => {
      const definition = withSchedule({ kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Londn' });
      expectOnlyProblem(
        { ...definition, timezone: 'Europe/Londn' },
        {
          field: 'timezone',
          message: "unknown timezone 'Europe/Londn': use an IANA zone name (did you mean 'Europe/London'?)",
        },
      );
    });

    it.each<[string | number, string]>([
      [0, "0 must be positive, e.g. '30s' or '15m'"],
      ['0m', "0m must be positive, e.g. '30s' or '15m'"],
      [-60_000, "-60000 must be positive, e.g. '30s' or '15m'"],
      ['often', `'often' is not a duration; ${DURATION_FORMS}`],
    ])('rejects the interval %p', (every, message) => {
      expectOnlyProblem(withSchedule({ kind: 'interval', every }), { field: 'schedule.every', message });
    });

    it('rejects an unreadable interval anchor', () => {
      expectOnlyProblem(withSchedule({ kind: 'interval', every: '1h', anchor: 'noon' }), {
        field: 'schedule.anchor',
        message: "'noon' is not a date; use ISO 8601, e.g. '2026-04-01' or '2026-04-01T02:00:00Z'",
      });
    });

    it('rejects an empty and()/or() nested in an asset condition: it could never be met', () => {
      expectOnlyProblem(
        withSchedule({
          kind: 'assets',
          condition: {
            kind: 'all',
            of: [
              { kind: 'asset', name: 'raw.events' },
              { kind: 'any', of: [] },
            ],
          },
          partitioned: false,
        }),
        {
          field: 'schedule',
          message: 'an and()/or() with no assets can never be met; give it at least one asset or remove it',
        },
      );
    });

    it('rejects an asset schedule with no assets', () => {
      const message = 'an asset schedule needs at least one asset, e.g. assets(and(rawEvents, rawPayments))';
      expectOnlyProblem(
        withSchedule({ kind: 'assets', condition: { kind: 'all', of: [] }, partitioned: false }),
        {
          field: 'schedule',
          message,
        },
      );
      expectOnlyProblem(
        withSchedule({
          kind: 'assets',
          condition: undefined as unknown as { kind: 'all'; of: [] },
          partitioned: false,
        }),
        { field: 'schedule', message },
      );
    });

    it('rejects invalid asset names in an asset schedule', () => {
      expectOnlyProblem(
        withSchedule({
          kind: 'assets',
          condition: {
            kind: 'any',
            of: [
              { kind: 'asset', name: 'raw events' },
              { kind: 'asset', name: 'raw.ok' },
            ],
          },
          partitioned: false,
        }),
        { field: 'schedule', message: `invalid asset name 'raw events': ${ASSET_RULE}` },
      );
    });

    it('rejects a bad fallback cron, zone and action, all at once', () => {
      const problems = validateDag(
        withSchedule({
          kind: 'assets',
          condition: { kind: 'asset', name: 'raw.events' },
          partitioned: true,
          fallback: { at: '04:00', timezone: 'America/Los_Angles', action: 'page' as 'alert' },
        }),
      );
      expect(problems).toEqual([
        {
          dagId: 'etl',
          field: 'schedule.fallback.at',
          message:
            "bad cron '04:00': expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 1",
        },
        {
          dagId: 'etl',
          field: 'schedule.fallback.timezone',
          message:
            "unknown timezone 'America/Los_Angles': use an IANA zone name (did you mean 'America/Los_Angeles'?)",
        },
        {
          dagId: 'etl',
          field: 'schedule.fallback.action',
          message: "unknown action 'page'; use 'alert' or 'run'",
        },
      ]);
    });

    it('rejects a missing or unknown schedule kind', () => {
      const message =
        'missing or unknown schedule; use cron(...), every(...), assets(...), topic(...) or manual()';
      expectOnlyProblem(dag({ schedule: undefined as unknown as ScheduleDefinition }), {
        field: 'schedule',
        message,
      });
      expectOnlyProblem(dag({ schedule: { kind: 'weekly' } as unknown as ScheduleDefinition }), {
        field: 'schedule',
        message,
      });
    });
  });

  describe('task graph', () => {
    it('reports a duplicate task id once, with the count', () => {
      expect(validateDag(withTasks(task('extract'), task('load'), task('extract'), task('extract')))).toEqual(
        [
          {
            dagId: 'etl',
            taskId: 'extract',
            field: 'taskId',
            message: 'declared 3 times; task ids must be unique within a DAG',
          },
        ],
      );
    });

    it.each(['bad task', '-x', 'a/b', '', 'x'.repeat(251)])('rejects the task id %j', (taskId) => {
      expect(validateDag(withTasks(task(taskId)))).toEqual([
        { dagId: 'etl', taskId, field: 'taskId', message: `invalid id '${taskId}': ${ID_RULE}` },
      ]);
    });

    it('suggests the closest task for an unknown upstream', () => {
      expectOnlyProblem(withTasks(task('extract'), task('load', { upstreams: ['extrct'] })), {
        taskId: 'load',
        field: 'upstreams',
        message: "depends on unknown task 'extrct'; did you mean 'extract'?",
      });
    });

    it('says how to fix an unknown upstream that resembles nothing', () => {
      expectOnlyProblem(withTasks(task('extract'), task('load', { upstreams: ['publish_to_warehouse'] })), {
        taskId: 'load',
        field: 'upstreams',
        message:
          "depends on unknown task 'publish_to_warehouse'; declare it in this DAG or remove the dependency",
      });
    });

    it('reports a self-dependency (and not as a cycle)', () => {
      expectOnlyProblem(withTasks(task('loop', { upstreams: ['loop'] })), {
        taskId: 'loop',
        field: 'upstreams',
        message: 'depends on itself; remove the self-dependency',
      });
    });

    it('reports a cycle with its path', () => {
      expectOnlyProblem(
        withTasks(
          task('a', { upstreams: ['c'] }),
          task('b', { upstreams: ['a'] }),
          task('c', { upstreams: ['b'] }),
          task('d', { upstreams: ['c'] }),
        ),
        {
          taskId: 'a',
          field: 'upstreams',
          message: 'cycle a -> b -> c -> a; a DAG cannot loop, remove one of these dependencies',
        },
      );
    });

    it('reports a two-task cycle', () => {
      expectOnlyProblem(withTasks(task('a', { upstreams: ['b'] }), task('b', { upstreams: ['a'] })), {
        taskId: 'a',
        field: 'upstreams',
        message: 'cycle a -> b -> a; a DAG cannot loop, remove one of these dependencies',
      });
    });

    it('reports several distinct cycles, each once', () => {
      const problems = validateDag(
        withTasks(
          task('start'),
          task('a', { upstreams: ['start', 'b'] }),
          task('b', { upstreams: ['a'] }),
          task('x', { upstreams: ['z'] }),
          task('y', { upstreams: ['x'] }),
          task('z', { upstreams: ['y'] }),
          task('self', { upstreams: ['self'] }),
        ),
      );
      expect(problems).toEqual([
        {
          dagId: 'etl',
          taskId: 'self',
          field: 'upstreams',
          message: 'depends on itself; remove the self-dependency',
        },
        {
          dagId: 'etl',
          taskId: 'a',
          field: 'upstreams',
          message: 'cycle a -> b -> a; a DAG cannot loop, remove one of these dependencies',
        },
        {
          dagId: 'etl',
          taskId: 'x',
          field: 'upstreams',
          message: 'cycle x -> y -> z -> x; a DAG cannot loop, remove one of these dependencies',
        },
      ]);
    });

    it('reports two cycles through the same task', () => {
      const messages = validateDag(
        withTasks(
          task('hub', { upstreams: ['b', 'c'] }),
          task('b', { upstreams: ['hub'] }),
          task('c', { upstreams: ['hub'] }),
        ),
      ).map((p) => p.message);
      expect(messages).toEqual([
        'cycle hub -> b -> hub; a DAG cannot loop, remove one of these dependencies',
        'cycle hub -> c -> hub; a DAG cannot loop, remove one of these dependencies',
      ]);
    });
  });

  describe('task settings', () => {
    it.each([-1, 1.5, NaN])('rejects retries = %d', (retries) => {
      expectOnlyProblem(
        withTasks(task('t', { retry: { retries, retryDelay: '1m', exponentialBackoff: false } })),
        {
          taskId: 't',
          field: 'retries',
          message: `${retries} is not allowed; retries must be a whole number ≥ 0 (0 = no retries)`,
        },
      );
    });

    it.each<[string | number, string]>([
      ['soon', `'soon' is not a duration; ${DURATION_FORMS}`],
      [-1, "-1 must be zero or more, e.g. '30s' or '15m'"],
    ])('rejects retryDelay %p', (retryDelay, message) => {
      expectOnlyProblem(
        withTasks(task('t', { retry: { retries: 1, retryDelay, exponentialBackoff: false } })),
        {
          taskId: 't',
          field: 'retryDelay',
          message,
        },
      );
    });

    it('rejects a maxRetryDelay shorter than retryDelay', () => {
      expectOnlyProblem(
        withTasks(
          task('t', {
            retry: { retries: 3, retryDelay: '10m', exponentialBackoff: true, maxRetryDelay: '5m' },
          }),
        ),
        { taskId: 't', field: 'maxRetryDelay', message: 'is shorter than retryDelay; make it at least 10m' },
      );
    });

    it('rejects a maxRetryDelay that is not a positive duration (without a second "shorter" problem)', () => {
      expectOnlyProblem(
        withTasks(
          task('t', {
            retry: { retries: 3, retryDelay: '1m', exponentialBackoff: true, maxRetryDelay: '0s' },
          }),
        ),
        { taskId: 't', field: 'maxRetryDelay', message: "0s must be positive, e.g. '30s' or '15m'" },
      );
    });

    it.each([1.5, -0.1, NaN, Infinity])('rejects jitter %d', (jitter) => {
      expectOnlyProblem(
        withTasks(task('t', { retry: { retries: 1, retryDelay: '1m', exponentialBackoff: false, jitter } })),
        {
          taskId: 't',
          field: 'jitter',
          message: `${jitter} is out of range; jitter is a fraction from 0 to 1`,
        },
      );
    });

    it.each<[string | number, string]>([
      ['0s', "0s must be positive, e.g. '30s' or '15m'"],
      ['a while', `'a while' is not a duration; ${DURATION_FORMS}`],
    ])('rejects the timeout %p', (timeout, message) => {
      expectOnlyProblem(withTasks(task('t', { timeout })), { taskId: 't', field: 'timeout', message });
    });

    it('rejects an unknown kind', () => {
      expectOnlyProblem(withTasks(task('t', { kind: 'python' as 'function' })), {
        taskId: 't',
        field: 'kind',
        message: "unknown kind 'python'; use function, shell, http, sql, sensor",
      });
    });

    it('rejects an unknown trigger rule', () => {
      expectOnlyProblem(withTasks(task('t', { triggerRule: 'any_success' as 'all_success' })), {
        taskId: 't',
        field: 'triggerRule',
        message:
          "unknown trigger rule 'any_success'; use one of all_success, all_done, all_failed, one_success, one_failed, none_failed",
      });
    });

    it('rejects invalid inlet and outlet asset names', () => {
      expect(validateDag(withTasks(task('t', { inlets: ['raw events'], outlets: ['ok', ''] })))).toEqual([
        {
          dagId: 'etl',
          taskId: 't',
          field: 'inlets',
          message: `invalid asset name 'raw events': ${ASSET_RULE}`,
        },
        { dagId: 'etl', taskId: 't', field: 'outlets', message: `invalid asset name '': ${ASSET_RULE}` },
      ]);
    });

    it('accepts asset names up to 1000 characters and rejects longer ones', () => {
      expect(validateDag(withTasks(task('t', { outlets: ['a'.repeat(1000)] })))).toEqual([]);
      expect(validateDag(withTasks(task('t', { outlets: ['a'.repeat(1001)] })))).toHaveLength(1);
    });

    it.each<[string, Partial<TaskDefinition>, string, string]>([
      [
        'a shell task without command',
        { kind: 'shell' },
        'command',
        'a shell task needs a non-empty command',
      ],
      [
        'a shell task with a blank command',
        { kind: 'shell', command: '   ' },
        'command',
        'a shell task needs a non-empty command',
      ],
      [
        'an http task without request',
        { kind: 'http' },
        'http.url',
        'an http task needs a url starting with http:// or https://',
      ],
      [
        'an http task with an ftp url',
        { kind: 'http', http: { url: 'ftp://example.com', method: 'GET', expectStatus: [] } },
        'http.url',
        'an http task needs a url starting with http:// or https://',
      ],
      ['a sql task without query', { kind: 'sql' }, 'sql.query', 'a sql task needs a non-empty query'],
      [
        'a sql task with a blank query',
        { kind: 'sql', sql: { query: ' ' } },
        'sql.query',
        'a sql task needs a non-empty query',
      ],
    ])('rejects %s', (_label, overrides, field, message) => {
      expectOnlyProblem(withTasks(task('t', overrides)), { taskId: 't', field, message });
    });
  });

  describe('sensors', () => {
    it('rejects a sensor task without sensor options', () => {
      expectOnlyProblem(withTasks(task('wait', { kind: 'sensor' })), {
        taskId: 'wait',
        field: 'sensor',
        message: 'a sensor task needs sensor options (mode, pokeInterval, timeout)',
      });
    });

    it('rejects a sensor without a timeout', () => {
      expectOnlyProblem(withTasks(sensorTask('wait', { timeout: undefined })), {
        taskId: 'wait',
        field: 'sensor.timeout',
        message: "a sensor needs a timeout so it cannot wait forever; add e.g. timeout: '6h'",
      });
    });

    it('rejects a timeout shorter than the poke interval', () => {
      expectOnlyProblem(withTasks(sensorTask('wait', { pokeInterval: '10m', timeout: '5m' })), {
        taskId: 'wait',
        field: 'sensor.timeout',
        message: 'is shorter than pokeInterval, so the sensor would time out before its first re-check',
      });
    });

    it('accepts a timeout equal to the poke interval', () => {
      expect(validateDag(withTasks(sensorTask('wait', { pokeInterval: '5m', timeout: 300_000 })))).toEqual(
        [],
      );
    });

    it('rejects a predicate sensor in deferrable mode', () => {
      expectOnlyProblem(withTasks(sensorTask('wait', { mode: 'deferrable', check: 'predicate' })), {
        taskId: 'wait',
        field: 'sensor.mode',
        message:
          "a predicate sensor runs user code, which the triggerer cannot; use mode 'poke' or 'reschedule'",
      });
    });

    it('rejects an unknown mode', () => {
      expectOnlyProblem(withTasks(sensorTask('wait', { mode: 'sleep' as 'poke' })), {
        taskId: 'wait',
        field: 'sensor.mode',
        message: "unknown mode 'sleep'; use poke, reschedule, deferrable",
      });
    });

    it('rejects non-positive or unreadable intervals and timeouts', () => {
      expect(
        validateDag(
          withTasks(sensorTask('wait', { pokeInterval: '0s', timeout: 'never', maxPokeInterval: 'x' })),
        ),
      ).toEqual([
        {
          dagId: 'etl',
          taskId: 'wait',
          field: 'sensor.pokeInterval',
          message: "0s must be positive, e.g. '30s' or '15m'",
        },
        {
          dagId: 'etl',
          taskId: 'wait',
          field: 'sensor.timeout',
          message: `'never' is not a duration; ${DURATION_FORMS}`,
        },
        {
          dagId: 'etl',
          taskId: 'wait',
          field: 'sensor.maxPokeInterval',
          message: `'x' is not a duration; ${DURATION_FORMS}`,
        },
      ]);
    });
  });

  it('reports every problem of one DAG at once', () => {
    const broken: DagDefinition = {
      dagId: 'broken dag',
      tags: [],
      schedule: { kind: 'cron', expression: '0 0 30 2 *' },
      timezone: 'America/Los_Angles',
      startDate: '2026-05-01',
      endDate: '2026-04-01',
      catchup: true,
      maxActiveRuns: 0,
      maxActiveTasks: -2,
      tasks: [
        task('extract', {
          retry: { retries: -1, retryDelay: '10m', exponentialBackoff: true, maxRetryDelay: '1m', jitter: 2 },
        }),
        task('extract'),
        task('transform', { upstreams: ['extrct', 'load'] }),
        task('load', { upstreams: ['transform'], kind: 'shell' }),
        sensorTask('wait', { timeout: undefined, mode: 'deferrable', check: 'predicate' }),
        task('call', { kind: 'http' }),
        task('query', { kind: 'sql', outlets: ['bad name'] }),
      ],
      assets: [],
    };
    const problems = validateDag(broken);
    expect(problems.map((p) => [p.taskId ?? null, p.field])).toEqual([
      [null, 'dagId'],
      [null, 'timezone'],
      [null, 'schedule'],
      [null, 'endDate'],
      [null, 'maxActiveRuns'],
      [null, 'maxActiveTasks'],
      ['extract', 'taskId'],
      ['extract', 'retries'],
      ['extract', 'maxRetryDelay'],
      ['extract', 'jitter'],
      ['transform', 'upstreams'],
      ['load', 'command'],
      ['wait', 'sensor.timeout'],
      ['wait', 'sensor.mode'],
      ['call', 'http.url'],
      ['query', 'outlets'],
      ['query', 'sql.query'],
      ['transform', 'upstreams'],
    ]);
    expect(problems.every((p) => p.dagId === 'broken dag')).toBe(true);
    expect(problems[10].message).toBe("depends on unknown task 'extrct'; did you mean 'extract'?");
    expect(problems[17].message).toBe(
      'cycle transform -> load -> transform; a DAG cannot loop, remove one of these dependencies',
    );
  });
});

describe('validateDagBundle', () => {
  it('is empty for distinct valid DAGs', () => {
    expect(validateDagBundle([dag({ dagId: 'a' }), dag({ dagId: 'b' })])).toEqual([]);
  });

  it('finds DAG ids declared more than once, with the count', () => {
    expect(
      validateDagBundle([dag({ dagId: 'etl' }), dag({ dagId: 'other' }), dag({ dagId: 'etl' })]),
    ).toEqual([
      {
        dagId: 'etl',
        field: 'dagId',
        message: 'declared 2 times in the bundle; DAG ids must be unique, rename all but one',
      },
    ]);
    expect(validateDagBundle([dag(), dag(), dag()])).toEqual([
      {
        dagId: 'etl',
        field: 'dagId',
        message: 'declared 3 times in the bundle; DAG ids must be unique, rename all but one',
      },
    ]);
  });

  it("includes every DAG's own problems", () => {
    const problems = validateDagBundle([
      dag({ dagId: 'a', maxActiveRuns: 0 }),
      dag({ dagId: 'b', timezone: 'Nowhere/Zone' }),
      dag({ dagId: 'a' }),
    ]);
    expect(problems.map((p) => [p.dagId, p.field])).toEqual([
      ['a', 'maxActiveRuns'],
      ['b', 'timezone'],
      ['a', 'dagId'],
    ]);
  });

  it('is empty for an empty bundle', () => {
    expect(validateDagBundle([])).toEqual([]);
  });
});

describe('assertValidDag', () => {
  it('returns a valid DAG unchanged', () => {
    const definition = dag();
    expect(assertValidDag(definition)).toBe(definition);
  });

  it('throws DagValidationError listing each problem on its own line', () => {
    let error: unknown;
    try {
      assertValidDag(dag({ maxActiveRuns: 0, tasks: [task('load', { upstreams: ['extract'] })] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DagValidationError);
    const validation = error as DagValidationError;
    expect(validation.name).toBe('DagValidationError');
    expect(validation.problems).toHaveLength(2);
    expect(validation.message).toBe(
      [
        '2 problems in DAG definitions:',
        "  - DAG 'etl', maxActiveRuns: 0 is not allowed; use a whole number ≥ 1",
        "  - DAG 'etl', task 'load', upstreams: depends on unknown task 'extract'; declare it in this DAG or remove the dependency",
      ].join('\n'),
    );
  });

  it('says "1 problem" for a single problem', () => {
    expect(() => assertValidDag(dag({ maxActiveTasks: 0 }))).toThrow(
      "1 problem in DAG definitions:\n  - DAG 'etl', maxActiveTasks: 0 is not allowed; use a whole number ≥ 1",
    );
  });
});

describe('formatDagProblem', () => {
  it('names the DAG, the task and the field', () => {
    expect(formatDagProblem({ dagId: 'etl', taskId: 'load', field: 'retries', message: 'is bad' })).toBe(
      "DAG 'etl', task 'load', retries: is bad",
    );
  });

  it('leaves the task out for DAG-level problems', () => {
    expect(formatDagProblem({ dagId: 'etl', field: 'timezone', message: 'unknown' })).toBe(
      "DAG 'etl', timezone: unknown",
    );
  });
});

describe('findCycles', () => {
  it('is empty for an acyclic graph', () => {
    expect(
      findCycles([
        { taskId: 'a', upstreams: [] },
        { taskId: 'b', upstreams: ['a'] },
        { taskId: 'c', upstreams: ['a', 'b'] },
      ]),
    ).toEqual([]);
  });

  it('returns each cycle as a path back to its start, in upstream → downstream order', () => {
    expect(
      findCycles([
        { taskId: 'a', upstreams: ['c'] },
        { taskId: 'b', upstreams: ['a'] },
        { taskId: 'c', upstreams: ['b'] },
      ]),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('finds disjoint cycles separately', () => {
    expect(
      findCycles([
        { taskId: 'a', upstreams: ['b'] },
        { taskId: 'b', upstreams: ['a'] },
        { taskId: 'c', upstreams: ['d'] },
        { taskId: 'd', upstreams: ['c'] },
      ]),
    ).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'c'],
    ]);
  });

  it('ignores self-dependencies and unknown upstreams (reported elsewhere)', () => {
    expect(
      findCycles([
        { taskId: 'a', upstreams: ['a', 'ghost'] },
        { taskId: 'b', upstreams: ['a'] },
      ]),
    ).toEqual([]);
  });
});

describe('topologicalOrder', () => {
  it('puts every task after its upstreams', () => {
    const tasks = [
      { taskId: 'load', upstreams: ['transform'] },
      { taskId: 'transform', upstreams: ['extract', 'lookup'] },
      { taskId: 'extract', upstreams: [] },
      { taskId: 'lookup', upstreams: [] },
      { taskId: 'report', upstreams: ['load', 'extract'] },
    ];
    const order = topologicalOrder(tasks);
    expect([...order].sort()).toEqual(['extract', 'load', 'lookup', 'report', 'transform']);
    for (const t of tasks) {
      for (const upstream of t.upstreams)
        expect(order.indexOf(upstream)).toBeLessThan(order.indexOf(t.taskId));
    }
    expect(order).toEqual(['extract', 'lookup', 'transform', 'load', 'report']);
  });

  it('keeps declaration order among independent tasks', () => {
    expect(
      topologicalOrder([
        { taskId: 'c', upstreams: [] },
        { taskId: 'a', upstreams: [] },
        { taskId: 'b', upstreams: [] },
      ]),
    ).toEqual(['c', 'a', 'b']);
  });

  it('orders by layers: every task ready in one pass comes before the next pass', () => {
    expect(
      topologicalOrder([
        { taskId: 'a', upstreams: [] },
        { taskId: 'b', upstreams: ['a'] },
        { taskId: 'd', upstreams: [] },
      ]),
    ).toEqual(['a', 'd', 'b']);
  });

  it('treats unknown upstreams as already done', () => {
    expect(topologicalOrder([{ taskId: 'a', upstreams: ['ghost'] }])).toEqual(['a']);
  });

  it('is empty for no tasks', () => {
    expect(topologicalOrder([])).toEqual([]);
  });

  it('throws on a cycle, naming the tasks left', () => {
    expect(() =>
      topologicalOrder([
        { taskId: 'start', upstreams: [] },
        { taskId: 'a', upstreams: ['start', 'b'] },
        { taskId: 'b', upstreams: ['a'] },
      ]),
    ).toThrow('cycle among a, b');
    expect(() => topologicalOrder([{ taskId: 'self', upstreams: ['self'] }])).toThrow('cycle among self');
  });
});

describe('validateDag: sensor families', () => {
  const only = (sensor: Partial<SensorDefinition>) => validateDag(withTasks(sensorTask('wait', sensor)));

  it.each<[string, Partial<SensorDefinition>]>([
    [
      'file with a glob and content checks',
      { spec: { path: '/in/{{ ds }}/*.csv', minSize: 10, contains: '^id,' } },
    ],
    [
      'http',
      { check: 'http', spec: { url: 'https://x.example/{{ ds }}', method: 'GET', expectStatus: [200] } },
    ],
    [
      'external task',
      {
        check: 'external_task',
        spec: {
          dagId: 'up',
          taskId: 'load',
          executionDelta: '1d',
          allowedStates: ['success'],
          failedStates: ['failed'],
        },
      },
    ],
    ['asset', { mode: 'deferrable', check: 'asset', spec: { asset: 'raw.orders' } }],
    [
      'kafka group lag',
      {
        mode: 'deferrable',
        check: 'kafka_offset',
        spec: { topic: 'orders', consumerGroup: 'loader', brokers: ['127.0.0.1:9092'] },
      },
    ],
  ])('accepts %s', (_name, sensor) => {
    expect(only(sensor)).toEqual([]);
  });

  it.each<[string, Partial<SensorDefinition>, string, RegExp]>([
    [
      'an unknown family',
      { check: 'ftp' as never },
      'sensor.check',
      /unknown sensor family 'ftp'; use file, http/,
    ],
    ['a file sensor without a path', { spec: {} }, 'sensor.path', /needs path, e.g./],
    [
      'an unknown template variable',
      { spec: { path: '/in/{{ day }}' } },
      'sensor.path',
      /unknown template variable/,
    ],
    [
      'a bad content regex',
      { spec: { path: '/x', contains: '(' } },
      'sensor.contains',
      /not a regular expression/,
    ],
    ['a negative minSize', { spec: { path: '/x', minSize: -1 } }, 'sensor.minSize', /whole number of bytes/],
    [
      'an http url without scheme',
      { check: 'http', spec: { url: 'x.example', expectStatus: [200] } },
      'sensor.url',
      /must start with http/,
    ],
    [
      'bad http statuses',
      { check: 'http', spec: { url: 'http://x', expectStatus: [2000] } },
      'sensor.expectStatus',
      /status codes/,
    ],
    ['an external sensor without a DAG', { check: 'external_task', spec: {} }, 'sensor.dagId', /needs dagId/],
    [
      'an unknown external state',
      { check: 'external_task', spec: { dagId: 'up', allowedStates: ['done'] } },
      'sensor.allowedStates',
      /unknown state 'done'/,
    ],
    [
      'a bad asset name',
      { check: 'asset', spec: { asset: 'raw orders' } },
      'sensor.asset',
      /invalid asset name/,
    ],
    [
      'a Kafka sensor with both targets',
      { check: 'kafka_offset', spec: { topic: 't', minOffset: 1, consumerGroup: 'g' } },
      'sensor.minOffset',
      /give exactly one/,
    ],
    [
      'a Kafka sensor with neither target',
      { check: 'kafka_offset', spec: { topic: 't' } },
      'sensor.minOffset',
      /give exactly one/,
    ],
    [
      'a bad Kafka topic',
      { check: 'kafka_offset', spec: { topic: 'a topic', minOffset: 1 } },
      'sensor.topic',
      /invalid Kafka topic/,
    ],
    [
      'bad brokers',
      { check: 'kafka_offset', spec: { topic: 't', minOffset: 1, brokers: ['localhost'] } },
      'sensor.brokers',
      /host:port/,
    ],
    [
      'a deferrable sensor with a content function',
      { mode: 'deferrable', spec: { path: '/x' }, code: ['content'] },
      'sensor.mode',
      /option 'content' is a function, which the triggerer cannot run/,
    ],
  ])('rejects %s', (_name, sensor, field, message) => {
    const problems = only(sensor);
    expect(problems).toEqual([
      expect.objectContaining({ field, taskId: 'wait', message: expect.stringMatching(message) }),
    ]);
  });
});

describe('validateDag: topic schedules and webhooks', () => {
  it('accepts a batched binding with a partition field, and a webhook secret variable', () => {
    expect(
      validateDag(
        dag({
          schedule: {
            kind: 'topic',
            topic: 'orders',
            partitionField: 'order.date',
            filter: { type: 'placed' },
            batch: { maxMessages: 100, maxWait: '30s' },
          },
          webhook: { secretEnv: 'ORDERS_WEBHOOK_SECRET' },
        }),
      ),
    ).toEqual([]);
  });

  it('reports every problem of a binding at once', () => {
    const problems = validateDag(
      dag({
        schedule: {
          kind: 'topic',
          topic: 'bad topic',
          logicalDateField: 'at',
          partitionField: 'day..x',
          batch: { maxMessages: 0, maxWait: 'soon' },
        },
      }),
    );
    expect(problems.map((p) => p.field)).toEqual([
      'schedule.topic',
      'schedule.partitionField',
      'schedule.partitionField',
      'schedule.batch.maxMessages',
      'schedule.batch.maxWait',
    ]);
  });

  it('wants the name of an environment variable for a webhook secret, not the secret', () => {
    expect(validateDag(dag({ webhook: { secretEnv: 'not a name!' } }))).toEqual([
      expect.objectContaining({
        field: 'webhook.secretEnv',
        message: expect.stringMatching(/never goes in code/),
      }),
    ]);
  });
});

describe('validateDag: freshness contracts, run deadlines and asset event modes', () => {
  const assetSchedule = (overrides: Partial<Extract<ScheduleDefinition, { kind: 'assets' }>> = {}) =>
    withSchedule({
      kind: 'assets',
      condition: { kind: 'asset', name: 'raw.events' },
      partitioned: false,
      ...overrides,
    });

  it('accepts valid contracts, deadlines and event modes', () => {
    expect(
      validateDag(
        dag({
          assets: [
            {
              name: 'mart.daily',
              freshness: { by: '04:00', timezone: 'America/Los_Angeles', offsetDays: 1 },
            },
            { name: 'ext.heartbeat', freshness: { maxLag: '2h' } },
          ],
          deadline: { by: '05:45', timezone: 'America/Los_Angeles', offsetDays: 0 },
        }),
      ),
    ).toEqual([]);
    expect(validateDag(dag({ deadline: { maxDuration: '2h' } }))).toEqual([]);
    expect(validateDag(assetSchedule({ events: 'per_event' }))).toEqual([]);
    expect(validateDag(assetSchedule({ events: 'batched' }))).toEqual([]);
    expect(validateDag(assetSchedule({ partitioned: true, events: 'batched' }))).toEqual([]);
  });

  it('reports a freshness contract’s problems under the asset’s name', () => {
    expect(
      validateDag(
        dag({
          assets: [
            { name: 'mart.daily', freshness: { by: '4am', timezone: 'America/Los_Angles' } },
            { name: 'ext.heartbeat', freshness: { maxLag: 0 } },
            { name: 'ok.asset', freshness: { by: '04:00' } },
          ],
        }),
      ),
    ).toEqual([
      {
        dagId: 'etl',
        field: 'assets.mart.daily.freshness.by',
        message: "'4am' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '04:00'",
      },
      {
        dagId: 'etl',
        field: 'assets.mart.daily.freshness.timezone',
        message:
          "unknown timezone 'America/Los_Angles': use an IANA zone name (did you mean 'America/Los_Angeles'?)",
      },
      {
        dagId: 'etl',
        field: 'assets.ext.heartbeat.freshness.maxLag',
        message: 'maxLag must be longer than zero, e.g. 2h',
      },
    ]);
  });

  it('reports a contract with both or neither of by and maxLag on the contract itself', () => {
    expect(
      validateDag(dag({ assets: [{ name: 'mart.daily', freshness: { by: '04:00', maxLag: '2h' } }] })),
    ).toEqual([
      {
        dagId: 'etl',
        field: 'assets.mart.daily.freshness',
        message:
          'give either by (a wall-clock time) or maxLag, not both: declare two assets if both promises hold',
      },
    ]);
    expectOnlyProblem(dag({ assets: [{ name: 'mart.daily', freshness: { offsetDays: -1, by: '04:00' } }] }), {
      field: 'assets.mart.daily.freshness.offsetDays',
      message: 'offsetDays must be a whole number of days, 0 or more (got -1)',
    });
  });

  it('reports a run deadline’s problems under deadline', () => {
    expect(
      validateDag(dag({ deadline: { by: '25:00', timezone: 'Europe/Londn', offsetDays: 1.5 } })),
    ).toEqual([
      {
        dagId: 'etl',
        field: 'deadline.by',
        message: "'25:00' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '05:45'",
      },
      {
        dagId: 'etl',
        field: 'deadline.timezone',
        message: "unknown timezone 'Europe/Londn': use an IANA zone name (did you mean 'Europe/London'?)",
      },
      {
        dagId: 'etl',
        field: 'deadline.offsetDays',
        message: 'offsetDays must be a whole number of days, 0 or more (got 1.5)',
      },
    ]);
    expectOnlyProblem(dag({ deadline: {} }), {
      field: 'deadline',
      message:
        "a deadline needs by, e.g. { by: '05:45', timezone: 'America/Los_Angeles' }, or maxDuration, e.g. { maxDuration: '2h' }",
    });
    expectOnlyProblem(dag({ deadline: { maxDuration: 'soon' } }), {
      field: 'deadline.maxDuration',
      message: `'soon' is not a duration; ${DURATION_FORMS}`,
    });
  });

  it('rejects an unknown events mode', () => {
    expectOnlyProblem(assetSchedule({ events: 'each' as 'per_event' }), {
      field: 'schedule.events',
      message: "unknown events mode 'each'; use 'batched' or 'per_event'",
    });
  });

  it('rejects per_event on a partitioned schedule', () => {
    expectOnlyProblem(assetSchedule({ partitioned: true, events: 'per_event' }), {
      field: 'schedule.events',
      message:
        'a partitioned schedule runs once per partition; per_event applies to non-partitioned schedules only',
    });
  });
});
