import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  FINCLOUD_ANNOTATIONS,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import {
  Approval,
  CreateReleaseRequest,
  Release,
  ReleaseOptions,
  ReleasePage,
  STRATEGIES,
  TrafficPolicy,
  TrafficPolicyLintResult,
  TrafficPolicyProposal,
  TrafficPolicyView,
  getReleaseStrategy,
  parseReleaseApprovals,
} from '@fincloud/plugin-releases-common';
import { clusterCall, describeKubeError, statusOf } from '../cluster/kube';
import { ReleasesConfig } from '../config';
import { activeFreeze, describeFreeze, nextFreeze } from '../domain/freeze';
import {
  ReleaseAction,
  desiredState,
  startRelease,
  transition,
} from '../domain/machine';
import { planToSteps } from '../domain/plan';
import { checkProfile, SchedulingProfileSpec } from '../domain/scheduling';
import {
  diffText,
  lintTrafficPolicy,
  policyToCluster,
} from '../domain/trafficPolicy';
import { ReleaseRecord } from '../domain/types';
import {
  parseImage,
  versionDeploymentName,
  versionFromImage,
} from '../domain/version';
import { StoredPolicy, StoredRelease } from '../database/ReleaseStore';
import { MetricsProvider, renderQuery } from '../metrics/MetricsProvider';
import { ChangeFreezeError } from './errors';
import { ReleaseEngine, SimulatedCrash } from './ReleaseEngine';

export interface DefaultReleaseServiceOptions {
  engine: ReleaseEngine;
  clusters: FincloudClustersService;
  config: ReleasesConfig;
  logger: LoggerService;
  metrics?: MetricsProvider;
}

/** Who acts: a user entity ref, or a service subject. */
export interface Actor {
  ref: string;
}

const REQUEST_RATE_QUERY =
  'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_app="{{app}}"}[1m]))';

function stale(error: unknown) {
  return (
    error instanceof ConflictError &&
    /revision \d+ is stale/.test(error.message)
  );
}

/**
 * The releases logic: create releases, act on them, traffic policies and
 * options. No authorization here (see AuthorizedReleaseService).
 */
export class DefaultReleaseService {
  constructor(private readonly options: DefaultReleaseServiceOptions) {}

  private get engine() {
    return this.options.engine;
  }

  private get store() {
    return this.options.engine.store;
  }

  private now() {
    return this.engine.clock();
  }

  entityRef(entity: Entity) {
    return stringifyEntityRef(entity);
  }

  private requiredApprovals(entity: Entity): number {
    try {
      const parsed = parseReleaseApprovals(
        readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.releaseApprovals),
      );
      return parsed?.required ?? this.options.config.defaultApprovals;
    } catch (error) {
      throw new InputError(
        `${this.entityRef(entity)}: ${(error as Error).message}`,
      );
    }
  }

  private profileOf(entity: Entity): SchedulingProfileSpec | undefined {
    const name =
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.schedulingProfile) ??
      this.options.config.defaultSchedulingProfile;
    if (!name) return undefined;
    const profile = this.options.config.schedulingProfiles.find(
      p => p.name === name,
    );
    if (!profile) {
      throw new InputError(
        `${this.entityRef(
          entity,
        )} asks for scheduling profile "${name}", which is not configured (${this.options.config.schedulingProfiles
          .map(p => p.name)
          .join(', ')})`,
      );
    }
    return profile;
  }

  private system(entity: Entity): string | undefined {
    const system = (entity.spec as { system?: unknown } | undefined)?.system;
    return typeof system === 'string'
      ? system.replace(/^system:(default\/)?/, '')
      : undefined;
  }

  /** What the start dialog offers. */
  async getOptions(entity: Entity): Promise<ReleaseOptions> {
    const target = this.options.clusters.resolveWorkload(entity);
    const defaultStrategy = getReleaseStrategy(entity) ?? 'canary';
    const now = this.now();
    const system = this.system(entity);
    const active = activeFreeze(this.options.config.freezeWindows, system, now);
    const next = active
      ? undefined
      : nextFreeze(this.options.config.freezeWindows, system, now);
    let freeze: ReleaseOptions['freeze'] = { active: false };
    if (active) {
      freeze = {
        active: true,
        window: describeFreeze(active),
        until: new Date(active.until).toISOString(),
      };
    } else if (next) {
      freeze = {
        active: false,
        window: `${describeFreeze(next)}; next from ${new Date(
          next.from,
        ).toISOString()}`,
      };
    }
    let currentImage: string | undefined;
    let scheduling: ReleaseOptions['scheduling'];
    try {
      const preferred = (await this.store.lastPromoted(this.entityRef(entity)))
        ?.record.internal.newDeployment;
      const stable = await this.engine.cluster.readStable(
        target.cluster.name,
        target.namespace,
        target.workload,
        preferred,
      );
      currentImage = stable.image;
      const profile = this.profileOf(entity);
      if (profile) {
        const nodes = await this.engine.cluster.listNodes(target.cluster.name);
        scheduling = checkProfile(
          profile,
          nodes,
          stable.replicas,
          stable.tolerations,
        );
      }
    } catch (error) {
      if (error instanceof InputError) throw error;
      this.options.logger.warn(
        `Release options for ${this.entityRef(
          entity,
        )}: cluster not readable: ${describeKubeError(error)}`,
      );
    }
    return {
      strategies: [...STRATEGIES],
      defaultStrategy,
      defaultPlan: this.options.config.plans[defaultStrategy],
      requiredApprovals: this.requiredApprovals(entity),
      freeze,
      ...(scheduling ? { scheduling } : {}),
      ...(currentImage ? { currentImage } : {}),
    };
  }

  async list(
    entity: Entity,
    options: { limit: number; cursor?: string },
  ): Promise<ReleasePage> {
    const page = await this.store.list(this.entityRef(entity), options);
    return {
      items: page.items.map(s => s.record.release),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async current(entity: Entity): Promise<Release> {
    const active = await this.store.active(this.entityRef(entity));
    if (!active) {
      throw new NotFoundError(
        `${this.entityRef(entity)} has no release in progress`,
      );
    }
    return active.record.release;
  }

  async getStored(id: string): Promise<StoredRelease> {
    const stored = await this.store.get(id);
    if (!stored) throw new NotFoundError(`no release ${id}`);
    return stored;
  }

  /** Starts a release. The caller has checked `releases.create` (and `releases.breakglass` with break-glass). */
  async create(
    entity: Entity,
    request: CreateReleaseRequest,
    actor: Actor,
  ): Promise<Release> {
    const entityRef = this.entityRef(entity);
    const target = this.options.clusters.resolveWorkload(entity);
    const { strategy } = request;
    parseImage(request.image);
    const version = versionFromImage(request.image);
    const steps = planToSteps(
      strategy,
      request.steps ?? this.options.config.plans[strategy],
    );
    if (request.routing && strategy !== 'canary') {
      throw new InputError(
        'header / cookie routes and mirroring are for canary releases',
      );
    }
    const now = this.now();
    const freeze = activeFreeze(
      this.options.config.freezeWindows,
      this.system(entity),
      now,
    );
    if (freeze && !request.breakGlass) {
      throw new ChangeFreezeError(
        `change freeze ${describeFreeze(freeze)} until ${new Date(
          freeze.until,
        ).toISOString()}: releases are refused; a platform member can use break-glass with a justification`,
      );
    }
    if (await this.store.active(entityRef)) {
      throw new ConflictError(
        `${entityRef} already has a release in progress; finish or roll it back first`,
      );
    }
    const requiredApprovals = this.requiredApprovals(entity);
    const profile = this.profileOf(entity);
    const cluster = this.engine.cluster;
    const preferred = (await this.store.lastPromoted(entityRef))?.record
      .internal.newDeployment;
    const stable = await clusterCall(target.cluster.name, () =>
      cluster.readStable(
        target.cluster.name,
        target.namespace,
        target.workload,
        preferred,
      ),
    );
    if (stable.image === request.image) {
      throw new ConflictError(
        `${target.workload} already runs ${request.image}`,
      );
    }
    let newDeployment: string | undefined;
    if (strategy !== 'rolling') {
      if (version === stable.version) {
        throw new ConflictError(
          `version "${version}" is already the stable version of ${target.workload}; use another tag`,
        );
      }
      newDeployment = versionDeploymentName(target.workload, version);
      if (newDeployment === stable.deployment) {
        throw new ConflictError(
          `${newDeployment} is the stable Deployment already`,
        );
      }
      await clusterCall(target.cluster.name, async () => {
        await this.assertServiceExists(
          target.cluster.name,
          target.namespace,
          target.workload,
        );
        await cluster.assertRoutingIsOurs(
          target.cluster.name,
          target.namespace,
          target.workload,
        );
      });
    }
    const at = new Date(now).toISOString();
    const release: Release = {
      id: randomUUID(),
      entityRef,
      cluster: target.cluster.name,
      namespace: target.namespace,
      workload: target.workload,
      strategy,
      image: request.image,
      version,
      stableVersion: stable.version,
      state: undefined as any, // set by startRelease
      currentStep: 0,
      steps,
      weights: { stable: 100, canary: 0 },
      requiredApprovals,
      approvals: [],
      requestedBy: actor.ref,
      createdAt: at,
      updatedAt: at,
      analyses: [],
      ...(request.breakGlass
        ? {
            breakGlass: {
              by: actor.ref,
              justification: request.breakGlass.justification,
            },
          }
        : {}),
      ...(strategy === 'blue-green'
        ? {
            blueGreen: {
              previewService: `${target.workload}-preview`,
              activeColor: 'blue' as const,
            },
          }
        : {}),
      ...(profile ? { schedulingProfile: profile.name } : {}),
      ...(request.routing ? { routing: request.routing } : {}),
      revision: 1,
      history: [],
    };
    const record = startRelease(
      {
        release,
        internal: {
          stableDeployment: stable.deployment,
          ...(newDeployment ? { newDeployment } : {}),
          container: stable.container,
          previousImage: stable.image,
          stableReplicas: stable.replicas,
          ...(profile &&
          (profile.nodeAffinity || profile.tolerations || profile.spreadAcross)
            ? { profile }
            : {}),
          phase: 'start',
          touched: false,
          reapply: 0,
          applyFailures: 0,
        },
      },
      now,
      this.engine.machine,
    );
    const stored = await this.store.insert(record, desiredState(record));
    const applied = await this.applyQuietly(stored);
    return applied.record.release;
  }

  private async assertServiceExists(
    cluster: string,
    namespace: string,
    name: string,
  ) {
    try {
      await this.engine.cluster
        .clientsFor(cluster)
        .core.readNamespacedService({ name, namespace });
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new InputError(
          `canary and blue-green releases route through the Service "${name}" in namespace "${namespace}", which does not exist`,
        );
      }
      throw error;
    }
  }

  /** Applies at once when possible; the controller retries whatever fails here. */
  private async applyQuietly(stored: StoredRelease): Promise<StoredRelease> {
    try {
      return await this.engine.applyPending(stored);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.options.logger.warn(
        `Release ${
          stored.record.release.id
        }: immediate apply failed, the controller will retry: ${
          (error as Error).message
        }`,
      );
      return (await this.store.get(stored.record.release.id)) ?? stored;
    }
  }

  /** A person acts on a release; the transition is written (with its intent) before the cluster is touched. */
  async act(id: string, action: ReleaseAction): Promise<Release> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.getStored(id);
      const next: ReleaseRecord = transition(
        stored.record,
        action,
        this.now(),
        this.engine.machine,
      );
      let written: StoredRelease;
      try {
        written = await this.engine.commit(stored, next, 'person');
      } catch (error) {
        if (stale(error) && attempt < 5) continue;
        throw error;
      }
      const applied = await this.applyQuietly(written);
      return applied.record.release;
    }
  }

  // --- traffic policies -------------------------------------------------------

  private async requestRate(
    cluster: string,
    namespace: string,
    workload: string,
  ): Promise<number | undefined> {
    if (!this.options.metrics) return undefined;
    try {
      const side = { version: '', deployment: workload };
      const value = await this.options.metrics.query(
        cluster,
        renderQuery(
          REQUEST_RATE_QUERY,
          {
            cluster,
            namespace,
            app: workload,
            service: workload,
            canary: side,
            stable: side,
            window: '1m',
          },
          side,
        ),
      );
      return value ?? undefined;
    } catch (error) {
      this.options.logger.info(
        `Request rate of ${namespace}/${workload} unknown: ${
          (error as Error).message
        }`,
      );
      return undefined;
    }
  }

  async trafficPolicy(entity: Entity): Promise<TrafficPolicyView> {
    const entityRef = this.entityRef(entity);
    const target = this.options.clusters.resolveWorkload(entity);
    const [current, proposals, live] = await Promise.all([
      this.store.currentPolicy(entityRef),
      this.store.listPolicies(entityRef, 20),
      clusterCall(target.cluster.name, () =>
        this.engine.cluster.readPolicy(
          target.cluster.name,
          target.namespace,
          target.workload,
        ),
      ),
    ]);
    return {
      current: current?.proposal.policy ?? {},
      inCluster: live.inCluster,
      proposals: proposals.map(p => p.proposal),
    };
  }

  async lintPolicy(
    entity: Entity,
    policy: TrafficPolicy,
  ): Promise<TrafficPolicyLintResult> {
    const target = this.options.clusters.resolveWorkload(entity);
    const live = await clusterCall(target.cluster.name, () =>
      this.engine.cluster.readPolicy(
        target.cluster.name,
        target.namespace,
        target.workload,
      ),
    );
    const subset = policy.subset ?? 'all';
    const requestRate = await this.requestRate(
      target.cluster.name,
      target.namespace,
      target.workload,
    );
    const lint = lintTrafficPolicy(policy, {
      replicas: subset === 'all' ? live.ready : live.readyBySubset[subset] ?? 0,
      requestRate,
      subsets: Object.keys(live.subsetVersions),
    });
    const proposed = policyToCluster(
      policy,
      target.workload,
      live.subsetVersions,
    );
    return { lint, diff: diffText(live.inCluster, proposed) };
  }

  async proposePolicy(
    entity: Entity,
    policy: TrafficPolicy,
    actor: Actor,
  ): Promise<TrafficPolicyProposal> {
    const { lint, diff } = await this.lintPolicy(entity, policy);
    const errors = lint.filter(l => l.severity === 'error');
    if (errors.length) {
      throw new InputError(
        `the traffic policy has lint errors: ${errors
          .map(e => `${e.path}: ${e.message}`)
          .join('; ')}`,
      );
    }
    if (!diff) {
      throw new ConflictError(
        'the cluster already has exactly this traffic policy',
      );
    }
    const target = this.options.clusters.resolveWorkload(entity);
    const proposal: TrafficPolicyProposal = {
      id: randomUUID(),
      entityRef: this.entityRef(entity),
      policy,
      lint,
      diff,
      state: 'awaiting-approval',
      requestedBy: actor.ref,
      approvals: [],
      createdAt: new Date(this.now()).toISOString(),
    };
    await this.store.insertPolicy(proposal, {
      cluster: target.cluster.name,
      namespace: target.namespace,
      workload: target.workload,
    });
    return proposal;
  }

  async getPolicyStored(id: string): Promise<StoredPolicy> {
    const stored = await this.store.getPolicy(id);
    if (!stored) throw new NotFoundError(`no traffic policy proposal ${id}`);
    return stored;
  }

  /** Records an approval; when the approvals are met the policy is applied to the cluster, then marked applied. */
  async approvePolicy(
    id: string,
    actor: Actor,
    reason: string,
    requiredApprovals: number,
  ): Promise<TrafficPolicyProposal> {
    const stored = await this.getPolicyStored(id);
    const { proposal } = stored;
    if (actor.ref === proposal.requestedBy) {
      throw new NotAllowedError(
        `four-eyes: ${actor.ref} proposed this traffic policy and cannot approve it; another team lead must`,
      );
    }
    if (proposal.state !== 'awaiting-approval') {
      throw new ConflictError(
        `traffic policy ${id} is ${proposal.state}: there is nothing to approve`,
      );
    }
    const now = this.now();
    const valid = (list: Approval[]) =>
      new Set(
        list
          .filter(
            a => a.decision === 'approved' && Date.parse(a.expiresAt) > now,
          )
          .map(a => a.by),
      );
    if (valid(proposal.approvals).has(actor.ref)) {
      throw new ConflictError(
        `${actor.ref} has already approved this traffic policy`,
      );
    }
    const approvals: Approval[] = [
      ...proposal.approvals,
      {
        by: actor.ref,
        decision: 'approved',
        reason,
        at: new Date(now).toISOString(),
        expiresAt: new Date(
          now + this.options.config.approvalTtlMs,
        ).toISOString(),
      },
    ];
    const needed = Math.max(1, requiredApprovals);
    if (valid(approvals).size < needed) {
      const updated = { ...proposal, approvals };
      await this.store.updatePolicy(
        id,
        stored.revision,
        updated,
        stored.previous,
      );
      return updated;
    }
    const previous =
      (await this.store.currentPolicy(proposal.entityRef))?.proposal.policy ??
      {};
    await clusterCall(stored.target.cluster, () =>
      this.engine.cluster.applyPolicy(
        stored.target.cluster,
        stored.target.namespace,
        stored.target.workload,
        proposal.policy,
      ),
    );
    const applied: TrafficPolicyProposal = {
      ...proposal,
      approvals,
      state: 'applied',
      appliedAt: new Date(this.now()).toISOString(),
    };
    await this.store.updatePolicy(id, stored.revision, applied, previous);
    return applied;
  }

  /** Re-applies the policy that was in force before this one. */
  async revertPolicy(id: string): Promise<TrafficPolicyProposal> {
    const stored = await this.getPolicyStored(id);
    const { proposal } = stored;
    const current = await this.store.currentPolicy(proposal.entityRef);
    if (proposal.state !== 'applied' || current?.proposal.id !== id) {
      throw new ConflictError(
        `traffic policy ${id} is not the one in force (${proposal.state}); only the current policy can be reverted`,
      );
    }
    await clusterCall(stored.target.cluster, () =>
      this.engine.cluster.applyPolicy(
        stored.target.cluster,
        stored.target.namespace,
        stored.target.workload,
        stored.previous ?? {},
      ),
    );
    const reverted: TrafficPolicyProposal = { ...proposal, state: 'reverted' };
    await this.store.updatePolicy(
      id,
      stored.revision,
      reverted,
      stored.previous,
    );
    return reverted;
  }

  /** Approvals a traffic policy of this entity needs. */
  policyApprovals(entity: Entity) {
    return this.requiredApprovals(entity);
  }
}
