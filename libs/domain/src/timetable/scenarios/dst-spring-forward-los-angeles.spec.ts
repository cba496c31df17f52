import { CronTimetable } from '../cron-timetable';
import { dueRuns, intervalEndingAt } from '../run-planner';
import { ScheduledFire, firesBetween, nextFires } from '../timetable';

/**
 * Scenario: spring-forward in America/Los_Angeles on Sunday 2026-03-08.
 * At 02:00 PST (UTC-08:00) clocks jump to 03:00 PDT (UTC-07:00); the instant is 2026-03-08T10:00:00Z.
 * Wall times 02:00–02:59 do not exist that day.
 * The local day runs from 2026-03-08T08:00:00Z (00:00 PST) to 2026-03-09T07:00:00Z (00:00 PDT): 23 hours.
 */
const LA = 'America/Los_Angeles';
const DAY_START = new Date('2026-03-08T08:00:00Z');
const DAY_END = new Date('2026-03-09T07:00:00Z');

const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());
const kinds = (fires: ScheduledFire[]) => fires.map((f) => f.dst?.kind ?? null);

describe('scenario: DST spring-forward, America/Los_Angeles, 2026-03-08', () => {
  it('a 02:30 daily schedule fires once on the transition day, at 03:00 PDT (the first instant after the gap)', () => {
    const fires = nextFires(new CronTimetable('30 2 * * *', LA), new Date('2026-03-06T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-03-07T10:30:00.000Z', // 02:30 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT: 02:30 does not exist
      '2026-03-09T09:30:00.000Z', // 02:30 PDT
    ]);
    expect(kinds(fires)).toEqual([null, 'moved-out-of-gap', null]);
  });

  it('explains the moved fire in words: which wall time, which day, which zone, which clock change', () => {
    const fire = new CronTimetable('30 2 * * *', LA).nextFireAfter(new Date('2026-03-08T08:00:00Z'));
    expect(fire?.at.toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(fire?.dst).toEqual({
      kind: 'moved-out-of-gap',
      note:
        '02:30 does not exist on 2026-03-08 in America/Los_Angeles ' +
        '(clocks jump from 02:00 to 03:00, UTC-08:00 → UTC-07:00); ' +
        'fired once at the first valid instant after the gap, 03:00',
    });
  });

  it('the transition day holds exactly one fire of a 02:30 daily schedule (not zero, not two)', () => {
    const fires = firesBetween(new CronTimetable('30 2 * * *', LA), DAY_START, DAY_END);
    expect(times(fires)).toEqual(['2026-03-08T10:00:00.000Z']);
  });

  it('several fixed times inside the gap collapse into one fire and are all named in the note', () => {
    const fires = firesBetween(new CronTimetable('0,30 2 * * *', LA), DAY_START, DAY_END);
    expect(times(fires)).toEqual(['2026-03-08T10:00:00.000Z']);
    expect(fires[0].dst?.kind).toBe('moved-out-of-gap');
    expect(fires[0].dst?.note).toMatch(/^02:00, 02:30 do not exist on 2026-03-08 in America\/Los_Angeles/);
  });

  it('02:00 moved out of the gap lands on 03:00: a schedule with both fires once at 03:00 PDT', () => {
    const fires = nextFires(new CronTimetable('0 2,3 * * *', LA), new Date('2026-03-07T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-03-08T10:00:00.000Z', // 02:00 (moved) and 03:00 PDT are the same instant: one fire
      '2026-03-09T09:00:00.000Z', // 02:00 PDT
      '2026-03-09T10:00:00.000Z', // 03:00 PDT
    ]);
    expect(fires[0].dst?.kind).toBe('moved-out-of-gap');
  });

  it('fixed times outside the gap are untouched and carry no DST note', () => {
    const at0100 = new CronTimetable('0 1 * * *', LA).nextFireAfter(DAY_START);
    const at0300 = new CronTimetable('0 3 * * *', LA).nextFireAfter(DAY_START);
    const at0400 = new CronTimetable('0 4 * * *', LA).nextFireAfter(DAY_START);
    expect(at0100).toEqual({ at: new Date('2026-03-08T09:00:00Z'), dst: null }); // 01:00 PST
    expect(at0300).toEqual({ at: new Date('2026-03-08T10:00:00Z'), dst: null }); // 03:00 PDT
    expect(at0400).toEqual({ at: new Date('2026-03-08T11:00:00Z'), dst: null }); // 04:00 PDT
  });

  it('a wildcard hourly schedule follows real time: 23 fires, 01:00 PST then 03:00 PDT one hour later', () => {
    const fires = firesBetween(new CronTimetable('0 * * * *', LA), DAY_START, DAY_END);
    expect(fires).toHaveLength(23);
    expect(times(fires.slice(0, 3))).toEqual([
      '2026-03-08T08:00:00.000Z', // 00:00 PST
      '2026-03-08T09:00:00.000Z', // 01:00 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT (02:00 skipped)
    ]);
    expect(kinds(fires.slice(0, 4))).toEqual([null, null, 'after-skipped-gap', null]);
    expect(fires[2].dst?.note).toBe(
      '02:00 skipped: those times do not exist on 2026-03-08 in America/Los_Angeles ' +
        '(clocks jump from 02:00 to 03:00, UTC-08:00 → UTC-07:00)',
    );
    for (let i = 1; i < fires.length; i++) {
      expect(fires[i].at.getTime() - fires[i - 1].at.getTime()).toBe(3_600_000);
    }
    expect(fires[fires.length - 1].at.toISOString()).toBe('2026-03-09T06:00:00.000Z'); // 23:00 PDT
  });

  it('a wildcard-hour schedule at minute 30 loses 02:30: 01:30 PST is followed by 03:30 PDT', () => {
    const fires = nextFires(new CronTimetable('30 * * * *', LA), new Date('2026-03-08T09:00:00Z'), 2);
    expect(times(fires)).toEqual(['2026-03-08T09:30:00.000Z', '2026-03-08T10:30:00.000Z']);
    expect(kinds(fires)).toEqual([null, 'after-skipped-gap']);
    expect(fires[1].dst?.note).toMatch(/^02:30 skipped/);
  });

  it('walking backwards meets the moved fire once, with the same DST note', () => {
    const timetable = new CronTimetable('30 2 * * *', LA);
    const back1 = timetable.previousFireBefore(new Date('2026-03-09T09:30:00Z'));
    expect(back1?.at.toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(back1?.dst?.kind).toBe('moved-out-of-gap');
    const back2 = timetable.previousFireBefore(back1!.at);
    expect(back2).toEqual({ at: new Date('2026-03-07T10:30:00Z'), dst: null });
  });

  it('a weekly Sunday 02:30 schedule fires at 03:00 PDT on the transition Sunday only', () => {
    const fires = nextFires(new CronTimetable('30 2 * * SUN', LA), new Date('2026-02-28T12:00:00Z'), 3);
    expect(times(fires)).toEqual([
      '2026-03-01T10:30:00.000Z', // 02:30 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT
      '2026-03-15T09:30:00.000Z', // 02:30 PDT
    ]);
  });

  it('data intervals around the gap are 23.5 hours long and the moved fire closes one of them', () => {
    const schedule = {
      timetable: new CronTimetable('30 2 * * *', LA),
      startDate: new Date('2026-03-01T08:00:00Z'),
      catchup: true,
    };
    const lastRun = { start: new Date('2026-03-06T10:30:00Z'), end: new Date('2026-03-07T10:30:00Z') };
    const runs = dueRuns(schedule, lastRun, new Date('2026-03-10T12:00:00Z'));
    expect(
      runs.map((r) => [
        r.logicalDate.toISOString(),
        r.dataInterval.end.toISOString(),
        r.runAfter.toISOString(),
        r.dst?.kind ?? null,
      ]),
    ).toEqual([
      [
        '2026-03-07T10:30:00.000Z',
        '2026-03-08T10:00:00.000Z',
        '2026-03-08T10:00:00.000Z',
        'moved-out-of-gap',
      ],
      ['2026-03-08T10:00:00.000Z', '2026-03-09T09:30:00.000Z', '2026-03-09T09:30:00.000Z', null],
      ['2026-03-09T09:30:00.000Z', '2026-03-10T09:30:00.000Z', '2026-03-10T09:30:00.000Z', null],
    ]);
    expect(intervalEndingAt(schedule.timetable, new Date('2026-03-09T09:30:00Z'))).toEqual({
      start: new Date('2026-03-08T10:00:00Z'),
      end: new Date('2026-03-09T09:30:00Z'),
    });
  });
});
