/**
 * The controllers' work queue: keyed tasks (one pending task per key),
 * drained after API writes (on the next turn of the event loop) and after
 * every timer of a manual clock, so a test's `advance()` sees a settled cluster.
 */
export class WorkQueue {
  private readonly tasks = new Map<string, () => void>();
  private scheduled = false;
  private draining = false;
  private stopped = false;
  /** Errors of tasks (logged by the server; tests read them). */
  readonly errors: Error[] = [];
  onError: (error: Error, key: string) => void = () => {};

  add(key: string, task: () => void) {
    if (this.stopped) return;
    this.tasks.set(key, task);
    this.schedule();
  }

  get size() {
    return this.tasks.size;
  }

  private schedule() {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /** Runs queued tasks until none is left. */
  drain() {
    if (this.draining || this.stopped) return;
    this.draining = true;
    try {
      let rounds = 0;
      while (this.tasks.size > 0) {
        if (++rounds > 200_000) {
          const error = new Error(
            `controllers did not settle: ${[...this.tasks.keys()]
              .slice(0, 5)
              .join(', ')}`,
          );
          this.errors.push(error);
          this.onError(error, 'queue');
          this.tasks.clear();
          break;
        }
        const [key, task] = this.tasks.entries().next().value as [
          string,
          () => void,
        ];
        this.tasks.delete(key);
        try {
          task();
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          this.errors.push(e);
          if (this.errors.length > 100) this.errors.shift();
          this.onError(e, key);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  stop() {
    this.stopped = true;
    this.tasks.clear();
  }
}
