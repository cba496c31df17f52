import { CronExpressionParser } from 'cron-parser';
import { CronTimetable } from '../cron-timetable';
import { nextFires } from '../timetable';

/**
 * Cross-check: in UTC (no DST) our next 20 fires must equal those of an independent
 * implementation, the npm package cron-parser (v5), for a spread of expressions.
 */
const COUNT = 20;

const EXPRESSIONS = [
  '* * * * *',
  '*/5 * * * *',
  '5/15 * * * *',
  '0 * * * *',
  '15,45 * * * *',
  '0 */3 * * *',
  '30 2 * * *',
  '59 23 * * *',
  '0 9-17 * * 1-5',
  '*/30 9-10 * * *',
  '10-50/20 8-18/5 * * *',
  '0 22 * * MON-FRI',
  '0 6 * * SAT,SUN',
  '0 0 * * 0',
  '0 9 * * 7',
  '0 0 1 * *',
  '0 12 1,15 * *',
  '0 0 1 1 *',
  '0 0 31 * *',
  '0 0 28-31 * *',
  '0 0 29 2 *',
  '0 9 13 * 5', // both restricted: OR in both implementations
  '0 0 1-7 * 1', // the 1st–7th OR any Monday
  '0 0 31 2 MON', // OR: Mondays in February
  '0 0 * JAN,JUL MON',
  '0 0 1 jan-mar *',
  '30 */10 * * * *',
  '*/20 * * * * *',
  '0 30 2 * * *',
  '0 18 * * 5-7',
  '@weekly',
  '@monthly',
];

/**
 * Excluded: cron-parser disagrees for a legitimate semantic reason.
 * Vixie cron (and we) treat a day field that STARTS with '*' as unrestricted, so '*' steps
 * combine with the other day field by AND; cron-parser treats only a bare '*' or '?' as a
 * wildcard, so it applies the OR rule to '* /2'-style steps.
 */
const EXCLUDED = {
  '0 9 */2 * 1': "day-of-month '*/2' starts with '*': Vixie ANDs it with Monday, cron-parser ORs",
  '0 0 29 2 */7': "day-of-week '*/7' starts with '*': Vixie ANDs it (Feb 29 on a Sunday), cron-parser ORs",
};

const START_DATES = ['2026-02-27T13:37:11.000Z', '2026-12-31T23:59:59.500Z'];

function oracle(expression: string, from: Date, count: number): string[] {
  const parsed = CronExpressionParser.parse(expression, { currentDate: from, tz: 'UTC' });
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(parsed.next().toDate().toISOString());
  return out;
}

function ours(expression: string, from: Date, count: number): string[] {
  return nextFires(new CronTimetable(expression, 'UTC'), from, count).map((f) => f.at.toISOString());
}

describe('cross-check against cron-parser (UTC)', () => {
  const cases = EXPRESSIONS.flatMap((expression) => START_DATES.map((start) => [expression, start] as const));

  it.each(cases)('%s from %s: the next 20 fires agree', (expression, start) => {
    const from = new Date(start);
    const expected = oracle(expression, from, COUNT);
    expect(expected).toHaveLength(COUNT);
    expect(ours(expression, from, COUNT)).toEqual(expected);
  });

  it.each(Object.entries(EXCLUDED))(
    'excluded %s: the disagreement is the day-rule one (%s)',
    (expression) => {
      // Pin the reason: our fires are a strict subset of cron-parser's (AND ⊂ OR), on the same times of day.
      const from = new Date(START_DATES[0]);
      const ourFires = ours(expression, from, 2);
      const theirs = new Set(oracle(expression, from, 200));
      expect(ourFires).toHaveLength(2);
      for (const fire of ourFires) expect(theirs.has(fire)).toBe(true);
      expect(oracle(expression, from, 2)).not.toEqual(ourFires);
    },
  );
});
