import type { SimClock } from '../contracts';
import type { Cluster } from '../store/Cluster';
import type { Controller, ControllerContext, SimBehaviours } from './context';
import { DeploymentController } from './deployment';
import { GarbageCollector, NamespaceController } from './gc';
import { JobController } from './job';
import { Kubelet } from './kubelet';
import { WorkQueue } from './queue';
import { ReplicaSetController } from './replicaset';
import { SchedulerController } from './scheduler';
import { TrafficLoop } from './traffic';

export interface ControllerManagerOptions {
  /** Milliseconds between access-log lines of service pods (default 2000). */
  accessLogIntervalMs?: number;
  /** Run the traffic model every `trafficIntervalMs` of sim time (default 1000; 0 = off). */
  trafficIntervalMs?: number;
  onError?: (error: Error, where: string) => void;
}

/**
 * Runs the simulator's controllers (what kube-controller-manager, the
 * scheduler and the kubelets do) off the store's change stream, through
 * one work queue.
 */
export class ControllerManager {
  readonly queue = new WorkQueue();
  readonly kubelet: Kubelet;
  readonly traffic?: TrafficLoop;
  private readonly controllers: Controller[];
  private readonly unsubscribe: () => void;
  readonly context: ControllerContext;

  constructor(
    cluster: Cluster,
    clock: SimClock,
    behaviours: SimBehaviours,
    options: ControllerManagerOptions = {},
  ) {
    this.queue.onError = options.onError ?? (() => {});
    this.context = {
      cluster,
      clock,
      queue: this.queue,
      behaviours,
      resources: {
        pods: cluster.resource('', 'pods'),
        nodes: cluster.resource('', 'nodes'),
        namespaces: cluster.resource('', 'namespaces'),
        deployments: cluster.resource('apps', 'deployments'),
        replicasets: cluster.resource('apps', 'replicasets'),
        jobs: cluster.resource('batch', 'jobs'),
        services: cluster.resource('', 'services'),
      },
    };
    this.kubelet = new Kubelet(this.context, {
      accessLogIntervalMs: options.accessLogIntervalMs,
    });
    this.controllers = [
      new DeploymentController(this.context),
      new ReplicaSetController(this.context),
      new SchedulerController(this.context),
      this.kubelet,
      new JobController(this.context),
      new GarbageCollector(this.context),
      new NamespaceController(this.context),
    ];
    cluster.hooks.onPodRemoved = pod => this.kubelet.forget(pod.metadata.uid!);
    this.unsubscribe = cluster.store.subscribe(event => {
      for (const controller of this.controllers) controller.onEvent(event);
    });
    // Objects stored before the controllers started (seed) are reconciled too.
    for (const key of cluster.store.keys()) {
      for (const object of cluster.store.list(key)) {
        for (const controller of this.controllers) {
          controller.onEvent({
            type: 'ADDED',
            key,
            object,
            rv: Number(object.metadata.resourceVersion),
          });
        }
      }
    }
    if ((options.trafficIntervalMs ?? 1000) > 0) {
      this.traffic = new TrafficLoop(
        this.context,
        options.trafficIntervalMs ?? 1000,
      );
      this.traffic.start();
    }
  }

  /** Runs queued reconciles now. */
  drain() {
    this.queue.drain();
  }

  stop() {
    this.unsubscribe();
    this.traffic?.stop();
    for (const controller of this.controllers) controller.stop?.();
    this.queue.stop();
  }
}
