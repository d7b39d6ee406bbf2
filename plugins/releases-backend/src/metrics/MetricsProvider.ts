import { MetricResult } from '@fincloud/plugin-releases-common';

/**
 * A metric gate: a query template run for the canary and for the stable
 * version, and a threshold the canary's value must meet.
 *
 * Template variables: `{{namespace}}`, `{{app}}` (the workload's `app`
 * label), `{{service}}`, `{{version}}` (the `version` label of the side
 * being measured), `{{deployment}}`, `{{podRegex}}` (the pods of that
 * side's Deployment) and `{{window}}` (a PromQL range, e.g. `1m`).
 */
export interface MetricGate {
  name: string;
  query: string;
  threshold: MetricThreshold;
}

/** Bounds the canary's value must satisfy; every bound given must hold. */
export interface MetricThreshold {
  min?: number;
  max?: number;
  /** canary <= stable × this (e.g. 1.5 for "at most 50 % slower"); skipped without stable data. */
  maxRatioToStable?: number;
  /** canary >= stable − this (e.g. 0.01 for "at most one point less successful"). */
  maxDropFromStable?: number;
}

/** One side of a comparison. */
export interface AnalysisSide {
  version: string;
  deployment: string;
}

/** What a release step is measured on. */
export interface AnalysisTarget {
  cluster: string;
  namespace: string;
  app: string;
  service: string;
  canary: AnalysisSide;
  stable: AnalysisSide;
  /** PromQL range for rates, e.g. `1m`. */
  window: string;
}

/**
 * Where metric gates get their numbers. The releases plugin ships
 * {@link PrometheusMetricsProvider}; the monitoring plugin can supply its own
 * (e.g. per-environment Prometheus) through the same interface.
 */
export interface MetricsProvider {
  /** Runs a query and returns its single value (null: no data, NaN, or an empty result). */
  query(cluster: string, promql: string): Promise<number | null>;
}

function escapeRegex(value: string) {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

function escapeLabel(value: string) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Fills a query template for one side. Values are escaped for PromQL strings. */
export function renderQuery(
  template: string,
  target: AnalysisTarget,
  side: AnalysisSide,
): string {
  const values: Record<string, string> = {
    namespace: escapeLabel(target.namespace),
    app: escapeLabel(target.app),
    service: escapeLabel(target.service),
    version: escapeLabel(side.version),
    deployment: escapeLabel(side.deployment),
    podRegex: `${escapeRegex(side.deployment)}-[a-z0-9]+-[a-z0-9]+`,
    window: target.window,
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) =>
    key in values ? values[key] : whole,
  );
}

export function describeThreshold(t: MetricThreshold): string {
  const parts: string[] = [];
  if (t.min !== undefined) parts.push(`>= ${t.min}`);
  if (t.max !== undefined) parts.push(`<= ${t.max}`);
  if (t.maxRatioToStable !== undefined)
    parts.push(`<= stable × ${t.maxRatioToStable}`);
  if (t.maxDropFromStable !== undefined)
    parts.push(`>= stable − ${t.maxDropFromStable}`);
  return parts.join(' and ') || 'any';
}

/** Whether a canary value meets a threshold; null when there is no canary data. */
export function evaluateThreshold(
  t: MetricThreshold,
  canary: number | null,
  stable: number | null,
): boolean | null {
  if (canary === null) return null;
  if (t.min !== undefined && canary < t.min) return false;
  if (t.max !== undefined && canary > t.max) return false;
  if (t.maxRatioToStable !== undefined && stable !== null && stable > 0) {
    if (canary > stable * t.maxRatioToStable) return false;
  }
  if (t.maxDropFromStable !== undefined && stable !== null) {
    if (canary < stable - t.maxDropFromStable) return false;
  }
  return true;
}

/** Runs every gate for canary and stable and evaluates the thresholds. */
export async function runGates(
  provider: MetricsProvider,
  target: AnalysisTarget,
  gates: MetricGate[],
): Promise<MetricResult[]> {
  return Promise.all(
    gates.map(async gate => {
      const canaryQuery = renderQuery(gate.query, target, target.canary);
      const [canary, stable] = await Promise.all([
        provider.query(target.cluster, canaryQuery),
        provider.query(
          target.cluster,
          renderQuery(gate.query, target, target.stable),
        ),
      ]);
      return {
        name: gate.name,
        query: canaryQuery,
        canary,
        stable,
        threshold: describeThreshold(gate.threshold),
        pass: evaluateThreshold(gate.threshold, canary, stable),
      };
    }),
  );
}

/**
 * The default gates, on Istio's standard metrics (as the simulator and a
 * real mesh export them) and kube-state-metrics.
 */
export const DEFAULT_GATES: MetricGate[] = [
  {
    name: 'success-rate',
    query:
      'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_app="{{app}}",destination_version="{{version}}",response_code!~"5.."}[{{window}}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{namespace}}",destination_app="{{app}}",destination_version="{{version}}"}[{{window}}]))',
    threshold: { min: 0.99 },
  },
  {
    name: 'latency-p99-ms',
    query:
      'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{namespace}}",destination_app="{{app}}",destination_version="{{version}}"}[{{window}}])))',
    threshold: { maxRatioToStable: 1.5 },
  },
  {
    name: 'restarts',
    query:
      'sum(increase(kube_pod_container_status_restarts_total{namespace="{{namespace}}",pod=~"{{podRegex}}"}[{{window}}]))',
    threshold: { max: 0 },
  },
];
