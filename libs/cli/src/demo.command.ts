import * as fs from 'fs';
import * as path from 'path';
import { DateTime } from 'luxon';
import { DagValidationError } from '@tributary/domain';
import { ManualClock } from '@tributary/runtime';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { CliError } from './cli-error';

export interface DemoOptions {
  from: string;
  to: string;
  dags: string;
  json?: boolean;
  /** Inject a few failures (on by default) so the summary shows task instances recovering by retry. */
  faults?: boolean;
}

/** Failures the demo injects: [dagId, taskId, how many tries fail]. Each is retried as a task instance. */
export const DEMO_FAULTS: [string, string, number][] = [
  ['kafka_events_to_raw', 'land', 2],
  ['stripe_payments_to_raw', 'land', 1],
  ['salesforce_to_raw', 'fetch_accounts', 1],
];

export interface MartRow {
  account_id: string;
  account_name: string;
  region: string;
  revenue_date: string;
  event_count: number;
  revenue_usd: string;
}

export interface DemoSummary {
  runs: Record<string, Record<string, number>>;
  mart: MartRow[];
}

const ZONE = 'America/Los_Angeles';

/**
 * `tributary demo three-cadences`: runs the example on a simulated clock from the start of
 * --from (Los Angeles) until the mart for --to is built, with a progress bar, then
 * summarises runs, retries and the mart rows of the period.
 */
export async function runThreeCadencesDemo(
  options: DemoOptions,
  out: (text: string) => void,
  progress: (line: string, fraction: number, final: boolean) => void,
): Promise<DemoSummary> {
  const from = DateTime.fromISO(options.from, { zone: ZONE });
  const to = DateTime.fromISO(options.to, { zone: ZONE });
  if (!from.isValid)
    throw new CliError(
      `--from: '${options.from}' is not a date; use YYYY-MM-DD (a Los Angeles revenue date)`,
    );
  if (!to.isValid)
    throw new CliError(`--to: '${options.to}' is not a date; use YYYY-MM-DD (a Los Angeles revenue date)`);
  if (to < from) throw new CliError(`--to ${options.to} is before --from ${options.from}; swap them`);
  if (to.diff(from, 'days').days > 31)
    throw new CliError('the demo simulates at most 31 days; narrow --from/--to');

  const start = from.startOf('day');
  // The mart for revenue date D is built at 05:00 on D+1; leave room for retries.
  const end = to.startOf('day').plus({ days: 1, hours: 12 });
  const clock = new ManualClock(start.toJSDate());
  let orchestrator: StandaloneOrchestrator;
  try {
    orchestrator = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(options.dags),
      dataDir: 'memory://',
      clock,
      http: false,
      logLevels: false,
    });
  } catch (error) {
    if (error instanceof DagValidationError) throw new CliError(error.message);
    throw error;
  }
  try {
    if (options.faults !== false) await injectDemoFaults(orchestrator, options.dags);
    const total = end.toMillis() - start.toMillis();
    await orchestrator.advanceTo(end.toJSDate(), (now) => {
      const done = Math.min(1, (now.getTime() - start.toMillis()) / total);
      progress(
        progressLine(done, DateTime.fromJSDate(now, { zone: ZONE }).toFormat("yyyy-MM-dd HH:mm 'LA'")),
        done,
        false,
      );
    });
    progress(progressLine(1, 'done'), 1, true);
    const summary = await summarize(orchestrator, from.toISODate()!, to.toISODate()!);
    const [{ retried }] = await orchestrator.db.manager.query(
      `SELECT count(DISTINCT ti_id)::int AS retried FROM task_instance_tries WHERE try_number > 1`,
    );
    out(options.json ? JSON.stringify(summary) : formatSummary(summary, retried, options));
    return summary;
  } finally {
    await orchestrator.stop();
  }
}

/** Uses the example's own fault-injection helper (the bundle's TypeScript loader is registered by now). */
async function injectDemoFaults(o: StandaloneOrchestrator, dags: string): Promise<void> {
  const helper = path.resolve(dags, 'warehouse.ts');
  if (!fs.existsSync(helper)) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const warehouse = require(helper) as {
    injectFaults?: (
      sql: (text: string, params?: unknown[]) => Promise<unknown[]>,
      dagId: string,
      taskId: string,
      count: number,
    ) => Promise<void>;
  };
  if (!warehouse.injectFaults) return;
  const sql = (text: string, params: unknown[] = []) => o.db.manager.query(text, params);
  for (const [dagId, taskId, count] of DEMO_FAULTS) await warehouse.injectFaults(sql, dagId, taskId, count);
}

async function summarize(o: StandaloneOrchestrator, from: string, to: string): Promise<DemoSummary> {
  const counts: { dag_id: string; state: string; n: number }[] = await o.db.manager.query(
    `SELECT dag_id, state, count(*)::int AS n FROM dag_runs GROUP BY dag_id, state ORDER BY dag_id, state`,
  );
  const runs: DemoSummary['runs'] = {};
  for (const c of counts) (runs[c.dag_id] ??= {})[c.state] = c.n;
  const [{ exists }] = await o.db.manager.query(
    `SELECT to_regclass('mart.daily_revenue_by_account') IS NOT NULL AS exists`,
  );
  const mart: MartRow[] = exists
    ? await o.db.manager.query(
        `SELECT account_id, account_name, region, revenue_date::text AS revenue_date, event_count,
                revenue_usd::text AS revenue_usd
         FROM mart.daily_revenue_by_account WHERE revenue_date BETWEEN $1 AND $2 ORDER BY revenue_date, account_id`,
        [from, to],
      )
    : [];
  return { runs, mart };
}

function progressLine(fraction: number, label: string): string {
  const width = 30;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${label}`;
}

function formatSummary(summary: DemoSummary, retried: number, options: DemoOptions): string {
  const lines = [
    `three-cadences, revenue dates ${options.from} to ${options.to} (simulated)`,
    '',
    'Runs by state:',
  ];
  const width = Math.max(...Object.keys(summary.runs).map((d) => d.length), 5);
  for (const [dagId, states] of Object.entries(summary.runs)) {
    lines.push(
      `  ${dagId.padEnd(width)}  ${Object.entries(states)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}`,
    );
  }
  lines.push(`Task instances retried: ${retried}`, '', 'mart.daily_revenue_by_account:');
  lines.push('  revenue_date  account_id  account_name  region  event_count  revenue_usd');
  for (const r of summary.mart) {
    lines.push(
      `  ${r.revenue_date}    ${r.account_id.padEnd(10)}  ${r.account_name.padEnd(12)}  ${r.region.padEnd(6)}  ${String(r.event_count).padStart(11)}  ${r.revenue_usd.padStart(11)}`,
    );
  }
  if (summary.mart.length === 0) lines.push('  (no rows)');
  return lines.join('\n');
}
