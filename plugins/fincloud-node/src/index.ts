/**
 * How fincloud's backend plugins reach Kubernetes clusters.
 *
 * @packageDocumentation
 */
export { ConfigFincloudClusters, fincloudClustersServiceRef } from './clusters';
export type {
  FincloudCluster,
  FincloudClustersService,
  ResolvedWorkload,
} from './clusters';
