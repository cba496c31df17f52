import { formatDagProblem } from '@tributary/domain';
import { describeSchedule } from '@tributary/domain';
import { loadDagBundle } from '@tributary/dag-bundle';
import { CliError } from './cli-error';

export interface DagsValidateResult {
  dir: string;
  version: string;
  dags: { dagId: string; file: string; schedule: string; tasks: number }[];
  problems: string[];
}

/** Loads a DAG bundle folder and reports every problem in every DAG. */
export async function validateDagsFolder(dir: string): Promise<DagsValidateResult> {
  let bundle;
  try {
    bundle = await loadDagBundle(dir);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const problems = bundle.problems.map(formatDagProblem);
  return {
    dir: bundle.dir,
    version: bundle.version,
    dags: bundle.dags.map((d) => ({
      dagId: d.definition.dagId,
      file: d.file,
      schedule: safeDescribe(d.definition),
      tasks: d.definition.tasks.length,
    })),
    problems,
  };
}

function safeDescribe(definition: Parameters<typeof describeSchedule>[0]): string {
  try {
    return describeSchedule(definition);
  } catch {
    return '(invalid schedule)';
  }
}

export function formatDagsValidate(result: DagsValidateResult): string {
  const lines = [`DAG bundle ${result.dir} (version ${result.version})`];
  for (const dag of result.dags) {
    lines.push(
      `  ${dag.dagId}  [${dag.file}]  ${dag.tasks} task${dag.tasks === 1 ? '' : 's'}  ${dag.schedule}`,
    );
  }
  if (result.dags.length === 0) lines.push('  (no DAGs exported)');
  if (result.problems.length === 0) {
    lines.push(`OK: ${result.dags.length} DAG${result.dags.length === 1 ? '' : 's'} valid`);
  } else {
    lines.push(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`);
    for (const p of result.problems) lines.push(`  - ${p}`);
  }
  return lines.join('\n');
}
