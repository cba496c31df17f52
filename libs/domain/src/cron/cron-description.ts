import cronstrue from 'cronstrue';
import { CronExpression } from './cron-expression';

/** Plain-English description of a parsed expression, 24-hour clock: "At 02:00, every day". */
export function describeCron(cron: CronExpression): string {
  const text = cronstrue.toString(describableExpression(cron), {
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

/**
 * cronstrue reads day-of-week steps and 7 differently from our parser (MON/2, 0-7); give it
 * the parsed day list in those cases so the words match what fires.
 */
function describableExpression(cron: CronExpression): string {
  const fields = cron.normalized.split(' ');
  const dow = fields[fields.length - 1];
  if (!cron.dayOfWeekStar && cron.daysOfWeek.length === 7) fields[fields.length - 1] = '0-6';
  else if (!cron.dayOfWeekStar && dow.includes('/')) fields[fields.length - 1] = cron.daysOfWeek.join(',');
  return fields.join(' ');
}
