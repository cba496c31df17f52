import {
  AssetCondition,
  assetNamesIn,
  describeAssetCondition,
  isAssetConditionMet,
  missingAssets,
  readyPartitions,
} from './asset-condition';

const asset = (name: string): AssetCondition => ({ kind: 'asset', name });
const all = (...of: AssetCondition[]): AssetCondition => ({ kind: 'all', of });
const any = (...of: AssetCondition[]): AssetCondition => ({ kind: 'any', of });
const updated = (...names: string[]) => new Set(names);

const events = asset('raw.events');
const payments = asset('raw.payments');
const accounts = asset('raw.accounts');
// raw.events and (raw.payments or raw.accounts)
const nested = all(events, any(payments, accounts));

describe('assetNamesIn', () => {
  it('lists every asset once, in first-seen order', () => {
    expect(assetNamesIn(events)).toEqual(['raw.events']);
    expect(assetNamesIn(nested)).toEqual(['raw.events', 'raw.payments', 'raw.accounts']);
    expect(assetNamesIn(any(all(events, payments), all(payments, accounts), events))).toEqual([
      'raw.events',
      'raw.payments',
      'raw.accounts',
    ]);
  });

  it('is empty for empty groups', () => {
    expect(assetNamesIn(all())).toEqual([]);
    expect(assetNamesIn(any(all()))).toEqual([]);
  });
});

describe('isAssetConditionMet', () => {
  it('a single asset needs that asset', () => {
    expect(isAssetConditionMet(events, updated('raw.events'))).toBe(true);
    expect(isAssetConditionMet(events, updated('raw.payments'))).toBe(false);
    expect(isAssetConditionMet(events, updated())).toBe(false);
  });

  it.each<[string[], boolean]>([
    [[], false],
    [['raw.events'], false],
    [['raw.payments'], false],
    [['raw.payments', 'raw.accounts'], false],
    [['raw.events', 'raw.payments'], true],
    [['raw.events', 'raw.accounts'], true],
    [['raw.events', 'raw.payments', 'raw.accounts'], true],
    [['raw.events', 'unrelated'], false],
  ])('events and (payments or accounts) with %j updated → %s', (names, met) => {
    expect(isAssetConditionMet(nested, updated(...names))).toBe(met);
  });

  it.each<[string[], boolean]>([
    [[], false],
    [['a', 'b'], true],
    [['c'], false],
    [['c', 'd'], true],
    [['a', 'd'], false],
  ])('(a and b) or (c and d) with %j updated → %s', (names, met) => {
    const condition = any(all(asset('a'), asset('b')), all(asset('c'), asset('d')));
    expect(isAssetConditionMet(condition, updated(...names))).toBe(met);
  });

  it('an empty all is met and an empty any is not (vacuous truth)', () => {
    expect(isAssetConditionMet(all(), updated())).toBe(true);
    expect(isAssetConditionMet(any(), updated('x'))).toBe(false);
  });
});

describe('missingAssets', () => {
  it('is empty when the condition is met', () => {
    expect(missingAssets(nested, updated('raw.events', 'raw.accounts'))).toEqual([]);
    expect(missingAssets(events, updated('raw.events'))).toEqual([]);
  });

  it('lists everything an and still needs', () => {
    expect(missingAssets(all(events, payments, accounts), updated('raw.payments'))).toEqual([
      'raw.events',
      'raw.accounts',
    ]);
  });

  it('for an or, names the smallest branch still missing', () => {
    const condition = any(all(asset('a'), asset('b'), asset('c')), all(asset('d'), asset('e')));
    expect(missingAssets(condition, updated())).toEqual(['d', 'e']);
    expect(missingAssets(condition, updated('a', 'b'))).toEqual(['c']);
  });

  it('for an or with equally small branches, names the first', () => {
    expect(missingAssets(any(payments, accounts), updated())).toEqual(['raw.payments']);
  });

  it('combines nested conditions without duplicates', () => {
    expect(missingAssets(nested, updated())).toEqual(['raw.events', 'raw.payments']);
    expect(missingAssets(nested, updated('raw.accounts'))).toEqual(['raw.events']);
    expect(missingAssets(all(events, any(events, payments)), updated())).toEqual(['raw.events']);
  });
});

describe('readyPartitions (partition-aware)', () => {
  const partitions = (entries: Record<string, string[]>) =>
    new Map(Object.entries(entries).map(([name, list]) => [name, new Set(list)]));

  it('a run for logical date D only when every needed input has an event for D', () => {
    const condition = all(events, payments);
    const ready = readyPartitions(
      condition,
      partitions({
        'raw.events': ['2026-04-24', '2026-04-25', '2026-04-26'],
        'raw.payments': ['2026-04-25', '2026-04-23'],
      }),
    );
    expect(ready).toEqual(['2026-04-25']);
  });

  it('an event for one date does not satisfy another date (no mixing across partitions)', () => {
    expect(
      readyPartitions(
        all(events, payments),
        partitions({ 'raw.events': ['2026-04-25'], 'raw.payments': ['2026-04-26'] }),
      ),
    ).toEqual([]);
  });

  it('for or, any branch complete for D makes D ready; results are sorted', () => {
    const ready = readyPartitions(
      any(events, payments),
      partitions({ 'raw.events': ['2026-04-26', '2026-04-24'], 'raw.payments': ['2026-04-25'] }),
    );
    expect(ready).toEqual(['2026-04-24', '2026-04-25', '2026-04-26']);
  });

  it('nested: events and (payments or accounts), per date', () => {
    const ready = readyPartitions(
      nested,
      partitions({
        'raw.events': ['2026-04-01', '2026-04-02', '2026-04-03'],
        'raw.payments': ['2026-04-01'],
        'raw.accounts': ['2026-04-03', '2026-04-04'],
      }),
    );
    expect(ready).toEqual(['2026-04-01', '2026-04-03']);
  });

  it('ignores assets the condition does not mention', () => {
    const ready = readyPartitions(
      events,
      partitions({ 'raw.events': ['2026-04-02'], 'other.asset': ['2026-04-01', '2026-04-02'] }),
    );
    expect(ready).toEqual(['2026-04-02']);
  });

  it('is empty when an input has no partitions at all', () => {
    expect(readyPartitions(all(events, payments), partitions({ 'raw.events': ['2026-04-01'] }))).toEqual([]);
    expect(readyPartitions(events, new Map())).toEqual([]);
  });
});

describe('describeAssetCondition', () => {
  it.each<[AssetCondition, string]>([
    [events, 'raw.events'],
    [all(events, payments), 'raw.events and raw.payments'],
    [any(events, payments), 'raw.events or raw.payments'],
    [nested, 'raw.events and (raw.payments or raw.accounts)'],
    [any(all(events, payments), accounts), '(raw.events and raw.payments) or raw.accounts'],
    [all(any(asset('a'), asset('b')), any(asset('c'), asset('d'))), '(a or b) and (c or d)'],
    [all(events, any(payments)), 'raw.events and raw.payments'],
    [all(events), 'raw.events'],
    [any(all(asset('a'), any(asset('b'), asset('c')))), 'a and (b or c)'],
    [all(asset('x'), any(all(asset('a'), asset('b')))), 'x and (a and b)'],
  ])('%j → %s', (condition, text) => {
    expect(describeAssetCondition(condition)).toBe(text);
  });
});
