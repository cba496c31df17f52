import { formatLineage, freshnessText } from './assets.command';

describe('lineage tree', () => {
  it('starts from what nothing feeds, merges parallel edges and shows a shared node once', () => {
    const text = formatLineage({
      nodes: [
        { id: 'dag:orders_to_raw', kind: 'dag', name: 'orders_to_raw', schedule: 'Manual only' },
        {
          id: 'asset:raw.orders',
          kind: 'asset',
          name: 'raw.orders',
          freshness: { status: 'late', partition: '2026-04-25', deadline: 'x', lateByMs: 600_000 },
        },
        { id: 'asset:ext.fx_rates', kind: 'asset', name: 'ext.fx_rates', freshness: null },
        { id: 'dag:orders_with_fx', kind: 'dag', name: 'orders_with_fx', isPaused: true },
        { id: 'asset:mart.orders_usd', kind: 'asset', name: 'mart.orders_usd' },
      ],
      edges: [
        { from: 'dag:orders_to_raw', to: 'asset:raw.orders', kind: 'produces', tasks: ['land'] },
        { from: 'asset:raw.orders', to: 'dag:orders_with_fx', kind: 'triggers', tasks: [] },
        { from: 'asset:raw.orders', to: 'dag:orders_with_fx', kind: 'reads', tasks: ['join'] },
        { from: 'asset:ext.fx_rates', to: 'dag:orders_with_fx', kind: 'triggers', tasks: [] },
        { from: 'dag:orders_with_fx', to: 'asset:mart.orders_usd', kind: 'produces', tasks: ['join'] },
      ],
    });
    expect(text).toBe(
      [
        'ext.fx_rates (asset)',
        '└─ triggers → orders_with_fx (DAG, paused)',
        '   └─ produces → mart.orders_usd (asset)',
        'orders_to_raw (DAG: Manual only)',
        '└─ produces → raw.orders (asset, late by 10m 00s (2026-04-25))',
        '   └─ triggers, reads → orders_with_fx (DAG, paused)  (see above)',
      ].join('\n'),
    );
  });

  it('freshness in a few words', () => {
    expect(freshnessText({ status: 'fresh', partition: '2026-04-25', lateByMs: 0 })).toBe(
      'fresh (2026-04-25)',
    );
    expect(freshnessText(null)).toBeNull();
  });
});
