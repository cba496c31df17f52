import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDagBundle } from '@tributary/dag-bundle';
import { dueRuns, nextPlannedRun, runScheduleForDag } from '@tributary/domain';

// docs/authoring.md is what users paste: these tests keep it true.
const root = path.resolve(__dirname, '..', '..');
const docPath = path.join(root, 'docs', 'authoring.md');

async function docBlocks(): Promise<{ info: string; code: string }[]> {
  const doc = await fs.readFile(docPath, 'utf8');
  return [...doc.matchAll(/```(\S*)([^\n]*)\n([\s\S]*?)```/g)].map((m) => ({
    info: `${m[1]}${m[2]}`.trim(),
    code: m[3],
  }));
}

describe('docs/authoring.md and examples/authoring', () => {
  it('shows each example file verbatim', async () => {
    const blocks = (await docBlocks()).filter((b) => b.info.startsWith('ts examples/'));
    expect(blocks.map((b) => b.info)).toEqual([
      'ts examples/authoring/assets.ts',
      'ts examples/authoring/ingest.ts',
      'ts examples/authoring/revenue.ts',
    ]);
    for (const block of blocks) {
      const file = await fs.readFile(path.join(root, block.info.slice(3)), 'utf8');
      expect(block.code).toBe(file);
    }
  });

  it('the example bundle loads with no problems and expresses every schedule kind', async () => {
    const bundle = await loadDagBundle(path.join(root, 'examples', 'authoring'));
    expect(bundle.problems).toEqual([]);
    const byId = new Map(bundle.dags.map((d) => [d.definition.dagId, d.definition]));
    expect([...byId.keys()].sort()).toEqual([
      'daily_revenue_by_account',
      'kafka_events_to_raw',
      'rebuild_mart',
      'salesforce_to_raw',
      'stripe_payments_to_raw',
    ]);
    expect(byId.get('kafka_events_to_raw')?.schedule).toEqual({ kind: 'interval', every: '5m' });
    expect(byId.get('salesforce_to_raw')?.schedule).toEqual({
      kind: 'cron',
      expression: '0 1 * * *',
      timezone: 'America/Los_Angeles',
    });
    expect(byId.get('daily_revenue_by_account')?.schedule).toMatchObject({
      kind: 'assets',
      partitioned: true,
      condition: {
        kind: 'all',
        of: [
          { kind: 'asset', name: 'raw.events' },
          {
            kind: 'any',
            of: [
              { kind: 'asset', name: 'raw.payments' },
              { kind: 'asset', name: 'raw.accounts' },
            ],
          },
        ],
      },
      fallback: { at: '0 5 * * *', timezone: 'America/Los_Angeles', action: 'alert' },
    });
    expect(byId.get('rebuild_mart')?.schedule).toEqual({ kind: 'none' });
    // Freshness contracts declared by producers travel with the DAG that produces the asset.
    expect(byId.get('kafka_events_to_raw')?.assets).toContainEqual(
      expect.objectContaining({ name: 'raw.events', freshness: expect.objectContaining({ by: '03:00' }) }),
    );
    expect(bundle.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('schedules the example DAGs on the clock as documented', async () => {
    const bundle = await loadDagBundle(path.join(root, 'examples', 'authoring'));
    const salesforce = bundle.dags.find((d) => d.definition.dagId === 'salesforce_to_raw')!.definition;
    const schedule = runScheduleForDag(salesforce, new Date('2026-01-01T00:00:00Z'))!;
    // The DAG's zone defaults to the cron's: startDate '2026-01-01' is midnight in Los Angeles.
    expect(schedule.startDate.toISOString()).toBe('2026-01-01T08:00:00.000Z');
    const first = nextPlannedRun(schedule, null, new Date('2026-01-03T00:00:00Z'))!;
    expect(first.logicalDate.toISOString()).toBe('2026-01-01T09:00:00.000Z');
    expect(first.dataInterval.end.toISOString()).toBe('2026-01-02T09:00:00.000Z');
    // catchup: true → every missed day is due.
    expect(
      dueRuns(schedule, null, new Date('2026-01-05T10:00:00Z')).map((r) => r.logicalDate.toISOString()),
    ).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2026-01-02T09:00:00.000Z',
      '2026-01-03T09:00:00.000Z',
      '2026-01-04T09:00:00.000Z',
    ]);

    const kafka = bundle.dags.find((d) => d.definition.dagId === 'kafka_events_to_raw')!.definition;
    const every5 = runScheduleForDag(kafka, new Date('2026-04-01T00:00:00Z'))!;
    // catchup off: after a long pause only the latest 5-minute interval is due.
    const due = dueRuns(every5, null, new Date('2026-04-02T12:07:00Z'));
    expect(due).toHaveLength(1);
    expect(due[0].logicalDate.toISOString()).toBe('2026-04-02T12:00:00.000Z');
  });

  it('the first snippet works when pasted into a DAG file', async () => {
    const snippet = (await docBlocks()).find((b) => b.info === 'ts' && b.code.includes("dag('hello'"))!;
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-bundle-'));
    try {
      await fs.writeFile(path.join(dir, 'hello.ts'), snippet.code);
      const bundle = await loadDagBundle(dir);
      expect(bundle.problems).toEqual([]);
      expect(bundle.dags.map((d) => d.definition.dagId)).toEqual(['hello']);
      expect(bundle.dags[0].definition.tasks.map((t) => [t.taskId, t.kind, t.upstreams])).toEqual([
        ['extract', 'function', []],
        ['load', 'shell', ['extract']],
      ]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a file that fails to load is reported with its name, not thrown', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-bundle-'));
    try {
      await fs.writeFile(path.join(dir, 'bad.ts'), "throw new Error('boom at import');\n");
      const bundle = await loadDagBundle(dir);
      expect(bundle.dags).toEqual([]);
      expect(bundle.problems).toEqual([
        {
          dagId: '<bad.ts>',
          field: 'file',
          message: 'could not be loaded: boom at import; fix the error in bad.ts',
        },
      ]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
