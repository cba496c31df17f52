import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDagBundle } from '@tributary/dag-bundle';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';

// docs/assets.md is what users paste and what they expect to see: its DAG bundle loads, and the day it
// describes, played on a simulated clock, raises exactly the alerts and runs it shows.
jest.setTimeout(180_000);

const root = path.resolve(__dirname, '..', '..');
const docPath = path.join(root, 'docs', 'assets.md');

/** Los Angeles wall time (PDT in April) as an instant. */
const la = (local: string) => new Date(`${local}-07:00`);

interface Block {
  info: string;
  code: string;
  at: number;
}

async function docBlocks(): Promise<{ doc: string; blocks: Block[] }> {
  const doc = await fs.readFile(docPath, 'utf8');
  const blocks = [...doc.matchAll(/^```(\S*)([^\n]*)\n([\s\S]*?)^```/gm)].map((m) => ({
    info: `${m[1]}${m[2]}`.trim(),
    code: m[3],
    at: m.index ?? 0,
  }));
  return { doc, blocks };
}

/** The blocks of one `## ` section. */
function inSection(doc: string, blocks: Block[], heading: string): Block[] {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/assets.md has no '## ${heading}'`);
  const next = doc.indexOf('\n## ', start + 1);
  const end = next < 0 ? doc.length : next;
  return blocks.filter((b) => b.at > start && b.at < end);
}

interface AlertMessage {
  eventId: string;
  occurredAt: string;
  payload: { alertId: string; recovery: boolean; message: string } & Record<string, unknown>;
}

describe('docs/assets.md', () => {
  let dir: string;
  let o: StandaloneOrchestrator;
  let alerts: AlertMessage[];

  beforeAll(async () => {
    const { blocks } = await docBlocks();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tributary-assets-doc-'));
    for (const block of blocks.filter((b) => b.info.startsWith('ts dags/'))) {
      await fs.writeFile(path.join(dir, path.basename(block.info.slice('ts dags/'.length))), block.code);
    }
  });

  afterAll(async () => {
    await o?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('its DAG bundle loads with no problems, with the schedules it describes', async () => {
    const files = (await fs.readdir(dir)).sort();
    expect(files).toEqual(['assets.ts', 'catalog.ts', 'report.ts', 'shipments.ts']);
    const bundle = await loadDagBundle(dir);
    expect(bundle.problems).toEqual([]);
    const byId = new Map(bundle.dags.map((d) => [d.definition.dagId, d.definition]));
    expect([...byId.keys()].sort()).toEqual(['daily_logistics', 'land_shipments', 'sync_catalog']);
    expect(byId.get('daily_logistics')).toMatchObject({
      schedule: {
        kind: 'assets',
        partitioned: true,
        condition: {
          kind: 'all',
          of: [
            { kind: 'asset', name: 'raw.shipments' },
            { kind: 'asset', name: 'raw.inventory' },
          ],
        },
        fallback: { at: '0 5 * * *', timezone: 'America/Los_Angeles', action: 'alert' },
      },
      deadline: { by: '05:45', timezone: 'America/Los_Angeles' },
    });
    expect(byId.get('sync_catalog')?.schedule).toMatchObject({ partitioned: false, events: 'per_event' });
    // The contracts of assets produced outside travel with the DAG that declares them.
    expect(byId.get('daily_logistics')?.assets.map((a) => [a.name, a.freshness])).toEqual(
      expect.arrayContaining([
        ['raw.inventory', expect.objectContaining({ by: '04:30' })],
        ['ext.carrier_scans', expect.objectContaining({ maxLag: '30m' })],
      ]),
    );
  });

  describe('the day it describes, on a simulated clock', () => {
    const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> =>
      o.db.manager.query(text, params);

    beforeAll(async () => {
      o = await StandaloneOrchestrator.start({
        dagsDir: dir,
        dataDir: 'memory://',
        clock: new ManualClock(la('2026-04-25T00:00:00')),
        http: false,
        logLevels: false,
      });
      // The warehouse lands 6-hour pieces of April 25; the last one is late, at 06:00 on April 26.
      const inventoryPiece = (start: string, end: string) =>
        o.assets.publishEvent({
          asset: 'raw.inventory',
          partition: '2026-04-25',
          dataInterval: { start: la(start).toISOString(), end: la(end).toISOString() },
        });
      await o.advanceTo(la('2026-04-25T01:00:00'));
      await o.assets.publishEvent({ asset: 'ext.carrier_scans' });
      await o.settle();
      for (const [start, end, landsAt] of [
        ['2026-04-25T00:00:00', '2026-04-25T06:00:00', '2026-04-25T06:00:00'],
        ['2026-04-25T06:00:00', '2026-04-25T12:00:00', '2026-04-25T12:00:00'],
        ['2026-04-25T12:00:00', '2026-04-25T18:00:00', '2026-04-25T18:00:00'],
        ['2026-04-25T18:00:00', '2026-04-26T00:00:00', '2026-04-26T06:00:00'],
      ]) {
        await o.advanceTo(la(landsAt));
        await inventoryPiece(start, end);
        await o.settle();
      }
      await o.advanceTo(la('2026-04-26T07:00:00'));
      alerts = (
        await q<{ payload: AlertMessage }>(
          `SELECT payload FROM outbox WHERE topic = 'tributary.alerts' ORDER BY id`,
        )
      ).map((r) => r.payload);
    });

    it('raises exactly the alert messages it lists, in that order', async () => {
      const { doc, blocks } = await docBlocks();
      const [listed] = inSection(doc, blocks, 'Alerts').filter((b) => b.info === 'text');
      expect(alerts.map((a) => a.payload.message)).toEqual(listed.code.trim().split('\n'));
    });

    it('publishes the alert and recovery it shows, field for field', async () => {
      const { doc, blocks } = await docBlocks();
      const shown = inSection(doc, blocks, 'Alerts')
        .filter((b) => b.info === 'json')
        .map((b) => JSON.parse(b.code) as AlertMessage);
      expect(shown).toHaveLength(2);
      for (const example of shown) {
        const actual = alerts.find(
          (a) =>
            a.payload.alertId === example.payload.alertId && a.payload.recovery === example.payload.recovery,
        );
        expect(actual).toBeDefined();
        expect({ ...actual!, eventId: example.eventId }).toEqual(example);
      }
    });

    it('runs the report once for the day, late, and tells its task how the inputs stood', async () => {
      const runs = await q<{ run_id: string; state: string; logical_date: Date; input_freshness: unknown }>(
        `SELECT run_id, state, logical_date, input_freshness FROM dag_runs WHERE dag_id = 'daily_logistics'`,
      );
      expect(runs.map((r) => [r.run_id, r.state, r.logical_date.toISOString()])).toEqual([
        ['asset_triggered__2026-04-25', 'success', la('2026-04-25T00:00:00').toISOString()],
      ]);
      expect(runs[0].input_freshness).toEqual([
        expect.objectContaining({ asset: 'ext.carrier_scans', partition: null, status: 'missing' }),
        expect.objectContaining({ asset: 'raw.inventory', partition: '2026-04-25', status: 'late' }),
        expect.objectContaining({ asset: 'raw.shipments', partition: '2026-04-25', status: 'fresh' }),
      ]);
      // The 24th hour of April 25 landed at midnight: raw.shipments was complete before its 04:00 deadline.
      const [shipments] = await q<{ completed_at: Date }>(
        `SELECT completed_at FROM asset_partitions WHERE asset_name = 'raw.shipments' AND partition = '2026-04-25'`,
      );
      expect(shipments.completed_at.toISOString()).toBe(la('2026-04-26T00:00:00').toISOString());
      // sync_catalog ran once per event: four inventory pieces and the report.
      const [{ n }] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM dag_runs WHERE dag_id = 'sync_catalog' AND state = 'success'`,
      );
      expect(n).toBe(5);
    });
  });
});
