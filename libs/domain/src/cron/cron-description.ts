import cronstrue from 'cronstrue';
import { CronExpression } from './cron-expression';

/** Plain-English description of a parsed expression, 24-hour clock: "At 02:00, every day". */
export function describeCron(cron: CronExpression): string {
  const text = cronstrue.toString(cron.normalized, {
    use24HourTimeFormat: true,
    verbose: false,
    throwExceptionOnParseError: true,
  });
  // A '*/2' day field is "star" for Vixie's OR rule but still skips days: check the values too.
  const everyDay =
    cron.dayOfMonthStar &&
    cron.dayOfWeekStar &&
    cron.daysOfMonth.length === 31 &&
    cron.daysOfWeek.length === 7 &&
    cron.months.length === 12;
  // cronstrue leaves "every day" implicit for fixed times; say it, because it is what people check.
  return everyDay && cron.fixedTime && !/every day/i.test(text) ? `${text}, every day` : text;
}
