import { EntityManager } from 'typeorm';
import {
  AssetFreshnessDefinition,
  DagDefinition,
  FreshnessStatus,
  InputFreshness,
  assetNamesIn,
  dayPartitionOf,
  describeFreshnessContract,
  judgeLag,
  judgePartition,
  lastPartitionDue,
  nextPartitionDue,
} from '@tributary/domain';

/**
 * Reads of freshness shared by the assets service, the coordinator (what a run's inputs
 * looked like when it started) and the API (`GET /api/v1/freshness`).
 */
export interface AssetRow {
  name: string;
  description: string | null;
  freshness: AssetFreshnessDefinition | null;
  producer_dag_ids: string[];
  timezone: string;
  registered_by: string;
  registered_at: Date;
  last_event_at: Date | null;
}

export const ASSET_COLUMNS = `name, description, freshness, producer_dag_ids, timezone, registered_by, registered_at, last_event_at`;

/** The inputs of a DAG: the assets its schedule names and its tasks read. */
export function inputAssetsOf(def: DagDefinition): string[] {
  const names = new Set<string>();
  if (def.schedule.kind === 'assets') assetNamesIn(def.schedule.condition).forEach((n) => names.add(n));
  def.tasks.forEach((t) => t.inlets.forEach((n) => names.add(n)));
  return [...names].sort();
}

/** When partition `partition` of each asset completed (absent: not complete). */
export async function completedPartitions(
  em: EntityManager,
  assets: string[],
  partition: string,
): Promise<Map<string, Date>> {
  if (assets.length === 0) return new Map();
  const rows: { asset_name: string; completed_at: Date }[] = await em.query(
    `SELECT asset_name, completed_at FROM asset_partitions
     WHERE asset_name = ANY($1::text[]) AND partition = $2 AND completed_at IS NOT NULL`,
    [assets, partition],
  );
  return new Map(rows.map((r) => [r.asset_name, new Date(r.completed_at)]));
}

/** Each input of a run for logical date `logicalDate` (its partition is that day in the DAG's zone), judged at `now`. */
export async function inputFreshness(
  em: EntityManager,
  def: DagDefinition,
  logicalDate: Date,
  now: Date,
): Promise<InputFreshness[]> {
  const names = inputAssetsOf(def);
  if (names.length === 0) return [];
  const partition = dayPartitionOf(logicalDate, def.timezone);
  // A run of a non-partitioned asset schedule reads "the latest"; any other run reads its day.
  if (!(def.schedule.kind === 'assets' && !def.schedule.partitioned)) {
    return judgeInputsForDay(em, names, partition, now);
  }
  const rows: AssetRow[] = await em.query(
    `SELECT ${ASSET_COLUMNS} FROM assets WHERE name = ANY($1::text[])`,
    [names],
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  return names.map((name) => {
    const row = byName.get(name);
    if (row?.freshness?.maxLag !== undefined) return judgeInput(row, name, partition, null, now);
    const last = row?.last_event_at ? new Date(row.last_event_at) : null;
    return {
      asset: name,
      partition: null,
      contract: row?.freshness ? describeFreshnessContract(row.freshness) : null,
      status: last ? 'complete' : 'incomplete',
      satisfied: last !== null,
      deadline: null,
      completedAt: last?.toISOString() ?? null,
      lateByMs: 0,
    };
  });
}

/** How each asset stands for day `partition` against its contract (or without one, complete or not). */
export async function judgeInputsForDay(
  em: EntityManager,
  names: string[],
  partition: string,
  now: Date,
): Promise<InputFreshness[]> {
  const rows: AssetRow[] = await em.query(
    `SELECT ${ASSET_COLUMNS} FROM assets WHERE name = ANY($1::text[])`,
    [names],
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  const completed = await completedPartitions(em, names, partition);
  return names.map((name) => judgeInput(byName.get(name), name, partition, completed.get(name) ?? null, now));
}

function judgeInput(
  row: AssetRow | undefined,
  name: string,
  partition: string,
  completedAt: Date | null,
  now: Date,
): InputFreshness {
  const contract = row?.freshness ?? null;
  if (contract?.maxLag !== undefined) {
    const lastEvent = row?.last_event_at ? new Date(row.last_event_at) : null;
    const verdict = judgeLag(contract, lastEvent, new Date(row?.registered_at ?? now), now);
    return {
      asset: name,
      partition: null,
      contract: describeFreshnessContract(contract),
      status: verdict.status,
      satisfied: verdict.status === 'fresh',
      deadline: verdict.deadline.toISOString(),
      completedAt: lastEvent?.toISOString() ?? null,
      lateByMs: verdict.lateByMs,
    };
  }
  if (contract?.by !== undefined) {
    const verdict = judgePartition(contract, partition, completedAt, now);
    return {
      asset: name,
      partition,
      contract: describeFreshnessContract(contract),
      status: verdict.status,
      satisfied: verdict.status === 'fresh',
      deadline: verdict.deadline.toISOString(),
      completedAt: completedAt?.toISOString() ?? null,
      lateByMs: verdict.lateByMs,
    };
  }
  return {
    asset: name,
    partition,
    contract: null,
    status: completedAt ? 'complete' : 'incomplete',
    satisfied: completedAt !== null,
    deadline: null,
    completedAt: completedAt?.toISOString() ?? null,
    lateByMs: 0,
  };
}

/** One asset's contract and where it stands now, for `GET /api/v1/freshness`. */
export interface FreshnessReport {
  asset: string;
  contract: AssetFreshnessDefinition;
  description: string;
  /** The last partition judged (its deadline has passed); null for max-lag contracts. */
  partition: string | null;
  status: FreshnessStatus;
  deadline: string;
  completedAt: string | null;
  lateByMs: number;
  /** The next partition to be judged and its deadline (wall-clock contracts). */
  next: { partition: string; deadline: string; status: FreshnessStatus; completedAt: string | null } | null;
  openAlertId: string | null;
}

export async function freshnessReport(
  em: EntityManager,
  now: Date,
  asset?: string,
): Promise<FreshnessReport[]> {
  const rows: AssetRow[] = await em.query(
    `SELECT ${ASSET_COLUMNS} FROM assets WHERE freshness IS NOT NULL AND ($1::text IS NULL OR name = $1) ORDER BY name`,
    [asset ?? null],
  );
  const open: { id: string; asset: string }[] = await em.query(
    `SELECT id, asset FROM alerts WHERE kind = 'freshness_missed' AND recovered_at IS NULL ORDER BY id`,
  );
  const openByAsset = new Map(open.map((a) => [a.asset, String(a.id)]));
  // Which days each wall-clock contract is judged on, then their completions in one query.
  const days = new Map<string, { judged: string; upcoming: string }>();
  for (const row of rows) {
    const contract = row.freshness as AssetFreshnessDefinition;
    if (contract.maxLag !== undefined) continue;
    const upcoming = nextPartitionDue(contract, now);
    // Nothing was promised for days before the asset was registered: report the next one instead.
    const registeredDay = dayPartitionOf(new Date(row.registered_at), contract.timezone ?? row.timezone);
    const lastDue = lastPartitionDue(contract, now);
    days.set(row.name, { judged: lastDue < registeredDay ? upcoming : lastDue, upcoming });
  }
  const keys = [...days].flatMap(([name, d]) => [
    [name, d.judged],
    [name, d.upcoming],
  ]);
  const completions: { asset_name: string; partition: string; completed_at: Date }[] = keys.length
    ? await em.query(
        `SELECT p.asset_name, p.partition, p.completed_at FROM asset_partitions p
         JOIN unnest($1::text[], $2::text[]) AS k (asset_name, partition)
           ON k.asset_name = p.asset_name AND k.partition = p.partition
         WHERE p.completed_at IS NOT NULL`,
        [keys.map((k) => k[0]), keys.map((k) => k[1])],
      )
    : [];
  const completedAt = new Map(
    completions.map((c) => [`${c.asset_name}|${c.partition}`, new Date(c.completed_at)]),
  );
  const reports: FreshnessReport[] = [];
  for (const row of rows) {
    const contract = row.freshness as AssetFreshnessDefinition;
    const base = {
      asset: row.name,
      contract,
      description: describeFreshnessContract(contract),
      openAlertId: openByAsset.get(row.name) ?? null,
    };
    const day = days.get(row.name);
    if (!day) {
      const last = row.last_event_at ? new Date(row.last_event_at) : null;
      const v = judgeLag(contract, last, new Date(row.registered_at), now);
      reports.push({
        ...base,
        partition: null,
        status: v.status,
        deadline: v.deadline.toISOString(),
        completedAt: last?.toISOString() ?? null,
        lateByMs: v.lateByMs,
        next: null,
      });
      continue;
    }
    const at = (p: string) => completedAt.get(`${row.name}|${p}`) ?? null;
    const v = judgePartition(contract, day.judged, at(day.judged), now);
    const n = judgePartition(contract, day.upcoming, at(day.upcoming), now);
    reports.push({
      ...base,
      partition: day.judged,
      status: v.status,
      deadline: v.deadline.toISOString(),
      completedAt: at(day.judged)?.toISOString() ?? null,
      lateByMs: v.lateByMs,
      next: {
        partition: day.upcoming,
        deadline: n.deadline.toISOString(),
        status: n.status,
        completedAt: at(day.upcoming)?.toISOString() ?? null,
      },
    });
  }
  return reports;
}
