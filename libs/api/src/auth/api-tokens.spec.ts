import { Database } from '@tributary/persistence';
import {
  apiTokenProblem,
  createApiToken,
  ensureFirstAdminToken,
  findApiPrincipal,
  generateApiToken,
  hashApiToken,
  listApiTokens,
  revokeApiToken,
  roleAllows,
  seedAdminToken,
} from './api-tokens';

describe('API tokens', () => {
  let db: Database;
  const now = new Date('2026-11-21T10:00:00Z');

  beforeEach(async () => {
    db = await Database.open({ dataDir: 'memory://' });
    await db.migrate();
  });
  afterEach(() => db.close());

  it('ranks roles: admin ⊃ operator ⊃ viewer', () => {
    expect(roleAllows('admin', 'operator')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
  });

  it('generates distinct 240-bit tokens that are valid secrets', () => {
    const a = generateApiToken();
    expect(a).toMatch(/^trb_[A-Za-z0-9_-]{40}$/);
    expect(generateApiToken()).not.toBe(a);
    expect(apiTokenProblem(a)).toBeNull();
    expect(apiTokenProblem('short')).toMatch(/32 to 200/);
  });

  it('stores only the hash, and finds the principal by the secret', async () => {
    const created = await db.transaction((em) =>
      createApiToken(em, { role: 'operator', name: 'ci', createdBy: 'first admin' }, now),
    );
    const rows = await db.manager.query(`SELECT token_hash, name, role, created_by FROM api_tokens`);
    expect(rows).toEqual([
      { token_hash: hashApiToken(created.token), name: 'ci', role: 'operator', created_by: 'first admin' },
    ]);
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(await findApiPrincipal(db, created.token)).toEqual({
      tokenId: created.tokenId,
      name: 'ci',
      role: 'operator',
    });
    expect(await findApiPrincipal(db, `${created.token}x`)).toBeNull();
  });

  it('revokes a token once: it stops authenticating and keeps its first revocation time', async () => {
    const created = await db.transaction((em) => createApiToken(em, { role: 'viewer' }, now));
    const later = new Date(now.getTime() + 60_000);
    expect((await revokeApiToken(db, created.tokenId, now))?.revokedAt).toEqual(now);
    expect((await revokeApiToken(db, created.tokenId, later))?.revokedAt).toEqual(now);
    expect(await findApiPrincipal(db, created.token)).toBeNull();
    expect(await revokeApiToken(db, 'tok_missing', now)).toBeNull();
  });

  it('creates the first admin token only when there is no token at all', async () => {
    const first = await ensureFirstAdminToken(db, now);
    expect(first).toMatch(/^trb_/);
    expect((await findApiPrincipal(db, first!))?.role).toBe('admin');
    expect(await ensureFirstAdminToken(db, now)).toBeNull();
    expect((await listApiTokens(db, { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('seeds TRIBUTARY_ADMIN_TOKEN once, and refuses a weak one', async () => {
    const secret = 'a'.repeat(40);
    await seedAdminToken(db, secret, now);
    await seedAdminToken(db, secret, now);
    expect((await listApiTokens(db, { limit: 10, offset: 0 })).items).toMatchObject([
      { name: 'TRIBUTARY_ADMIN_TOKEN', role: 'admin' },
    ]);
    expect(await ensureFirstAdminToken(db, now)).toBeNull();
    await expect(seedAdminToken(db, 'weak', now)).rejects.toThrow(/TRIBUTARY_ADMIN_TOKEN: a token must be/);
  });

  it('pages the token list', async () => {
    await db.transaction(async (em) => {
      for (const role of ['viewer', 'operator', 'admin'] as const) await createApiToken(em, { role }, now);
    });
    const page = await listApiTokens(db, { limit: 2, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.items.map((t) => t.role)).toEqual(['operator', 'admin']);
    expect((await listApiTokens(db, { limit: 2, offset: 5 })).total).toBe(3);
  });
});
