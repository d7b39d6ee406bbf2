import { LoggerService } from '@backstage/backend-plugin-api';
import { isReleaseFinished } from '@fincloud/plugin-releases-common';
import { NamespaceSnapshot } from '../cluster/ReleaseCluster';
import { describeKubeError } from '../cluster/kube';
import { StoredRelease } from '../database/ReleaseStore';
import { ReleaseEngine, SimulatedCrash } from '../service/ReleaseEngine';

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from(
    { length: Math.min(limit, items.length) },
    async () => {
      while (next < items.length) {
        const item = items[next++];
        await fn(item);
      }
    },
  );
  await Promise.all(workers);
}

export interface TickStats {
  releases: number;
  namespaces: number;
  changed: number;
  errors: number;
  durationMs: number;
}

/**
 * The release controller: every tick it reads the releases it looks after
 * (one query), each namespace they live in (one Deployment list and one
 * VirtualService list per namespace, not per release), and moves every
 * release on: apply pending intents, detect drift, follow readiness, timers
 * and metric gates. Scheduled with `scope: 'global'` so one backend runs it
 * at a time; actions in other backends apply under a lease.
 */
export class ReleaseController {
  constructor(
    private readonly engine: ReleaseEngine,
    private readonly logger: LoggerService,
    private readonly concurrency = 16,
  ) {}

  async tick(): Promise<TickStats> {
    const started = performance.now();
    const releases = await this.engine.store.listReconcilable();
    const groups = new Map<string, StoredRelease[]>();
    for (const s of releases) {
      const key = `${s.record.release.cluster}/${s.record.release.namespace}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const snapshots = new Map<string, NamespaceSnapshot | undefined>();
    await eachLimited([...groups.keys()], this.concurrency, async key => {
      const [cluster, namespace] = key.split('/');
      const needed = groups
        .get(key)!
        .some(s => !isReleaseFinished(s.record.release.state));
      if (!needed) return;
      try {
        snapshots.set(
          key,
          await this.engine.cluster.snapshot(cluster, namespace),
        );
      } catch (error) {
        this.logger.warn(
          `Release controller: cannot read ${key}: ${describeKubeError(error)}`,
        );
      }
    });
    let changed = 0;
    let errors = 0;
    await eachLimited(releases, this.concurrency, async s => {
      const key = `${s.record.release.cluster}/${s.record.release.namespace}`;
      try {
        const after = await this.engine.reconcile(s, snapshots.get(key));
        if (
          after.revision !== s.revision ||
          after.appliedGeneration !== s.appliedGeneration
        ) {
          changed += 1;
        }
      } catch (error) {
        if (error instanceof SimulatedCrash) throw error;
        errors += 1;
        this.logger.warn(
          `Release controller: release ${
            s.record.release.id
          }: ${describeKubeError(error)}`,
        );
      }
    });
    return {
      releases: releases.length,
      namespaces: snapshots.size,
      changed,
      errors,
      durationMs: performance.now() - started,
    };
  }
}
