import { EventEmitter } from 'events';
import type { PGlite, Results } from '@electric-sql/pglite';

/**
 * A stand-in for the `pg` module that TypeORM's postgres driver uses, backed by one PGlite
 * instance. PGlite is a single session, so the pool hands it out to one holder at a time:
 * a transaction owns the session from BEGIN to COMMIT and never interleaves with another
 * (a shared session would silently merge concurrent transactions).
 */
export function createPgliteDriverModule(db: PGlite): { Pool: new (options?: unknown) => PglitePool } {
  const mutex = new SessionMutex();
  return {
    Pool: class extends PglitePool {
      constructor() {
        super(db, mutex);
      }
    },
  };
}

type QueryCallback = (error: Error | null, result?: unknown) => void;

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: unknown[];
}

class SessionMutex {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

export class PglitePool extends EventEmitter {
  private ended = false;

  constructor(
    private readonly db: PGlite,
    private readonly mutex: SessionMutex,
  ) {
    super();
  }

  connect(
    callback: (error: Error | null, client?: PgliteClient, release?: (error?: unknown) => void) => void,
  ): void {
    if (this.ended) {
      callback(new Error('the embedded database is closed'));
      return;
    }
    this.mutex.acquire().then(() => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.mutex.release();
      };
      callback(null, new PgliteClient(this.db), release);
    });
  }

  async query(
    text: string,
    params?: unknown[] | QueryCallback,
    callback?: QueryCallback,
  ): Promise<PgLikeResult> {
    await this.mutex.acquire();
    try {
      return await new PgliteClient(this.db).query(text, params, callback);
    } finally {
      this.mutex.release();
    }
  }

  end(callback?: (error?: Error | null) => void): void {
    this.ended = true;
    callback?.(null);
  }
}

export class PgliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(
    text: string,
    params?: unknown[] | QueryCallback,
    callback?: QueryCallback,
  ): Promise<PgLikeResult> {
    const cb = typeof params === 'function' ? params : callback;
    const values = Array.isArray(params) ? params : [];
    const t0 = process.hrtime.bigint();
    try {
      // Parameterised statements use the extended protocol (one statement); plain SQL may hold several.
      const raw: Results =
        values.length > 0
          ? await this.db.query(text, values.map(toParameter))
          : lastResult(await this.db.exec(text));
      const result: PgLikeResult = {
        rows: raw.rows,
        rowCount: (raw as { rowCount?: number }).rowCount ?? raw.affectedRows ?? raw.rows.length,
        command: (raw as { command?: string }).command ?? commandOf(text),
        fields: raw.fields,
      };
      cb?.(null, result);
      if (COLLECT_QUERY_STATS) recordStat(text, Number(process.hrtime.bigint() - t0) / 1e6);
      return result;
    } catch (error) {
      cb?.(error as Error);
      throw error;
    }
  }

  release(): void {
    // Released through the pool's release callback.
  }
}

function lastResult(results: Results[]): Results {
  return results[results.length - 1] ?? { rows: [], fields: [], affectedRows: 0 };
}

function commandOf(text: string): string {
  return (text.trim().split(/\s+/)[0] ?? '').toUpperCase();
}

/** As pg does: arrays become PostgreSQL arrays, other objects JSON (so jsonb parameters work alike). */
function toParameter(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(toParameter);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** Read once: this runs on every query. Set by `TRIBUTARY_QUERY_STATS=1 npm run bench`. */
const COLLECT_QUERY_STATS = Boolean(process.env.TRIBUTARY_QUERY_STATS);
const stats = new Map<string, { n: number; ms: number }>();
function recordStat(text: string, ms: number): void {
  const key = text.replace(/\s+/g, ' ').slice(0, 90);
  const s = stats.get(key) ?? { n: 0, ms: 0 };
  s.n++;
  s.ms += ms;
  stats.set(key, s);
}
export function queryStats(): { sql: string; n: number; ms: number }[] {
  return [...stats.entries()].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.ms - a.ms);
}
