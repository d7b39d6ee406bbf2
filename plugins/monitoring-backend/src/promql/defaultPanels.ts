import { MONITORING_PANEL_IDS } from '@fincloud/plugin-monitoring-common';
import { PanelTemplateConfig } from '../config/types';

/*
 * The panels every service gets unless `fincloud.monitoring.panels` replaces
 * them: RED from Istio's standard metrics (the destination sidecar's view)
 * and USE from cAdvisor and kube-state-metrics names.
 *
 * A service is its `app` label, not one Deployment: fincloud's convention
 * is that `fincloud.io/workload` names the Deployment *and* is the `app`
 * label of its pods, and a release runs the new version as a second
 * Deployment `<workload>-<version>` (same `app`, its own `version`), then
 * scales the first to 0. So Istio series are selected by `destination_app`
 * (one series per `destination_version`: a canary shows next to stable),
 * and pod series by joining kube-state-metrics' `kube_pod_labels` on
 * `label_app` (cAdvisor has no workload or app label; its pods' labels come
 * from kube-state-metrics, whose `--metric-labels-allowlist` must include
 * `pods=[app,version]`).
 */

const ISTIO = `reporter="destination",destination_workload_namespace="$namespace",destination_app="$workload",destination_version=~"$version"`;
const REQUESTS = `istio_requests_total{${ISTIO}}`;
const ERRORS = `istio_requests_total{${ISTIO},response_code=~"5.."}`;
const DURATION = `istio_request_duration_milliseconds_bucket{${ISTIO}}`;

/**
 * The service's pods, one series each carrying its `version` label: every
 * pod labelled `app: <workload>`, whichever Deployment owns it. `max by`
 * keeps one series per pod when several kube-state-metrics replicas are
 * scraped.
 */
const SERVICE_PODS = `max by (namespace, pod, label_version) (kube_pod_labels{namespace="$namespace",label_app="$workload",label_version=~"$version"})`;

/** `series` (labelled `namespace`, `pod`) of the service's pods only, with their `label_version`. */
const ofServicePods = (series: string) =>
  `${series} * on (namespace, pod) group_left (label_version) ${SERVICE_PODS}`;

const CPU = ofServicePods(
  `rate(container_cpu_usage_seconds_total{namespace="$namespace",container!="",container!="POD"}[$__rate_interval])`,
);
const MEMORY = ofServicePods(
  `container_memory_working_set_bytes{namespace="$namespace",container!="",container!="POD"}`,
);

const byVersion = { destination_version: 'version' };
const byPodVersion = { label_version: 'version' };

function latency(quantile: string, id: string, title: string) {
  return {
    id,
    title,
    unit: 'ms' as const,
    kind: 'line' as const,
    query: `histogram_quantile(${quantile}, sum by (destination_version, le) (rate(${DURATION}[$__rate_interval])))`,
    seriesLabels: byVersion,
  };
}

export const DEFAULT_PANELS: PanelTemplateConfig[] = [
  {
    id: MONITORING_PANEL_IDS.requestRate,
    title: 'Request rate',
    unit: 'reqps',
    kind: 'line',
    query: `sum by (destination_version) (rate(${REQUESTS}[$__rate_interval]))`,
    seriesLabels: byVersion,
    // The alert rule watches the service as a whole.
    ruleQuery: `sum(rate(${REQUESTS}[$__rate_interval]))`,
  },
  {
    id: MONITORING_PANEL_IDS.errorRatio,
    title: 'Error ratio (5xx)',
    unit: 'percent',
    kind: 'line',
    thresholds: [
      { value: 1, color: 'warning' },
      { value: 5, color: 'error' },
    ],
    // `or ... * 0`: a version without a single 5xx shows 0 %, not a gap.
    query: `100 * (sum by (destination_version) (rate(${ERRORS}[$__rate_interval])) or sum by (destination_version) (rate(${REQUESTS}[$__rate_interval])) * 0) / sum by (destination_version) (rate(${REQUESTS}[$__rate_interval]))`,
    seriesLabels: byVersion,
  },
  latency('0.50', MONITORING_PANEL_IDS.latencyP50, 'Latency p50'),
  latency('0.95', MONITORING_PANEL_IDS.latencyP95, 'Latency p95'),
  {
    ...latency('0.99', MONITORING_PANEL_IDS.latencyP99, 'Latency p99'),
    thresholds: [
      { value: 500, color: 'warning' },
      { value: 1000, color: 'error' },
    ],
  },
  {
    id: MONITORING_PANEL_IDS.cpu,
    title: 'CPU',
    unit: 'cores',
    kind: 'area',
    query: `sum by (label_version) (${CPU})`,
    seriesLabels: byPodVersion,
    // The alert rule watches the service as a whole (every version's pods).
    ruleQuery: `sum(${CPU})`,
  },
  {
    id: MONITORING_PANEL_IDS.memory,
    title: 'Memory working set',
    unit: 'bytes',
    kind: 'area',
    query: `sum by (label_version) (${MEMORY})`,
    seriesLabels: byPodVersion,
    ruleQuery: `sum(${MEMORY})`,
  },
  {
    id: MONITORING_PANEL_IDS.restarts,
    title: 'Container restarts (10 min)',
    unit: 'count',
    kind: 'stat',
    thresholds: [{ value: 1, color: 'warning' }],
    query: `sum(${ofServicePods(
      'increase(kube_pod_container_status_restarts_total{namespace="$namespace"}[10m])',
    )})`,
  },
  {
    id: MONITORING_PANEL_IDS.readyPods,
    title: 'Ready pods',
    unit: 'count',
    kind: 'stat',
    query: `sum(${ofServicePods(
      'kube_pod_status_ready{namespace="$namespace",condition="true"}',
    )})`,
  },
];
