import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import { clone } from '../store/patch';
import { isoSeconds } from '../store/Cluster';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors';
import type { Controller, ControllerContext } from './context';
import {
  controllerRef,
  isPodActive,
  isPodAvailable,
  isPodReady,
  ownerRefTo,
  podCondition,
  setCondition,
} from './util';

const COMPONENT = 'replicaset-controller';

/** Which pod to remove first when scaling down (kube's ActivePods ordering). */
function deletionRank(pod: K8sObject): number[] {
  const phaseRank: Record<string, number> = {
    Pending: 0,
    Unknown: 1,
    Running: 2,
  };
  return [
    pod.spec?.nodeName ? 1 : 0,
    phaseRank[pod.status?.phase ?? 'Pending'] ?? 0,
    isPodReady(pod) ? 1 : 0,
    // Newer pods go first: negate the creation time.
    -Date.parse(
      podCondition(pod, 'Ready')?.lastTransitionTime ??
        pod.metadata.creationTimestamp ??
        '0',
    ),
  ];
}

function compareRank(a: number[], b: number[]) {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/** ReplicaSet → Pods: keeps spec.replicas pods alive and reports their readiness. */
export class ReplicaSetController implements Controller {
  private readonly timers = new Map<string, () => void>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    const o = event.object;
    if (event.key === 'apps/replicasets') {
      if (event.type !== 'DELETED')
        this.enqueue(o.metadata.namespace!, o.metadata.name);
    } else if (event.key === 'core/pods') {
      const ref =
        controllerRef(o) ?? (event.previous && controllerRef(event.previous));
      if (ref?.kind === 'ReplicaSet')
        this.enqueue(o.metadata.namespace!, ref.name);
    }
  }

  enqueue(namespace: string, name: string) {
    this.ctx.queue.add(`replicaset:${namespace}/${name}`, () =>
      this.reconcile(namespace, name),
    );
  }

  private reconcile(namespace: string, name: string) {
    const { cluster, resources, clock } = this.ctx;
    const rs = cluster.tryGet(resources.replicasets, namespace, name);
    if (!rs) return;
    const pods = cluster.store
      .list('core/pods', namespace)
      .filter(pod => controllerRef(pod)?.uid === rs.metadata.uid);
    const active = pods.filter(isPodActive);
    let failure: string | undefined;
    if (!rs.metadata.deletionTimestamp) {
      const want = rs.spec?.replicas ?? 0;
      const diff = active.length - want;
      if (diff < 0) {
        for (let i = 0; i < -diff; i++) {
          const created = this.createPod(rs);
          if (typeof created === 'string') {
            failure = created;
            break;
          }
          active.push(created);
        }
      } else if (diff > 0) {
        const victims = [...active]
          .sort((a, b) => compareRank(deletionRank(a), deletionRank(b)))
          .slice(0, diff);
        for (const pod of victims) {
          cluster.delete(resources.pods, namespace, pod.metadata.name, {});
          cluster.recordEvent(
            rs,
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name}`,
            COMPONENT,
          );
          active.splice(active.indexOf(pod), 1);
        }
      }
    }
    const latestPods = active.map(
      p => cluster.tryGet(resources.pods, namespace, p.metadata.name) ?? p,
    );
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const now = clock.now();
    const selector = fromLabelSelectorObject(
      rs.spec?.template?.metadata?.labels
        ? { matchLabels: rs.spec.template.metadata.labels }
        : undefined,
    );
    const ready = latestPods.filter(isPodReady);
    const available = latestPods.filter(p => isPodAvailable(p, minReady, now));
    const status: any = {
      replicas: latestPods.length,
      fullyLabeledReplicas: latestPods.filter(p =>
        matchesLabels(selector, p.metadata.labels),
      ).length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation,
    };
    const terminating = pods.filter(
      p =>
        p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    ).length;
    if (terminating) status.terminatingReplicas = terminating;
    if (failure) {
      status.conditions = setCondition(
        rs.status?.conditions,
        {
          type: 'ReplicaFailure',
          status: 'True',
          reason: 'FailedCreate',
          message: failure,
        },
        isoSeconds(now),
      );
    }
    for (const key of [
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
    ]) {
      if (status[key] === 0) delete status[key];
    }
    cluster.writeStatus(resources.replicasets, rs, status);
    // Pods ready but not yet available: look again when minReadySeconds has passed.
    if (minReady > 0 && ready.length > available.length) {
      const key = rs.metadata.uid!;
      this.timers.get(key)?.();
      this.timers.set(
        key,
        clock.setTimeout(() => this.enqueue(namespace, name), minReady * 1000),
      );
    }
  }

  /** A pod from the template; an error message when the API refused it. */
  private createPod(rs: K8sObject): K8sObject | string {
    const { cluster, resources } = this.ctx;
    const template = clone(rs.spec?.template ?? {});
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: template.metadata?.labels,
        annotations: template.metadata?.annotations,
        ownerReferences: [ownerRefTo(rs)],
      },
      spec: template.spec,
    };
    try {
      const created = cluster.create(
        resources.pods,
        rs.metadata.namespace,
        pod,
      ).object;
      cluster.recordEvent(
        rs,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name}`,
        COMPONENT,
      );
      return created;
    } catch (error: any) {
      const message = `Error creating: ${error.message}`;
      cluster.recordEvent(rs, 'Warning', 'FailedCreate', message, COMPONENT);
      return message;
    }
  }

  stop() {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }
}
