import { CronTimetable } from '../cron-timetable';
import { dueRuns, intervalEndingAt } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: fall-back in America/Los_Angeles on Sunday 2026-11-01.
 * At 02:00 PDT (UTC-07:00) clocks fall back to 01:00 PST (UTC-08:00); the instant is 2026-11-01T09:00:00Z.
 * Wall times 01:00–01:59 happen twice: first PDT (08:00Z–08:59Z), then PST (09:00Z–09:59Z).
 * The local day runs from 2026-11-01T07:00:00Z (00:00 PDT) to 2026-11-02T08:00:00Z (00:00 PST): 25 hours.
 */
const LA = 'America/Los_Angeles';
const DAY_START = new Date('2026-11-01T07:00:00Z');
const DAY_END = new Date('2026-11-02T08:00:00Z');
const HOUR = 3_600_000;

const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());
const kinds = (fires: ScheduledFire[]) => fires.map((f) => f.dst?.kind ?? null);

describe('scenario: DST fall-back, America/Los_Angeles, 2026-11-01', () => {
  it('a 01:30 daily schedule fires once on the transition day, at the first 01:30 (PDT)', () => {
    const fires = nextFires(new CronTimetable('30 1 * * *', LA), new Date('2026-10-30T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-10-31T08:30:00.000Z', // 01:30 PDT
      '2026-11-01T08:30:00.000Z', // 01:30 PDT, first of the two 01:30s
      '2026-11-02T09:30:00.000Z', // 01:30 PST
    ]);
    expect(kinds(fires)).toEqual([null, 'first-of-repeated', null]);
  });

  it('explains the repeated wall time in words', () => {
    const fire = new CronTimetable('30 1 * * *', LA).nextFireAfter(DAY_START);
    expect(fire?.dst).toEqual({
      kind: 'first-of-repeated',
      note:
        '01:30 occurs twice on 2026-11-01 in America/Los_Angeles ' +
        '(clocks fall back from 02:00 to 01:00, UTC-07:00 → UTC-08:00); ' +
        'fires once, at the first occurrence (UTC-07:00)',
    });
  });

  it('the 25-hour transition day holds exactly one fire of a 01:30 daily schedule', () => {
    const fires = firesBetween(new CronTimetable('30 1 * * *', LA), DAY_START, DAY_END);
    expect(times(fires)).toEqual(['2026-11-01T08:30:00.000Z']);
  });

  it('asked during the second 01:xx pass, the next fire is the following day (no second 01:30)', () => {
    const timetable = new CronTimetable('30 1 * * *', LA);
    // 01:15 PST, the second pass of the repeated hour
    expect(timetable.nextFireAfter(new Date('2026-11-01T09:15:00Z'))?.at.toISOString()).toBe(
      '2026-11-02T09:30:00.000Z',
    );
    // exactly at the first 01:30
    expect(timetable.nextFireAfter(new Date('2026-11-01T08:30:00Z'))?.at.toISOString()).toBe(
      '2026-11-02T09:30:00.000Z',
    );
  });

  it('walking backwards from the next day meets only the first 01:30', () => {
    const timetable = new CronTimetable('30 1 * * *', LA);
    const back1 = timetable.previousFireBefore(new Date('2026-11-02T09:30:00Z'));
    expect(back1?.at.toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(back1?.dst?.kind).toBe('first-of-repeated');
    expect(timetable.previousFireBefore(back1!.at)?.at.toISOString()).toBe('2026-10-31T08:30:00.000Z');
  });

  it('01:00 (the first minute of the repeated hour) fires at 01:00 PDT', () => {
    const fire = new CronTimetable('0 1 * * *', LA).nextFireAfter(DAY_START);
    expect(fire?.at.toISOString()).toBe('2026-11-01T08:00:00.000Z');
    expect(fire?.dst?.kind).toBe('first-of-repeated');
  });

  it('02:00 exists once (PST) and closes a 25-hour interval, with no DST note', () => {
    const timetable = new CronTimetable('0 2 * * *', LA);
    const fires = nextFires(timetable, new Date('2026-10-30T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-10-31T09:00:00.000Z', // 02:00 PDT
      '2026-11-01T10:00:00.000Z', // 02:00 PST
      '2026-11-02T10:00:00.000Z', // 02:00 PST
    ]);
    expect(kinds(fires)).toEqual([null, null, null]);
    const interval = intervalEndingAt(timetable, new Date('2026-11-01T10:00:00Z'));
    expect(interval?.start.toISOString()).toBe('2026-10-31T09:00:00.000Z');
    expect(interval!.end.getTime() - interval!.start.getTime()).toBe(25 * HOUR);
  });

  it('a wildcard hourly schedule fires 25 times, 01:00 in both passes, always one real hour apart', () => {
    const fires = firesBetween(new CronTimetable('0 * * * *', LA), DAY_START, DAY_END);
    expect(fires).toHaveLength(25);
    expect(times(fires.slice(0, 4))).toEqual([
      '2026-11-01T07:00:00.000Z', // 00:00 PDT
      '2026-11-01T08:00:00.000Z', // 01:00 PDT
      '2026-11-01T09:00:00.000Z', // 01:00 PST
      '2026-11-01T10:00:00.000Z', // 02:00 PST
    ]);
    expect(kinds(fires.slice(0, 4))).toEqual([null, 'first-of-repeated', 'second-of-repeated', null]);
    expect(fires[2].dst?.note).toBe(
      '01:00 occurs twice on 2026-11-01 in America/Los_Angeles ' +
        '(clocks fall back from 02:00 to 01:00, UTC-07:00 → UTC-08:00); ' +
        'this wildcard schedule fires in both passes: this is the second (UTC-08:00)',
    );
    for (let i = 1; i < fires.length; i++) {
      expect(fires[i].at.getTime() - fires[i - 1].at.getTime()).toBe(HOUR);
    }
  });

  it('a wildcard-hour schedule at minute 30 fires at 01:30 PDT and again at 01:30 PST', () => {
    const fires = nextFires(new CronTimetable('30 * * * *', LA), new Date('2026-11-01T08:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-11-01T08:30:00.000Z',
      '2026-11-01T09:30:00.000Z',
      '2026-11-01T10:30:00.000Z',
    ]);
    expect(kinds(fires)).toEqual(['first-of-repeated', 'second-of-repeated', null]);
  });

  it('catchup across the transition creates one run per day, the transition run covering 25 hours', () => {
    const schedule = {
      timetable: new CronTimetable('30 1 * * *', LA),
      startDate: new Date('2026-10-01T07:00:00Z'),
      catchup: true,
    };
    const lastRun = { start: new Date('2026-10-30T08:30:00Z'), end: new Date('2026-10-31T08:30:00Z') };
    const runs = dueRuns(schedule, lastRun, new Date('2026-11-03T00:00:00Z'));
    expect(
      runs.map((r) => [r.logicalDate.toISOString(), r.dataInterval.end.toISOString(), r.dst?.kind ?? null]),
    ).toEqual([
      ['2026-10-31T08:30:00.000Z', '2026-11-01T08:30:00.000Z', 'first-of-repeated'],
      ['2026-11-01T08:30:00.000Z', '2026-11-02T09:30:00.000Z', null],
    ]);
    expect(runs[1].dataInterval.end.getTime() - runs[1].dataInterval.start.getTime()).toBe(25 * HOUR);
  });
});
