import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DateTime } from 'luxon';
import { runCli } from '@tributary/cli';
import { StandaloneOrchestrator } from '@tributary/standalone';

jest.setTimeout(120_000);

const DAGS = path.resolve(__dirname, '..', 'fixtures', 'cli-operations');
const ZONE = 'America/Los_Angeles';
const control = () => (globalThis as unknown as { cliOps: { failDates: string[]; slowMs: number } }).cliOps;
/** A Los Angeles day `n` days before today, as YYYY-MM-DD. */
const daysAgo = (n: number) => DateTime.now().setZone(ZONE).minus({ days: n }).toISODate()!;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `tributary <args>` in-process, with stdout and stderr captured, as a script sees it (not a
 * terminal: progress is one line per 10%). `url` and `token` are appended unless null.
 */
async function tributary(
  args: string[],
  options: { url?: string | null; token?: string | null; stop?: () => Promise<void> } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const extra = [
    ...(options.url ? ['--url', options.url] : []),
    ...(options.token ? ['--token', options.token] : []),
  ];
  const code = await runCli([...args, ...extra], {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    interactive: false,
    pollIntervalMs: 100,
    waitForStop: options.stop ?? (() => new Promise<void>(() => undefined)),
  });
  return { code, stdout, stderr };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const PROGRESS_LINE =
  /^\[[#.]{30}\]\s+\d+%\s+\d+\/\d+ dates · \d+ done · \d+ running · \d+ queued · \d+ failed/;

// The operator CLI against a standalone on the wall clock (real loops), over real HTTP.
describe('tributary operator CLI (standalone)', () => {
  let o: StandaloneOrchestrator;
  let admin: string;
  let operator: string;
  let viewer: string;
  const cli = (args: string[], token: string | null = operator) => tributary(args, { url: o.url, token });
  const json = async (args: string[], token?: string | null) => {
    const result = await cli([...args, '--json'], token);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    delete process.env.TRIBUTARY_URL;
    delete process.env.TRIBUTARY_TOKEN;
    o = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir: 'memory://',
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
      pollIntervalMs: 100,
    });
    admin = o.adminToken as string;
  });

  afterAll(async () => {
    control().slowMs = 0;
    await o?.stop();
  });

  describe('tokens', () => {
    it('creates tokens through the API: the token alone on stdout, what it is on stderr; --json gives the object', async () => {
      const created = await cli(['tokens', 'create', '--role', 'operator', '--name', 'ops-bot'], admin);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^trb_[A-Za-z0-9_-]{40}\n$/);
      expect(created.stderr).toMatch(
        /created operator token 'ops-bot' \(tok_\w+\) through the API; it is shown only this once/,
      );
      operator = created.stdout.trim();

      const asJson = await json(['tokens', 'create', '--role', 'viewer', '--name', 'dashboards'], admin);
      expect(asJson).toMatchObject({
        name: 'dashboards',
        role: 'viewer',
        token: expect.stringMatching(/^trb_/),
      });
      viewer = asJson.token;

      expect((await cli(['whoami'], viewer)).stdout).toMatch(/^dashboards \(tok_\w+\): viewer\n$/);
    });

    it('lists tokens for an admin, and refuses the list to an operator with exit 4', async () => {
      const list = await cli(['tokens', 'list'], admin);
      expect(list.code).toBe(0);
      expect(list.stdout.split('\n')[0]).toMatch(
        /^TOKEN ID\s+NAME\s+ROLE\s+CREATED \(UTC\)\s+LAST USED\s+REVOKED$/,
      );
      expect(list.stdout).toMatch(/ops-bot\s+operator/);
      const refused = await cli(['tokens', 'list'], operator);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('(403 forbidden)');
    });

    it('revokes a token: requests with it then exit 4', async () => {
      const spare = (await json(['tokens', 'create', '--role', 'viewer', '--name', 'spare'], admin)) as {
        tokenId: string;
        token: string;
      };
      const revoked = await cli(['tokens', 'revoke', spare.tokenId], admin);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`revoked token ${spare.tokenId} ('spare', viewer)`);
      const refused = await cli(['dags', 'list'], spare.token);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('(401 unauthorized)');
      expect((await cli(['tokens', 'revoke', 'tok_nope'], admin)).code).toBe(3);
    });
  });

  describe('dags', () => {
    it('lists DAGs as an aligned table and as JSON, with --paused / --active / --tag filters', async () => {
      const table = await cli(['dags', 'list'], viewer);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^DAG\s+PAUSED\s+SCHEDULE\s+NEXT RUN\s+LATEST RUN\s+TAGS$/);
      expect(lines[1]).toMatch(
        /^ops_daily\s+no\s+At 02:00, every day \(America\/Los_Angeles\)\s+\d{4}-\d\d-\d\d 02:00:00 P[SD]T/,
      );
      // Columns line up: the second column starts at the same place on every line.
      const secondColumn = lines.map((l) => /^\S+\s+/.exec(l)![0].length);
      expect(new Set(secondColumn).size).toBe(1);

      const page = await json(['dags', 'list'], viewer);
      expect(page.items.map((d: { dagId: string }) => d.dagId)).toEqual(['ops_daily', 'ops_manual']);
      expect(page.total).toBe(2);

      expect((await cli(['dags', 'pause', 'ops_manual'])).stdout).toBe(
        'DAG ops_manual is paused: no new runs start; runs already running finish.\n',
      );
      expect((await json(['dags', 'list', '--paused'])).items.map((d: { dagId: string }) => d.dagId)).toEqual(
        ['ops_manual'],
      );
      expect((await json(['dags', 'list', '--active'])).items.map((d: { dagId: string }) => d.dagId)).toEqual(
        ['ops_daily'],
      );
      expect((await cli(['dags', 'unpause', 'ops_manual'])).stdout).toBe(
        'DAG ops_manual is unpaused: it runs on events or triggers.\n',
      );
      expect(
        (await json(['dags', 'list', '--tag', 'sales'])).items.map((d: { dagId: string }) => d.dagId),
      ).toEqual(['ops_daily']);
      const both = await cli(['dags', 'list', '--paused', '--active']);
      expect(both).toMatchObject({ code: 2, stdout: '' });
      expect(both.stderr).toBe('--paused and --active exclude each other; pass one\n');
    });

    it('shows a DAG: schedule in words, next run, tasks', async () => {
      const shown = await cli(['dags', 'show', 'ops_daily'], viewer);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('DAG ops_daily\n');
      expect(shown.stdout).toMatch(/ {2}schedule: +At 02:00, every day \(America\/Los_Angeles\)\n/);
      expect(shown.stdout).toMatch(/ {2}next run: +\d{4}-\d\d-\d\d 02:00:00 P[SD]T for logical date/);
      expect(shown.stdout).toMatch(/ {2}backfill window: +90 days\n/);
      expect(shown.stdout).toMatch(/Tasks \(3\):\n {2}TASK\s+KIND\s+UPSTREAMS/);
      expect(shown.stdout).toMatch(/ {2}load\s+function\s+transform\s+0\s+all_success\s+-\s+ops\.sales\n/);
      const dag = await json(['dags', 'show', 'ops_daily'], viewer);
      expect(dag.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(['extract', 'transform', 'load']);
    });
  });

  describe('trigger and runs', () => {
    it('trigger --wait exits 0 when the run succeeds, and --json prints the finished run', async () => {
      const ok = await cli(['trigger', 'ops_manual', '--run-id', 'cli-ok', '--wait']);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^run cli-ok of ops_manual succeeded in \S+\n$/);
      expect(ok.stderr).toContain('triggered ops_manual: run cli-ok\n');
      expect(ok.stderr).toMatch(/100% {2}success +1\/1 tasks done/);

      const asJson = await cli(['trigger', 'ops_manual', '--run-id', 'cli-ok-json', '--wait', '--json']);
      expect(asJson.code).toBe(0);
      expect(JSON.parse(asJson.stdout)).toMatchObject({ runId: 'cli-ok-json', state: 'success' });
    });

    it('trigger --wait exits 1 when the run fails, naming the failed task and how to see and retry it', async () => {
      const failed = await cli([
        'trigger',
        'ops_daily',
        '--run-id',
        'cli-fail',
        '--conf',
        '{"fail": true}',
        '--wait',
      ]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('run cli-fail of ops_daily failed after');
      expect(failed.stdout).toMatch(
        / {2}failed: transform \(try 1\): transform failed on purpose for \d{4}-\d\d-\d\d\n/,
      );
      expect(failed.stdout).toContain('  upstream failed: load\n');
      expect(failed.stdout).toContain('  logs:  tributary tasks logs ops_daily cli-fail transform\n');
      expect(failed.stdout).toContain(
        '  retry: tributary tasks clear ops_daily cli-fail transform --downstream\n',
      );
    });

    it('trigger without --wait prints the run id; a bad --conf is exit 2, an unknown DAG exit 3', async () => {
      const plain = await cli(['trigger', 'ops_manual', '--run-id', 'cli-plain']);
      expect(plain).toEqual({ code: 0, stdout: 'triggered ops_manual: run cli-plain\n', stderr: '' });
      const badConf = await cli(['trigger', 'ops_manual', '--conf', '[1, 2]']);
      expect(badConf.code).toBe(2);
      expect(badConf.stderr).toContain('--conf: must be a JSON object');
      const unknown = await cli(['trigger', 'nope']);
      expect(unknown).toMatchObject({ code: 3, stdout: '' });
      expect(unknown.stderr).toBe("no DAG 'nope' (404 not_found)\n");
    });

    it('lists runs (table and JSON) and shows one with its task instances and tries', async () => {
      const table = await cli(['runs', 'list', '--dag', 'ops_daily'], viewer);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(
        /^DAG\s+RUN ID\s+TYPE\s+STATE\s+LOGICAL DATE\s+STARTED\s+DURATION$/,
      );
      expect(table.stdout).toMatch(
        /ops_daily\s+cli-fail\s+manual\s+failed\s+\d{4}-\d\d-\d\d \d\d:\d\d P[SD]T/,
      );

      const failed = await json(['runs', 'list', '--state', 'failed'], viewer);
      expect(failed.items.map((r: { runId: string }) => r.runId)).toEqual(['cli-fail']);

      const run = await json(['runs', 'show', 'ops_daily', 'cli-fail'], viewer);
      expect(run.conf).toEqual({ fail: true });
      expect(
        Object.fromEntries(
          run.taskInstances.map((t: { taskId: string; state: string }) => [t.taskId, t.state]),
        ),
      ).toEqual({ extract: 'success', transform: 'failed', load: 'upstream_failed' });

      const shown = await cli(['runs', 'show', 'ops_daily', 'cli-fail'], viewer);
      expect(shown.stdout).toContain('Run cli-fail of DAG ops_daily: failed\n');
      expect(shown.stdout).toMatch(/ {2}conf: +\{"fail":true\}\n/);
      expect(shown.stdout).toMatch(
        / {2}transform\s+failed\s+1\s+\S+\s+.+#1 failed\s+transform failed on purpose/,
      );

      const bad = await cli(['runs', 'list', '--state', 'weird'], viewer);
      expect(bad).toMatchObject({
        code: 2,
        stderr: "--state: 'weird' is not one of queued, running, success, failed\n",
      });
      expect((await cli(['runs', 'show', 'ops_daily', 'no-such-run'], viewer)).code).toBe(3);
    });

    it('runs rerun refuses without --yes (exit 2, saying what it would do) and reruns with it', async () => {
      const refused = await cli(['runs', 'rerun', 'ops_manual', 'cli-ok']);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(
        'refusing without --yes: this would rerun run cli-ok of ops_manual (success)',
      );
      expect(refused.stderr).toContain('all 1 task instance (1 success) run again');

      const rerun = await cli(['runs', 'rerun', 'ops_manual', 'cli-ok', '--yes']);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain('run cli-ok of ops_manual is queued to run again from scratch');
      const after = await eventually(
        () => json(['runs', 'show', 'ops_manual', 'cli-ok']),
        (run) => run.state === 'success' && run.taskInstances[0].tryNumber === 2,
      );
      expect(after.taskInstances[0]).toMatchObject({ state: 'success', tryNumber: 2 });
    });
  });

  describe('tasks', () => {
    it('clear --dry-run says what it would clear and changes nothing; without it the run resumes', async () => {
      const trigger = await cli([
        'trigger',
        'ops_daily',
        '--run-id',
        'cli-once',
        '--conf',
        '{"fail": "once"}',
        '--wait',
      ]);
      expect(trigger.code).toBe(1);

      const dry = await cli([
        'tasks',
        'clear',
        'ops_daily',
        'cli-once',
        'transform',
        '--downstream',
        '--dry-run',
      ]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toBe(
        'would clear 2 task instances of run cli-once of ops_daily: transform (failed), load (upstream_failed)\n' +
          '(dry run: nothing changed; run it again without --dry-run to clear them)\n',
      );
      expect((await json(['runs', 'show', 'ops_daily', 'cli-once'])).state).toBe('failed');

      const nothing = await cli(['tasks', 'clear', 'ops_daily', 'cli-once', 'extract']);
      expect(nothing.code).toBe(0);
      expect(nothing.stdout).toContain('nothing to clear in run cli-once of ops_daily\n');
      expect(nothing.stdout).toContain('  not cleared: extract (success)');

      const viewerClear = await cli(['tasks', 'clear', 'ops_daily', 'cli-once', 'transform'], viewer);
      expect(viewerClear.code).toBe(4);
      expect(viewerClear.stderr).toContain('operator');

      const cleared = await cli(['tasks', 'clear', 'ops_daily', 'cli-once', 'transform', '--downstream']);
      expect(cleared.code).toBe(0);
      expect(cleared.stdout).toBe(
        'cleared 2 task instances of run cli-once of ops_daily: transform, load; the run resumes from them\n',
      );
      const run = await eventually(
        () => json(['runs', 'show', 'ops_daily', 'cli-once']),
        (r) => r.state === 'success',
      );
      expect(run.state).toBe('success');

      const ti = await cli(['tasks', 'show', 'ops_daily', 'cli-once', 'transform'], viewer);
      expect(ti.code).toBe(0);
      expect(ti.stdout).toContain('Task transform of run cli-once (DAG ops_daily): success, try 2\n');
      expect(ti.stdout).toMatch(/ {2}1\s+failed\s+.*exception\s+transform failed on purpose/);
      expect(ti.stdout).toMatch(/ {2}2\s+success\s+/);
    });

    it('prints the logs of a try, and marks a task instance', async () => {
      const first = await cli(['tasks', 'logs', 'ops_daily', 'cli-once', 'transform', '--try', '1'], viewer);
      expect(first.code).toBe(0);
      expect(first.stderr).toBe('logs of transform, try 1, run cli-once of ops_daily:\n');
      expect(first.stdout).toMatch(/^\S+Z ERROR .*transform failed on purpose/m);
      const latest = await json(['tasks', 'logs', 'ops_daily', 'cli-once', 'transform'], viewer);
      expect(latest.tryNumber).toBe(2);

      const marked = await cli(['tasks', 'mark', 'ops_daily', 'cli-fail', 'transform', '--state', 'success']);
      expect(marked.code).toBe(0);
      expect(marked.stdout).toBe('marked transform of run cli-fail of ops_daily success (was failed)\n');
      const bad = await cli(['tasks', 'mark', 'ops_daily', 'cli-fail', 'transform', '--state', 'running']);
      expect(bad).toMatchObject({ code: 2, stderr: "--state: 'running' must be success or failed\n" });
    });
  });

  describe('backfill', () => {
    const from = daysAgo(10);
    const to = daysAgo(5);

    it('--dry-run lists each date and what it would do', async () => {
      const plan = await json(['backfill', 'create', 'ops_daily', '--from', from, '--to', to, '--dry-run']);
      expect(plan.dryRun).toBe(true);
      expect(plan.dates.length).toBeGreaterThanOrEqual(4);
      const dry = await cli(['backfill', 'create', 'ops_daily', '--from', from, '--to', to, '--dry-run']);
      expect(dry.stdout).toContain(
        `backfill of ops_daily (dry run, nothing created): ${plan.dates.length} dates, ${plan.dates.length} create\n`,
      );
    });

    it('follows a backfill with progress lines, summarises it and exits 1 when a date failed', async () => {
      const failDay = daysAgo(8);
      control().failDates = [failDay];
      const result = await cli([
        'backfill',
        'create',
        'ops_daily',
        '--from',
        from,
        '--to',
        to,
        '--max-active-runs',
        '2',
      ]);
      control().failDates = [];
      expect(result.code).toBe(1);
      const [created, summary, counts, failedDates, seeRun, rerun] = result.stdout.trimEnd().split('\n');
      const total = Number(/: (\d+) dates from/.exec(created)![1]);
      expect(created).toMatch(
        new RegExp(
          `^backfill (\\d+) created for ops_daily: ${total} dates from ${from} to ${to} \\(reprocess none, 2 at a time\\)$`,
        ),
      );
      expect(summary).toMatch(
        new RegExp(`^backfill \\d+ of ops_daily completed in \\S+: ${total} dates from ${from} to ${to}$`),
      );
      expect(counts).toBe(`  ${total - 1} succeeded · 1 failed · 0 skipped · 0 cancelled`);
      expect(failedDates).toBe(
        `  failed dates: ${failDay} 02:00 ${DateTime.fromISO(`${failDay}T02:00`, { zone: ZONE }).toFormat('ZZZZ', { locale: 'en-US' })}`,
      );
      expect(seeRun).toMatch(/^ {2}see a failed run: {3}tributary runs show ops_daily backfill__\S+$/);
      expect(rerun).toMatch(
        /^ {2}rerun failed dates: tributary backfill create ops_daily --from \S+ --to \S+ --reprocess failed$/,
      );

      // Not a terminal: whole lines (one per 10% or so), the last one at 100%.
      const progress = result.stderr.trimEnd().split('\n');
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress.length).toBeLessThanOrEqual(12);
      for (const line of progress) expect(line).toMatch(PROGRESS_LINE);
      expect(progress[progress.length - 1]).toContain(
        `100%  ${total}/${total} dates · ${total - 1} done · 0 running · 0 queued · 1 failed`,
      );
      expect(result.stderr).not.toContain('\r');

      // Rerunning only the failed date succeeds: exit 0.
      const again = await cli([
        'backfill',
        'create',
        'ops_daily',
        '--from',
        from,
        '--to',
        to,
        '--reprocess',
        'failed',
      ]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`  1 succeeded · 0 failed · ${total - 1} skipped · 0 cancelled\n`);
    });

    it('lists and shows backfills', async () => {
      const page = await json(['backfill', 'list', '--dag', 'ops_daily'], viewer);
      expect(page.items).toHaveLength(2);
      const table = await cli(['backfill', 'list'], viewer);
      expect(table.stdout.split('\n')[0]).toMatch(
        /^ID\s+DAG\s+FROM\s+TO\s+REPROCESS\s+STATE\s+PROGRESS\s+CREATED$/,
      );
      expect(table.stdout).toMatch(
        // Progress counts each date's run as it is now: the failed date was rerun since.
        new RegExp(`ops_daily\\s+${from}\\s+${to}\\s+none\\s+completed\\s+(\\d+)/\\1\\s`),
      );
      const id = String(page.items.find((b: { reprocess: string }) => b.reprocess === 'none').id);
      const shown = await cli(['backfill', 'show', id], viewer);
      expect(shown.stdout).toContain(`Backfill ${id} of DAG ops_daily: completed\n`);
      expect(shown.stdout).toMatch(/ {2}LOGICAL DATE\s+ACTION\s+STATE\s+RUN ID\n/);
      expect((await cli(['backfill', 'show', '999999'], viewer)).code).toBe(3);
    });

    it('Ctrl-C stops watching, not the backfill, and says how to resume; a cancelled backfill exits 1', async () => {
      control().slowMs = 1500;
      const created = await json([
        'backfill',
        'create',
        'ops_daily',
        '--from',
        daysAgo(14),
        '--to',
        daysAgo(11),
        '--max-active-runs',
        '1',
        '--no-wait',
      ]);
      expect(created.state).toBe('running');
      const id = String(created.id);

      const watched = await tributary(['backfill', 'watch', id], {
        url: o.url,
        token: viewer,
        stop: () => Promise.resolve(),
      });
      expect(watched.code).toBe(130);
      expect(watched.stderr).toContain(
        `stopped watching; backfill ${id} goes on. Watch it again: tributary backfill watch ${id} · cancel it: tributary backfill cancel ${id}\n`,
      );

      const cancelled = await cli(['backfill', 'cancel', id]);
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toMatch(new RegExp(`^backfill ${id} of ops_daily is cancelled: `));
      control().slowMs = 0;

      const after = await cli(['backfill', 'watch', id], viewer);
      expect(after.code).toBe(1);
      expect(after.stdout).toMatch(new RegExp(`^backfill ${id} of ops_daily was cancelled after \\S+`));
    });

    it("a date outside the API's rules is exit 2 with the field named", async () => {
      const bad = await cli(['backfill', 'create', 'ops_daily', '--from', 'yesterday', '--to', to]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/\(400 validation_failed\)\n {2}from: /);
      const flag = await cli([
        'backfill',
        'create',
        'ops_daily',
        '--from',
        from,
        '--to',
        to,
        '--reprocess',
        'some',
      ]);
      expect(flag).toMatchObject({
        code: 2,
        stderr: "--reprocess: 'some' is not one of none, failed, all\n",
      });
    });
  });

  describe('assets', () => {
    it('lists, shows, lists events, draws the lineage, reports freshness and alerts', async () => {
      const list = await cli(['assets', 'list'], viewer);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^ASSET\s+PRODUCERS\s+CONSUMERS\s+FRESHNESS\s+LAST EVENT\n/);
      expect(list.stdout).toMatch(/ops\.sales\s+ops_daily/);
      expect(
        (await json(['assets', 'list', '--prefix', 'ops.'], viewer)).items.map(
          (a: { name: string }) => a.name,
        ),
      ).toEqual(['ops.sales']);

      const shown = await cli(['assets', 'show', 'ops.sales'], viewer);
      expect(shown.stdout).toContain('Asset ops.sales\n');
      expect(shown.stdout).toMatch(/ {2}contract: +partition D by 06:00 America\/Los_Angeles on D\+1\n/);
      expect(shown.stdout).toMatch(/Recent events \(\d+ of \d+\):/);

      const events = await json(['assets', 'events', 'ops.sales', '--partition', daysAgo(6)], viewer);
      expect(events.items.length).toBeGreaterThanOrEqual(1);
      expect(events.items.every((e: { partition: string }) => e.partition === daysAgo(6))).toBe(true);

      const lineage = await cli(['assets', 'lineage'], viewer);
      expect(lineage.stdout).toMatch(
        /^ops_daily \(DAG: At 02:00, every day \(America\/Los_Angeles\)\)\n└─ produces → ops\.sales \(asset/,
      );
      expect((await cli(['assets', 'lineage', '--edges'], viewer)).stdout).toMatch(
        /DAG ops_daily\s+produces\s+asset ops\.sales\s+load/,
      );

      const freshness = await json(['freshness'], viewer);
      expect(freshness.items.map((f: { asset: string }) => f.asset)).toEqual(['ops.sales']);
      expect((await cli(['freshness'], viewer)).stdout).toMatch(/ASSET\s+STATUS\s+PARTITION\s+DEADLINE/);

      expect((await json(['alerts', '--open'], viewer)).items).toEqual(expect.any(Array));
      expect((await cli(['assets', 'show', 'no.such.asset'], viewer)).code).toBe(3);
    });
  });

  describe('exit codes', () => {
    it('2 for a bad flag, 3 for an unknown DAG', async () => {
      const flag = await cli(['dags', 'list', '--bogus']);
      expect(flag).toMatchObject({ code: 2, stderr: "error: unknown option '--bogus'\n" });
      expect(await cli(['dags', 'show', 'nope'])).toEqual({
        code: 3,
        stdout: '',
        stderr: "no DAG 'nope' (404 not_found)\n",
      });
    });

    it('4 without a token or with a token whose role is too low', async () => {
      const none = await cli(['dags', 'list'], null);
      expect(none.code).toBe(4);
      expect(none.stderr).toContain('no API token: pass --token or set TRIBUTARY_TOKEN');
      const low = await cli(['dags', 'pause', 'ops_daily'], viewer);
      expect(low.code).toBe(4);
      expect(low.stderr).toContain(
        "this needs the operator role; the token 'dashboards' is a viewer token (403 forbidden)",
      );
      process.env.TRIBUTARY_TOKEN = viewer;
      try {
        expect((await tributary(['dags', 'list', '--json'], { url: o.url })).code).toBe(0);
      } finally {
        delete process.env.TRIBUTARY_TOKEN;
      }
    });

    it('5 when nothing listens at the URL (from --url or TRIBUTARY_URL), naming it and how to fix it', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const refused = await tributary(['dags', 'list'], { url, token: viewer });
      expect(refused).toEqual({
        code: 5,
        stdout: '',
        stderr: `cannot reach the Tributary API at ${url} (connection refused): is \`tributary standalone\` running? pass --url (or set TRIBUTARY_URL) to where the API listens\n`,
      });
      process.env.TRIBUTARY_URL = url;
      try {
        const fromEnv = await tributary(['runs', 'list'], { token: viewer });
        expect(fromEnv.code).toBe(5);
        expect(fromEnv.stderr).toContain(`cannot reach the Tributary API at ${url}`);
      } finally {
        delete process.env.TRIBUTARY_URL;
      }
    });

    it('lists the exit codes in --help', async () => {
      const help = await tributary(['--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Exit codes:');
      expect(help.stdout).toMatch(/ {2}5 +cannot reach the API/);
      expect(help.stdout).toContain('TRIBUTARY_TOKEN');
    });
  });
});

// Bootstrapping: a token written straight into a stopped standalone's PGlite folder.
describe('tributary tokens create --data-dir', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-cli-tokens-'));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a folder without a database, and one a running standalone holds; creates a usable token when stopped', async () => {
    const missing = await tributary([
      'tokens',
      'create',
      '--role',
      'admin',
      '--data-dir',
      path.join(dir, 'none'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no Tributary database in');

    const first = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir: dir,
      http: false,
      logLevels: false,
    });
    expect(first.adminToken).toMatch(/^trb_/);
    try {
      const busy = await tributary(['tokens', 'create', '--role', 'admin', '--data-dir', dir]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain('is in use by a running standalone');
    } finally {
      await first.stop();
    }

    const created = await tributary([
      'tokens',
      'create',
      '--role',
      'admin',
      '--name',
      'recovery',
      '--data-dir',
      dir,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^trb_[A-Za-z0-9_-]{40}\n$/);
    expect(created.stderr).toMatch(/created admin token 'recovery' \(tok_\w+\) in the database/);
    const token = created.stdout.trim();

    const again = await StandaloneOrchestrator.start({
      dagsDir: DAGS,
      dataDir: dir,
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
    });
    try {
      expect(again.adminToken).toBeNull();
      expect(await tributary(['whoami'], { url: again.url, token })).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^recovery \(tok_\w+\): admin\n$/),
        stderr: '',
      });
      expect((await tributary(['tokens', 'list', '--json'], { url: again.url, token })).stdout).toContain(
        'recovery',
      );
    } finally {
      await again.stop();
    }
  });
});
