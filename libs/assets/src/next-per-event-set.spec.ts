import { AssetCondition } from '@tributary/domain';
import { nextPerEventSet } from './assets.service';

interface Queued {
  asset_name: string;
  id: string;
}

const asset = (name: string): AssetCondition => ({ kind: 'asset', name });
const and = (...of: AssetCondition[]): AssetCondition => ({ kind: 'all', of });
const or = (...of: AssetCondition[]): AssetCondition => ({ kind: 'any', of });
const a = asset('a');
const b = asset('b');
const c = asset('c');
const d = asset('d');

/** Queue rows in arrival order from ids like 'a1' (asset 'a', its first event). */
const queue = (...ids: string[]): Queued[] => ids.map((id) => ({ asset_name: id.replace(/\d+$/, ''), id }));
const ids = (rows: readonly Queued[] | null) => rows?.map((r) => r.id) ?? null;

/** What the assets service does: one run per set, consuming its events, until nothing is ready. */
function drain(condition: AssetCondition, rows: Queued[]): { runs: string[][]; left: string[] } {
  const runs: string[][] = [];
  let pending = rows;
  for (;;) {
    const used = nextPerEventSet(condition, pending);
    if (!used) return { runs, left: pending.map((r) => r.id) };
    if (used.length === 0 || runs.length > rows.length) throw new Error('nextPerEventSet would loop forever');
    runs.push(used.map((r) => r.id));
    pending = pending.filter((r) => !used.includes(r));
  }
}

describe('nextPerEventSet', () => {
  it('returns rows from the queue itself, in arrival order', () => {
    const rows = queue('a1', 'b1');
    const used = nextPerEventSet(and(a, b), rows);
    expect(used).toHaveLength(2);
    expect(used?.[0]).toBe(rows[0]);
    expect(used?.[1]).toBe(rows[1]);
  });

  describe('a single asset', () => {
    it('makes one run per event, oldest first', () => {
      expect(ids(nextPerEventSet(a, queue('a1', 'a2')))).toEqual(['a1']);
      expect(drain(a, queue('a1', 'a2', 'a3'))).toEqual({ runs: [['a1'], ['a2'], ['a3']], left: [] });
    });

    it('ignores events of assets the condition does not name', () => {
      expect(ids(nextPerEventSet(a, queue('z1', 'a1')))).toEqual(['a1']);
      expect(nextPerEventSet(a, queue('z1', 'z2'))).toBeNull();
    });
  });

  describe('or(a, b)', () => {
    const condition = or(a, b);

    it('takes one event per run, whichever input it came from', () => {
      expect(ids(nextPerEventSet(condition, queue('a1', 'b1')))).toEqual(['a1']);
      expect(ids(nextPerEventSet(condition, queue('b1', 'a1')))).toEqual(['b1']);
    });

    it('makes as many runs as there are events, in arrival order', () => {
      expect(drain(condition, queue('a1', 'b1', 'a2', 'b2', 'b3'))).toEqual({
        runs: [['a1'], ['b1'], ['a2'], ['b2'], ['b3']],
        left: [],
      });
    });
  });

  describe('and(a, b)', () => {
    const condition = and(a, b);

    it('pairs the oldest event of each input', () => {
      expect(ids(nextPerEventSet(condition, queue('a1', 'a2', 'a3', 'b1')))).toEqual(['a1', 'b1']);
      expect(ids(nextPerEventSet(condition, queue('b1', 'b2', 'a1', 'a2')))).toEqual(['b1', 'a1']);
    });

    it('pairs events first in, first out, leaving the unpaired ones queued', () => {
      expect(drain(condition, queue('a1', 'a2', 'b1', 'a3', 'b2'))).toEqual({
        runs: [
          ['a1', 'b1'],
          ['a2', 'b2'],
        ],
        left: ['a3'],
      });
    });

    it('ignores events of other assets', () => {
      expect(ids(nextPerEventSet(condition, queue('z1', 'a1', 'z2', 'b1')))).toEqual(['a1', 'b1']);
    });
  });

  describe('and(a, or(b, c))', () => {
    const condition = and(a, or(b, c));

    it('takes only the events the condition needs', () => {
      expect(ids(nextPerEventSet(condition, queue('a1', 'b1', 'c1')))).toEqual(['a1', 'b1']);
      expect(ids(nextPerEventSet(condition, queue('c1', 'a1', 'b1')))).toEqual(['c1', 'a1']);
    });

    it('drops a head the condition can do without, leaving it queued for a later run', () => {
      const used = ids(nextPerEventSet(condition, queue('b1', 'c1', 'a1')));
      // a1 completed the condition; the older of b1 and c1 goes with it (first in, first out).
      expect(used).toEqual(['b1', 'a1']);

      const { runs, left } = drain(condition, queue('b1', 'c1', 'a1', 'a2'));
      expect(runs).toHaveLength(2);
      expect(runs.flat().sort()).toEqual(['a1', 'a2', 'b1', 'c1']);
      expect(left).toEqual([]);
    });

    it('drops a head that is of no use: c without d', () => {
      const condition = and(a, or(b, and(c, d)));
      expect(ids(nextPerEventSet(condition, queue('c1', 'b1', 'a1')))).toEqual(['b1', 'a1']);
      expect(drain(condition, queue('c1', 'b1', 'a1'))).toEqual({ runs: [['b1', 'a1']], left: ['c1'] });
    });

    it('keeps every head when all are needed', () => {
      expect(ids(nextPerEventSet(and(a, or(b, and(c, d))), queue('c1', 'd1', 'a1')))).toEqual([
        'c1',
        'd1',
        'a1',
      ]);
    });
  });

  describe('nothing ready', () => {
    it('is null for an empty queue', () => {
      expect(nextPerEventSet(a, [])).toBeNull();
      expect(nextPerEventSet(or(a, b), [])).toBeNull();
    });

    it('is null while an input of and() has no event', () => {
      expect(nextPerEventSet(and(a, b), queue('a1', 'a2', 'a3'))).toBeNull();
      expect(nextPerEventSet(and(a, or(b, c)), queue('b1', 'c1', 'b2'))).toBeNull();
    });

    it('is null for a condition that can never hold', () => {
      expect(nextPerEventSet(or(), queue('a1'))).toBeNull();
    });
  });
});
