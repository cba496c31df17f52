import { DagDefinition } from '../dag/dag-definition';
import { assetNamesIn } from './asset-condition';

/**
 * The DAG → asset → DAG graph: a DAG produces the assets its tasks list as outlets, and
 * consumes those its schedule names (it is triggered by them) or its tasks read as inlets.
 */
export interface LineageNode {
  id: string;
  kind: 'dag' | 'asset';
  name: string;
}

export interface LineageEdge {
  from: string;
  to: string;
  /** produces: DAG → asset; triggers: asset → DAG whose schedule names it; reads: asset → DAG whose tasks read it. */
  kind: 'produces' | 'triggers' | 'reads';
  /** The tasks that produce or read it. */
  tasks: string[];
}

export interface Lineage {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export const dagNodeId = (dagId: string) => `dag:${dagId}`;
export const assetNodeId = (name: string) => `asset:${name}`;

export function buildLineage(dags: readonly DagDefinition[], assetNames: Iterable<string> = []): Lineage {
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  const addAsset = (name: string) =>
    nodes.set(assetNodeId(name), { id: assetNodeId(name), kind: 'asset', name });
  const addEdge = (from: string, to: string, kind: LineageEdge['kind'], task?: string) => {
    const key = `${from}|${to}|${kind}`;
    const edge = edges.get(key) ?? { from, to, kind, tasks: [] };
    if (task && !edge.tasks.includes(task)) edge.tasks.push(task);
    edges.set(key, edge);
  };
  for (const name of assetNames) addAsset(name);
  for (const dag of dags) {
    const dagNode = dagNodeId(dag.dagId);
    nodes.set(dagNode, { id: dagNode, kind: 'dag', name: dag.dagId });
    for (const task of dag.tasks) {
      for (const name of task.outlets) {
        addAsset(name);
        addEdge(dagNode, assetNodeId(name), 'produces', task.taskId);
      }
      for (const name of task.inlets) {
        addAsset(name);
        addEdge(assetNodeId(name), dagNode, 'reads', task.taskId);
      }
    }
    for (const declared of dag.assets ?? []) addAsset(declared.name);
    if (dag.schedule.kind === 'assets') {
      for (const name of assetNamesIn(dag.schedule.condition)) {
        addAsset(name);
        addEdge(assetNodeId(name), dagNode, 'triggers');
      }
    }
  }
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  return {
    nodes: [...nodes.values()].sort(byId),
    edges: [...edges.values()]
      .map((e) => ({ ...e, tasks: e.tasks.sort() }))
      .sort((a, b) => `${a.from}|${a.to}|${a.kind}`.localeCompare(`${b.from}|${b.to}|${b.kind}`)),
  };
}
