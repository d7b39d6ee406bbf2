import { QueryCache } from './QueryCache';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('QueryCache', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('shares one load between everyone asking the same key while it runs', async () => {
    const cache = new QueryCache<string>(10, clock);
    const d = deferred<string>();
    const load = jest.fn(() => d.promise);
    const all = Promise.all(
      Array.from({ length: 100 }, () => cache.get('k', 1000, load)),
    );
    d.resolve('answer');
    expect(await all).toEqual(Array(100).fill('answer'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats).toEqual({ loads: 1, hits: 0, coalesced: 99 });
  });

  it('serves a result for its TTL, then loads again', async () => {
    const cache = new QueryCache<number>(10, clock);
    let n = 0;
    const load = async () => ++n;
    expect(await cache.get('k', 1000, load)).toBe(1);
    now += 999;
    expect(await cache.get('k', 1000, load)).toBe(1);
    now += 2;
    expect(await cache.get('k', 1000, load)).toBe(2);
  });

  it('shares a failure with the waiters but never caches it', async () => {
    const cache = new QueryCache<string>(10, clock);
    const d = deferred<string>();
    const first = cache.get('k', 1000, () => d.promise);
    const second = cache.get('k', 1000, () => Promise.resolve('other'));
    d.reject(new Error('Prometheus is down'));
    await expect(first).rejects.toThrow('Prometheus is down');
    await expect(second).rejects.toThrow('Prometheus is down');
    expect(await cache.get('k', 1000, async () => 'recovered')).toBe(
      'recovered',
    );
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new QueryCache<string>(2, clock);
    await cache.get('a', 10_000, async () => 'a1');
    await cache.get('b', 10_000, async () => 'b1');
    await cache.get('a', 10_000, async () => 'a2'); // a is now the most recent
    await cache.get('c', 10_000, async () => 'c1'); // b goes
    expect(cache.size).toBe(2);
    expect(await cache.get('a', 10_000, async () => 'a3')).toBe('a1');
    expect(await cache.get('b', 10_000, async () => 'b2')).toBe('b2');
  });
});
