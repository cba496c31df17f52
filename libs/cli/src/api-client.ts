import { Command, Option } from 'commander';
import { CliError, EXIT_AUTH, EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_UNAVAILABLE, EXIT_USAGE } from './cli-error';
import type { CliIO } from './program';
// Where `tributary standalone` listens by default (shared with `webhook sign`).
import { DEFAULT_API_URL } from './webhook.command';

/** How long one request may take before the CLI gives up (exit 5). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How often `--wait`, `backfill create` and `backfill watch` ask how things stand. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface ApiClientOptions {
  /** The API's base URL (`http://host:8080`; a trailing `/api/v1` is accepted). */
  url?: string;
  /** A bearer token (`trb_...`). */
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** What the API answers on an error (`{statusCode, code, message, fields?}`). */
export interface ApiErrorBody {
  statusCode?: number;
  code?: string;
  message?: string | string[];
  fields?: Record<string, string[]>;
  retryAfterSeconds?: number;
}

/** An API error as the CLI reports it: the exit code scripts see, the status and code for callers. */
export class ApiError extends CliError {
  constructor(
    message: string,
    exitCode: number,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message, exitCode);
    this.name = 'ApiError';
  }
}

/**
 * The REST API (`/api/v1`) over fetch. Every answer that is not 2xx becomes a CliError whose
 * exit code scripts can rely on (see `exitCodeForStatus`) and whose message is the API's own,
 * with each field error on its line.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = normalizeApiUrl(options.url ?? DEFAULT_API_URL);
    this.token = options.token?.trim() || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path, {});
  }

  async call<T>(method: string, path: string, options: { query?: Query; body?: unknown }): Promise<T> {
    return (await this.request<T>(method, path, options)).body;
  }

  /** One call: the status and the parsed body of a 2xx answer; a CliError otherwise. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const url = `${this.baseUrl}/api/v1${path}${queryString(options.query)}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw connectionError(error, this.baseUrl, this.timeoutMs);
    }
    let body: unknown = null;
    let json = true;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        json = false;
      }
    }
    if (response.status >= 200 && response.status < 300) {
      if (!json) {
        throw new ApiError(
          `the server at ${this.baseUrl} answered ${method} ${path} with something that is not JSON: is --url the Tributary API?`,
          EXIT_UNAVAILABLE,
          response.status,
          null,
        );
      }
      return { status: response.status, body: body as T };
    }
    throw apiError(response.status, json ? body : null, {
      method,
      path,
      baseUrl: this.baseUrl,
      tokenGiven: Boolean(this.token),
    });
  }
}

/** `http://host:8080`, `http://host:8080/`, `http://host:8080/api/v1` → `http://host:8080`. */
export function normalizeApiUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CliError(
      `--url: '${raw}' is not a URL; use e.g. ${DEFAULT_API_URL} (or set TRIBUTARY_URL)`,
      EXIT_USAGE,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--url: '${raw}' must start with http:// or https://`, EXIT_USAGE);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** A path with each value URL-encoded as one segment: apiPath`/dags/${dagId}/runs/${runId}`. */
export function apiPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  );
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The exit code for an HTTP status the API answered with. */
export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT_AUTH;
  if (status === 404) return EXIT_NOT_FOUND;
  if (status === 429 || status >= 500) return EXIT_UNAVAILABLE;
  if (status >= 400) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** The CLI's error for an API answer that is not 2xx: the API's message, its field errors, a hint. */
export function apiError(
  status: number,
  body: unknown,
  request: { method: string; path: string; baseUrl: string; tokenGiven: boolean },
): ApiError {
  const error = (typeof body === 'object' && body !== null ? body : {}) as ApiErrorBody;
  const code = typeof error.code === 'string' ? error.code : null;
  const message = Array.isArray(error.message) ? error.message.join('; ') : error.message;
  const tag = `(${status}${code ? ` ${code}` : ''})`;
  const lines: string[] = [];
  if (status === 401) {
    lines.push(
      request.tokenGiven
        ? `${message ?? 'the token was refused'} ${tag}`
        : `no API token: pass --token or set TRIBUTARY_TOKEN (an admin creates one with \`tributary tokens create --role viewer\`) ${tag}`,
    );
  } else if (message) {
    lines.push(`${message} ${tag}`);
  } else {
    lines.push(
      `${request.method} ${request.baseUrl}/api/v1${request.path} answered HTTP ${status} without a Tributary error body: is --url the Tributary API?`,
    );
  }
  for (const [field, messages] of Object.entries(error.fields ?? {})) {
    for (const m of Array.isArray(messages) ? messages : [String(messages)]) lines.push(`  ${field}: ${m}`);
  }
  if (status === 429 && error.retryAfterSeconds === undefined) lines.push('  retry in a minute');
  if (status >= 500) lines.push(`  the API at ${request.baseUrl} failed; try again, and check its logs`);
  return new ApiError(lines.join('\n'), exitCodeForStatus(status), status, code);
}

/** The CLI's error when no HTTP answer came back: which URL, why, and how to fix it. */
export function connectionError(error: unknown, baseUrl: string, timeoutMs: number): CliError {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const hint = `is \`tributary standalone\` running? pass --url (or set TRIBUTARY_URL) to where the API listens`;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new CliError(
      `the Tributary API at ${baseUrl} did not answer within ${Math.round(timeoutMs / 1000)}s: ${hint}`,
      EXIT_UNAVAILABLE,
    );
  }
  const code = e?.cause?.code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'the host name could not be resolved',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'the connection timed out',
  };
  const reason = (code && reasons[code]) ?? e?.cause?.message ?? e?.message ?? String(error);
  return new CliError(`cannot reach the Tributary API at ${baseUrl} (${reason}): ${hint}`, EXIT_UNAVAILABLE);
}

// ---- commander wiring shared by every command that talks to the API ----

export interface ApiOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** `--url` and `--token` (from TRIBUTARY_URL / TRIBUTARY_TOKEN when not given). */
export function withApiOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'the Tributary API').env('TRIBUTARY_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--token <token>', 'API token (trb_...)').env('TRIBUTARY_TOKEN'));
}

/** `--json`: the API's answer as one JSON document on stdout, for scripts. */
export function withJson(command: Command, what = "print the API's answer as one JSON document"): Command {
  return command.option('--json', what);
}

/** What a command needs: output, the terminal, a client built from its options, and a way to wait. */
export interface CommandContext {
  io: CliIO;
  /** One line (or block) on stdout. */
  print: (text: string) => void;
  /** One line on stderr. */
  note: (text: string) => void;
  client: (options: ApiOptions) => ApiClient;
}

export function commandContext(io: CliIO): CommandContext {
  return {
    io,
    print: (text) => io.stdout(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => io.stderr(text.endsWith('\n') ? text : `${text}\n`),
    client: (options) => new ApiClient({ url: options.url, token: options.token }),
  };
}

/** A positive whole number from a flag, or a usage error naming the flag. */
export function parseCount(flag: string, value: string | undefined, max = 1000): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new CliError(`${flag}: '${value}' must be a whole number from 1 to ${max}`, EXIT_USAGE);
  return n;
}

// ---- following something until it is done ----

export interface FollowResult<T> {
  last: T;
  /** The user pressed Ctrl-C: we stopped watching (the thing itself goes on). */
  interrupted: boolean;
}

/** How long the API may stay unreachable while we follow something before we give up. */
const FOLLOW_OUTAGE_MS = 30_000;

/**
 * Asks `fetch` every poll interval until `done` says so or the user stops watching (Ctrl-C),
 * calling `update` with each answer. A short API outage (exit 5) is waited out.
 */
export async function follow<T>(
  io: CliIO,
  fetchOnce: () => Promise<T>,
  done: (value: T) => boolean,
  update: (value: T) => void,
): Promise<FollowResult<T>> {
  const interval = io.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const stop = stopSignal(io);
  let stopped = false;
  void stop.stopped.then(() => {
    stopped = true;
  });
  let last: T | undefined;
  let failingSince: number | null = null;
  try {
    for (;;) {
      try {
        last = await fetchOnce();
        failingSince = null;
      } catch (error) {
        if (!(error instanceof CliError) || error.exitCode !== EXIT_UNAVAILABLE) throw error;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > FOLLOW_OUTAGE_MS || last === undefined) throw error;
      }
      if (last !== undefined) {
        update(last);
        if (done(last)) return { last, interrupted: false };
      }
      if (stopped) return { last: last as T, interrupted: true };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, interval))), stop.stopped]);
      clearTimeout(timer);
      if (stopped) return { last: last as T, interrupted: true };
    }
  } finally {
    stop.dispose();
  }
}

/** Ctrl-C (or the test's waitForStop) while following; disposed when the follow ends. */
function stopSignal(io: CliIO): { stopped: Promise<void>; dispose: () => void } {
  if (io.waitForStop) return { stopped: io.waitForStop(), dispose: () => undefined };
  let onSignal: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = () => resolve();
    process.once('SIGINT', onSignal);
  });
  return { stopped, dispose: () => process.off('SIGINT', onSignal) };
}
