import { spawnSync } from 'child_process';
import * as path from 'path';

// Runs the real `tributary` binary (bin/tributary.js → dist/, built by `npm ci`/`npm run build`).
const root = path.resolve(__dirname, '..', '..');

function tributary(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'tributary.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tributary cron explain', () => {
  it('prints the description and the next fires in the zone and in UTC, marking DST moves', () => {
    const { code, stdout } = tributary(
      'cron',
      'explain',
      '30 2 * * *',
      '--tz',
      'America/Los_Angeles',
      '--from',
      '2026-03-07T00:00:00Z',
      '--count',
      '3',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('At 02:30, every day');
    expect(stdout).toContain('2026-03-07T02:30:00-08:00   2026-03-07T10:30:00Z');
    expect(stdout).toContain('2026-03-08T03:00:00-07:00   2026-03-08T10:00:00Z   * DST');
    expect(stdout).toMatch(/DST: 02:30 does not exist on 2026-03-08 in America\/Los_Angeles/);
    expect(stdout).toContain('2026-03-09T02:30:00-07:00   2026-03-09T09:30:00Z');
  });

  it('--json prints exactly one object of the documented shape', () => {
    const { code, stdout } = tributary(
      'cron',
      'explain',
      '30 1 * * *',
      '--tz',
      'America/Los_Angeles',
      '--from',
      '2026-10-31T12:00:00Z',
      '--count',
      '2',
      '--json',
    );
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(Object.keys(parsed)).toEqual(['expression', 'timezone', 'description', 'next']);
    expect(parsed.expression).toBe('30 1 * * *');
    expect(parsed.timezone).toBe('America/Los_Angeles');
    expect(parsed.description).toBe('At 01:30, every day');
    expect(parsed.next).toHaveLength(2);
    expect(parsed.next[0]).toEqual({
      local: '2026-11-01T01:30:00-07:00',
      utc: '2026-11-01T08:30:00Z',
      dst: expect.stringContaining('01:30 occurs twice on 2026-11-01'),
    });
    expect(parsed.next[1]).toEqual({
      local: '2026-11-02T01:30:00-08:00',
      utc: '2026-11-02T09:30:00Z',
      dst: null,
    });
  });

  it('defaults to UTC and five fires', () => {
    const { code, stdout } = tributary(
      'cron',
      'explain',
      '@hourly',
      '--from',
      '2026-01-01T00:00:00Z',
      '--json',
    );
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.timezone).toBe('UTC');
    expect(parsed.next.map((f: { utc: string }) => f.utc)).toEqual([
      '2026-01-01T01:00:00Z',
      '2026-01-01T02:00:00Z',
      '2026-01-01T03:00:00Z',
      '2026-01-01T04:00:00Z',
      '2026-01-01T05:00:00Z',
    ]);
  });

  it.each([
    [['61 * * * *'], 'minute: 61 is out of range 0-59'],
    [['0 24 * * *'], 'hour: 24 is out of range 0-23'],
    [['* * *'], 'expression: expected 5 fields'],
    [['0 0 * FOO *'], "month: 'FOO' is not a month"],
    [['0 2 * * *', '--tz', 'Mars/Olympus'], "timezone: unknown timezone 'Mars/Olympus'"],
    [['0 2 * * *', '--count', '0'], "--count: '0' is not allowed"],
    [['0 2 * * *', '--from', 'yesterday'], "--from: 'yesterday' is not an ISO 8601 instant"],
  ])('rejects %j with exit code 2 and one line naming the problem', (args, message) => {
    const { code, stdout, stderr } = tributary('cron', 'explain', ...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
  });
});

describe('tributary dags validate', () => {
  it('accepts the authoring example bundle', () => {
    const { code, stdout } = tributary('dags', 'validate', 'examples/authoring', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.problems).toEqual([]);
    expect(result.dags.map((d: { dagId: string }) => d.dagId).sort()).toEqual([
      'daily_revenue_by_account',
      'kafka_events_to_raw',
      'rebuild_mart',
      'salesforce_to_raw',
      'stripe_payments_to_raw',
    ]);
  });

  it('reports every problem of a broken bundle at once and exits 2', () => {
    const { code, stdout } = tributary('dags', 'validate', 'test/fixtures/broken-bundle');
    expect(code).toBe(2);
    expect(stdout).toContain(
      "DAG 'broken_pipeline', schedule: bad cron '0 25 * * *': hour: 25 is out of range 0-23",
    );
    expect(stdout).toContain("unknown timezone 'America/Los_Angles'");
    expect(stdout).toContain("did you mean 'America/Los_Angeles'?");
    expect(stdout).toContain('maxActiveRuns: 0 is not allowed');
    expect(stdout).toContain("task 'a', retries: -1 is not allowed");
    expect(stdout).toContain('cycle a -> b -> c -> a');
    expect(stdout).toContain(
      "task 'land', upstreams: depends on unknown task 'fetch_pagez'; did you mean 'fetch_pages'?",
    );
    expect(stdout).toContain("task 'wait_for_file', sensor.timeout: a sensor needs a timeout");
    expect(stdout).toMatch(/7 problems:/);
  });

  it('names a missing folder and exits 2', () => {
    const { code, stderr } = tributary('dags', 'validate', 'no/such/folder');
    expect(code).toBe(2);
    expect(stderr).toContain("DAG bundle folder 'no/such/folder' does not exist");
  });
});
