import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import { clone } from '../store/patch';
import { isoSeconds } from '../store/Cluster';
import type { Controller, ControllerContext } from './context';
import {
  controllerRef,
  ownerRefTo,
  podTemplateHash,
  scaledValue,
  setCondition,
} from './util';

const REVISION = 'deployment.kubernetes.io/revision';
const COMPONENT = 'deployment-controller';

function replicasOf(o: K8sObject): number {
  return o.spec?.replicas ?? 0;
}

function byCreation(a: K8sObject, b: K8sObject) {
  return (
    (a.metadata.creationTimestamp ?? '').localeCompare(
      b.metadata.creationTimestamp ?? '',
    ) || a.metadata.name.localeCompare(b.metadata.name)
  );
}

/**
 * Deployment → ReplicaSets, as kube-controller-manager does it: a
 * ReplicaSet per pod template (pod-template-hash), rolling updates within
 * maxSurge / maxUnavailable, Recreate, revision history, and the status and
 * conditions (Available, Progressing incl. ProgressDeadlineExceeded).
 */
export class DeploymentController implements Controller {
  private readonly deadlineTimers = new Map<string, () => void>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    const o = event.object;
    if (event.key === 'apps/deployments') {
      if (event.type === 'DELETED') {
        this.deadlineTimers.get(o.metadata.uid!)?.();
        this.deadlineTimers.delete(o.metadata.uid!);
        return;
      }
      this.enqueue(o.metadata.namespace!, o.metadata.name);
    } else if (event.key === 'apps/replicasets') {
      const ref = controllerRef(o);
      if (ref?.kind === 'Deployment')
        this.enqueue(o.metadata.namespace!, ref.name);
    }
  }

  enqueue(namespace: string, name: string) {
    this.ctx.queue.add(`deployment:${namespace}/${name}`, () =>
      this.reconcile(namespace, name),
    );
  }

  private reconcile(namespace: string, name: string) {
    const { cluster, resources } = this.ctx;
    const dep = cluster.tryGet(resources.deployments, namespace, name);
    if (!dep || dep.metadata.deletionTimestamp) return;
    const owned = cluster.store
      .list('apps/replicasets', namespace)
      .filter(rs => controllerRef(rs)?.uid === dep.metadata.uid)
      .sort(byCreation);
    const hash = podTemplateHash(
      dep.spec?.template,
      dep.status?.collisionCount ?? 0,
    );
    let newRS = owned.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    const oldRSs = owned.filter(rs => rs !== newRS);
    const maxRevision = Math.max(
      0,
      ...owned.map(rs => Number(rs.metadata.annotations?.[REVISION] ?? 0)),
    );

    if (dep.spec?.paused) {
      this.syncStatus(dep, newRS, owned);
      return;
    }

    const replicas = replicasOf(dep);
    const recreate = dep.spec?.strategy?.type === 'Recreate';
    const surge = recreate
      ? 0
      : scaledValue(
          dep.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%',
          replicas,
          true,
        );
    let unavailable = recreate
      ? 0
      : scaledValue(
          dep.spec?.strategy?.rollingUpdate?.maxUnavailable ?? '25%',
          replicas,
          false,
        );
    if (!recreate && surge === 0 && unavailable === 0) unavailable = 1;

    if (!newRS) {
      let initial = 0;
      if (recreate) {
        initial = 0;
      } else if (oldRSs.length === 0) {
        initial = replicas;
      } else {
        const total = owned.reduce((sum, rs) => sum + replicasOf(rs), 0);
        initial = Math.max(0, Math.min(replicas, replicas + surge - total));
      }
      newRS = this.createReplicaSet(dep, hash, initial, maxRevision + 1);
      if (!newRS) return;
    } else if (
      Number(newRS.metadata.annotations?.[REVISION] ?? 0) < maxRevision
    ) {
      // Rolling back to an older template makes it the newest revision.
      newRS = this.setAnnotations(newRS, dep, maxRevision + 1) ?? newRS;
    } else {
      newRS = this.setAnnotations(newRS, dep) ?? newRS;
    }

    if (recreate) {
      this.rolloutRecreate(dep, newRS, oldRSs, replicas);
    } else {
      this.rolloutRolling(dep, newRS, oldRSs, replicas, surge, unavailable);
    }
    this.cleanup(dep, oldRSs);
    const latest =
      cluster.tryGet(resources.replicasets, namespace, newRS.metadata.name) ??
      newRS;
    const all = cluster.store
      .list('apps/replicasets', namespace)
      .filter(rs => controllerRef(rs)?.uid === dep.metadata.uid);
    this.syncStatus(dep, latest, all, unavailable);
  }

  private createReplicaSet(
    dep: K8sObject,
    hash: string,
    replicas: number,
    revision: number,
  ): K8sObject | undefined {
    const { cluster, resources } = this.ctx;
    const template = clone(dep.spec.template ?? {});
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
    };
    const selector = clone(dep.spec.selector ?? {});
    selector.matchLabels = {
      ...selector.matchLabels,
      'pod-template-hash': hash,
    };
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: dep.metadata.namespace,
        labels: { ...template.metadata.labels },
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicasOf(dep)),
          'deployment.kubernetes.io/max-replicas': String(
            replicasOf(dep) +
              scaledValue(
                dep.spec?.strategy?.rollingUpdate?.maxSurge ?? 0,
                replicasOf(dep),
                true,
              ),
          ),
          [REVISION]: String(revision),
        },
        ownerReferences: [ownerRefTo(dep)],
      },
      spec: {
        replicas,
        minReadySeconds: dep.spec?.minReadySeconds ?? 0,
        selector,
        template,
      },
    };
    try {
      const created = cluster.create(
        resources.replicasets,
        dep.metadata.namespace,
        rs,
      ).object;
      cluster.recordEvent(
        dep,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`,
        COMPONENT,
      );
      return created;
    } catch (error: any) {
      cluster.recordEvent(
        dep,
        'Warning',
        'ReplicaSetCreateError',
        `Failed to create new replica set "${rs.metadata.name}": ${error.message}`,
        COMPONENT,
      );
      this.writeStatus(dep, {
        ...dep.status,
        conditions: setCondition(
          dep.status?.conditions,
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message: error.message,
          },
          isoSeconds(this.ctx.clock.now()),
        ),
      });
      return undefined;
    }
  }

  private setAnnotations(
    rs: K8sObject,
    dep: K8sObject,
    revision?: number,
  ): K8sObject | undefined {
    const { cluster, resources } = this.ctx;
    return cluster.mutate(
      resources.replicasets,
      rs.metadata.namespace,
      rs.metadata.name,
      draft => {
        draft.metadata.annotations = {
          ...draft.metadata.annotations,
          'deployment.kubernetes.io/desired-replicas': String(replicasOf(dep)),
          ...(revision !== undefined ? { [REVISION]: String(revision) } : {}),
        };
        draft.spec.minReadySeconds = dep.spec?.minReadySeconds ?? 0;
      },
    );
  }

  private scale(dep: K8sObject, rs: K8sObject, replicas: number) {
    const from = replicasOf(rs);
    if (from === replicas) return;
    const { cluster, resources } = this.ctx;
    cluster.mutate(
      resources.replicasets,
      rs.metadata.namespace,
      rs.metadata.name,
      draft => {
        draft.spec.replicas = replicas;
        draft.metadata.annotations = {
          ...draft.metadata.annotations,
          'deployment.kubernetes.io/desired-replicas': String(replicasOf(dep)),
        };
      },
    );
    cluster.recordEvent(
      dep,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${replicas > from ? 'up' : 'down'} replica set ${
        rs.metadata.name
      } from ${from} to ${replicas}`,
      COMPONENT,
    );
  }

  private rolloutRecreate(
    dep: K8sObject,
    newRS: K8sObject,
    oldRSs: K8sObject[],
    replicas: number,
  ) {
    for (const rs of oldRSs) this.scale(dep, rs, 0);
    // Wait until no pod of an old ReplicaSet exists, then start the new ones.
    const oldUids = new Set(oldRSs.map(rs => rs.metadata.uid));
    const oldPodsLeft = this.ctx.cluster.store
      .list('core/pods', dep.metadata.namespace)
      .some(pod => oldUids.has(controllerRef(pod)?.uid));
    if (!oldPodsLeft) this.scale(dep, newRS, replicas);
  }

  private rolloutRolling(
    dep: K8sObject,
    newRS: K8sObject,
    oldRSs: K8sObject[],
    replicas: number,
    maxSurge: number,
    maxUnavailable: number,
  ) {
    const current = (rs: K8sObject) =>
      this.ctx.cluster.tryGet(
        this.ctx.resources.replicasets,
        rs.metadata.namespace,
        rs.metadata.name,
      ) ?? rs;
    // Scale up the new ReplicaSet within maxSurge.
    let nRS = current(newRS);
    if (replicasOf(nRS) > replicas) {
      this.scale(dep, nRS, replicas);
    } else if (replicasOf(nRS) < replicas) {
      const total =
        replicasOf(nRS) +
        oldRSs.reduce((s, rs) => s + replicasOf(current(rs)), 0);
      const room = replicas + maxSurge - total;
      if (room > 0)
        this.scale(
          dep,
          nRS,
          replicasOf(nRS) + Math.min(room, replicas - replicasOf(nRS)),
        );
    }
    nRS = current(newRS);
    // Scale down old ReplicaSets while keeping replicas - maxUnavailable available.
    const olds = oldRSs.map(current).sort(byCreation);
    const oldCount = olds.reduce((s, rs) => s + replicasOf(rs), 0);
    if (oldCount === 0) return;
    const allCount = oldCount + replicasOf(nRS);
    const minAvailable = replicas - maxUnavailable;
    const newUnavailable =
      replicasOf(nRS) - (nRS.status?.availableReplicas ?? 0);
    let maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;
    // First old replicas that are not available anyway.
    for (const rs of olds) {
      if (maxScaledDown <= 0) break;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const down = Math.min(unhealthy, maxScaledDown);
      this.scale(dep, rs, replicasOf(rs) - down);
      maxScaledDown -= down;
    }
    // Then available ones, oldest first, down to minAvailable.
    const refreshed = olds.map(current);
    const all = [...refreshed, current(nRS)];
    const available = all.reduce(
      (s, rs) =>
        s + Math.min(rs.status?.availableReplicas ?? 0, replicasOf(rs)),
      0,
    );
    let budget = Math.min(available - minAvailable, maxScaledDown);
    for (const rs of refreshed) {
      if (budget <= 0) break;
      const down = Math.min(replicasOf(rs), budget);
      if (down <= 0) continue;
      this.scale(dep, rs, replicasOf(rs) - down);
      budget -= down;
    }
  }

  private cleanup(dep: K8sObject, oldRSs: K8sObject[]) {
    const limit = dep.spec?.revisionHistoryLimit ?? 10;
    const { cluster, resources } = this.ctx;
    const idle = oldRSs
      .map(rs =>
        cluster.tryGet(
          resources.replicasets,
          rs.metadata.namespace,
          rs.metadata.name,
        ),
      )
      .filter(
        (rs): rs is K8sObject =>
          !!rs &&
          replicasOf(rs) === 0 &&
          (rs.status?.replicas ?? 0) === 0 &&
          !rs.metadata.deletionTimestamp,
      )
      .sort(
        (a, b) =>
          Number(a.metadata.annotations?.[REVISION] ?? 0) -
          Number(b.metadata.annotations?.[REVISION] ?? 0),
      );
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      cluster.delete(
        resources.replicasets,
        rs.metadata.namespace,
        rs.metadata.name,
        {},
      );
    }
  }

  private syncStatus(
    dep: K8sObject,
    newRS: K8sObject | undefined,
    all: K8sObject[],
    maxUnavailable = 0,
  ) {
    const now = this.ctx.clock.now();
    const nowIso = isoSeconds(now);
    const sum = (f: (rs: K8sObject) => number) =>
      all.reduce((s, rs) => s + f(rs), 0);
    const replicas = replicasOf(dep);
    const statusReplicas = sum(rs => rs.status?.replicas ?? 0);
    const updated = newRS?.status?.replicas ?? 0;
    const ready = sum(rs => rs.status?.readyReplicas ?? 0);
    const available = sum(rs => rs.status?.availableReplicas ?? 0);
    const total = sum(replicasOf);
    const previous = dep.status ?? {};
    let conditions: any[] = previous.conditions ?? [];
    conditions = setCondition(
      conditions,
      available >= replicas - maxUnavailable
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
      nowIso,
    ).map(c =>
      c.type === 'Available'
        ? { ...c, lastUpdateTime: c.lastUpdateTime ?? nowIso }
        : c,
    );
    const complete =
      !!newRS &&
      updated === replicas &&
      replicasOf(newRS) === replicas &&
      available >= replicas &&
      statusReplicas === replicas;
    const progressed =
      (previous.updatedReplicas ?? 0) !== updated ||
      (previous.availableReplicas ?? 0) !== available ||
      (previous.readyReplicas ?? 0) !== ready ||
      (previous.replicas ?? 0) !== statusReplicas ||
      previous.observedGeneration !== dep.metadata.generation;
    const oldProgressing = conditions.find(c => c.type === 'Progressing');
    let progressing: any;
    if (!newRS) {
      progressing = oldProgressing;
    } else if (complete) {
      progressing = {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`,
        lastUpdateTime:
          oldProgressing?.reason === 'NewReplicaSetAvailable'
            ? oldProgressing.lastUpdateTime
            : nowIso,
      };
    } else if (
      progressed ||
      !oldProgressing ||
      oldProgressing.reason === 'NewReplicaSetAvailable'
    ) {
      const created =
        newRS.metadata.creationTimestamp === nowIso && updated === 0;
      progressing = {
        type: 'Progressing',
        status: 'True',
        reason: created ? 'NewReplicaSetCreated' : 'ReplicaSetUpdated',
        message: created
          ? `Created new replica set "${newRS.metadata.name}"`
          : `ReplicaSet "${newRS.metadata.name}" is progressing.`,
        lastUpdateTime: nowIso,
      };
    } else {
      progressing = oldProgressing;
      const deadline = dep.spec?.progressDeadlineSeconds;
      const since = Date.parse(
        oldProgressing.lastUpdateTime ??
          oldProgressing.lastTransitionTime ??
          nowIso,
      );
      if (
        deadline !== undefined &&
        oldProgressing.status === 'True' &&
        since + deadline * 1000 <= now
      ) {
        progressing = {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`,
          lastUpdateTime: nowIso,
        };
        this.ctx.cluster.recordEvent(
          dep,
          'Warning',
          'ProgressDeadlineExceeded',
          `Deployment "${dep.metadata.name}" has timed out progressing.`,
          COMPONENT,
        );
      }
    }
    if (progressing) conditions = setCondition(conditions, progressing, nowIso);
    const status: any = {
      observedGeneration: dep.metadata.generation,
      replicas: statusReplicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      conditions,
      ...(previous.collisionCount !== undefined
        ? { collisionCount: previous.collisionCount }
        : {}),
    };
    for (const key of [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]) {
      if (status[key] === 0) delete status[key];
    }
    this.writeStatus(dep, status);
    this.armDeadline(dep, complete, progressing);
  }

  private armDeadline(dep: K8sObject, complete: boolean, progressing: any) {
    const uid = dep.metadata.uid!;
    this.deadlineTimers.get(uid)?.();
    this.deadlineTimers.delete(uid);
    const deadline = dep.spec?.progressDeadlineSeconds;
    if (
      complete ||
      deadline === undefined ||
      !progressing ||
      progressing.status !== 'True'
    )
      return;
    const since = Date.parse(
      progressing.lastUpdateTime ?? progressing.lastTransitionTime,
    );
    const due = since + deadline * 1000 - this.ctx.clock.now();
    this.deadlineTimers.set(
      uid,
      this.ctx.clock.setTimeout(
        () => this.enqueue(dep.metadata.namespace!, dep.metadata.name),
        Math.max(0, due) + 1,
      ),
    );
  }

  private writeStatus(dep: K8sObject, status: any) {
    this.ctx.cluster.writeStatus(this.ctx.resources.deployments, dep, status);
  }

  stop() {
    for (const cancel of this.deadlineTimers.values()) cancel();
    this.deadlineTimers.clear();
  }
}
