import { describeAssetCondition } from '../assets/asset-condition';
import { CronTimetable } from '../timetable/cron-timetable';
import { IntervalTimetable } from '../timetable/interval-timetable';
import { RunSchedule } from '../timetable/run-planner';
import { Timetable } from '../timetable/timetable';
import { parseDateInput } from '../time/date-input';
import { describeDuration, parseDuration } from '../time/duration';
import { DagDefinition } from './dag-definition';

/**
 * The timetable of a valid DAG, or null for asset-scheduled and manual DAGs (they run on
 * events, not on the clock). `deployedAt` anchors DAGs that declare no start date.
 */
export function timetableForDag(dag: DagDefinition, deployedAt: Date): Timetable | null {
  const schedule = dag.schedule;
  switch (schedule.kind) {
    case 'cron':
      return new CronTimetable(schedule.expression, schedule.timezone ?? dag.timezone);
    case 'interval': {
      const anchorInput = schedule.anchor ?? dag.startDate;
      const anchor = (anchorInput !== undefined && parseDateInput(anchorInput, dag.timezone)) || deployedAt;
      return new IntervalTimetable(parseDuration(schedule.every), anchor, dag.timezone);
    }
    default:
      return null;
  }
}

/** The run schedule (timetable + start/end + catchup) of a clock-scheduled DAG, or null. */
export function runScheduleForDag(dag: DagDefinition, deployedAt: Date): RunSchedule | null {
  const timetable = timetableForDag(dag, deployedAt);
  if (!timetable) return null;
  const startDate =
    (dag.startDate !== undefined && parseDateInput(dag.startDate, dag.timezone)) || deployedAt;
  const endDate =
    dag.endDate !== undefined ? (parseDateInput(dag.endDate, dag.timezone) ?? undefined) : undefined;
  return { timetable, startDate, endDate, catchup: dag.catchup };
}

/** The schedule in words, for listings: "At 05:00, every day (America/Los_Angeles)". */
export function describeSchedule(dag: DagDefinition): string {
  const schedule = dag.schedule;
  switch (schedule.kind) {
    case 'cron':
      return new CronTimetable(schedule.expression, schedule.timezone ?? dag.timezone).describe();
    case 'interval':
      return `Every ${describeDuration(parseDuration(schedule.every).ms).replace(/^1 (\w+)$/, '$1')}`;
    case 'assets': {
      const single = schedule.condition.kind === 'asset';
      const subject = describeAssetCondition(schedule.condition);
      const events = { batched: '; queued events batched into one run', per_event: '; one run per event' };
      const on = schedule.partitioned
        ? `When ${subject} ${single ? 'is' : 'are'} complete for the same partition`
        : `When ${subject} ${single ? 'is' : 'are'} updated${schedule.events ? events[schedule.events] : ''}`;
      return schedule.fallback
        ? `${on}; fallback at '${schedule.fallback.at}' (${schedule.fallback.timezone ?? dag.timezone}): ${schedule.fallback.action}`
        : on;
    }
    case 'topic': {
      const filter = schedule.filter && Object.keys(schedule.filter).length > 0 ? ' matching a filter' : '';
      const per = schedule.batch
        ? `Batches of up to ${schedule.batch.maxMessages} messages (or ${schedule.batch.maxWait}) on`
        : 'Each message on';
      return `${per} Kafka topic '${schedule.topic}'${filter}`;
    }
    case 'none':
      return 'Manual only (no schedule)';
  }
}
