import { maxDaysInMonth } from '../time/civil-date';

export type CronFieldName = 'second' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

/** A cron expression that does not parse. `field` names where; the message says what and how to fix it. */
export class CronSyntaxError extends Error {
  constructor(
    readonly field: CronFieldName | 'expression',
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'CronSyntaxError';
  }
}

/**
 * A parsed cron expression with every field expanded to its sorted values.
 * Semantics are standard (Vixie) cron: when both day-of-month and day-of-week are
 * restricted (neither starts with `*`), a day matches if EITHER matches.
 */
export interface CronExpression {
  readonly source: string;
  /** The 5- or 6-field form after expanding `@daily`-style aliases. */
  readonly normalized: string;
  readonly hasSeconds: boolean;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday ... 6 = Saturday (7 in the source is folded to 0). */
  readonly daysOfWeek: readonly number[];
  readonly dayOfMonthStar: boolean;
  readonly dayOfWeekStar: boolean;
  /**
   * True when neither the minute nor the hour field starts with `*`. Vixie cron's DST
   * rule applies only to such fixed-time jobs: a fire in a skipped hour runs right after
   * the gap, a fire in a repeated hour runs once. Wildcard jobs simply follow real time.
   */
  readonly fixedTime: boolean;
}

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first value `names` maps to. */
  namesStart?: number;
  allowsQuestionMark?: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31, allowsQuestionMark: true };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesStart: 1 };
const DAY_OF_WEEK: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: DAY_NAMES,
  namesStart: 0,
  allowsQuestionMark: true,
};

export const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface ParsedField {
  values: number[];
  star: boolean;
}

export function parseCron(expression: string): CronExpression {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new CronSyntaxError(
      'expression',
      'is empty; write 5 fields such as "0 2 * * *" or an alias like @daily',
    );
  }
  const source = expression.trim();
  let text = source;
  if (text.startsWith('@')) {
    const alias = CRON_ALIASES[text.toLowerCase()];
    if (!alias) {
      throw new CronSyntaxError(
        'expression',
        `unknown alias '${text}'; use one of ${Object.keys(CRON_ALIASES).join(', ')} or 5 cron fields`,
      );
    }
    text = alias;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CronSyntaxError(
      'expression',
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${parts.length}`,
    );
  }
  const hasSeconds = parts.length === 6;
  const [secondText, minuteText, hourText, domText, monthText, dowText] = hasSeconds
    ? parts
    : ['0', ...parts];

  const second = parseField(secondText, SECOND);
  const minute = parseField(minuteText, MINUTE);
  const hour = parseField(hourText, HOUR);
  const dayOfMonth = parseField(domText, DAY_OF_MONTH);
  const month = parseField(monthText, MONTH);
  const dayOfWeek = parseField(dowText, DAY_OF_WEEK);
  const daysOfWeek = [...new Set(dayOfWeek.values.map((d) => (d === 7 ? 0 : d)))].sort((a, b) => a - b);

  // With day-of-week unrestricted the day-of-month alone decides, so it must fit some month.
  if (dayOfWeek.star && !dayOfMonth.star) {
    const fits = month.values.some((m) => dayOfMonth.values.some((d) => d <= maxDaysInMonth(m)));
    if (!fits) {
      const monthList = month.values.map((m) => MONTH_NAMES[m - 1]).join(', ');
      throw new CronSyntaxError(
        'day-of-month',
        `${domText} never occurs in ${monthList}, so the schedule would never fire; pick days that exist in those months`,
      );
    }
  }

  return {
    source,
    normalized: parts.join(' '),
    hasSeconds,
    seconds: second.values,
    minutes: minute.values,
    hours: hour.values,
    daysOfMonth: dayOfMonth.values,
    months: month.values,
    daysOfWeek,
    dayOfMonthStar: dayOfMonth.star,
    dayOfWeekStar: dayOfWeek.star,
    fixedTime: !minute.star && !hour.star,
  };
}

/** Null when the expression is valid, else the CronSyntaxError describing it. */
export function cronProblem(expression: string): CronSyntaxError | null {
  try {
    parseCron(expression);
    return null;
  } catch (error) {
    if (error instanceof CronSyntaxError) return error;
    throw error;
  }
}

function parseField(text: string, spec: FieldSpec): ParsedField {
  const values = new Set<number>();
  const items = text.split(',');
  for (const item of items) {
    if (item === '')
      throw new CronSyntaxError(spec.name, `'${text}' has an empty list item; remove the extra comma`);
    for (const v of expandItem(item, spec)) values.add(v);
  }
  const first = text[0];
  return { values: [...values].sort((a, b) => a - b), star: first === '*' || first === '?' };
}

function expandItem(item: string, spec: FieldSpec): number[] {
  const slash = item.split('/');
  if (slash.length > 2)
    throw new CronSyntaxError(spec.name, `'${item}' has more than one '/'; write base/step`);
  const [base, stepText] = slash;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) {
      throw new CronSyntaxError(spec.name, `step '${stepText}' in '${item}' is not a whole number`);
    }
    step = Number(stepText);
    if (step === 0)
      throw new CronSyntaxError(spec.name, `step 0 in '${item}' is not allowed; steps start at 1`);
  }

  let start: number;
  let end: number;
  if (base === '*' || base === '?') {
    if (base === '?' && !spec.allowsQuestionMark) {
      throw new CronSyntaxError(spec.name, `'?' is only allowed in day-of-month and day-of-week; use '*'`);
    }
    start = spec.min;
    end = spec.name === 'day-of-week' ? 6 : spec.max;
  } else if (base.includes('-')) {
    const bounds = base.split('-');
    if (bounds.length !== 2 || bounds[0] === '' || bounds[1] === '') {
      throw new CronSyntaxError(spec.name, `'${base}' is not a range; write start-end, e.g. 1-5`);
    }
    start = parseValue(bounds[0], spec);
    end = parseValue(bounds[1], spec);
    if (start > end) {
      throw new CronSyntaxError(
        spec.name,
        `range ${base} runs backwards; ranges go from low to high (split it, e.g. ${bounds[0]}-${spec.max},${spec.min}-${bounds[1]})`,
      );
    }
  } else {
    start = parseValue(base, spec);
    // "5/15" means "from 5 to the end, every 15", as in Vixie cron.
    end = stepText !== undefined ? spec.max : start;
  }

  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return values;
}

const UNSUPPORTED_TOKEN = /^(L|LW|\d+[LW]|\w+#\d+)$/i;

function parseValue(token: string, spec: FieldSpec): number {
  if (UNSUPPORTED_TOKEN.test(token) && !spec.names?.includes(token.toUpperCase())) {
    throw new CronSyntaxError(
      spec.name,
      `'${token}' uses L, W or #, which standard (Vixie) cron does not support; list the values explicitly`,
    );
  }
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < spec.min || n > spec.max) {
      throw new CronSyntaxError(spec.name, `${token} is out of range ${spec.min}-${spec.max}`);
    }
    return n;
  }
  if (spec.names) {
    const index = spec.names.indexOf(token.toUpperCase());
    if (index >= 0) return index + (spec.namesStart ?? 0);
    const kind = spec.name === 'month' ? 'month' : 'day of the week';
    throw new CronSyntaxError(
      spec.name,
      `'${token}' is not a ${kind}; use ${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names[spec.names.length - 1]}`,
    );
  }
  throw new CronSyntaxError(spec.name, `'${token}' is not a number; use ${spec.min}-${spec.max}`);
}
