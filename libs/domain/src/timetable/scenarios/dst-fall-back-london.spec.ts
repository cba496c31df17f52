import { CronTimetable } from '../cron-timetable';
import { dueRuns } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: fall-back in Europe/London on Sunday 2026-10-25.
 * At 02:00 BST (UTC+01:00) clocks fall back to 01:00 GMT (UTC+00:00); the instant is 2026-10-25T01:00:00Z.
 * Wall times 01:00–01:59 happen twice: first BST (00:00Z–00:59Z), then GMT (01:00Z–01:59Z).
 * The local day runs from 2026-10-24T23:00:00Z (00:00 BST) to 2026-10-26T00:00:00Z (00:00 GMT): 25 hours.
 */
const LONDON = 'Europe/London';
const DAY_START = new Date('2026-10-24T23:00:00Z');
const DAY_END = new Date('2026-10-26T00:00:00Z');
const HOUR = 3_600_000;

const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());
const kinds = (fires: ScheduledFire[]) => fires.map((f) => f.dst?.kind ?? null);

describe('scenario: DST fall-back, Europe/London, 2026-10-25', () => {
  it('a 01:30 daily schedule fires once, at the first 01:30 (BST)', () => {
    const fires = nextFires(new CronTimetable('30 1 * * *', LONDON), new Date('2026-10-23T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-10-24T00:30:00.000Z', // 01:30 BST
      '2026-10-25T00:30:00.000Z', // 01:30 BST, first of the two
      '2026-10-26T01:30:00.000Z', // 01:30 GMT
    ]);
    expect(kinds(fires)).toEqual([null, 'first-of-repeated', null]);
  });

  it('names the London clock change in the note', () => {
    const fire = new CronTimetable('30 1 * * *', LONDON).nextFireAfter(DAY_START);
    expect(fire?.dst?.note).toBe(
      '01:30 occurs twice on 2026-10-25 in Europe/London ' +
        '(clocks fall back from 02:00 to 01:00, UTC+01:00 → UTC+00:00); ' +
        'fires once, at the first occurrence (UTC+01:00)',
    );
  });

  it('the 25-hour day holds exactly one 01:30 fire; the second pass (01:15 GMT) does not fire again', () => {
    const timetable = new CronTimetable('30 1 * * *', LONDON);
    expect(times(firesBetween(timetable, DAY_START, DAY_END))).toEqual(['2026-10-25T00:30:00.000Z']);
    expect(timetable.nextFireAfter(new Date('2026-10-25T01:15:00Z'))?.at.toISOString()).toBe(
      '2026-10-26T01:30:00.000Z',
    );
  });

  it('01:00 fires at 01:00 BST, the first occurrence', () => {
    const fire = new CronTimetable('0 1 * * *', LONDON).nextFireAfter(DAY_START);
    expect(fire?.at.toISOString()).toBe('2026-10-25T00:00:00.000Z');
    expect(fire?.dst?.kind).toBe('first-of-repeated');
  });

  it('02:00 happens once (GMT), 25 real hours after the previous day’s 02:00 BST', () => {
    const fires = nextFires(new CronTimetable('0 2 * * *', LONDON), new Date('2026-10-23T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-10-24T01:00:00.000Z', // 02:00 BST
      '2026-10-25T02:00:00.000Z', // 02:00 GMT
      '2026-10-26T02:00:00.000Z', // 02:00 GMT
    ]);
    expect(kinds(fires)).toEqual([null, null, null]);
    expect(fires[1].at.getTime() - fires[0].at.getTime()).toBe(25 * HOUR);
  });

  it('a wildcard hourly schedule fires 25 times, 01:00 BST then 01:00 GMT', () => {
    const fires = firesBetween(new CronTimetable('0 * * * *', LONDON), DAY_START, DAY_END);
    expect(fires).toHaveLength(25);
    expect(times(fires.slice(0, 4))).toEqual([
      '2026-10-24T23:00:00.000Z', // 00:00 BST
      '2026-10-25T00:00:00.000Z', // 01:00 BST
      '2026-10-25T01:00:00.000Z', // 01:00 GMT
      '2026-10-25T02:00:00.000Z', // 02:00 GMT
    ]);
    expect(kinds(fires.slice(0, 4))).toEqual([null, 'first-of-repeated', 'second-of-repeated', null]);
    for (let i = 1; i < fires.length; i++) {
      expect(fires[i].at.getTime() - fires[i - 1].at.getTime()).toBe(HOUR);
    }
  });

  it('catchup off picks the 25-hour interval that the transition day produced', () => {
    const schedule = {
      timetable: new CronTimetable('0 1 * * *', LONDON),
      startDate: new Date('2026-10-01T00:00:00Z'),
      catchup: false,
    };
    // last run: logical 2026-10-23 01:00 BST, closed 2026-10-24 01:00 BST
    const lastRun = { start: new Date('2026-10-23T00:00:00Z'), end: new Date('2026-10-24T00:00:00Z') };
    const runs = dueRuns(schedule, lastRun, new Date('2026-10-26T12:00:00Z'));
    expect(runs).toHaveLength(1);
    expect(runs[0].logicalDate.toISOString()).toBe('2026-10-25T00:00:00.000Z'); // 01:00 BST
    expect(runs[0].dataInterval.end.toISOString()).toBe('2026-10-26T01:00:00.000Z'); // 01:00 GMT
    expect(runs[0].dataInterval.end.getTime() - runs[0].dataInterval.start.getTime()).toBe(25 * HOUR);
  });
});
