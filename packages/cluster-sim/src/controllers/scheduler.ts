import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import { isoSeconds } from '../store/Cluster';
import type { Controller, ControllerContext } from './context';
import { isPodTerminal, setCondition } from './util';

const COMPONENT = 'default-scheduler';

function needsScheduling(pod: K8sObject) {
  return (
    !pod.spec?.nodeName &&
    !pod.metadata.deletionTimestamp &&
    (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
    !isPodTerminal(pod) &&
    !(pod.spec?.schedulingGates?.length > 0)
  );
}

/**
 * Binds pending pods to nodes with the scheduler module's decision, or
 * leaves them Pending with PodScheduled=False and a FailedScheduling event;
 * unschedulable pods are retried when nodes change or pods go away.
 */
export class SchedulerController implements Controller {
  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    if (event.key === 'core/pods') {
      const pod = event.object;
      if (event.type !== 'DELETED' && needsScheduling(pod)) {
        this.enqueue(pod.metadata.namespace!, pod.metadata.name);
      }
      const freed =
        event.type === 'DELETED' ||
        (event.previous &&
          !isPodTerminal(event.previous) &&
          isPodTerminal(pod));
      if (freed && pod.spec?.nodeName) this.retryAll();
    } else if (event.key === 'core/nodes') {
      this.retryAll();
    }
  }

  private retryAll() {
    for (const pod of this.ctx.cluster.store.list('core/pods')) {
      if (needsScheduling(pod))
        this.enqueue(pod.metadata.namespace!, pod.metadata.name);
    }
  }

  private enqueue(namespace: string, name: string) {
    this.ctx.queue.add(`schedule:${namespace}/${name}`, () =>
      this.schedule(namespace, name),
    );
  }

  private schedule(namespace: string, name: string) {
    const { cluster, resources, clock, behaviours } = this.ctx;
    const pod = cluster.tryGet(resources.pods, namespace, name);
    if (!pod || !needsScheduling(pod)) return;
    const nodes = cluster.store.list('core/nodes');
    const podsByNode = new Map<string, V1Pod[]>();
    for (const p of cluster.store.list('core/pods')) {
      const node = p.spec?.nodeName;
      if (!node || isPodTerminal(p)) continue;
      const list = podsByNode.get(node) ?? [];
      list.push(p as unknown as V1Pod);
      podsByNode.set(node, list);
    }
    const result = behaviours.schedulePod({
      pod: pod as unknown as V1Pod,
      nodes: nodes as unknown as V1Node[],
      podsByNode,
    });
    const now = isoSeconds(clock.now());
    if ('node' in result) {
      const bound = cluster.mutate(resources.pods, namespace, name, draft => {
        draft.spec.nodeName = result.node;
        draft.status = {
          ...draft.status,
          conditions: setCondition(
            draft.status?.conditions,
            { type: 'PodScheduled', status: 'True', lastProbeTime: null },
            now,
          ).map(c =>
            c.type === 'PodScheduled'
              ? {
                  type: c.type,
                  status: c.status,
                  lastProbeTime: null,
                  lastTransitionTime: c.lastTransitionTime,
                }
              : c,
          ),
        };
      });
      if (bound) {
        cluster.recordEvent(
          bound,
          'Normal',
          'Scheduled',
          `Successfully assigned ${namespace}/${name} to ${result.node}`,
          COMPONENT,
        );
      }
    } else {
      const updated = cluster.mutate(resources.pods, namespace, name, draft => {
        draft.status = {
          ...draft.status,
          phase: 'Pending',
          conditions: setCondition(
            draft.status?.conditions,
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: result.message,
              lastProbeTime: null,
            },
            now,
          ),
        };
      });
      if (updated) {
        cluster.recordEvent(
          updated,
          'Warning',
          'FailedScheduling',
          result.message,
          COMPONENT,
        );
      }
    }
  }
}
