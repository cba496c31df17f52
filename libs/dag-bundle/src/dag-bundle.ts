import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as domain from '@tributary/domain';
import { DagDefinition, DagProblem, validateDagBundle } from '@tributary/domain';
import * as sdk from '@tributary/sdk';
import { Dag, isDag } from '@tributary/sdk';
import { registerTypeScriptLoader } from './typescript-loader';

export interface LoadedDag {
  dag: Dag;
  definition: DagDefinition;
  /** The file that exported it, relative to the bundle folder. */
  file: string;
}

/** A folder of DAG files, loaded: every exported DAG, a content version, and every problem found. */
export interface DagBundle {
  dir: string;
  /** sha256 over the bundle's file names and contents: changes whenever any DAG file changes. */
  version: string;
  dags: LoadedDag[];
  problems: DagProblem[];
  files: string[];
}

const DAG_FILE = /\.(ts|js|cjs)$/;
const NOT_DAG_FILE = /(\.d\.ts|\.spec\.ts|\.test\.ts)$/;

/** Loads every `.ts`/`.js` file under `dir` (recursively, skipping node_modules) and collects its exported DAGs. */
export async function loadDagBundle(dir: string): Promise<DagBundle> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) {
    throw new Error(
      `DAG bundle folder '${dir}' does not exist; pass a folder of DAG files, e.g. examples/authoring`,
    );
  }
  registerTypeScriptLoader({ '@tributary/sdk': sdk, '@tributary/domain': domain });

  const files = (await listFiles(root)).filter((f) => DAG_FILE.test(f) && !NOT_DAG_FILE.test(f)).sort();
  const hash = createHash('sha256');
  const dags: LoadedDag[] = [];
  const problems: DagProblem[] = [];
  for (const file of files) {
    const absolute = path.join(root, file);
    hash
      .update(file)
      .update('\0')
      .update(await fs.readFile(absolute))
      .update('\0');
    let exported: Record<string, unknown>;
    try {
      delete require.cache[absolute];
      // DAG files are loaded at run time from a folder the user names: a dynamic require is the point.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exported = require(absolute) as Record<string, unknown>;
    } catch (error) {
      problems.push({
        dagId: `<${file}>`,
        field: 'file',
        message: `could not be loaded: ${(error as Error).message.split('\n')[0]}; fix the error in ${file}`,
      });
      continue;
    }
    for (const value of exportedValues(exported)) {
      if (isDag(value) && !dags.some((d) => d.dag === value)) {
        dags.push({ dag: value, definition: value.toDefinition(), file });
      }
    }
  }
  problems.push(...validateDagBundle(dags.map((d) => d.definition)));
  return { dir: root, version: hash.digest('hex').slice(0, 16), dags, problems, files };
}

function exportedValues(exported: Record<string, unknown>): unknown[] {
  const values: unknown[] = [];
  for (const value of Object.values(exported ?? {})) {
    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  if (isDag(exported)) values.push(exported);
  return values;
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(root, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
    else files.push(relative);
  }
  return files;
}
