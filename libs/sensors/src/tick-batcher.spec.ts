import { TickBatcher } from './tick-batcher';

describe('TickBatcher', () => {
  it('looks up the keys asked for in one tick together, each distinct key once', async () => {
    const lookup = jest.fn(async (keys: number[]) => keys.map((k) => k * 10));
    const batcher = new TickBatcher(lookup);
    const values = await Promise.all([1, 2, 2, 3, 1].map((k) => batcher.load(String(k), k)));
    expect(values).toEqual([10, 20, 20, 30, 10]);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(lookup).toHaveBeenCalledWith([1, 2, 3]);
    expect(batcher.stats()).toEqual({ batches: 1, keys: 3, loads: 5 });
  });

  it('gathers loads made after awaits within the same turn of the event loop', async () => {
    const lookup = jest.fn(async (keys: string[]) => keys);
    const batcher = new TickBatcher(lookup);
    const later = async (key: string) => {
      await Promise.resolve();
      await Promise.resolve();
      return batcher.load(key, key);
    };
    expect(await Promise.all([batcher.load('a', 'a'), later('b'), later('c')])).toEqual(['a', 'b', 'c']);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('starts a new batch for loads made after a flush', async () => {
    const lookup = jest.fn(async (keys: string[]) => keys);
    const batcher = new TickBatcher(lookup);
    await batcher.load('a', 'a');
    await batcher.load('a', 'a');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('rejects every waiter of a batch whose lookup fails, and recovers for the next', async () => {
    const lookup = jest
      .fn<Promise<string[]>, [string[]]>()
      .mockRejectedValueOnce(new Error('db down'))
      .mockImplementation(async (keys) => keys);
    const batcher = new TickBatcher(lookup);
    const results = await Promise.allSettled([batcher.load('a', 'a'), batcher.load('b', 'b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.load('a', 'a')).toBe('a');
  });

  it('treats a lookup that returns the wrong number of values as an error', async () => {
    const batcher = new TickBatcher(async () => [1]);
    await expect(Promise.all([batcher.load('a', 'a'), batcher.load('b', 'b')])).rejects.toThrow(
      'batched lookup returned 1 values for 2 keys',
    );
  });
});
