import { addDays, dayOf, startOfDay, wallTimeOf } from './calendar';

describe('calendar helpers for DAG code', () => {
  const LA = 'America/Los_Angeles';

  it('reads the day of an instant in the zone, not in UTC', () => {
    expect(dayOf(new Date('2026-04-25T06:59:59Z'), LA)).toBe('2026-04-24');
    expect(dayOf(new Date('2026-04-25T07:00:00Z'), LA)).toBe('2026-04-25');
  });

  it('starts days at local midnight, across DST changes', () => {
    expect(startOfDay('2026-04-25', LA).toISOString()).toBe('2026-04-25T07:00:00.000Z');
    // 2026-03-08 is 23 hours long in Los Angeles.
    expect(startOfDay('2026-03-09', LA).getTime() - startOfDay('2026-03-08', LA).getTime()).toBe(
      23 * 3_600_000,
    );
    expect(() => startOfDay('April 25', LA)).toThrow(/use YYYY-MM-DD/);
  });

  it('adds days across month ends and formats wall times', () => {
    expect(addDays('2026-04-30', 1)).toBe('2026-05-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(wallTimeOf(new Date('2026-04-25T20:00:00Z'), LA)).toBe('2026-04-25T13:00');
  });
});
