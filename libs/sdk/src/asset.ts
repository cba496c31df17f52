import { AssetCondition, AssetDefinition, AssetFreshnessDefinition } from '@tributary/domain';

export interface AssetOptions {
  description?: string;
  /**
   * The producer's freshness contract: `{ by: '04:00', timezone: 'America/Los_Angeles' }`
   * (partition D is fresh by 04:00 local on D+1; `offsetDays` changes the +1), or
   * `{ maxLag: '2h' }` (at most two hours since the last event).
   */
  freshness?: AssetFreshnessDefinition;
}

/** A named piece of data that tasks produce (outlets), read (inlets) and DAGs are scheduled on. */
export class Asset {
  constructor(
    readonly name: string,
    readonly options: AssetOptions = {},
  ) {}

  toDefinition(): AssetDefinition {
    return {
      name: this.name,
      ...(this.options.description ? { description: this.options.description } : {}),
      ...(this.options.freshness
        ? {
            freshness:
              this.options.freshness.by !== undefined
                ? { offsetDays: 1, ...this.options.freshness }
                : { ...this.options.freshness },
          }
        : {}),
    };
  }

  toCondition(): AssetCondition {
    return { kind: 'asset', name: this.name };
  }

  toString(): string {
    return this.name;
  }
}

export function asset(name: string, options: AssetOptions = {}): Asset {
  return new Asset(name, options);
}

export type AssetLike = Asset | string | AssetCondition;

export function toAssetCondition(item: AssetLike): AssetCondition {
  if (item instanceof Asset) return item.toCondition();
  if (typeof item === 'string') return { kind: 'asset', name: item };
  return item;
}

export function assetName(item: Asset | string): string {
  return item instanceof Asset ? item.name : item;
}

/** All of these assets (or nested conditions) must be updated. */
export function and(...items: AssetLike[]): AssetCondition {
  return { kind: 'all', of: items.map(toAssetCondition) };
}

/** Any one of these assets (or nested conditions) is enough. */
export function or(...items: AssetLike[]): AssetCondition {
  return { kind: 'any', of: items.map(toAssetCondition) };
}
