import { ManualClock, ScaledClock } from './clock';

describe('clocks', () => {
  it('a scaled clock reads start at the epoch and runs `speed` times faster', () => {
    const epoch = new Date(Date.now() - 2_000);
    const clock = new ScaledClock(new Date('2026-04-25T00:00:00Z'), epoch, 600);
    const elapsedSimulated = clock.now().getTime() - Date.parse('2026-04-25T00:00:00Z');
    // Two real seconds (and a little more while the test runs) are twenty simulated minutes.
    expect(elapsedSimulated).toBeGreaterThanOrEqual(1_200_000);
    expect(elapsedSimulated).toBeLessThan(1_200_000 + 600 * 5_000);
  });

  it('two processes with the same settings agree on the time', () => {
    const start = new Date('2026-04-25T07:00:00Z');
    const epoch = new Date('2026-11-21T12:00:00Z');
    const a = new ScaledClock(start, epoch, 720).now().getTime();
    const b = new ScaledClock(start, epoch, 720).now().getTime();
    expect(Math.abs(a - b)).toBeLessThan(720 * 50);
  });

  it('rejects a speed that is not positive', () => {
    expect(() => new ScaledClock(new Date(), new Date(), 0)).toThrow(
      "a clock's speed must be positive, got 0",
    );
  });

  it('a manual clock never goes backwards', () => {
    const clock = new ManualClock(new Date('2026-04-25T00:00:00Z'));
    clock.advance(1000);
    expect(clock.now().toISOString()).toBe('2026-04-25T00:00:01.000Z');
    expect(() => clock.set(new Date('2026-04-24T00:00:00Z'))).toThrow(/does not go backwards/);
  });
});
