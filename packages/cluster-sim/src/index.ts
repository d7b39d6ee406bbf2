/**
 * A simulated Kubernetes cluster for fincloud's demo and tests.
 *
 * @packageDocumentation
 */
export * from './contracts';
export { startClusterSim, kubeconfigFor } from './testing/startClusterSim';
export type {
  ClusterSim,
  ClusterSimStore,
  StartClusterSimOptions,
} from './testing/startClusterSim';
export { FaultInjector } from './testing/faults';
export {
  describeWithPrograms,
  findProgram,
  freePort,
  requireProgram,
} from './testing/programs';
export type { FaultRule, FaultVerb, ActiveFault } from './testing/faults';
export { Simulator } from './server/Simulator';
export type { SimulatorOptions } from './server/Simulator';
export { parseManifests, readManifests } from './server/seed';
export type { K8sObject } from './store/ObjectStore';
export { SIM_POD_ANNOTATIONS } from './controllers/kubelet';
