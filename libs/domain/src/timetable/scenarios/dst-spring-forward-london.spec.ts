import { CronTimetable } from '../cron-timetable';
import { dueRuns } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: spring-forward in Europe/London on Sunday 2026-03-29.
 * At 01:00 GMT (UTC+00:00) clocks jump to 02:00 BST (UTC+01:00); the instant is 2026-03-29T01:00:00Z.
 * Wall times 01:00–01:59 do not exist that day (the gap is an hour earlier on the wall than in the US).
 * The local day runs from 2026-03-29T00:00:00Z (00:00 GMT) to 2026-03-29T23:00:00Z (00:00 BST): 23 hours.
 */
const LONDON = 'Europe/London';
const DAY_START = new Date('2026-03-29T00:00:00Z');
const DAY_END = new Date('2026-03-29T23:00:00Z');

const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());
const kinds = (fires: ScheduledFire[]) => fires.map((f) => f.dst?.kind ?? null);

describe('scenario: DST spring-forward, Europe/London, 2026-03-29', () => {
  it('a 01:30 daily schedule fires once on the transition day, at 02:00 BST', () => {
    const fires = nextFires(new CronTimetable('30 1 * * *', LONDON), new Date('2026-03-27T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-03-28T01:30:00.000Z', // 01:30 GMT
      '2026-03-29T01:00:00.000Z', // 02:00 BST: 01:30 does not exist
      '2026-03-30T00:30:00.000Z', // 01:30 BST
    ]);
    expect(kinds(fires)).toEqual([null, 'moved-out-of-gap', null]);
  });

  it('names the London clock change in the note', () => {
    const fire = new CronTimetable('30 1 * * *', LONDON).nextFireAfter(DAY_START);
    expect(fire?.dst?.note).toBe(
      '01:30 does not exist on 2026-03-29 in Europe/London ' +
        '(clocks jump from 01:00 to 02:00, UTC+00:00 → UTC+01:00); ' +
        'fired once at the first valid instant after the gap, 02:00',
    );
  });

  it('01:00 itself is inside the gap: a 01:00 daily schedule also fires at 02:00 BST', () => {
    const fires = firesBetween(new CronTimetable('0 1 * * *', LONDON), DAY_START, DAY_END);
    expect(times(fires)).toEqual(['2026-03-29T01:00:00.000Z']);
    expect(fires[0].dst?.kind).toBe('moved-out-of-gap');
  });

  it('02:00 exists (it is the first BST instant) and is not marked as moved', () => {
    const fire = new CronTimetable('0 2 * * *', LONDON).nextFireAfter(DAY_START);
    expect(fire).toEqual({ at: new Date('2026-03-29T01:00:00Z'), dst: null });
  });

  it('a schedule with both 01:00 and 02:00 fires once at 02:00 BST that day', () => {
    const fires = firesBetween(new CronTimetable('0 1,2 * * *', LONDON), DAY_START, DAY_END);
    expect(times(fires)).toEqual(['2026-03-29T01:00:00.000Z']);
    expect(fires[0].dst?.kind).toBe('moved-out-of-gap');
  });

  it('a US-style 02:30 schedule is not affected in London (02:30 BST exists)', () => {
    const fire = new CronTimetable('30 2 * * *', LONDON).nextFireAfter(DAY_START);
    expect(fire).toEqual({ at: new Date('2026-03-29T01:30:00Z'), dst: null });
  });

  it('midnight to midnight is 23 hours on the transition day', () => {
    const fires = nextFires(new CronTimetable('0 0 * * *', LONDON), new Date('2026-03-28T12:00:00Z'), 2);
    expect(times(fires)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
  });

  it('a wildcard hourly schedule fires 23 times and never lets more than one real hour pass', () => {
    const fires = firesBetween(new CronTimetable('0 * * * *', LONDON), DAY_START, DAY_END);
    expect(fires).toHaveLength(23);
    expect(times(fires.slice(0, 3))).toEqual([
      '2026-03-29T00:00:00.000Z', // 00:00 GMT
      '2026-03-29T01:00:00.000Z', // 02:00 BST (01:00 skipped)
      '2026-03-29T02:00:00.000Z', // 03:00 BST
    ]);
    expect(kinds(fires.slice(0, 3))).toEqual([null, 'after-skipped-gap', null]);
    expect(fires[1].dst?.note).toBe(
      '01:00 skipped: those times do not exist on 2026-03-29 in Europe/London ' +
        '(clocks jump from 01:00 to 02:00, UTC+00:00 → UTC+01:00)',
    );
    for (let i = 1; i < fires.length; i++) {
      expect(fires[i].at.getTime() - fires[i - 1].at.getTime()).toBe(3_600_000);
    }
  });

  it('catchup off after the weekend creates only the latest complete interval, closed at 01:30 BST', () => {
    const schedule = {
      timetable: new CronTimetable('30 1 * * *', LONDON),
      startDate: new Date('2026-03-01T00:00:00Z'),
      catchup: false,
    };
    const lastRun = { start: new Date('2026-03-26T01:30:00Z'), end: new Date('2026-03-27T01:30:00Z') };
    const runs = dueRuns(schedule, lastRun, new Date('2026-03-30T09:00:00Z'));
    expect(runs).toHaveLength(1);
    expect(runs[0].logicalDate.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(runs[0].dataInterval.end.toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });
});
