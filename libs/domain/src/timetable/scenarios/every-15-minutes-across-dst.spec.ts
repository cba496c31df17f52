import { CronTimetable } from '../cron-timetable';
import { ScheduledFire, firesBetween } from '../timetable';

/**
 * Scenario: a 15-minute wildcard schedule across both DST transitions.
 * Wildcard schedules follow real time: the gap loses its wall times, the repeated hour fires in
 * both passes, so consecutive fires are always exactly 15 real minutes apart.
 *
 * Local days (instants in UTC):
 *   LA spring-forward 2026-03-08: 08:00Z → 2026-03-09T07:00Z, 23 h → 92 quarter hours
 *   LA fall-back     2026-11-01: 07:00Z → 2026-11-02T08:00Z, 25 h → 100 quarter hours
 *   London spring    2026-03-29: 00:00Z → 23:00Z,            23 h → 92
 *   London fall      2026-10-25: 2026-10-24T23:00Z → 2026-10-26T00:00Z, 25 h → 100
 */
const LA = 'America/Los_Angeles';
const LONDON = 'Europe/London';
const QUARTER = 15 * 60_000;

const times = (fires: ScheduledFire[]) => fires.map((f) => f.at.toISOString());
const gaps = (fires: ScheduledFire[]) => fires.slice(1).map((f, i) => f.at.getTime() - fires[i].at.getTime());
const count = (fires: ScheduledFire[], kind: string) => fires.filter((f) => f.dst?.kind === kind).length;

describe('scenario: every 15 minutes across DST', () => {
  const every15 = (zone: string) => new CronTimetable('*/15 * * * *', zone);

  it('fires 92 times on the LA spring-forward day', () => {
    const fires = firesBetween(
      every15(LA),
      new Date('2026-03-08T08:00:00Z'),
      new Date('2026-03-09T07:00:00Z'),
    );
    expect(fires).toHaveLength(92);
    expect(fires[0].at.toISOString()).toBe('2026-03-08T08:00:00.000Z');
    expect(fires[91].at.toISOString()).toBe('2026-03-09T06:45:00.000Z'); // 23:45 PDT
  });

  it('fires 100 times on the LA fall-back day', () => {
    const fires = firesBetween(
      every15(LA),
      new Date('2026-11-01T07:00:00Z'),
      new Date('2026-11-02T08:00:00Z'),
    );
    expect(fires).toHaveLength(100);
    expect(count(fires, 'first-of-repeated')).toBe(4);
    expect(count(fires, 'second-of-repeated')).toBe(4);
  });

  it('steps from 01:45 PST straight to 03:00 PDT, 15 real minutes, marking the fire after the gap', () => {
    const fires = firesBetween(
      every15(LA),
      new Date('2026-03-08T09:30:00Z'),
      new Date('2026-03-08T10:30:00Z'),
    );
    expect(times(fires)).toEqual([
      '2026-03-08T09:30:00.000Z', // 01:30 PST
      '2026-03-08T09:45:00.000Z', // 01:45 PST
      '2026-03-08T10:00:00.000Z', // 03:00 PDT
      '2026-03-08T10:15:00.000Z', // 03:15 PDT
    ]);
    expect(fires.map((f) => f.dst?.kind ?? null)).toEqual([null, null, 'after-skipped-gap', null]);
    expect(fires[2].dst?.note).toMatch(/^02:00–02:45 skipped: those times do not exist on 2026-03-08/);
  });

  it('runs through 01:00–01:45 twice on fall-back: PDT pass then PST pass', () => {
    const fires = firesBetween(
      every15(LA),
      new Date('2026-11-01T08:00:00Z'),
      new Date('2026-11-01T10:15:00Z'),
    );
    expect(times(fires)).toEqual([
      '2026-11-01T08:00:00.000Z',
      '2026-11-01T08:15:00.000Z',
      '2026-11-01T08:30:00.000Z',
      '2026-11-01T08:45:00.000Z',
      '2026-11-01T09:00:00.000Z',
      '2026-11-01T09:15:00.000Z',
      '2026-11-01T09:30:00.000Z',
      '2026-11-01T09:45:00.000Z',
      '2026-11-01T10:00:00.000Z', // 02:00 PST
    ]);
    expect(fires.map((f) => f.dst?.kind ?? null)).toEqual([
      ...Array(4).fill('first-of-repeated'),
      ...Array(4).fill('second-of-repeated'),
      null,
    ]);
  });

  it.each([
    ['LA spring-forward week', LA, '2026-03-05T00:00:00Z', '2026-03-12T00:00:00Z', 672],
    ['LA fall-back week', LA, '2026-10-29T00:00:00Z', '2026-11-05T00:00:00Z', 668],
    ['London spring-forward week', LONDON, '2026-03-26T00:00:00Z', '2026-04-02T00:00:00Z', 672],
    ['London fall-back week', LONDON, '2026-10-22T00:00:00Z', '2026-10-29T00:00:00Z', 668],
  ])(
    '%s: every consecutive pair of fires is exactly 15 minutes apart',
    (_label, zone, from, to, distinctWallTimes) => {
      // A window of 7 × 24 real hours holds 672 quarter hours, whatever the wall clock does.
      const fires = firesBetween(every15(zone), new Date(from), new Date(to));
      expect(fires).toHaveLength(672);
      expect(new Set(gaps(fires))).toEqual(new Set([QUARTER]));
      // On the wall, fall-back shows 01:00–01:45 twice (4 repeated labels); spring-forward repeats none.
      const wall = new Set(
        fires.map((f) =>
          f.at.toLocaleString('en-GB', {
            timeZone: zone,
            hour12: false,
            dateStyle: 'short',
            timeStyle: 'short',
          }),
        ),
      );
      expect(wall.size).toBe(distinctWallTimes);
    },
  );

  it('London: 92 fires on spring-forward day, 100 on fall-back day', () => {
    const spring = firesBetween(
      every15(LONDON),
      new Date('2026-03-29T00:00:00Z'),
      new Date('2026-03-29T23:00:00Z'),
    );
    const fall = firesBetween(
      every15(LONDON),
      new Date('2026-10-24T23:00:00Z'),
      new Date('2026-10-26T00:00:00Z'),
    );
    expect(spring).toHaveLength(92);
    expect(fall).toHaveLength(100);
    expect(new Set(gaps(spring))).toEqual(new Set([QUARTER]));
    expect(new Set(gaps(fall))).toEqual(new Set([QUARTER]));
  });

  it('walking backwards across fall-back is also 15 minutes per step', () => {
    const timetable = every15(LA);
    const visited: string[] = [];
    let cursor = new Date('2026-11-01T10:15:00Z');
    for (let i = 0; i < 10; i++) {
      const fire = timetable.previousFireBefore(cursor);
      visited.push(fire!.at.toISOString());
      cursor = fire!.at;
    }
    expect(visited).toEqual([
      '2026-11-01T10:00:00.000Z',
      '2026-11-01T09:45:00.000Z',
      '2026-11-01T09:30:00.000Z',
      '2026-11-01T09:15:00.000Z',
      '2026-11-01T09:00:00.000Z',
      '2026-11-01T08:45:00.000Z',
      '2026-11-01T08:30:00.000Z',
      '2026-11-01T08:15:00.000Z',
      '2026-11-01T08:00:00.000Z',
      '2026-11-01T07:45:00.000Z',
    ]);
  });

  it('an hour-restricted wildcard ("*/15 2 * * *") simply has no fires on the LA spring-forward day', () => {
    const timetable = new CronTimetable('*/15 2 * * *', LA);
    expect(
      firesBetween(timetable, new Date('2026-03-08T08:00:00Z'), new Date('2026-03-09T07:00:00Z')),
    ).toEqual([]);
    // after 2026-03-07 02:45 PST the next fire is 2026-03-09 02:00 PDT
    expect(timetable.nextFireAfter(new Date('2026-03-07T10:45:00Z'))?.at.toISOString()).toBe(
      '2026-03-09T09:00:00.000Z',
    );
  });

  it('an hour-restricted wildcard ("*/15 1 * * *") fires 8 times on the LA fall-back day', () => {
    const fires = firesBetween(
      new CronTimetable('*/15 1 * * *', LA),
      new Date('2026-11-01T07:00:00Z'),
      new Date('2026-11-02T08:00:00Z'),
    );
    expect(times(fires)).toEqual([
      '2026-11-01T08:00:00.000Z',
      '2026-11-01T08:15:00.000Z',
      '2026-11-01T08:30:00.000Z',
      '2026-11-01T08:45:00.000Z',
      '2026-11-01T09:00:00.000Z',
      '2026-11-01T09:15:00.000Z',
      '2026-11-01T09:30:00.000Z',
      '2026-11-01T09:45:00.000Z',
    ]);
  });

  it('contrast: an explicit list "0,15,30,45 0-23" is fixed-time (Vixie): once per wall time, 75-minute hole on fall-back', () => {
    const timetable = new CronTimetable('0,15,30,45 0-23 * * *', LA);
    expect(timetable.cron.fixedTime).toBe(true);
    const fall = firesBetween(timetable, new Date('2026-11-01T07:00:00Z'), new Date('2026-11-02T08:00:00Z'));
    expect(fall).toHaveLength(96);
    const hole = fall.findIndex((f) => f.at.toISOString() === '2026-11-01T10:00:00.000Z');
    expect(fall[hole - 1].at.toISOString()).toBe('2026-11-01T08:45:00.000Z');
    expect(fall[hole].at.getTime() - fall[hole - 1].at.getTime()).toBe(5 * QUARTER);
    // spring-forward: 02:00–02:45 collapse into the 03:00 fire, so still 92 fires, 15 minutes apart
    const spring = firesBetween(
      timetable,
      new Date('2026-03-08T08:00:00Z'),
      new Date('2026-03-09T07:00:00Z'),
    );
    expect(spring).toHaveLength(92);
    expect(new Set(gaps(spring))).toEqual(new Set([QUARTER]));
    expect(spring.find((f) => f.at.toISOString() === '2026-03-08T10:00:00.000Z')?.dst?.kind).toBe(
      'moved-out-of-gap',
    );
  });
});
