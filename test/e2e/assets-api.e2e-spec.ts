import * as path from 'path';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { callJson } from '../support/http';

jest.setTimeout(60_000);

const FX = 's3://lake/raw/fx';
const enc = encodeURIComponent;

// The assets REST surface of the standalone process over real HTTP: registry, events,
// lineage, freshness and alerts, with a simulated clock (Los Angeles days).
describe('REST API /api/v1 assets, freshness and alerts (standalone)', () => {
  let o: StandaloneOrchestrator;
  const call = (method: string, url: string, body?: unknown) =>
    callJson(o.url as string, method, url, body, o.adminToken);

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'assets-api'),
      dataDir: 'memory://',
      // 05:00 PDT on 2026-04-25: raw.orders for 04-25 is due by 04:00 PDT on 04-26.
      clock: new ManualClock(new Date('2026-04-25T12:00:00Z')),
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
  });

  afterAll(() => o?.stop());

  it('lists the assets the bundle declares with contract, producers and consumers', async () => {
    const { status, body } = await call('GET', '/api/v1/assets');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 3, limit: 100, offset: 0 });
    expect(body.items.map((a: { name: string }) => a.name)).toEqual([
      'ext.fx_rates',
      'mart.orders_usd',
      'raw.orders',
    ]);
    const orders = body.items.find((a: { name: string }) => a.name === 'raw.orders');
    expect(orders).toMatchObject({
      description: 'Orders landed from the shop database, partitioned by day',
      registeredBy: 'dag',
      timezone: 'America/Los_Angeles',
      freshness: { by: '04:00', timezone: 'America/Los_Angeles', offsetDays: 1 },
      contractText: 'partition D by 04:00 America/Los_Angeles on D+1',
      producers: ['orders_to_raw'],
      consumers: ['orders_with_fx'],
      lastEventAt: null,
      // Deployed on 04-25: nothing was promised for 04-24, so the report is about 04-25.
      freshnessStatus: {
        status: 'pending',
        partition: '2026-04-25',
        deadline: '2026-04-26T11:00:00.000Z',
        next: { partition: '2026-04-25', deadline: '2026-04-26T11:00:00.000Z', status: 'pending' },
      },
    });
    const fx = body.items.find((a: { name: string }) => a.name === 'ext.fx_rates');
    expect(fx).toMatchObject({
      freshness: null,
      contractText: null,
      producers: [],
      consumers: ['orders_with_fx'],
    });
    expect(fx.freshnessStatus).toBeNull();
  });

  it('registers an asset from outside: 201, then 200 on update; listed with registeredBy api', async () => {
    const created = await call('POST', '/api/v1/assets', {
      name: FX,
      description: 'FX rates from the treasury export',
      timezone: 'Europe/London',
      freshness: { maxLag: '2h' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: FX,
      registeredBy: 'api',
      timezone: 'Europe/London',
      freshness: { maxLag: '2h' },
      contractText: 'an event at least every 2 hours',
      freshnessStatus: { status: 'pending', partition: null, deadline: '2026-04-25T14:00:00.000Z' },
      events: { items: [], total: 0 },
      partitions: [],
    });

    const updated = await call('POST', '/api/v1/assets', { name: FX, description: 'FX rates (treasury)' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ description: 'FX rates (treasury)', freshness: { maxLag: '2h' } });

    const listed = await call('GET', `/api/v1/assets?prefix=${enc('s3://')}`);
    expect(listed.body).toMatchObject({ total: 1, items: [{ name: FX, registeredBy: 'api' }] });
    const paged = await call('GET', '/api/v1/assets?limit=2&offset=2');
    expect(paged.body).toMatchObject({ total: 4, limit: 2, offset: 2 });
    expect(paged.body.items.map((a: { name: string }) => a.name)).toEqual(['raw.orders', FX]);
  });

  it('registers a wall-clock contract read in the asset zone when the contract names none', async () => {
    const { status, body } = await call('POST', '/api/v1/assets', {
      name: 'ext.ledger',
      timezone: 'Asia/Tokyo',
      freshness: { by: '06:30' },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      freshness: { by: '06:30', timezone: 'Asia/Tokyo', offsetDays: 1 },
      contractText: 'partition D by 06:30 Asia/Tokyo on D+1',
    });
  });

  it.each([
    [
      'a name with a space and an unknown field',
      { name: 'raw orders', extra: 1 },
      {
        name: [
          "invalid asset name 'raw orders': use a non-empty name without spaces (at most 1000 characters), e.g. 'raw.events' or 's3://lake/raw'",
        ],
        extra: ['property extra should not exist'],
      },
    ],
    [
      'a bad timezone, top-level and in the contract',
      { name: 'x.tz', timezone: 'America/Los_Angles', freshness: { by: '04:00', timezone: 'Mars/Base' } },
      {
        timezone: [
          expect.stringContaining(
            "unknown timezone 'America/Los_Angles': use an IANA zone name (did you mean",
          ),
        ],
        'freshness.timezone': [expect.stringContaining("unknown timezone 'Mars/Base'")],
      },
    ],
    [
      'a bad by',
      { name: 'x.by', freshness: { by: '25:00' } },
      { 'freshness.by': ["'25:00' is not a wall-clock time; use HH:MM in 24-hour time, e.g. '04:00'"] },
    ],
    [
      'both by and maxLag',
      { name: 'x.both', freshness: { by: '04:00', maxLag: '2h' } },
      { freshness: [expect.stringContaining('give either by (a wall-clock time) or maxLag, not both')] },
    ],
    [
      'neither, with a stray contract field and a negative offset',
      { name: 'x.none', freshness: { offsetDays: -1, when: 'soon' } },
      {
        'freshness.offsetDays': [
          expect.stringContaining('offsetDays must be a whole number of days, 0 or more'),
        ],
        'freshness.when': ['property when should not exist'],
      },
    ],
    [
      'a contract that is not an object, and a body field of the wrong type',
      { name: 'x.str', description: 5, freshness: '04:00' },
      {
        description: ['description must be a string'],
        freshness: [expect.stringContaining('freshness must be an object')],
      },
    ],
    [
      'a maxLag that is not a duration',
      { name: 'x.lag', freshness: { maxLag: 'soon' } },
      { 'freshness.maxLag': [expect.any(String)] },
    ],
  ])('POST /api/v1/assets with %s is a 400 naming each field', async (_what, body, fields) => {
    const response = await call('POST', '/api/v1/assets', body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'validation_failed',
      message: 'the request is invalid; fix the fields listed',
      fields,
    });
    // Nothing was registered.
    expect((await call('GET', `/api/v1/assets/${enc(body.name as string)}`)).status).toBe(404);
  });

  it.each([
    [
      'an asset name with a space',
      { asset: 'raw orders', partition: '2026-04-25' },
      { asset: [expect.stringContaining("invalid asset name 'raw orders'")] },
    ],
    [
      'instants that are not instants',
      { asset: 'raw.orders', dataInterval: { start: '2026-04-25', end: 'tomorrow' } },
      {
        'dataInterval.start': [expect.stringContaining('dataInterval.start must be an ISO 8601 instant')],
        'dataInterval.end': [expect.stringContaining('dataInterval.end must be an ISO 8601 instant')],
      },
    ],
    [
      'an interval that ends before it starts',
      { asset: 'raw.orders', dataInterval: { start: '2026-04-25T08:00:00Z', end: '2026-04-25T07:00:00Z' } },
      {
        'dataInterval.end': [
          'dataInterval.end (2026-04-25T07:00:00Z) must be after dataInterval.start (2026-04-25T08:00:00Z): the interval is [start, end)',
        ],
      },
    ],
    [
      'an empty partition, metadata that is a list, and a source',
      { asset: 'raw.orders', partition: '', metadata: [1], source: { dagId: 'x' } },
      {
        partition: [expect.stringContaining('partition must not be empty')],
        metadata: ['metadata must be a JSON object'],
        source: ['property source should not exist'],
      },
    ],
  ])('POST /api/v1/assets/events with %s is a 400 naming each field', async (_what, body, fields) => {
    const response = await call('POST', '/api/v1/assets/events', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', fields });
    expect(Object.keys(response.body.fields).sort()).toEqual(Object.keys(fields).sort());
  });

  it('rejects bad paging and filters with a 400', async () => {
    expect((await call('GET', '/api/v1/assets?limit=0')).body).toMatchObject({
      fields: { limit: ['limit must be a whole number from 1 to 1000'] },
    });
    expect((await call('GET', '/api/v1/assets?limit=1001&offset=-1')).body.fields).toEqual({
      limit: ['limit must be a whole number from 1 to 1000'],
      offset: ['offset must be a whole number, 0 or more'],
    });
    expect((await call('GET', '/api/v1/alerts?open=yes&kind=bad')).body.fields).toEqual({
      open: ['open must be true or false'],
      kind: ['kind must be one of freshness_missed, asset_fallback, run_deadline_missed'],
    });
  });

  const runIdFor = (day: string) => `asset_triggered__${day}`;
  const eventIds: Record<string, string> = {};

  it('posts events for both inputs of a partition: the consumer runs for midnight LA that day', async () => {
    for (const asset of ['raw.orders', 'ext.fx_rates']) {
      const posted = await call('POST', '/api/v1/assets/events', {
        asset,
        partition: '2026-04-25',
        metadata: { rows: 42 },
      });
      expect(posted.status).toBe(202);
      expect(posted.body).toEqual({ eventId: expect.any(String), asset, partition: '2026-04-25' });
      eventIds[asset] = posted.body.eventId;
    }
    await o.settle();

    const runs = await call('GET', '/api/v1/dags/orders_with_fx/runs');
    expect(runs.body.items).toEqual([
      expect.objectContaining({
        runId: runIdFor('2026-04-25'),
        runType: 'asset_triggered',
        state: 'success',
        logicalDate: '2026-04-25T07:00:00.000Z',
      }),
    ]);
    const run = await call('GET', `/api/v1/dags/orders_with_fx/runs/${runIdFor('2026-04-25')}`);
    expect(run.status).toBe(200);
    expect(
      run.body.triggeringAssetEvents.map((e: { asset: string; eventId: string; partition: string }) => [
        e.asset,
        e.eventId,
        e.partition,
      ]),
    ).toEqual([
      ['raw.orders', eventIds['raw.orders'], '2026-04-25'],
      ['ext.fx_rates', eventIds['ext.fx_rates'], '2026-04-25'],
    ]);
    expect(run.body.triggeringAssetEvents[0]).toMatchObject({
      dataInterval: null,
      source: null,
      metadata: { rows: 42 },
      createdAt: '2026-04-25T12:00:00.000Z',
    });
    expect(run.body.inputFreshness).toEqual([
      {
        asset: 'ext.fx_rates',
        partition: '2026-04-25',
        contract: null,
        status: 'complete',
        satisfied: true,
        deadline: null,
        completedAt: '2026-04-25T12:00:00.000Z',
        lateByMs: 0,
      },
      {
        asset: 'raw.orders',
        partition: '2026-04-25',
        contract: 'partition D by 04:00 America/Los_Angeles on D+1',
        status: 'fresh',
        satisfied: true,
        deadline: '2026-04-26T11:00:00.000Z',
        completedAt: '2026-04-25T12:00:00.000Z',
        lateByMs: 0,
      },
    ]);
  });

  it('shows an asset with its events and partitions; events filter by partition', async () => {
    const { status, body } = await call('GET', '/api/v1/assets/raw.orders');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'raw.orders',
      lastEventAt: '2026-04-25T12:00:00.000Z',
      events: {
        total: 1,
        limit: 20,
        offset: 0,
        items: [{ eventId: eventIds['raw.orders'], asset: 'raw.orders', partition: '2026-04-25' }],
      },
      partitions: [{ partition: '2026-04-25', completedAt: '2026-04-25T12:00:00.000Z' }],
    });
    // The consumer's task produced its outlet: an event with its source task instance.
    const mart = await call('GET', '/api/v1/assets/mart.orders_usd/events');
    expect(mart.body).toMatchObject({
      asset: 'mart.orders_usd',
      total: 1,
      items: [
        {
          source: { dagId: 'orders_with_fx', runId: runIdFor('2026-04-25'), taskId: 'join', tryNumber: 1 },
        },
      ],
    });
    expect((await call('GET', '/api/v1/assets/raw.orders/events?partition=2026-04-25')).body.total).toBe(1);
    expect((await call('GET', '/api/v1/assets/raw.orders/events?partition=2026-04-24')).body).toMatchObject({
      items: [],
      total: 0,
    });
  });

  it('round-trips asset names with slashes and colons, encoded or not', async () => {
    // Two 12-hour pieces cover 2026-04-25 in the asset's zone (Europe/London, +01:00 in April).
    const pieces = [
      { start: '2026-04-25T00:00:00+01:00', end: '2026-04-25T12:00:00+01:00' },
      { start: '2026-04-25T12:00:00+01:00', end: '2026-04-26T00:00:00+01:00' },
    ];
    const ids: string[] = [];
    for (const dataInterval of pieces) {
      const posted = await call('POST', '/api/v1/assets/events', { asset: FX, dataInterval });
      expect(posted.status).toBe(202);
      ids.push(posted.body.eventId);
    }
    await o.settle();
    const encoded = await call('GET', `/api/v1/assets/${enc(FX)}`);
    expect(encoded.status).toBe(200);
    expect(encoded.body).toMatchObject({
      name: FX,
      registeredBy: 'api',
      events: {
        total: 2,
        items: [
          {
            eventId: ids[1],
            partition: null,
            dataInterval: { start: '2026-04-25T11:00:00.000Z', end: '2026-04-25T23:00:00.000Z' },
          },
          {
            eventId: ids[0],
            dataInterval: { start: '2026-04-24T23:00:00.000Z', end: '2026-04-25T11:00:00.000Z' },
          },
        ],
      },
      partitions: [{ partition: '2026-04-25', completedAt: '2026-04-25T12:00:00.000Z' }],
    });
    const page = await call('GET', `/api/v1/assets/${enc(FX)}/events?limit=1&offset=1`);
    expect(page.body).toMatchObject({
      asset: FX,
      total: 2,
      limit: 1,
      offset: 1,
      items: [{ eventId: ids[0] }],
    });
    // Sent without encoding, the name arrives as several path segments and is served all the same.
    const raw = await call('GET', `/api/v1/assets/${FX}`);
    expect(raw.status).toBe(200);
    expect(raw.body.name).toBe(FX);
  });

  it.each([
    [
      '/api/v1/assets/nope',
      "no asset 'nope': assets are registered by the DAGs that name them, by POST /api/v1/assets, or by their first event",
    ],
    [
      '/api/v1/assets/nope/events',
      "no asset 'nope': assets are registered by the DAGs that name them, by POST /api/v1/assets, or by their first event",
    ],
    [
      '/api/v1/assets/s3://lake/nope',
      "no asset 's3://lake/nope'; a name with slashes is one URL-encoded path segment: /api/v1/assets/s3%3A%2F%2Flake%2Fnope",
    ],
    [
      '/api/v1/freshness?asset=nope',
      "no asset 'nope': assets are registered by the DAGs that name them, by POST /api/v1/assets, or by their first event",
    ],
  ])('GET %s is a 404 that says what is missing', async (url, message) => {
    const response = await call('GET', url);
    expect(response).toEqual({ status: 404, body: { statusCode: 404, code: 'not_found', message } });
  });

  it('draws the lineage: DAG → asset → DAG, with freshness on assets and schedules on DAGs', async () => {
    const { status, body } = await call('GET', '/api/v1/assets/lineage');
    expect(status).toBe(200);
    const edges = body.edges.map(
      (e: { from: string; to: string; kind: string }) => `${e.from} -${e.kind}-> ${e.to}`,
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        'dag:orders_to_raw -produces-> asset:raw.orders',
        'asset:raw.orders -triggers-> dag:orders_with_fx',
        'asset:ext.fx_rates -triggers-> dag:orders_with_fx',
        'asset:raw.orders -reads-> dag:orders_with_fx',
        'dag:orders_with_fx -produces-> asset:mart.orders_usd',
      ]),
    );
    expect(body.edges.find((e: { from: string }) => e.from === 'dag:orders_to_raw')).toEqual({
      from: 'dag:orders_to_raw',
      to: 'asset:raw.orders',
      kind: 'produces',
      tasks: ['land'],
    });
    const node = (id: string) => body.nodes.find((n: { id: string }) => n.id === id);
    expect(node('asset:raw.orders')).toEqual({
      id: 'asset:raw.orders',
      kind: 'asset',
      name: 'raw.orders',
      // 04-25 landed before its deadline (04-24 was before the asset existed).
      freshness: {
        status: 'fresh',
        partition: '2026-04-25',
        deadline: '2026-04-26T11:00:00.000Z',
        lateByMs: 0,
      },
    });
    expect(node('asset:ext.fx_rates').freshness).toBeNull();
    // Registered from outside, in no DAG: still a node.
    expect(node(`asset:${FX}`)).toMatchObject({
      kind: 'asset',
      freshness: { status: 'fresh', partition: null },
    });
    expect(node('dag:orders_with_fx')).toEqual({
      id: 'dag:orders_with_fx',
      kind: 'dag',
      name: 'orders_with_fx',
      schedule: expect.stringContaining('complete for the same partition'),
      isPaused: false,
    });
    expect(node('dag:orders_to_raw').schedule).toEqual(expect.any(String));
  });

  it('a missed contract: freshness says missing and one freshness_missed alert is open', async () => {
    // 05:00 PDT on 04-27: 04-25 was on time; nothing came for 04-26 (due 04:00 PDT on 04-27).
    await o.advanceTo(new Date('2026-04-27T12:00:00Z'));
    const freshness = await call('GET', '/api/v1/freshness?asset=raw.orders');
    expect(freshness.status).toBe(200);
    expect(freshness.body).toEqual({
      at: '2026-04-27T12:00:00.000Z',
      items: [
        expect.objectContaining({
          asset: 'raw.orders',
          description: 'partition D by 04:00 America/Los_Angeles on D+1',
          partition: '2026-04-26',
          status: 'missing',
          deadline: '2026-04-27T11:00:00.000Z',
          lateByMs: 3_600_000,
          openAlertId: expect.any(String),
        }),
      ],
    });
    const all = await call('GET', '/api/v1/freshness');
    expect(all.body.items.map((i: { asset: string }) => i.asset)).toEqual(['ext.ledger', 'raw.orders', FX]);

    const open = await call('GET', '/api/v1/alerts?open=true&kind=freshness_missed&asset=raw.orders');
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(open.body.items).toEqual([
      {
        alertId: freshness.body.items[0].openAlertId,
        kind: 'freshness_missed',
        subject: 'asset:raw.orders:2026-04-26',
        severity: 'critical',
        message: expect.stringContaining('raw.orders for 2026-04-26 was not complete by its deadline'),
        dagId: null,
        runId: null,
        asset: 'raw.orders',
        partition: '2026-04-26',
        deadline: '2026-04-27T11:00:00.000Z',
        details: expect.objectContaining({ producers: ['orders_to_raw'] }),
        raisedAt: '2026-04-27T11:00:00.000Z',
        recoveredAt: null,
        recoveryMessage: null,
      },
    ]);
    // The outside asset's max-lag window ran out too: filtered by asset, newest first.
    const lag = await call('GET', `/api/v1/alerts?open=true&asset=${enc(FX)}`);
    expect(lag.body.items).toEqual([
      expect.objectContaining({ kind: 'freshness_missed', asset: FX, partition: null }),
    ]);
    expect((await call('GET', '/api/v1/alerts?open=false')).body.total).toBe(0);
    const everything = await call('GET', '/api/v1/alerts?limit=1');
    expect(everything.body.items).toHaveLength(1);
    expect(everything.body.total).toBeGreaterThanOrEqual(2);
  });

  it('the late event recovers the alert, and freshness says late', async () => {
    await o.advanceTo(new Date('2026-04-27T12:30:00Z'));
    const posted = await call('POST', '/api/v1/assets/events', {
      asset: 'raw.orders',
      partition: '2026-04-26',
    });
    expect(posted.status).toBe(202);
    await o.settle();

    expect((await call('GET', '/api/v1/alerts?open=true&asset=raw.orders')).body.total).toBe(0);
    const closed = await call('GET', '/api/v1/alerts?open=false&asset=raw.orders');
    expect(closed.body.items).toEqual([
      expect.objectContaining({
        subject: 'asset:raw.orders:2026-04-26',
        recoveredAt: '2026-04-27T12:30:00.000Z',
        recoveryMessage: expect.stringContaining(
          'raw.orders for 2026-04-26 is complete, 1 hour 30 minutes after its deadline',
        ),
      }),
    ]);
    const freshness = await call('GET', '/api/v1/freshness?asset=raw.orders');
    expect(freshness.body.items[0]).toMatchObject({
      partition: '2026-04-26',
      status: 'late',
      lateByMs: 5_400_000,
      completedAt: '2026-04-27T12:30:00.000Z',
      openAlertId: null,
    });
    // fx_rates has nothing for 04-26: no run for that day yet.
    const runs = await call('GET', '/api/v1/dags/orders_with_fx/runs');
    expect(runs.body.items.map((r: { runId: string }) => r.runId)).toEqual([runIdFor('2026-04-25')]);
  });

  it('keeps the events of a paused DAG queued and runs on them when it is unpaused', async () => {
    expect((await call('PATCH', '/api/v1/dags/orders_with_fx', { isPaused: true })).status).toBe(200);
    for (const asset of ['raw.orders', 'ext.fx_rates']) {
      expect((await call('POST', '/api/v1/assets/events', { asset, partition: '2026-04-27' })).status).toBe(
        202,
      );
    }
    await o.settle();
    const before = await call('GET', '/api/v1/dags/orders_with_fx/runs');
    expect(before.body.items.map((r: { runId: string }) => r.runId)).not.toContain(runIdFor('2026-04-27'));

    expect((await call('PATCH', '/api/v1/dags/orders_with_fx', { isPaused: false })).status).toBe(200);
    await o.settle();
    const after = await call('GET', '/api/v1/dags/orders_with_fx/runs');
    expect(after.body.items.map((r: { runId: string }) => r.runId)).toContain(runIdFor('2026-04-27'));
    const detail = await call('GET', `/api/v1/dags/orders_with_fx/runs/${runIdFor('2026-04-27')}`);
    expect(detail.body.triggeringAssetEvents.map((e: { asset: string }) => e.asset).sort()).toEqual([
      'ext.fx_rates',
      'raw.orders',
    ]);
  });
});
