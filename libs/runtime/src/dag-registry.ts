import { DagDefinition } from '@tributary/domain';
import type { Dag } from '@tributary/sdk';

export interface RegisteredDag {
  definition: DagDefinition;
  /** The SDK object: where executors find task callables. */
  dag: Dag;
  file: string;
}

/** The DAG bundle this process loaded: definitions for every service, callables for executors. */
export class DagRegistry {
  private readonly dags = new Map<string, RegisteredDag>();

  constructor(
    readonly bundleVersion: string,
    dags: RegisteredDag[],
  ) {
    for (const d of dags) this.dags.set(d.definition.dagId, d);
  }

  get(dagId: string): RegisteredDag | undefined {
    return this.dags.get(dagId);
  }

  all(): RegisteredDag[] {
    return [...this.dags.values()];
  }
}
