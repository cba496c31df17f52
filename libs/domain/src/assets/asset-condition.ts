/**
 * Conditions over assets for asset-scheduled DAGs: `and(...)` / `or(...)`, nested.
 * Evaluation is pure: the caller says which assets are updated (or, partition-aware,
 * which partitions each asset has), the condition says whether a run may start.
 */
export type AssetCondition =
  | { kind: 'asset'; name: string }
  | { kind: 'all'; of: AssetCondition[] }
  | { kind: 'any'; of: AssetCondition[] };

export function assetNamesIn(condition: AssetCondition): string[] {
  const names = new Set<string>();
  const walk = (c: AssetCondition): void => {
    if (c.kind === 'asset') names.add(c.name);
    else c.of.forEach(walk);
  };
  walk(condition);
  return [...names];
}

/** Whether the condition holds given the set of assets updated since the last run. */
export function isAssetConditionMet(condition: AssetCondition, updated: ReadonlySet<string>): boolean {
  switch (condition.kind) {
    case 'asset':
      return updated.has(condition.name);
    case 'all':
      return condition.of.every((c) => isAssetConditionMet(c, updated));
    case 'any':
      return condition.of.some((c) => isAssetConditionMet(c, updated));
  }
}

/**
 * The assets still needed for the condition to hold: for `all`, everything missing; for
 * `any`, the smallest branch still missing. Empty when the condition is met.
 */
export function missingAssets(condition: AssetCondition, updated: ReadonlySet<string>): string[] {
  switch (condition.kind) {
    case 'asset':
      return updated.has(condition.name) ? [] : [condition.name];
    case 'all':
      return [...new Set(condition.of.flatMap((c) => missingAssets(c, updated)))];
    case 'any': {
      const branches = condition.of.map((c) => missingAssets(c, updated));
      if (branches.length === 0) return [];
      return branches.reduce((best, b) => (b.length < best.length ? b : best));
    }
  }
}

/**
 * Partition-aware evaluation: the partitions (usually logical dates) for which every
 * input the condition needs has an event. `partitionsByAsset` maps asset → partitions
 * updated and not yet consumed.
 */
export function readyPartitions(
  condition: AssetCondition,
  partitionsByAsset: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const candidates = new Set<string>();
  for (const name of assetNamesIn(condition)) partitionsByAsset.get(name)?.forEach((p) => candidates.add(p));
  return [...candidates]
    .filter((partition) => {
      const updated = new Set<string>();
      for (const [name, partitions] of partitionsByAsset) if (partitions.has(partition)) updated.add(name);
      return isAssetConditionMet(condition, updated);
    })
    .sort();
}

/** "raw.events and (raw.payments or raw.accounts)". */
export function describeAssetCondition(condition: AssetCondition, nested = false): string {
  if (condition.kind === 'asset') return condition.name;
  // A one-item group adds nothing: its item needs parentheses only if the group itself did.
  const nestItems = nested || condition.of.length > 1;
  const joined = condition.of
    .map((c) => describeAssetCondition(c, nestItems))
    .join(condition.kind === 'all' ? ' and ' : ' or ');
  return nested && condition.of.length > 1 ? `(${joined})` : joined;
}
