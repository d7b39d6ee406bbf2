import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  Analysis,
  ReleaseSignal,
  isReleaseFinished,
  releasesSignalChannel,
} from '@fincloud/plugin-releases-common';
import { SignalsService } from '@backstage/plugin-signals-node';
import { RELEASE_EVENTS } from '../auditor/events';
import {
  DriftError,
  NamespaceSnapshot,
  ReleaseCluster,
  deploymentReady,
  describeDrift,
  rolloutFailure,
} from '../cluster/ReleaseCluster';
import { canonical, describeKubeError, statusOf } from '../cluster/kube';
import { ReleasesConfig } from '../config';
import {
  ControllerInput,
  MachineInput,
  desiredState,
  intentWeights,
  transition,
} from '../domain/machine';
import { weightsOfRoutes } from '../domain/routing';
import { MachineConfig, ReleaseRecord } from '../domain/types';
import { ReleaseStore, StoredRelease } from '../database/ReleaseStore';
import { MetricsProvider, runGates } from '../metrics/MetricsProvider';

/** Test hooks: stand-ins for a process dying at a chosen moment. */
export interface EngineHooks {
  /** Runs after the intent is durably written and the lease taken, right before the cluster is touched. */
  beforeApply?(stored: StoredRelease): void | Promise<void>;
  /** Runs after the cluster took the intent completely (before it is recorded as applied). */
  afterApply?(stored: StoredRelease): void | Promise<void>;
}

/** Thrown by a hook to stand for the process dying: nothing after it runs, the lease is not given back. */
export class SimulatedCrash extends Error {
  constructor(message = 'simulated crash') {
    super(message);
    this.name = 'SimulatedCrash';
  }
}

export interface ReleaseEngineOptions {
  store: ReleaseStore;
  cluster: ReleaseCluster;
  config: ReleasesConfig;
  logger: LoggerService;
  auditor: AuditorService;
  signals?: SignalsService;
  metrics?: MetricsProvider;
  /** Epoch ms; the simulator's clock in tests. */
  clock?: () => number;
  /** Who holds apply leases: unique per process (and per controller in tests). */
  instanceId: string;
  hooks?: EngineHooks;
}

function pending(s: StoredRelease) {
  return s.intent !== null && s.intentGeneration > s.appliedGeneration;
}

function sameRecord(a: ReleaseRecord, b: ReleaseRecord) {
  const strip = (r: ReleaseRecord) => ({
    ...r,
    release: { ...r.release, updatedAt: undefined, revision: undefined },
  });
  return canonical(strip(a)) === canonical(strip(b));
}

/** The store's revision check failed: reload and try again. */
function isStale(error: unknown) {
  return (
    error instanceof ConflictError &&
    /revision \d+ is stale/.test(error.message)
  );
}

/**
 * Writes transitions (intent first), applies intents under a lease, and
 * reconciles releases against the cluster. Shared by the API (actions apply
 * at once) and the controller (ticks).
 */
export class ReleaseEngine {
  readonly clock: () => number;
  readonly machine: MachineConfig;

  constructor(private readonly options: ReleaseEngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.machine = {
      approvalTtlMs: options.config.approvalTtlMs,
      warmMs: options.config.warmMs,
      analysisTimeoutMs: options.config.analysis.timeoutMs,
    };
  }

  get store() {
    return this.options.store;
  }

  get cluster() {
    return this.options.cluster;
  }

  /**
   * Writes `next` over `stored` (guarded by the revision), with the intent
   * it implies when that changed. Audits and signals state changes the
   * controller makes.
   */
  async commit(
    stored: StoredRelease,
    next: ReleaseRecord,
    cause: 'controller' | 'person',
  ): Promise<StoredRelease> {
    const intent = desiredState(next);
    const changed = canonical(intent) !== canonical(stored.intent);
    const before = stored.record.release;
    const after = next.release;
    const stateChanged = before.state !== after.state;
    const event =
      cause === 'controller' && stateChanged
        ? await this.options.auditor.createEvent({
            eventId:
              after.state === 'rolled-back'
                ? RELEASE_EVENTS.autoRollback
                : RELEASE_EVENTS.transition,
            // Medium (buffered, never lost): an automatic rollback must
            // never wait for, or be refused by, the audit trail.
            severityLevel: 'medium',
            meta: {
              entityRef: after.entityRef,
              releaseId: after.id,
              from: before.state,
              to: after.state,
              step: after.currentStep,
              ...(after.reason ? { reason: after.reason } : {}),
            },
          })
        : undefined;
    let written: StoredRelease;
    try {
      written = await this.store.update(stored, next, {
        value: intent,
        changed,
      });
    } catch (error) {
      await event?.fail({ error: error as Error });
      throw error;
    }
    await event?.success();
    if (
      stateChanged ||
      before.weights.canary !== after.weights.canary ||
      before.weights.stable !== after.weights.stable
    ) {
      await this.publish(written);
    }
    return written;
  }

  /** Changes a release with `change`, reloading and retrying on a stale revision. */
  async mutate(
    id: string,
    change: (s: StoredRelease) => ReleaseRecord,
    attempts = 5,
  ): Promise<StoredRelease> {
    for (let attempt = 1; ; attempt++) {
      const s = await this.store.get(id);
      if (!s) throw new Error(`release ${id} disappeared`);
      const record = change(s);
      if (sameRecord(record, s.record)) return s;
      try {
        return await this.commit(s, record, 'controller');
      } catch (error) {
        if (!isStale(error) || attempt >= attempts) throw error;
      }
    }
  }

  /** Applies controller inputs to a release, reloading on a stale revision. */
  feed(
    id: string,
    inputs: (s: StoredRelease) => MachineInput[],
  ): Promise<StoredRelease> {
    return this.mutate(id, s =>
      inputs(s).reduce(
        (record, input) =>
          transition(record, input, this.clock(), this.machine),
        s.record,
      ),
    );
  }

  async publish(s: StoredRelease) {
    if (!this.options.signals) return;
    const { release } = s.record;
    const message: ReleaseSignal = {
      releaseId: release.id,
      state: release.state,
      weights: release.weights,
    };
    try {
      await this.options.signals.publish({
        recipients: { type: 'broadcast' },
        channel: releasesSignalChannel(release.entityRef),
        message: message as any,
      });
    } catch (error) {
      this.options.logger.warn(
        `Could not signal release ${release.id}: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Applies the release's intent when the cluster does not have it yet:
   * under a lease (another backend applying the same release waits), after
   * the intent is durably written. Returns the release as it is afterwards.
   */
  async applyPending(
    stored: StoredRelease,
    snapshot?: NamespaceSnapshot,
  ): Promise<StoredRelease> {
    if (!pending(stored)) return stored;
    const id = stored.record.release.id;
    const owner = this.options.instanceId;
    const leaseMs = this.options.config.controller.leaseMs;
    if (!(await this.store.claim(id, owner, this.clock(), leaseMs))) {
      return stored; // another backend is applying it
    }
    let crashed = false;
    let leased = true;
    try {
      const s = (await this.store.get(id))!;
      if (!pending(s)) return s;
      try {
        await this.options.hooks?.beforeApply?.(s);
      } catch (error) {
        if (error instanceof SimulatedCrash) crashed = true;
        throw error;
      }
      const intent = s.intent!;
      const forced = (s.applied?.reapply ?? 0) < intent.reapply;
      let result;
      try {
        result = await this.cluster.apply(s.record.release.cluster, intent, {
          expectedHttp: forced ? undefined : s.applied?.http,
          // The tick's read of the namespace stands for the cluster only if
          // nobody applied this release since it was taken.
          snapshot:
            s.appliedGeneration === stored.appliedGeneration
              ? snapshot
              : undefined,
        });
      } catch (error) {
        return await this.applyFailed(s, error);
      }
      if (!result.complete) {
        this.options.logger.debug(
          `Release ${id}: waiting before moving traffic (${result.waitingFor})`,
        );
        return s;
      }
      await this.options.hooks?.afterApply?.(s);
      leased = !(await this.store.markApplied(id, owner, {
        generation: s.intentGeneration,
        reapply: intent.reapply,
        ...(result.http ?? s.applied?.http
          ? { http: result.http ?? s.applied?.http }
          : {}),
        at: this.clock(),
      }));
      // The traffic bar follows what the cluster now routes.
      const settled = (record: ReleaseRecord) => {
        let next = record;
        const weights = intentWeights(next);
        if (
          weights.canary !== next.release.weights.canary ||
          weights.stable !== next.release.weights.stable
        ) {
          next = transition(
            next,
            { type: 'weights', weights },
            this.clock(),
            this.machine,
          );
        }
        if (next.internal.applyFailures > 0) {
          next = JSON.parse(JSON.stringify(next));
          next.internal.applyFailures = 0;
          delete next.internal.lastApplyError;
        }
        return next;
      };
      const next = settled(s.record);
      if (sameRecord(next, s.record)) return s;
      try {
        return await this.commit(s, next, 'controller');
      } catch (error) {
        if (!isStale(error)) throw error;
        return await this.mutate(id, fresh => settled(fresh.record));
      }
    } finally {
      if (!crashed && leased) await this.store.unclaim(id, owner);
    }
  }

  private async applyFailed(
    s: StoredRelease,
    error: unknown,
  ): Promise<StoredRelease> {
    const id = s.record.release.id;
    if (error instanceof DriftError) {
      this.options.logger.warn(`Release ${id}: drift: ${error.details}`);
      return this.feed(id, () => [{ type: 'drift', details: error.details }]);
    }
    const message = describeKubeError(error);
    if (statusOf(error) === 409) {
      // Someone wrote the object between our read and our write
      // (resourceVersion): read again on the next tick.
      this.options.logger.info(
        `Release ${id}: conflict while applying (${message}); retrying`,
      );
      return s;
    }
    this.options.logger.warn(`Release ${id}: could not apply: ${message}`);
    const max = this.options.config.controller.maxApplyAttempts;
    return this.mutate(id, fresh => {
      let record: ReleaseRecord = JSON.parse(JSON.stringify(fresh.record));
      record.internal.applyFailures += 1;
      record.internal.lastApplyError = message;
      if (
        record.internal.applyFailures >= max &&
        !isReleaseFinished(record.release.state)
      ) {
        record = transition(
          record,
          {
            type: 'apply-failed',
            error: `${message} (after ${record.internal.applyFailures} attempts)`,
          },
          this.clock(),
          this.machine,
        );
        // The restoring intent gets its own attempts.
        record.internal.applyFailures = 0;
      }
      return record;
    });
  }

  /** Live weights of a release from the cluster: the VirtualService, or a rolling update's progress. */
  liveWeights(
    s: StoredRelease,
    snapshot: NamespaceSnapshot,
  ): { stable: number; canary: number } | undefined {
    const { release, internal } = s.record;
    if (isReleaseFinished(release.state) || internal.phase === 'finalizing') {
      return undefined;
    }
    if (release.strategy === 'rolling') {
      const d = snapshot.deployments.get(internal.stableDeployment);
      if (!d || !s.intent) return undefined;
      const replicas = d.spec?.replicas ?? 1;
      const updated = Math.min(replicas, d.status?.updatedReplicas ?? 0);
      const canary = replicas ? Math.round((100 * updated) / replicas) : 0;
      return { stable: 100 - canary, canary };
    }
    if (s.appliedGeneration === 0) return undefined;
    const vs = snapshot.virtualServices.get(release.workload);
    if (!vs) return undefined;
    return weightsOfRoutes(vs.spec?.http);
  }

  /** One controller pass over one release, with its namespace read once for the whole tick. */
  async reconcile(
    stored: StoredRelease,
    snapshot: NamespaceSnapshot | undefined,
  ): Promise<StoredRelease> {
    let s = stored;
    if (pending(s)) {
      // The namespace was read before this apply: observe on the next tick.
      return this.applyPending(s, snapshot);
    }
    if (isReleaseFinished(s.record.release.state) || !snapshot) return s;
    const now = this.clock();
    const { release } = s.record;
    const intent = s.intent;
    if (
      intent?.http &&
      s.applied?.http &&
      s.applied.generation === s.intentGeneration &&
      s.record.internal.pausedBy !== 'drift'
    ) {
      const live = snapshot.virtualServices.get(intent.host);
      if (!live || canonical(live.spec?.http) !== canonical(s.applied.http)) {
        // The snapshot may predate an action applied meanwhile: confirm
        // with a fresh read of both sides before calling it drift.
        const drift = await this.confirmDrift(release.id);
        if (drift) {
          return this.feed(release.id, () => [
            { type: 'drift', details: drift },
          ]);
        }
        return (await this.store.get(release.id)) ?? s;
      }
    }
    const inputs: ControllerInput[] = [];
    const weights = this.liveWeights(s, snapshot);
    if (
      weights &&
      (weights.canary !== release.weights.canary ||
        weights.stable !== release.weights.stable)
    ) {
      inputs.push({ type: 'weights', weights });
    }
    if (intent && s.appliedGeneration === s.intentGeneration) {
      const ready = intent.deployments.every(d =>
        deploymentReady(snapshot.deployments.get(d.name), d.replicas),
      );
      const watched =
        release.strategy === 'rolling'
          ? s.record.internal.stableDeployment
          : s.record.internal.newDeployment;
      const rolloutFailed = watched
        ? rolloutFailure(snapshot.deployments.get(watched))
        : undefined;
      inputs.push({
        type: 'observed',
        ready,
        ...(rolloutFailed ? { rolloutFailed } : {}),
      });
    }
    inputs.push({ type: 'tick' });

    let record = s.record;
    for (const input of inputs) {
      record = transition(record, input, now, this.machine);
    }
    const internal = record.internal;
    if (
      record.release.state === 'analysing' &&
      now - (internal.lastAnalysisAt ?? internal.analysisStartedAt ?? now) >=
        this.options.config.analysis.intervalMs
    ) {
      const analysis = await this.analyse(record, now);
      record = transition(
        record,
        { type: 'analysis', analysis },
        now,
        this.machine,
      );
    }
    if (sameRecord(record, s.record)) return s;
    try {
      s = await this.commit(s, record, 'controller');
    } catch (error) {
      if (isStale(error)) return s; // someone acted meanwhile; next tick
      throw error;
    }
    return pending(s) ? this.applyPending(s, snapshot) : s;
  }

  /** Reads the release and its VirtualService again; the drift's description when they still differ. */
  private async confirmDrift(id: string): Promise<string | undefined> {
    const s = await this.store.get(id);
    if (
      !s?.intent?.http ||
      !s.applied?.http ||
      s.applied.generation !== s.intentGeneration ||
      isReleaseFinished(s.record.release.state)
    ) {
      return undefined;
    }
    const live = await this.cluster.readVirtualService(
      s.record.release.cluster,
      s.intent.namespace,
      s.intent.host,
    );
    if (live && canonical(live.spec?.http) === canonical(s.applied.http)) {
      return undefined;
    }
    return describeDrift(
      s.intent.namespace,
      s.intent.host,
      live?.spec?.http,
      s.applied.http,
    );
  }

  /** Runs the metric gates of the current step, canary against stable. */
  async analyse(record: ReleaseRecord, now: number): Promise<Analysis> {
    const { release, internal } = record;
    const gates = this.options.config.analysis.gates;
    const provider = this.options.metrics;
    const step = release.currentStep;
    if (!provider) {
      return {
        step,
        at: new Date(now).toISOString(),
        pass: false,
        results: gates.map(g => ({
          name: g.name,
          query: g.query,
          canary: null,
          stable: null,
          threshold: 'no metrics provider configured',
          pass: null,
        })),
      };
    }
    try {
      const results = await runGates(
        provider,
        {
          cluster: release.cluster,
          namespace: release.namespace,
          app: release.workload,
          service: release.workload,
          canary: {
            version: release.version,
            deployment: internal.newDeployment!,
          },
          stable: {
            version: release.stableVersion ?? 'unknown',
            deployment: internal.stableDeployment,
          },
          window: this.options.config.analysis.window,
        },
        gates,
      );
      return {
        step,
        at: new Date(now).toISOString(),
        pass: results.every(r => r.pass === true),
        results,
      };
    } catch (error) {
      this.options.logger.warn(
        `Release ${release.id}: metric gates could not run: ${
          (error as Error).message
        }`,
      );
      return {
        step,
        at: new Date(now).toISOString(),
        pass: false,
        results: gates.map(g => ({
          name: g.name,
          query: g.query,
          canary: null,
          stable: null,
          threshold: `not evaluated: ${(error as Error).message}`.slice(0, 300),
          pass: null,
        })),
      };
    }
  }
}
