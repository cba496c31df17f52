import { and, asset, assets, cron, dag, every, manual, or } from './index';

describe('dag() authoring', () => {
  it('reads dependencies both ways: a.then(b) and b.after(a) build the same edges', () => {
    const forward = dag('forward', { schedule: manual() }, (d) => {
      const a = d.task('a', () => 1);
      const b = d.task('b', () => 2);
      const c = d.task('c', () => 3);
      a.then(b).then(c);
    });
    const backward = dag('backward', { schedule: manual() }, (d) => {
      const a = d.task('a', () => 1);
      const b = d.task('b', () => 2).after(a);
      d.task('c', () => 3).after(b);
    });
    const edges = (def: ReturnType<typeof forward.toDefinition>) =>
      def.tasks.map((t) => [t.taskId, t.upstreams]);
    expect(edges(forward.toDefinition())).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', ['b']],
    ]);
    expect(edges(backward.toDefinition())).toEqual(edges(forward.toDefinition()));
  });

  it('fans out with arrays and chains stages with d.chain', () => {
    const def = dag('fan', { schedule: manual() }, (d) => {
      const start = d.task('start', () => undefined);
      const [x, y] = start.then([d.task('x', () => undefined), d.task('y', () => undefined)]);
      const end = d.task('end', () => undefined);
      d.chain([x, y], end);
    }).toDefinition();
    expect(Object.fromEntries(def.tasks.map((t) => [t.taskId, t.upstreams]))).toEqual({
      start: [],
      x: ['start'],
      y: ['start'],
      end: ['x', 'y'],
    });
  });

  it('applies defaults, lets tasks override them, and fills documented defaults', () => {
    const def = dag(
      'defaults',
      { schedule: every('15m'), defaults: { retries: 3, retryDelay: '30s', exponentialBackoff: true } },
      (d) => {
        d.task('inherits', () => undefined);
        d.task('overrides', () => undefined, { retries: 0, triggerRule: 'all_done', timeout: '10m' });
      },
    ).toDefinition();
    expect(def).toMatchObject({
      timezone: 'UTC',
      catchup: false,
      maxActiveRuns: 16,
      maxActiveTasks: 16,
      tags: [],
    });
    const [inherits, overrides] = def.tasks;
    expect(inherits.retry).toEqual({ retries: 3, retryDelay: '30s', exponentialBackoff: true });
    expect(inherits.triggerRule).toBe('all_success');
    expect(overrides.retry).toEqual({ retries: 0, retryDelay: '30s', exponentialBackoff: true });
    expect(overrides.triggerRule).toBe('all_done');
    expect(overrides.timeout).toBe('10m');
  });

  it('takes the cron timezone as the DAG timezone unless the DAG sets its own', () => {
    const fromCron = dag('a', { schedule: cron('0 5 * * *', { timezone: 'America/Los_Angeles' }) });
    const own = dag('b', {
      schedule: cron('0 5 * * *', { timezone: 'America/Los_Angeles' }),
      timezone: 'Europe/London',
    });
    expect(fromCron.toDefinition().timezone).toBe('America/Los_Angeles');
    expect(own.toDefinition().timezone).toBe('Europe/London');
  });

  it('records outlets and inlets by name and collects declared assets with their freshness contracts', () => {
    const rawEvents = asset('raw.events', { freshness: { by: '04:00', timezone: 'America/Los_Angeles' } });
    const def = dag('producer', { schedule: every('5m') }, (d) => {
      d.task('land', () => undefined, { outlets: [rawEvents, 'raw.other'], inlets: ['kafka.topic'] });
    }).toDefinition();
    expect(def.tasks[0].outlets).toEqual(['raw.events', 'raw.other']);
    expect(def.tasks[0].inlets).toEqual(['kafka.topic']);
    expect(def.assets).toEqual([
      { name: 'raw.events', freshness: { by: '04:00', timezone: 'America/Los_Angeles', offsetDays: 1 } },
    ]);
  });

  it('builds nested asset conditions with and()/or() from assets and names', () => {
    const a = asset('a');
    expect(assets(and(a, or('b', 'c')), { partitioned: true })).toEqual({
      kind: 'assets',
      partitioned: true,
      condition: {
        kind: 'all',
        of: [
          { kind: 'asset', name: 'a' },
          {
            kind: 'any',
            of: [
              { kind: 'asset', name: 'b' },
              { kind: 'asset', name: 'c' },
            ],
          },
        ],
      },
    });
    expect(assets(a)).toEqual({
      kind: 'assets',
      partitioned: false,
      events: 'batched',
      condition: { kind: 'asset', name: 'a' },
    });
  });

  it('declares shell, http, sql and sensor tasks with their kind-specific parts', () => {
    const check = async () => true;
    const d = dag('kinds', { schedule: manual() });
    d.shell('sh', 'echo hi', { env: { A: '1' } });
    d.http('call', { url: 'https://example.com/hook', method: 'post' });
    d.sql('q', 'select 1');
    d.sensor('wait', check, {
      mode: 'reschedule',
      pokeInterval: '1m',
      timeout: '1h',
      softFail: true,
      retries: 1,
    });
    const [sh, call, q, wait] = d.toDefinition().tasks;
    expect(sh).toMatchObject({ kind: 'shell', command: 'echo hi', env: { A: '1' } });
    expect(call.kind).toBe('http');
    expect(call.http?.method).toBe('POST');
    expect(call.http?.expectStatus).toHaveLength(100);
    expect(q).toMatchObject({ kind: 'sql', sql: { query: 'select 1' } });
    expect(wait).toMatchObject({
      kind: 'sensor',
      retry: { retries: 1 },
      sensor: {
        mode: 'reschedule',
        pokeInterval: '1m',
        timeout: '1h',
        softFail: true,
        exponentialBackoff: false,
        check: 'predicate',
      },
    });
    expect(d.callableOf('wait')).toBe(check);
  });

  it('validate() reports every problem of the declared DAG', () => {
    const d = dag('bad', { schedule: cron('0 0 * * 8') }, (b) => {
      const x = b.task('x', () => undefined, { retries: -2 });
      const y = b.task('y', () => undefined);
      x.then(y).then(x);
    });
    const messages = d.validate().map((p) => `${p.taskId ?? ''}|${p.field}|${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('day-of-week: 8 is out of range 0-7'),
        expect.stringContaining('x|retries|-2 is not allowed'),
        expect.stringContaining('cycle x -> y -> x'),
      ]),
    );
    expect(messages).toHaveLength(3);
  });
});
