import {
  CronSyntaxError,
  CronTimetable,
  describeCron,
  formatInZone,
  formatUtc,
  nextFires,
  parseCron,
  timezoneProblem,
} from '@tributary/domain';
import { DateTime } from 'luxon';
import { CliError } from './cli-error';

export interface CronExplainInput {
  expression: string;
  timezone?: string;
  /** ISO instant to list fires after; default now. */
  from?: string;
  count?: string | number;
  now?: Date;
}

export interface CronFireExplanation {
  local: string;
  utc: string;
  dst: string | null;
}

/** The `--json` shape of `tributary cron explain`. */
export interface CronExplanation {
  expression: string;
  timezone: string;
  description: string;
  next: CronFireExplanation[];
}

const MAX_COUNT = 1000;

/** Explains a cron expression; throws CliError with one line naming the field and the problem. */
export function explainCron(input: CronExplainInput): CronExplanation {
  const timezone = input.timezone ?? 'UTC';
  let cron;
  try {
    cron = parseCron(input.expression);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw new CliError(error.message);
    throw error;
  }
  const tzProblem = timezoneProblem(timezone);
  if (tzProblem) throw new CliError(`timezone: ${tzProblem}`);

  const count = input.count === undefined ? 5 : Number(input.count);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new CliError(`--count: '${input.count}' is not allowed; use a whole number from 1 to ${MAX_COUNT}`);
  }
  let from = input.now ?? new Date();
  if (input.from !== undefined) {
    const parsed = DateTime.fromISO(input.from, { zone: timezone });
    if (!parsed.isValid) {
      throw new CliError(
        `--from: '${input.from}' is not an ISO 8601 instant; use e.g. 2026-03-08T00:00:00Z or 2026-03-08 (read in --tz)`,
      );
    }
    from = parsed.toJSDate();
  }

  const timetable = new CronTimetable(cron, timezone);
  return {
    expression: input.expression,
    timezone,
    description: describeCron(cron),
    next: nextFires(timetable, from, count).map((fire) => ({
      local: formatInZone(fire.at.getTime(), timezone),
      utc: formatUtc(fire.at.getTime()),
      dst: fire.dst?.note ?? null,
    })),
  };
}

/** The human form: description, then one line per fire in the zone and in UTC, DST notes marked. */
export function formatCronExplanation(explanation: CronExplanation): string {
  const lines = [
    `${explanation.expression}`,
    `  ${explanation.description}`,
    `  timezone: ${explanation.timezone}`,
    '',
    `Next ${explanation.next.length} fire${explanation.next.length === 1 ? '' : 's'}:`,
  ];
  const width = Math.max(...explanation.next.map((f) => f.local.length), explanation.timezone.length);
  lines.push(`  ${explanation.timezone.padEnd(width)}   UTC`);
  for (const fire of explanation.next) {
    lines.push(`  ${fire.local.padEnd(width)}   ${fire.utc}${fire.dst ? '   * DST' : ''}`);
    if (fire.dst) lines.push(`      DST: ${fire.dst}`);
  }
  if (explanation.next.length === 0) lines.push('  (no fires: the expression never matches after --from)');
  return lines.join('\n');
}
