import * as fs from 'fs';
import * as path from 'path';
import { DataSource, EntityManager } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { createPgliteDriverModule } from './pglite/pglite-pg-driver';

export interface DatabaseOptions {
  /** postgres://... → PostgreSQL through pg. Otherwise embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (default .tributary/); 'memory://' keeps it in memory (tests). */
  dataDir?: string;
  /** Log every SQL statement. */
  logging?: boolean;
  /** Connections in the pg pool (PostgreSQL only). */
  poolSize?: number;
}

export type DatabaseKind = 'postgres' | 'pglite';

/** One data source factory for both engines: same SQL, same migrations (never `synchronize`). */
export class Database {
  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseKind,
    readonly location: string,
    private readonly onClose: () => Promise<void>,
  ) {}

  static async open(options: DatabaseOptions = {}): Promise<Database> {
    if (options.databaseUrl) return Database.openPostgres(options.databaseUrl, options);
    return Database.openPglite(options.dataDir ?? '.tributary', options);
  }

  private static async openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(`DATABASE_URL must start with postgres:// or postgresql://, got '${redact(url)}'`);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as typeof import('pg');
    // DATE stays 'YYYY-MM-DD' text: a JS Date would shift it by the process's timezone.
    pg.types.setTypeParser(1082, (value: string) => value);
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      synchronize: false,
      logging: options.logging ?? false,
      extra: { max: options.poolSize ?? 10 },
    });
    await dataSource.initialize();
    return new Database(dataSource, 'postgres', redact(url), () => dataSource.destroy());
  }

  private static async openPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
    const { PGlite, types } = await import('@electric-sql/pglite');
    const inMemory = dataDir === 'memory://' || dataDir === '';
    if (!inMemory) fs.mkdirSync(path.resolve(dataDir), { recursive: true });
    const db = await PGlite.create({
      ...(inMemory ? {} : { dataDir: path.resolve(dataDir) }),
      // Parse like pg does by default, so code behaves the same on both engines.
      parsers: {
        [types.INT8]: (value: string) => value,
        [types.NUMERIC]: (value: string) => value,
        [types.DATE]: (value: string) => value,
      },
    });
    const dataSource = new DataSource({
      type: 'postgres',
      driver: createPgliteDriverModule(db),
      entities: ENTITIES,
      migrations: MIGRATIONS,
      synchronize: false,
      logging: options.logging ?? false,
    });
    await dataSource.initialize();
    return new Database(dataSource, 'pglite', inMemory ? 'memory' : path.resolve(dataDir), async () => {
      await dataSource.destroy();
      await db.close();
    });
  }

  /** Applies pending migrations; returns the names applied. */
  async migrate(): Promise<string[]> {
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  }

  /** Names of migrations not applied yet (a service refuses to start on an old schema). */
  async pendingMigrations(): Promise<string[]> {
    const [{ table }] = await this.manager.query(`SELECT to_regclass('migrations')::text AS table`);
    const hasTable = table !== null;
    const applied: { name: string }[] = hasTable
      ? await this.manager.query(`SELECT name FROM migrations`)
      : [];
    const done = new Set(applied.map((m) => m.name));
    return this.dataSource.migrations
      .map((m) => m.name ?? m.constructor.name)
      .filter((name) => !done.has(name));
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** Runs `work` in one transaction: everything commits together or not at all. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}

/**
 * Runs one statement and returns its rows, whatever the command: TypeORM's postgres driver
 * returns `[rows, affected]` for UPDATE and DELETE and plain rows otherwise.
 */
export async function queryRows<T = Record<string, unknown>>(
  manager: EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result = await manager.query(text, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return (Array.isArray(result) ? result : []) as T[];
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
