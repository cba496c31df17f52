import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { API_ROLES, ApiRole, createApiToken } from '@tributary/api';
import { Database } from '@tributary/persistence';
import { ApiOptions, CommandContext, apiPath, parseCount, withApiOptions, withJson } from './api-client';
import { CliError, EXIT_UNAVAILABLE, EXIT_USAGE } from './cli-error';
import { Page, pageNote } from './dags.command';
import { formatInstant, formatJson, formatTable } from './format';

export interface CreatedToken {
  tokenId: string;
  name: string;
  role: string;
  token: string;
  createdAt: string | Date;
}

export interface TokenView {
  tokenId: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy?: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const TOKENS_CREATE_HELP = `
Where the token is made:
  through the API (the default)   needs an admin token (--token or TRIBUTARY_TOKEN); use this
                                  whenever the API is up.
  --database-url [url]            straight into PostgreSQL (the url, or DATABASE_URL when the flag
                                  has no value): to bootstrap a distributed cluster before any
                                  token exists (run \`tributary migrate\` first). Or set
                                  TRIBUTARY_ADMIN_TOKEN on the API service instead.
  --data-dir <dir>                straight into a standalone's embedded PGlite folder, only while
                                  that standalone is stopped (PGlite has one user at a time): to
                                  recover when its first admin token is lost.

Output: the token alone on stdout (so TOKEN=$(tributary tokens create --role viewer) works) and
what it is on stderr. It is shown this once; the server keeps only its hash. --json prints
{tokenId, name, role, token, createdAt}.`;

/** Writes a token straight to a database (no API), for bootstrapping. */
export async function createTokenInDatabase(
  target: { databaseUrl?: string; dataDir?: string },
  request: { role: ApiRole; name?: string },
  now: Date,
): Promise<CreatedToken> {
  let location: string;
  if (target.dataDir !== undefined) {
    const dir = path.resolve(target.dataDir);
    location = dir;
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
      throw new CliError(
        `--data-dir: no Tributary database in ${dir}; start \`tributary standalone --data-dir ${target.dataDir}\` once to create it (its first start prints an admin token)`,
        EXIT_USAGE,
      );
    }
    // PGlite leaves postmaster.pid while a process has the folder open (or after a crash).
    if (fs.existsSync(path.join(dir, 'postmaster.pid'))) {
      throw new CliError(
        `--data-dir: the database in ${dir} is in use by a running standalone (or one that did not stop cleanly); stop it first (after a crash: start and stop it once), or, while it runs, create the token through its API with an admin token`,
        EXIT_USAGE,
      );
    }
  } else {
    location = (target.databaseUrl ?? '').replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
  let db: Database;
  try {
    db = await Database.open(
      target.dataDir !== undefined
        ? { dataDir: path.resolve(target.dataDir) }
        : { databaseUrl: target.databaseUrl },
    );
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/must start with postgres/.test(message))
      throw new CliError(`--database-url: ${message}`, EXIT_USAGE);
    throw new CliError(
      `cannot open the database at ${location}: ${message.split('\n')[0]}`,
      EXIT_UNAVAILABLE,
    );
  }
  try {
    const pending = await db.pendingMigrations();
    if (pending.length > 0) {
      throw new CliError(
        `the database at ${location} is not migrated (${pending.length} migration(s) pending): ${
          target.dataDir !== undefined
            ? `start \`tributary standalone --data-dir ${target.dataDir}\` once`
            : 'run `DATABASE_URL=... tributary migrate`'
        } first`,
        EXIT_USAGE,
      );
    }
    const created = await db.transaction((em) =>
      createApiToken(
        em,
        { role: request.role, name: request.name, createdBy: 'tributary tokens create (database)' },
        now,
      ),
    );
    return {
      tokenId: created.tokenId,
      name: created.name,
      role: created.role,
      token: created.token,
      createdAt: created.createdAt.toISOString(),
    };
  } finally {
    await db.close();
  }
}

export function formatTokenList(page: Page<TokenView>): string {
  if (page.items.length === 0) return 'No tokens.';
  return formatTable(
    ['TOKEN ID', 'NAME', 'ROLE', 'CREATED (UTC)', 'LAST USED', 'REVOKED'],
    page.items.map((t) => [
      t.tokenId,
      t.name,
      t.role,
      formatInstant(t.createdAt),
      formatInstant(t.lastUsedAt),
      t.revokedAt ? formatInstant(t.revokedAt) : null,
    ]),
  );
}

/** `tributary tokens create|list|revoke` and `tributary whoami`. */
export function registerTokensCommands(program: Command, ctx: CommandContext): void {
  const tokens = program.command('tokens').description('API tokens (admin): create, list, revoke');

  withJson(
    withApiOptions(
      tokens
        .command('create')
        .description(
          'create an API token with a role: viewer reads; operator also acts; admin also manages tokens',
        )
        .requiredOption('--role <role>', `viewer, operator or admin`)
        .option('--name <name>', 'who or what it is for, e.g. ci-deployer')
        .option(
          '--database-url [url]',
          'write it straight into PostgreSQL (default: DATABASE_URL); see below',
        )
        .option('--data-dir <dir>', "write it straight into a stopped standalone's PGlite folder; see below"),
    ),
    'print {tokenId, name, role, token, createdAt} as one JSON document',
  )
    .addHelpText('after', TOKENS_CREATE_HELP)
    .action(
      async (
        options: ApiOptions & { role: string; name?: string; databaseUrl?: string | true; dataDir?: string },
      ) => {
        if (!(API_ROLES as readonly string[]).includes(options.role))
          throw new CliError(`--role: '${options.role}' must be one of ${API_ROLES.join(', ')}`, EXIT_USAGE);
        const role = options.role as ApiRole;
        if (options.databaseUrl !== undefined && options.dataDir !== undefined)
          throw new CliError('--database-url and --data-dir exclude each other; pass one', EXIT_USAGE);
        let created: CreatedToken;
        let where: string;
        if (options.databaseUrl !== undefined || options.dataDir !== undefined) {
          let databaseUrl: string | undefined;
          if (options.databaseUrl !== undefined) {
            databaseUrl = options.databaseUrl === true ? process.env.DATABASE_URL : options.databaseUrl;
            if (!databaseUrl)
              throw new CliError('--database-url: give a postgres:// URL, or set DATABASE_URL', EXIT_USAGE);
          }
          created = await createTokenInDatabase(
            { databaseUrl, dataDir: options.dataDir },
            { role, name: options.name },
            ctx.io.now?.() ?? new Date(),
          );
          where = 'in the database';
        } else {
          created = await ctx.client(options).post<CreatedToken>('/tokens', {
            role,
            ...(options.name !== undefined ? { name: options.name } : {}),
          });
          where = 'through the API';
        }
        if (options.json) return ctx.print(formatJson(created));
        ctx.print(created.token);
        ctx.note(
          `created ${created.role} token '${created.name}' (${created.tokenId}) ${where}; it is shown only this once: store it now (e.g. export TRIBUTARY_TOKEN=...)`,
        );
      },
    );

  withJson(
    withApiOptions(
      tokens
        .command('list')
        .description('list API tokens (never their secrets); needs an admin token')
        .option('--limit <n>', 'at most this many (1-1000)', '1000'),
    ),
  ).action(async (options: ApiOptions & { limit: string }) => {
    const limit = parseCount('--limit', options.limit);
    const page = await ctx.client(options).get<Page<TokenView>>('/tokens', { limit });
    if (options.json) return ctx.print(formatJson(page));
    ctx.print(formatTokenList(page));
    const note = pageNote(page, 'tokens');
    if (note) ctx.note(note);
  });

  withJson(
    withApiOptions(
      tokens
        .command('revoke')
        .description('revoke an API token: requests with it are refused from now on; needs an admin token')
        .argument('<tokenId>', 'the token id (tok_...), from `tokens list`'),
    ),
  ).action(async (tokenId: string, options: ApiOptions) => {
    const revoked = await ctx.client(options).delete<TokenView>(apiPath`/tokens/${tokenId}`);
    ctx.print(
      options.json
        ? formatJson(revoked)
        : `revoked token ${revoked.tokenId} ('${revoked.name}', ${revoked.role}) at ${formatInstant(revoked.revokedAt)}: requests with it now get 401`,
    );
  });

  withJson(
    withApiOptions(
      program.command('whoami').description('which token the CLI is using: its id, name and role'),
    ),
  ).action(async (options: ApiOptions) => {
    const me = await ctx.client(options).get<{ tokenId: string; name: string; role: string }>('/auth/whoami');
    ctx.print(options.json ? formatJson(me) : `${me.name} (${me.tokenId}): ${me.role}`);
  });
}
