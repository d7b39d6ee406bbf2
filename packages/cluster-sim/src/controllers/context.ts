import type {
  CreateEmulatedContainer,
  SchedulePod,
  ScriptPod,
  SimClock,
  TrafficSimulator,
} from '../contracts';
import type { Cluster } from '../store/Cluster';
import type { StoreEvent } from '../store/ObjectStore';
import type { ResourceType } from '../store/resources';
import type { WorkQueue } from './queue';

/** The behaviour modules the controllers and endpoints call (src/exec, scheduler, buildlog, traffic). */
export interface SimBehaviours {
  schedulePod: SchedulePod;
  scriptPod: ScriptPod;
  createEmulatedContainer: CreateEmulatedContainer;
  traffic: TrafficSimulator;
}

export interface ControllerContext {
  cluster: Cluster;
  clock: SimClock;
  queue: WorkQueue;
  behaviours: SimBehaviours;
  resources: {
    pods: ResourceType;
    nodes: ResourceType;
    namespaces: ResourceType;
    deployments: ResourceType;
    replicasets: ResourceType;
    jobs: ResourceType;
    services: ResourceType;
  };
}

export interface Controller {
  onEvent(event: StoreEvent): void;
  stop?(): void;
}
