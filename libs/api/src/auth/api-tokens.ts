import { createHash, randomBytes } from 'crypto';
import { EntityManager } from 'typeorm';
import { Database, queryRows } from '@tributary/persistence';

export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** viewer reads; operator also changes runs, DAGs and backfills; admin also manages tokens. */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(needed);
}

/** Who a request is: the token it authenticated with (never the secret). */
export interface ApiPrincipal {
  tokenId: string;
  name: string;
  role: ApiRole;
}

export interface ApiTokenView extends ApiPrincipal {
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const TOKEN_PREFIX = 'trb_';

/** A new secret: `trb_` and 40 URL-safe characters (240 random bits). */
export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBytes(30).toString('base64url');
}

/**
 * Tokens are stored only as their SHA-256: they are 240 random bits, so a fast hash is as safe
 * as a slow one, and lets a request find its token by an indexed equality lookup.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why a string cannot be a token (used for TRIBUTARY_ADMIN_TOKEN), or null. */
export function apiTokenProblem(token: string): string | null {
  if (!/^[A-Za-z0-9_-]{32,200}$/.test(token))
    return 'a token must be 32 to 200 letters, digits, - or _ (e.g. the output of `openssl rand -hex 32`)';
  return null;
}

export interface CreateApiTokenRequest {
  role: ApiRole;
  name?: string;
  createdBy?: string | null;
  /** Store this secret instead of generating one (a bootstrap token from the environment). */
  secret?: string;
}

/** Creates a token; the secret is returned here once and never again. */
export async function createApiToken(
  em: EntityManager,
  request: CreateApiTokenRequest,
  now: Date,
): Promise<ApiTokenView & { token: string }> {
  const token = request.secret ?? generateApiToken();
  const tokenId = `tok_${randomBytes(6).toString('hex')}`;
  const name = request.name ?? `${request.role} token ${tokenId}`;
  await em.query(
    `INSERT INTO api_tokens (token_id, token_hash, name, role, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_hash) DO NOTHING`,
    [tokenId, hashApiToken(token), name, request.role, now, request.createdBy ?? null],
  );
  return {
    tokenId,
    name,
    role: request.role,
    token,
    createdAt: now,
    createdBy: request.createdBy ?? null,
    lastUsedAt: null,
    revokedAt: null,
  };
}

/**
 * The first start's admin token: created (and returned, to be printed once) only when the
 * database has no token at all. The table lock makes two starting replicas create one.
 */
export async function ensureFirstAdminToken(db: Database, now: Date): Promise<string | null> {
  return db.transaction(async (em) => {
    await em.query(`LOCK TABLE api_tokens IN SHARE ROW EXCLUSIVE MODE`);
    const [{ count }] = await em.query(`SELECT count(*)::int AS count FROM api_tokens`);
    if (count > 0) return null;
    return (await createApiToken(em, { role: 'admin', name: 'first admin' }, now)).token;
  });
}

/** Stores an operator-chosen admin secret (TRIBUTARY_ADMIN_TOKEN) once; a restart changes nothing. */
export async function seedAdminToken(db: Database, secret: string, now: Date): Promise<void> {
  const problem = apiTokenProblem(secret);
  if (problem) throw new Error(`TRIBUTARY_ADMIN_TOKEN: ${problem}`);
  // Two api replicas may start at once: the second insert of the same hash changes nothing.
  await createApiToken(db.manager, { role: 'admin', name: 'TRIBUTARY_ADMIN_TOKEN', secret }, now);
}

/** The principal a presented token stands for, or null when it is unknown or revoked. */
export async function findApiPrincipal(db: Database, token: string): Promise<ApiPrincipal | null> {
  const [row] = await db.manager.query(
    `SELECT token_id, name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    [hashApiToken(token)],
  );
  return row ? { tokenId: row.token_id, name: row.name, role: row.role } : null;
}

export async function listApiTokens(
  db: Database,
  window: { limit: number; offset: number },
): Promise<{ items: ApiTokenView[]; total: number }> {
  const rows = await db.manager.query(
    `SELECT token_id, name, role, created_at, created_by, last_used_at, revoked_at, count(*) OVER () AS total
     FROM api_tokens ORDER BY id LIMIT $1 OFFSET $2`,
    [window.limit, window.offset],
  );
  const total = rows.length > 0 ? Number(rows[0].total) : await countTokens(db);
  return { items: rows.map(tokenView), total };
}

async function countTokens(db: Database): Promise<number> {
  const [{ count }] = await db.manager.query(`SELECT count(*)::int AS count FROM api_tokens`);
  return count;
}

/** Revokes a token by its id; null when there is no such token. Revoking twice keeps the first time. */
export async function revokeApiToken(db: Database, tokenId: string, now: Date): Promise<ApiTokenView | null> {
  const [row] = await queryRows(
    db.manager,
    `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE token_id = $1
     RETURNING token_id, name, role, created_at, created_by, last_used_at, revoked_at`,
    [tokenId, now],
  );
  return row ? tokenView(row) : null;
}

/** Records when a token was last used (callers throttle this: it is a write). */
export async function touchApiToken(db: Database, tokenId: string, now: Date): Promise<void> {
  await db.manager.query(`UPDATE api_tokens SET last_used_at = $2 WHERE token_id = $1`, [tokenId, now]);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function tokenView(row: Record<string, any>): ApiTokenView {
  return {
    tokenId: row.token_id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}
