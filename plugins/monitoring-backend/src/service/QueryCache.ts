/**
 * Singleflight + a short-lived cache, so N people looking at the same
 * service cost Prometheus one query per panel and step window:
 *
 * - identical keys asked while a load is in flight share that load (its
 *   result or its error);
 * - a successful result is kept for its TTL (about one step: the next
 *   step-aligned window has a new key anyway); errors are never kept;
 * - at most `maxEntries` results are kept, the least recently used go first.
 *
 * Keys are built by the caller from everything that changes the answer
 * (server, tenant, final PromQL, aligned start, end and step).
 */
export class QueryCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();
  private readonly inflight = new Map<string, Promise<T>>();
  readonly stats = { loads: 0, hits: 0, coalesced: 0 };

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry) {
      if (entry.expires > this.now()) {
        // Most recently used goes to the end of the map's order.
        this.entries.delete(key);
        this.entries.set(key, entry);
        this.stats.hits += 1;
        return entry.value;
      }
      this.entries.delete(key);
    }
    const running = this.inflight.get(key);
    if (running) {
      this.stats.coalesced += 1;
      return running;
    }
    this.stats.loads += 1;
    const promise = (async () => {
      try {
        const value = await load();
        if (ttlMs > 0) {
          this.entries.set(key, { value, expires: this.now() + ttlMs });
          while (this.entries.size > this.maxEntries) {
            const oldest = this.entries.keys().next().value as string;
            this.entries.delete(oldest);
          }
        }
        return value;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, promise);
    return promise;
  }

  get size() {
    return this.entries.size;
  }

  clear() {
    this.entries.clear();
  }
}
