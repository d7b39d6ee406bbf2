import { AuditVerifyResult } from '@fincloud/plugin-audit-common';
import { AuditStore } from '@fincloud/plugin-audit-node';

/**
 * One chain walk at a time, its result reused for a while: the explorer's
 * verification badge asks on every page load, and a walk over millions of
 * records takes seconds.
 */
export class VerifyCache {
  private running?: Promise<AuditVerifyResult>;
  private last?: { at: number; result: AuditVerifyResult };

  constructor(
    private readonly store: AuditStore,
    private readonly maxAgeMs: number,
  ) {}

  async get(): Promise<AuditVerifyResult> {
    if (this.last && Date.now() - this.last.at < this.maxAgeMs) {
      return this.last.result;
    }
    if (!this.running) {
      this.running = this.store
        .verify()
        .then(result => {
          this.last = { at: Date.now(), result };
          return result;
        })
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }
}
