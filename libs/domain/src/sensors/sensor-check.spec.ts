import { pokeDelayMs, resolveSensorCheck } from './sensor-check';
import { TemplateContext, renderTemplate, templateProblem } from './sensor-templates';

const LA_EVENING: TemplateContext = {
  // 2026-04-26 05:00 UTC is still the 25th in Los Angeles.
  logicalDate: new Date('2026-04-26T05:00:00Z'),
  timezone: 'America/Los_Angeles',
  dagId: 'orders',
  runId: 'scheduled__2026-04-26T05:00:00.000Z',
  taskId: 'wait',
};

describe('sensor templates', () => {
  it('renders the logical date as a calendar day in the DAG zone, not in UTC', () => {
    expect(renderTemplate('/data/{{ ds }}/_SUCCESS', LA_EVENING)).toBe('/data/2026-04-25/_SUCCESS');
    expect(renderTemplate('/data/{{ds_nodash}}.csv', LA_EVENING)).toBe('/data/20260425.csv');
    expect(renderTemplate('{{ ts }} {{ dag_id }}.{{ task_id }} {{ run_id }}', LA_EVENING)).toBe(
      '2026-04-26T05:00:00.000Z orders.wait scheduled__2026-04-26T05:00:00.000Z',
    );
  });

  it('uses the data interval when there is one, else the logical date', () => {
    const ctx = { ...LA_EVENING, dataIntervalStart: new Date('2026-04-25T05:00:00Z') };
    expect(renderTemplate('{{ data_interval_start }}..{{ data_interval_end }}', ctx)).toBe(
      '2026-04-25T05:00:00.000Z..2026-04-26T05:00:00.000Z',
    );
  });

  it('names an unknown variable and the known ones', () => {
    expect(templateProblem('/data/{{ date }}')).toMatch(
      /unknown template variable '\{\{ date \}\}'; use one of .*\{\{ ds \}\}/,
    );
    expect(templateProblem('/data/{{ ds }}/x')).toBeNull();
    expect(renderTemplate('/data/{{ date }}', LA_EVENING)).toBe('/data/{{ date }}');
  });
});

describe('resolveSensorCheck', () => {
  it('renders paths, URLs and partitions; the asset partition defaults to the day', () => {
    expect(resolveSensorCheck('file', { path: '/in/{{ ds }}/*.csv', minSize: 1 }, LA_EVENING)).toEqual({
      family: 'file',
      path: '/in/2026-04-25/*.csv',
      minSize: 1,
    });
    expect(
      resolveSensorCheck(
        'http',
        { url: 'http://127.0.0.1/{{ ds_nodash }}', method: 'GET', expectStatus: [200] },
        LA_EVENING,
      ),
    ).toMatchObject({ url: 'http://127.0.0.1/20260425' });
    expect(resolveSensorCheck('asset', { asset: 'raw.orders' }, LA_EVENING)).toEqual({
      family: 'asset',
      asset: 'raw.orders',
      partition: '2026-04-25',
    });
  });

  it('shifts the external logical date by executionDelta, or takes the mapped one', () => {
    const spec = {
      dagId: 'up',
      taskId: 'load',
      executionDelta: '1h',
      allowedStates: ['success'],
      failedStates: ['failed'],
    };
    expect(resolveSensorCheck('external_task', spec, LA_EVENING)).toEqual({
      family: 'external_task',
      dagId: 'up',
      taskId: 'load',
      allowedStates: ['success'],
      failedStates: ['failed'],
      logicalDate: '2026-04-26T04:00:00.000Z',
    });
    const mapped = new Date('2026-04-20T00:00:00Z');
    expect(
      resolveSensorCheck('external_task', spec, LA_EVENING, { mappedLogicalDate: mapped }),
    ).toMatchObject({
      logicalDate: mapped.toISOString(),
    });
  });
});

describe('pokeDelayMs', () => {
  it('is the poke interval without backoff', () => {
    const sensor = { pokeInterval: '30s', exponentialBackoff: false, timeout: '1h' };
    expect([1, 2, 10].map((n) => pokeDelayMs(sensor, n))).toEqual([30_000, 30_000, 30_000]);
  });

  it('doubles after each check up to maxPokeInterval', () => {
    const sensor = { pokeInterval: '10s', exponentialBackoff: true, maxPokeInterval: '1m', timeout: '1h' };
    expect([1, 2, 3, 4, 5, 60].map((n) => pokeDelayMs(sensor, n))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('caps at the timeout when no maximum is given', () => {
    const sensor = { pokeInterval: '1m', exponentialBackoff: true, timeout: '5m' };
    expect(pokeDelayMs(sensor, 10)).toBe(300_000);
  });
});
