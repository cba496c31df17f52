import { DateTime } from 'luxon';

/** Values a sensor's path, URL or partition may mention as `{{ name }}`. */
export interface TemplateContext {
  logicalDate: Date;
  /** The DAG's zone: `ds` is the logical date's calendar day there. */
  timezone: string;
  dagId: string;
  runId: string;
  taskId: string;
  dataIntervalStart?: Date | null;
  dataIntervalEnd?: Date | null;
}

export const TEMPLATE_VARIABLES = [
  'ds',
  'ds_nodash',
  'ts',
  'logical_date',
  'data_interval_start',
  'data_interval_end',
  'dag_id',
  'run_id',
  'task_id',
] as const;

const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/** The first unknown `{{ name }}` in a template, as a message with the fix, or null. */
export function templateProblem(text: string): string | null {
  for (const [, name] of text.matchAll(PLACEHOLDER)) {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      return `unknown template variable '{{ ${name} }}'; use one of ${TEMPLATE_VARIABLES.map((v) => `{{ ${v} }}`).join(', ')}`;
    }
  }
  return null;
}

/** Replaces `{{ ds }}` and friends. Unknown names are left as written (validation reports them). */
export function renderTemplate(text: string, context: TemplateContext): string {
  const local = DateTime.fromJSDate(context.logicalDate, { zone: context.timezone });
  const values: Record<string, string> = {
    ds: local.toISODate() ?? '',
    ds_nodash: (local.toISODate() ?? '').replace(/-/g, ''),
    ts: context.logicalDate.toISOString(),
    logical_date: context.logicalDate.toISOString(),
    data_interval_start: (context.dataIntervalStart ?? context.logicalDate).toISOString(),
    data_interval_end: (context.dataIntervalEnd ?? context.logicalDate).toISOString(),
    dag_id: context.dagId,
    run_id: context.runId,
    task_id: context.taskId,
  };
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}
