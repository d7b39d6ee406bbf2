/**
 * Simulated requests through Istio routing, and the Prometheus metrics
 * Istio, cAdvisor and kube-state-metrics would export for them.
 *
 * @packageDocumentation
 */
export { createTrafficSimulator, type TrafficOptions } from './simulator';
export { TRAFFIC_ANNOTATIONS } from './world';
export { ISTIO_BUCKETS } from './metrics';
