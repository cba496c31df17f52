import { RateLimiter } from './rate-limiter';

describe('RateLimiter (per-address token bucket)', () => {
  let now = 0;
  const limiter = () => new RateLimiter(60, () => now);

  beforeEach(() => (now = 1_000_000));

  it('lets a burst of perMinute requests through, then refuses the next', () => {
    const l = limiter();
    for (let i = 0; i < 60; i++) expect(l.take('10.0.0.1')).toBe(true);
    expect(l.take('10.0.0.1')).toBe(false);
    expect(l.retryAfterSeconds('10.0.0.1')).toBe(1);
  });

  it('keeps one bucket per address', () => {
    const l = limiter();
    for (let i = 0; i < 60; i++) l.take('10.0.0.1');
    expect(l.take('10.0.0.1')).toBe(false);
    expect(l.take('10.0.0.2')).toBe(true);
  });

  it('refills at perMinute a minute', () => {
    const l = limiter();
    for (let i = 0; i < 60; i++) l.take('a');
    now += 999;
    expect(l.take('a')).toBe(false);
    now += 1;
    expect(l.take('a')).toBe(true);
    now += 60_000 * 10;
    // Refilled to the burst, never beyond it.
    for (let i = 0; i < 60; i++) expect(l.take('a')).toBe(true);
    expect(l.take('a')).toBe(false);
  });

  it('forgets addresses whose bucket refilled once it tracks many', () => {
    const l = limiter();
    for (let i = 0; i < 10_001; i++) l.take(`10.0.${i}`);
    now += 60_000;
    l.take('fresh');
    // Every earlier bucket refilled and was dropped; a dropped address starts full again.
    for (let i = 0; i < 60; i++) expect(l.take('10.0.0')).toBe(true);
  });
});
