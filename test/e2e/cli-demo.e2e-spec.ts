import { spawnSync } from 'child_process';
import * as path from 'path';
import { SAMPLE_DAY_MART } from '../support/three-cadences';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '..', '..');

// `tributary demo three-cadences` as a user runs it: the built binary, a simulated day, --json.
describe('tributary demo three-cadences --json', () => {
  it('prints {"runs", "mart"} with every run successful and the exact sample for 2026-04-25', () => {
    const result = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'tributary.js'),
        'demo',
        'three-cadences',
        '--from',
        '2026-04-25',
        '--to',
        '2026-04-25',
        '--json',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.stderr).toContain('100%  done');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(Object.keys(summary)).toEqual(['runs', 'mart']);
    expect(Object.keys(summary.runs).sort()).toEqual([
      'daily_revenue_by_account',
      'kafka_events_to_raw',
      'salesforce_to_raw',
      'stripe_payments_to_raw',
    ]);
    for (const states of Object.values(summary.runs) as Record<string, number>[]) {
      expect(Object.keys(states)).toEqual(['success']);
    }
    expect(summary.mart).toEqual(SAMPLE_DAY_MART);
  });

  it('refuses a bad date with exit code 2 and a line that says how to fix it', () => {
    const result = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'tributary.js'),
        'demo',
        'three-cadences',
        '--from',
        'April',
        '--to',
        '2026-04-25',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      "--from: 'April' is not a date; use YYYY-MM-DD (a Los Angeles revenue date)",
    );
  });
});
