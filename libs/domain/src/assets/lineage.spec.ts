import { AssetCondition } from './asset-condition';
import { DagDefinition, ScheduleDefinition, TaskDefinition } from '../dag/dag-definition';
import { assetNodeId, buildLineage, dagNodeId } from './lineage';

function task(taskId: string, io: { inlets?: string[]; outlets?: string[] } = {}): TaskDefinition {
  return {
    taskId,
    kind: 'function',
    upstreams: [],
    retry: { retries: 0, retryDelay: '5m', exponentialBackoff: false },
    triggerRule: 'all_success',
    inlets: io.inlets ?? [],
    outlets: io.outlets ?? [],
  };
}

function dag(dagId: string, tasks: TaskDefinition[], overrides: Partial<DagDefinition> = {}): DagDefinition {
  return {
    dagId,
    tags: [],
    schedule: { kind: 'cron', expression: '0 2 * * *' },
    timezone: 'UTC',
    catchup: false,
    maxActiveRuns: 16,
    maxActiveTasks: 16,
    tasks,
    assets: [],
    ...overrides,
  };
}

const asset = (name: string): AssetCondition => ({ kind: 'asset', name });
const assetsSchedule = (condition: AssetCondition): ScheduleDefinition => ({
  kind: 'assets',
  condition,
  partitioned: true,
});

describe('node ids', () => {
  it('keeps DAGs and assets of the same name apart', () => {
    expect(dagNodeId('orders')).toBe('dag:orders');
    expect(assetNodeId('orders')).toBe('asset:orders');
  });
});

describe('buildLineage', () => {
  it('is empty without DAGs or assets', () => {
    expect(buildLineage([])).toEqual({ nodes: [], edges: [] });
  });

  it('links a DAG to the assets its tasks produce', () => {
    const lineage = buildLineage([dag('ingest', [task('load', { outlets: ['raw.events'] })])]);
    expect(lineage).toEqual({
      nodes: [
        { id: 'asset:raw.events', kind: 'asset', name: 'raw.events' },
        { id: 'dag:ingest', kind: 'dag', name: 'ingest' },
      ],
      edges: [{ from: 'dag:ingest', to: 'asset:raw.events', kind: 'produces', tasks: ['load'] }],
    });
  });

  it('links the assets a DAG’s schedule names to the DAG it triggers, with no tasks', () => {
    const condition: AssetCondition = {
      kind: 'all',
      of: [asset('raw.events'), { kind: 'any', of: [asset('raw.payments'), asset('raw.events')] }],
    };
    const lineage = buildLineage([dag('mart', [task('build')], { schedule: assetsSchedule(condition) })]);
    expect(lineage.edges).toEqual([
      { from: 'asset:raw.events', to: 'dag:mart', kind: 'triggers', tasks: [] },
      { from: 'asset:raw.payments', to: 'dag:mart', kind: 'triggers', tasks: [] },
    ]);
    expect(lineage.nodes.map((n) => n.id)).toEqual(['asset:raw.events', 'asset:raw.payments', 'dag:mart']);
  });

  it('links the assets tasks read as inlets to the DAG, naming the tasks', () => {
    const lineage = buildLineage([
      dag('report', [
        task('read_a', { inlets: ['mart.daily'] }),
        task('read_b', { inlets: ['mart.daily', 'dim.users'] }),
      ]),
    ]);
    expect(lineage.edges).toEqual([
      { from: 'asset:dim.users', to: 'dag:report', kind: 'reads', tasks: ['read_b'] },
      { from: 'asset:mart.daily', to: 'dag:report', kind: 'reads', tasks: ['read_a', 'read_b'] },
    ]);
  });

  it('keeps a trigger and a read of the same asset as two edges', () => {
    const lineage = buildLineage([
      dag('mart', [task('build', { inlets: ['raw.events'] })], {
        schedule: assetsSchedule(asset('raw.events')),
      }),
    ]);
    expect(lineage.edges).toEqual([
      { from: 'asset:raw.events', to: 'dag:mart', kind: 'reads', tasks: ['build'] },
      { from: 'asset:raw.events', to: 'dag:mart', kind: 'triggers', tasks: [] },
    ]);
  });

  it('includes assets nobody produces: given, declared by a DAG, or only consumed', () => {
    const lineage = buildLineage(
      [
        dag('mart', [task('build', { inlets: ['ext.read_only'] })], {
          schedule: assetsSchedule(asset('ext.partner_feed')),
          assets: [{ name: 'mart.declared', freshness: { by: '04:00' } }],
        }),
      ],
      ['ext.catalogued'],
    );
    expect(lineage.nodes).toEqual([
      { id: 'asset:ext.catalogued', kind: 'asset', name: 'ext.catalogued' },
      { id: 'asset:ext.partner_feed', kind: 'asset', name: 'ext.partner_feed' },
      { id: 'asset:ext.read_only', kind: 'asset', name: 'ext.read_only' },
      { id: 'asset:mart.declared', kind: 'asset', name: 'mart.declared' },
      { id: 'dag:mart', kind: 'dag', name: 'mart' },
    ]);
    expect(lineage.edges.some((e) => e.kind === 'produces')).toBe(false);
    // An asset with no edges at all is still a node.
    expect(
      lineage.edges.some((e) => e.from === 'asset:ext.catalogued' || e.to === 'asset:ext.catalogued'),
    ).toBe(false);
  });

  it('lists each asset once, however many DAGs name it, and keeps DAGs and assets of one name apart', () => {
    const lineage = buildLineage(
      [
        dag('orders', [task('load', { outlets: ['orders'] })]),
        dag('mart', [task('build', { inlets: ['orders'] })], { schedule: assetsSchedule(asset('orders')) }),
      ],
      ['orders'],
    );
    expect(lineage.nodes).toEqual([
      { id: 'asset:orders', kind: 'asset', name: 'orders' },
      { id: 'dag:mart', kind: 'dag', name: 'mart' },
      { id: 'dag:orders', kind: 'dag', name: 'orders' },
    ]);
  });

  it('merges the tasks producing one asset into one edge, sorted and without repeats', () => {
    const lineage = buildLineage([
      dag('ingest', [
        task('load_z', { outlets: ['raw.events'] }),
        task('load_a', { outlets: ['raw.events', 'raw.events'] }),
        task('load_m', { outlets: ['raw.events', 'raw.payments'] }),
      ]),
    ]);
    expect(lineage.edges).toEqual([
      { from: 'dag:ingest', to: 'asset:raw.events', kind: 'produces', tasks: ['load_a', 'load_m', 'load_z'] },
      { from: 'dag:ingest', to: 'asset:raw.payments', kind: 'produces', tasks: ['load_m'] },
    ]);
  });

  it('keeps one edge per DAG when several DAGs produce the same asset', () => {
    const lineage = buildLineage([
      dag('a', [task('t', { outlets: ['shared'] })]),
      dag('b', [task('t', { outlets: ['shared'] })]),
    ]);
    expect(lineage.edges).toEqual([
      { from: 'dag:a', to: 'asset:shared', kind: 'produces', tasks: ['t'] },
      { from: 'dag:b', to: 'asset:shared', kind: 'produces', tasks: ['t'] },
    ]);
  });

  it('chains DAG → asset → DAG', () => {
    const lineage = buildLineage([
      dag('ingest', [task('load', { outlets: ['raw.events'] })]),
      dag('mart', [task('build', { inlets: ['raw.events'], outlets: ['mart.daily'] })], {
        schedule: assetsSchedule(asset('raw.events')),
      }),
      dag('report', [task('send')], { schedule: assetsSchedule(asset('mart.daily')) }),
    ]);
    expect(lineage.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`)).toEqual([
      'asset:mart.daily -triggers-> dag:report',
      'asset:raw.events -reads-> dag:mart',
      'asset:raw.events -triggers-> dag:mart',
      'dag:ingest -produces-> asset:raw.events',
      'dag:mart -produces-> asset:mart.daily',
    ]);
  });

  it('gives the same graph whatever the order of DAGs, tasks and names', () => {
    const dags = [
      dag('ingest', [
        task('load_b', { outlets: ['raw.b'] }),
        task('load_a', { outlets: ['raw.a', 'raw.b'] }),
      ]),
      dag('mart', [task('x', { inlets: ['raw.a'] }), task('y', { inlets: ['raw.b', 'raw.a'] })], {
        schedule: assetsSchedule({ kind: 'all', of: [asset('raw.b'), asset('raw.a')] }),
      }),
      dag('lone', [task('noop')], { assets: [{ name: 'lone.asset' }] }),
    ];
    const forward = buildLineage(dags, ['z.extra', 'a.extra']);
    const reversed = buildLineage(
      [...dags].reverse().map((d) => ({ ...d, tasks: [...d.tasks].reverse() })),
      ['a.extra', 'z.extra'],
    );
    expect(reversed).toEqual(forward);
    expect(forward.nodes.map((n) => n.id)).toEqual([
      'asset:a.extra',
      'asset:lone.asset',
      'asset:raw.a',
      'asset:raw.b',
      'asset:z.extra',
      'dag:ingest',
      'dag:lone',
      'dag:mart',
    ]);
    expect(forward.edges.find((e) => e.kind === 'reads' && e.from === 'asset:raw.a')?.tasks).toEqual([
      'x',
      'y',
    ]);
  });

  it('does not change the DAGs it reads', () => {
    const dags = [dag('ingest', [task('b', { outlets: ['raw'] }), task('a', { outlets: ['raw'] })])];
    const before = JSON.parse(JSON.stringify(dags));
    buildLineage(dags);
    expect(JSON.parse(JSON.stringify(dags))).toEqual(before);
  });
});
