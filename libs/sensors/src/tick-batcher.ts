interface Waiter<V> {
  resolve(value: V): void;
  reject(error: unknown): void;
}

interface PendingKey<K, V> {
  key: K;
  waiters: Waiter<V>[];
}

export interface TickBatcherStats {
  /** Lookups run (one per batch of at most `maxBatchSize` distinct keys). */
  batches: number;
  /** Distinct keys looked up, summed over batches. */
  keys: number;
  /** Calls to `load`: many may share one key and one batch. */
  loads: number;
}

/**
 * Coalesces the lookups asked for during one turn of the event loop into one call of
 * `lookup` (flushed on `setImmediate`), so thousands of sensors poked together cost one
 * query, not thousands. Identical keys (by `id`) in one batch are looked up once.
 */
export class TickBatcher<K, V> {
  private pending = new Map<string, PendingKey<K, V>>();
  private flushScheduled = false;
  private readonly counters: TickBatcherStats = { batches: 0, keys: 0, loads: 0 };

  /**
   * @param lookup returns one value per key, in the order of the keys.
   * @param maxBatchSize keeps one statement's parameters to a sane size.
   */
  constructor(
    private readonly lookup: (keys: K[]) => Promise<V[]>,
    private readonly maxBatchSize = 2_000,
  ) {
    if (maxBatchSize < 1) throw new Error(`maxBatchSize must be at least 1, got ${maxBatchSize}`);
  }

  load(id: string, key: K): Promise<V> {
    this.counters.loads++;
    return new Promise<V>((resolve, reject) => {
      const pending = this.pending.get(id);
      if (pending) pending.waiters.push({ resolve, reject });
      else this.pending.set(id, { key, waiters: [{ resolve, reject }] });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  stats(): TickBatcherStats {
    return { ...this.counters };
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    for (let start = 0; start < batch.length; start += this.maxBatchSize) {
      void this.run(batch.slice(start, start + this.maxBatchSize));
    }
  }

  private async run(batch: PendingKey<K, V>[]): Promise<void> {
    this.counters.batches++;
    this.counters.keys += batch.length;
    try {
      const values = await this.lookup(batch.map((p) => p.key));
      if (values.length !== batch.length) {
        throw new Error(`batched lookup returned ${values.length} values for ${batch.length} keys`);
      }
      batch.forEach((p, i) => p.waiters.forEach((w) => w.resolve(values[i])));
    } catch (error) {
      for (const p of batch) p.waiters.forEach((w) => w.reject(error));
    }
  }
}
