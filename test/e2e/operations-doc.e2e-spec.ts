import { spawn } from 'child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { API_ROLES, apiAuthOptionsFromEnv } from '@tributary/api';
import {
  EXIT_AUTH,
  EXIT_FAILURE,
  EXIT_NOT_FOUND,
  EXIT_OK,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
  runCli,
} from '@tributary/cli';
import { StandaloneOrchestrator } from '@tributary/standalone';
import { chromium } from 'playwright-core';
import { callJson } from '../support/http';

// docs/operations.md, kept honest: every command of its ```bash blocks runs, in order, against
// `tributary standalone --dags examples/three-cadences` (real loops, wall clock, real HTTP).
// `npx tributary …` lines run in-process through runCli (bash expands their words: quotes,
// $VARS, $(date …)); every other line (curl, jq, date) runs in bash. Each must exit 0, or with
// the code its trailing `# exits N` comment names; a curl must answer 2xx, or the status its
// `# answers NNN` comment names. `VAR=…` lines keep VAR for the lines after. Skipped: the line
// that starts the server and lines marked `# not run by the doc test`. A few prose claims are
// checked after the command they follow; the UI walk then checks every button the doc names and
// saves screenshots and a transcript of every command into test-artifacts/operations-doc/.
jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'operations.md');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'operations-doc');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the doc's commands say the server is; rewritten to the test server's address. */
const DOC_ADDRESS = '127.0.0.1:8080';
/**
 * A person pastes one command after reading the output of the previous one; the test is faster
 * than that, so a command that answers "not yet" (not found, refused) is tried again for up to
 * this long before it fails (a typo never stops failing).
 */
const HUMAN_PACE_MS = 30_000;
/** How far back the Backfills section needs the DAGs' first deploy (see the doc). */
const HISTORY_DAYS = 4;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** One command of the doc: a logical line (continuations joined) with its trailing comment. */
interface DocCommand {
  /** 1-based line in docs/operations.md. */
  line: number;
  /** The `## ` heading it is under. */
  section: string;
  command: string;
  comment: string;
}

/** The commands of every ```bash block, in order, under the `## ` heading of each. */
function docCommands(markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  let section = '';
  let inBash = false;
  let inOther = false;
  let pending: { line: number; text: string } | null = null;
  markdown.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (!inBash && !inOther) {
      if (/^```bash\s*$/.test(raw)) inBash = true;
      else if (/^```/.test(raw)) inOther = true;
      else if (/^## /.test(raw)) section = raw.slice(3).trim();
      return;
    }
    if (/^```\s*$/.test(raw)) {
      if (pending) throw new Error(`docs/operations.md:${pending.line}: a command ends with a '\\'`);
      inBash = inOther = false;
      return;
    }
    if (inOther) return;
    // A backslash-newline joins the lines, as in the shell.
    const text = pending ? pending.text + raw : raw;
    const start = pending?.line ?? line;
    if (/\\$/.test(raw)) {
      pending = { line: start, text: text.slice(0, -1) };
      return;
    }
    pending = null;
    if (text.trim() === '' || text.trim().startsWith('#')) return;
    const { command, comment } = splitComment(text);
    commands.push({ line: start, section, command: command.trim(), comment: comment.trim() });
  });
  return commands;
}

/**
 * Scans shell text outside quotes and `$(...)`: calls `at` with each index and whether it is
 * at the top level. Enough shell for documentation lines, not a shell.
 */
function scan(text: string, at: (index: number, topLevel: boolean) => boolean | void): void {
  let quote: "'" | '"' | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    const opens = c === '$' && text[i + 1] === '(';
    if (opens) {
      depth++;
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === ')' && depth > 0) depth--;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ')' && depth > 0) depth--;
    else if (at(i, depth === 0) === true) return;
  }
}

/** `cmd args  # comment` → the command and the comment (a `#` starting a word, outside quotes). */
function splitComment(text: string): { command: string; comment: string } {
  let cut = -1;
  scan(text, (i, top) => {
    if (top && text[i] === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      cut = i;
      return true;
    }
  });
  return cut < 0
    ? { command: text, comment: '' }
    : { command: text.slice(0, cut), comment: text.slice(cut + 1) };
}

/** `a | b | c` → `a` and `b | c` (the first top-level pipe), or null without one. */
function splitPipe(text: string): [string, string] | null {
  let cut = -1;
  scan(text, (i, top) => {
    if (top && text[i] === '|' && text[i + 1] !== '|' && text[i - 1] !== '|') {
      cut = i;
      return true;
    }
  });
  return cut < 0 ? null : [text.slice(0, cut).trim(), text.slice(cut + 1).trim()];
}

/** Whether `text` is one shell word (no blank outside quotes and `$(...)`): `A=b c` is not an assignment. */
function isOneWord(text: string): boolean {
  let blank = false;
  scan(text.trim(), (i, top) => {
    if (top && /\s/.test(text.trim()[i])) return (blank = true);
  });
  return !blank;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** HTTP statuses the line's curl calls answered, in order. */
  statuses: number[];
}

/** Defines `curl` so that each call reports its HTTP status on stderr, where the test reads it. */
const BASH_PRELUDE = `set -o pipefail
curl() { command curl -w '%{stderr}\\n@@http %{http_code}\\n' "$@"; }
`;

function bash(script: string, env: NodeJS.ProcessEnv, stdin = ''): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', BASH_PRELUDE + script], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const statuses = [...stderr.matchAll(/^@@http (\d{3})$/gm)].map((m) => Number(m[1]));
      resolve({ code: code ?? 1, stdout, stderr: stderr.replace(/\n?@@http \d{3}\n/g, ''), statuses });
    });
    // bash may exit without reading its input (printf): that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** The words bash makes of `text` (quotes, `$VAR`, `$(date …)`), with `env`. */
async function shellWords(text: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const result = await bash(`printf '%s\\0' ${text}`, env);
  if (result.code !== 0) throw new Error(`bash could not expand: ${text}\n${result.stderr}`);
  return result.stdout.split('\0').slice(0, -1);
}

/** `tributary <argv>` in-process, as a script sees it (stdout and stderr captured, no terminal). */
async function tributary(argv: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const saved = { url: process.env.TRIBUTARY_URL, token: process.env.TRIBUTARY_TOKEN };
  const setEnv = (name: 'TRIBUTARY_URL' | 'TRIBUTARY_TOKEN', value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  // commander reads TRIBUTARY_URL / TRIBUTARY_TOKEN from process.env, as the real command does.
  setEnv('TRIBUTARY_URL', env.TRIBUTARY_URL);
  setEnv('TRIBUTARY_TOKEN', env.TRIBUTARY_TOKEN);
  try {
    const io = {
      stdout: (text: string) => void (stdout += text),
      stderr: (text: string) => void (stderr += text),
      interactive: false,
      pollIntervalMs: 250,
      waitForStop: () => new Promise<void>(() => undefined),
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr, statuses: [] };
  } finally {
    setEnv('TRIBUTARY_URL', saved.url);
    setEnv('TRIBUTARY_TOKEN', saved.token);
  }
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** `A=x B=y npx tributary …`: variables for this command only. */
const CLI = /^((?:[A-Za-z_][A-Za-z0-9_]*=\S+\s+)*)npx tributary\s+(.*)$/s;

/**
 * Runs one doc command with the doc's variables (`env`, updated by assignments) and the test
 * server's address. `npx tributary` in-process (piped into bash when the line pipes it);
 * `VAR=value` and `VAR=$(…)` set a variable; anything else runs in bash.
 */
async function runCommand(command: string, env: Record<string, string>, address: string): Promise<Outcome> {
  const text = command.split(DOC_ADDRESS).join(address);
  const processEnv = { ...process.env, ...env };
  const assignment = ASSIGNMENT.exec(text);
  if (assignment && isOneWord(assignment[2])) {
    const [, name, value] = assignment;
    const inner = /^\$\((.*)\)$/s.exec(value.trim());
    const outcome =
      inner && CLI.test(inner[1].trim())
        ? await runCommand(inner[1].trim(), env, address)
        : await bash(`printf '%s' ${value}`, processEnv);
    if (outcome.code === 0) env[name] = outcome.stdout.replace(/\n+$/, '');
    return outcome;
  }
  const cli = CLI.exec(text);
  if (cli) {
    const [, assignments, rest] = cli;
    const pipe = splitPipe(rest);
    const lineEnv: NodeJS.ProcessEnv = { ...processEnv };
    for (const [, name, value] of assignments.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) {
      lineEnv[name] = (await shellWords(value, processEnv))[0] ?? '';
    }
    const outcome = await tributary(await shellWords(pipe ? pipe[0] : rest, processEnv), lineEnv);
    if (!pipe || outcome.code !== 0) return outcome;
    const piped = await bash(pipe[1], processEnv, outcome.stdout);
    return { ...piped, stderr: outcome.stderr + piped.stderr };
  }
  return bash(text, processEnv);
}

interface Expectation {
  exit: number;
  /** The HTTP status every curl of the line must answer (default: any 2xx). */
  status: number | null;
}

function expectationOf(comment: string): Expectation {
  const exit = /\bexits (\d+)\b/.exec(comment);
  const status = /\banswers (\d{3})\b/.exec(comment);
  return { exit: exit ? Number(exit[1]) : 0, status: status ? Number(status[1]) : null };
}

function meets(outcome: Outcome, expected: Expectation): boolean {
  if (outcome.code !== expected.exit) return false;
  return outcome.statuses.every((s) =>
    expected.status === null ? s >= 200 && s < 300 : s === expected.status,
  );
}

/** A "not yet" answer worth trying again at a person's pace: not found, refused, or a 404/409. */
function notYet(outcome: Outcome): boolean {
  return (
    outcome.code === EXIT_NOT_FOUND ||
    outcome.code === EXIT_USAGE ||
    outcome.statuses.some((s) => s === 404 || s === 409)
  );
}

const isSkipped = (c: DocCommand) =>
  /not run by the doc test/.test(c.comment) || /^npx tributary standalone\b/.test(c.command);

const markdown = readFileSync(DOC, 'utf8');
const commands = docCommands(markdown);
const sections = [...new Set(commands.map((c) => c.section))];

describe('docs/operations.md, every command against tributary standalone --dags examples/three-cadences', () => {
  let o: StandaloneOrchestrator;
  let address: string;
  const env: Record<string, string> = {};
  const transcript: string[] = [];
  const call = (method: string, url: string, body?: unknown) =>
    callJson(o.url as string, method, url, body, o.adminToken);

  /** Runs one command until it meets its expectation (at a person's pace), or fails saying why. */
  async function run(c: DocCommand): Promise<Outcome> {
    const expected = expectationOf(c.comment);
    const deadline = Date.now() + HUMAN_PACE_MS;
    let outcome = await runCommand(c.command, env, address);
    let attempts = 1;
    while (!meets(outcome, expected) && notYet(outcome) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      outcome = await runCommand(c.command, env, address);
      attempts++;
    }
    transcript.push(
      `## docs/operations.md:${c.line} (${c.section})\n$ ${c.command}${c.comment ? `  # ${c.comment}` : ''}\n` +
        `exit ${outcome.code}${outcome.statuses.length ? `, HTTP ${outcome.statuses.join(', ')}` : ''}` +
        `${attempts > 1 ? ` (after ${attempts} attempts)` : ''}\n` +
        `${outcome.stdout}${outcome.stderr ? `--- stderr\n${outcome.stderr}` : ''}\n`,
    );
    if (!meets(outcome, expected)) {
      throw new Error(
        [
          `docs/operations.md:${c.line}: ${c.command}`,
          `expected exit ${expected.exit}${expected.status ? ` and HTTP ${expected.status}` : ' and HTTP 2xx'}, ` +
            `got exit ${outcome.code}${outcome.statuses.length ? ` and HTTP ${outcome.statuses.join(', ')}` : ''}`,
          `stdout: ${outcome.stdout.slice(0, 2000)}`,
          `stderr: ${outcome.stderr.slice(0, 2000)}`,
        ].join('\n'),
      );
    }
    return outcome;
  }

  /** Hooks that check what the doc says in prose about the command just run. */
  const after: { match: RegExp; check: (outcome: Outcome) => Promise<void> }[] = [
    {
      // "A paused DAG starts no run: a run triggered meanwhile waits, queued."
      match: /trigger stripe_payments_to_raw --run-id payments-while-paused/,
      check: async () => {
        const run = await eventuallyJson('/api/v1/dags/stripe_payments_to_raw/runs/payments-while-paused');
        expect(run.state).toBe('queued');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(
          (await call('GET', '/api/v1/dags/stripe_payments_to_raw/runs/payments-while-paused')).body.state,
        ).toBe('queued');
      },
    },
    {
      // "Unpausing starts the runs that waited."
      match: /dags unpause stripe_payments_to_raw/,
      check: async () => {
        await eventuallyJson(
          '/api/v1/dags/stripe_payments_to_raw/runs/payments-while-paused',
          (run) => run.state !== 'queued',
        );
      },
    },
    {
      // The dry run lists the failed task and its downstream, and clears nothing.
      match: /tasks clear daily_revenue_by_account mart-manual-1 check_freshness --downstream --dry-run/,
      check: async (outcome) => {
        expect(outcome.stdout).toContain('check_freshness');
        expect(outcome.stdout).toContain('build_mart');
        const run = (await call('GET', '/api/v1/dags/daily_revenue_by_account/runs/mart-manual-1')).body;
        expect(run.state).toBe('failed');
      },
    },
    {
      // "runs one date at a time … still running when we look at it": one running, the other queued.
      match: /backfill create daily_revenue_by_account .*--max-active-runs 1 --no-wait/,
      check: async () => {
        const backfill = await eventuallyJson('/api/v1/backfills/2', (b) => b.progress.running === 1);
        expect(backfill).toMatchObject({ state: 'running', maxActiveRuns: 1 });
        expect(backfill.progress).toMatchObject({ total: 2, running: 1, queued: 1 });
      },
    },
    {
      // Cancel: the date not started is cancelled, the run already running is left alone.
      match: /^npx tributary backfill cancel 2$/,
      check: async () => {
        const backfill = (await call('GET', '/api/v1/backfills/2')).body;
        expect(backfill.progress).toMatchObject({ running: 1, cancelled: 1 });
        const running = backfill.dates.find((d: Json) => d.state === 'running');
        const run = await call('GET', `/api/v1/dags/daily_revenue_by_account/runs/${running.runId}`);
        expect(run.body).toMatchObject({ state: 'running', runType: 'backfill', backfillId: '2' });
      },
    },
  ];

  async function eventuallyJson(url: string, ok: (body: Json) => boolean = () => true): Promise<Json> {
    const deadline = Date.now() + HUMAN_PACE_MS;
    for (;;) {
      const { status, body } = await call('GET', url);
      if (status === 200 && ok(body)) return body;
      if (Date.now() > deadline) throw new Error(`${url}: still ${status} ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** What each section needs before its commands run, besides what the commands before it did. */
  const before: Record<string, () => Promise<void>> = {
    // The doc says: backfills reach back to a DAG's first deploy; its examples assume a server
    // first started days ago and stopped since. Moving the first deploy back is that history.
    Backfills: async () => {
      await o.db.manager.query(`UPDATE dags SET deployed_at = deployed_at - make_interval(days => $1::int)`, [
        HISTORY_DAYS,
      ]);
    },
  };

  beforeAll(async () => {
    o = await StandaloneOrchestrator.start({
      dagsDir: path.join(ROOT, 'examples', 'three-cadences'),
      dataDir: 'memory://',
      http: { host: '127.0.0.1', port: 0 },
      logLevels: ['error'],
    });
    expect(o.adminToken).toMatch(/^trb_/);
    address = new URL(o.url as string).host;
    env.TRIBUTARY_TOKEN = o.adminToken as string;
  });

  afterAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'transcript.md'), transcript.join('\n'));
    await o?.stop();
  });

  it('has commands to run, and starts the server the way the tests do', () => {
    expect(commands.length).toBeGreaterThan(40);
    expect(
      commands.some((c) => c.command === 'npx tributary standalone --dags examples/three-cadences'),
    ).toBe(true);
    // Skips are rare: the server itself, and the line where the reader pastes their own token.
    expect(commands.filter(isSkipped).map((c) => c.command)).toEqual([
      'npx tributary standalone --dags examples/three-cadences',
      'export TRIBUTARY_TOKEN=trb_...',
    ]);
    expect(Object.keys(before).every((s) => sections.includes(s))).toBe(true);
  });

  it.each(sections.map((s) => [s]))('runs every command of "%s" as written', async (section) => {
    await before[section]?.();
    for (const c of commands.filter((x) => x.section === section)) {
      if (isSkipped(c)) continue;
      const outcome = await run(c);
      const line = c.comment ? `${c.command}  # ${c.comment}` : c.command;
      for (const hook of after.filter((h) => h.match.test(line))) await hook.check(outcome);
    }
  });

  // After the doc's commands: the runs, task instances and backfills they made are what the UI shows.
  it('has in the web UI every page and button the doc tells an operator to click', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: run \`bash scripts/ensure-chromium.sh\`, or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      context.setDefaultTimeout(HUMAN_PACE_MS);
      const page = await context.newPage();
      const shot = (name: string) =>
        page.screenshot({
          path: path.join(ARTIFACTS, `ui-${name}.png`),
          fullPage: true,
          animations: 'disabled',
        });
      const button = (name: string) => page.getByRole('button', { name, exact: true }).first().waitFor();
      const clickable = (doc: string) => expect([doc, markdown.includes(`**${doc}**`)]).toEqual([doc, true]);

      // Sign in (#/login), then #/dags: a Trigger button and a pause switch per DAG.
      await page.goto(`${o.url}/ui/`);
      await page.locator('#token').fill(o.adminToken as string);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('tr[data-dag="daily_revenue_by_account"]').waitFor();
      await page.locator('tr[data-dag="daily_revenue_by_account"] label.switch').waitFor();
      await button('Trigger');
      await button('Sign out');
      await shot('dags');

      // A DAG page: the four tabs, Trigger with config…, and a Grid cell that opens the side panel.
      await page.goto(`${o.url}/ui/#/dags/daily_revenue_by_account`);
      for (const tab of ['grid', 'graph', 'runs', 'backfills'])
        await page.locator(`.tabs a[data-tab="${tab}"]`).waitFor();
      await button('Trigger with config…');
      await page.locator('button.cell[data-run="mart-manual-1"][data-task="check_freshness"]').click();
      const panel = page.locator('#panel');
      await panel.locator('.try[data-try="1"]').waitFor();
      for (const name of ['Clear', 'Mark success', 'Mark failed']) {
        await panel.getByRole('button', { name, exact: true }).waitFor();
        clickable(name);
      }
      await shot('task-instance');
      // Clear previews first (a dry run) with its options; nothing changes until Confirm clear.
      // (The TI succeeded by now: with Only failed unticked, the preview lists it and its downstream.)
      await panel.getByRole('button', { name: 'Clear', exact: true }).click();
      await panel.getByRole('checkbox', { name: 'Downstream' }).waitFor();
      await panel.getByRole('checkbox', { name: 'Only failed' }).uncheck();
      await panel.locator('.clear-preview li[data-task="build_mart"]').waitFor();
      await panel.getByRole('button', { name: 'Confirm clear' }).waitFor();
      await shot('clear-preview');
      await page.keyboard.press('Escape');
      // The task instance's own link opens the same panel.
      const link = '#/dags/daily_revenue_by_account/grid?run=mart-manual-1&task=check_freshness';
      expect(markdown).toContain(link);
      await page.goto(`${o.url}/ui/${link}`);
      await page.locator('#panel .try[data-try="1"]').waitFor();
      await page.keyboard.press('Escape');

      // The Backfills tab: the form with Preview and Create backfill, and the backfills with progress.
      await page.goto(`${o.url}/ui/#/dags/daily_revenue_by_account/backfills`);
      await button('Preview');
      await button('Create backfill');
      await page.locator('tr[data-backfill] [role="progressbar"]').first().waitFor();
      await shot('dag-backfills');

      // A run page: Rerun (the run is finished) and its task instances with their tries.
      await page.goto(`${o.url}/ui/#/dags/salesforce_to_raw/runs/accounts-refresh-1`);
      await page.locator('tr[data-task="fetch_accounts"]').waitFor();
      await button('Rerun');
      await shot('run');

      for (const [hash, ready] of [
        ['#/runs', 'tr[data-run]'],
        ['#/assets', 'svg.graph .g-node[data-asset="raw.accounts"]'],
        ['#/backfills', 'tr[data-backfill]'],
      ]) {
        await page.goto(`${o.url}/ui/${hash}`);
        await page.locator(ready).first().waitFor();
        await shot(hash.slice(2));
      }
      for (const name of [
        'Trigger',
        'Trigger with config…',
        'Rerun',
        'Preview',
        'Create backfill',
        'Sign out',
      ])
        clickable(name);
    } finally {
      await browser.close();
    }
  });

  it('would fail on a typo: a DAG id that does not exist, or a path the API does not have', async () => {
    const typo = await runCommand('npx tributary dags show daily_revenue_by_acount', env, address);
    expect(typo.code).toBe(EXIT_NOT_FOUND);
    expect(meets(typo, expectationOf(''))).toBe(false);
    const curl = await runCommand(
      `curl -s -H "Authorization: Bearer $TRIBUTARY_TOKEN" http://${DOC_ADDRESS}/api/v1/dag`,
      env,
      address,
    );
    expect(curl.statuses).toEqual([404]);
    expect(meets(curl, expectationOf(''))).toBe(false);
  });

  it('lists the exit codes the CLI uses and the error codes the API answers', () => {
    const exitTable = [...markdown.matchAll(/^\| `(\d+)` +\| /gm)].map((m) => Number(m[1]));
    expect(exitTable).toEqual(
      expect.arrayContaining([
        EXIT_OK,
        EXIT_FAILURE,
        EXIT_USAGE,
        EXIT_NOT_FOUND,
        EXIT_AUTH,
        EXIT_UNAVAILABLE,
      ]),
    );
    const sources = ['libs/api/src', 'libs/domain/src/backfill', 'libs/scheduler/src']
      .flatMap((dir) => listTs(path.join(ROOT, dir)))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const code of [
      'unauthorized',
      'forbidden',
      'rate_limited',
      'validation_failed',
      'not_found',
      'illegal_transition',
      'backfill_outside_window',
      'backfill_empty',
      'backfill_overlap',
      'backfill_not_schedulable',
    ]) {
      expect([code, markdown.includes(`\`${code}\``)]).toEqual([code, true]);
      expect([code, sources.includes(`'${code}'`)]).toEqual([code, true]);
    }
    for (const role of API_ROLES) expect(markdown).toContain(`| \`${role}\``);
    expect(markdown).toContain(`${apiAuthOptionsFromEnv({}).unauthenticatedPerMinute} requests a minute`);
  });

  it('names the web UI pages the UI has', () => {
    const app = readFileSync(path.join(ROOT, 'libs', 'api', 'web', 'app.js'), 'utf8');
    for (const page of ['#/login', '#/dags', '#/runs', '#/assets', '#/backfills']) {
      expect([page, app.includes(page)]).toEqual([page, true]);
      expect([page, markdown.includes(`\`${page}\``)]).toEqual([page, true]);
    }
  });

  it('serves the OpenAPI document the doc points to, without a token', async () => {
    const response = await fetch(`${o.url}/api/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    for (const p of ['/api/v1/dags/{dagId}/runs', '/api/v1/dags/{dagId}/backfills', '/api/v1/tokens']) {
      expect(Object.keys(document.paths)).toContain(p);
    }
    expect(markdown).toContain('`/api/docs-json`');
  });
});

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return listTs(full);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [full] : [];
  });
}
