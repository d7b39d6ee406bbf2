/**
 * fincloud releases backend: Istio canary, blue-green and rolling releases
 * as a persisted state machine, team-lead approvals, metric gates, traffic
 * policies and scheduling profiles.
 *
 * @packageDocumentation
 */
export { releasesPlugin as default } from './plugin';
export {
  releasesMetricsExtensionPoint,
  type ReleasesMetricsExtensionPoint,
} from './extensions';
export type {
  MetricsProvider,
  MetricGate,
  MetricThreshold,
  AnalysisTarget,
  AnalysisSide,
} from './metrics/MetricsProvider';
export { PrometheusMetricsProvider } from './metrics/PrometheusMetricsProvider';
