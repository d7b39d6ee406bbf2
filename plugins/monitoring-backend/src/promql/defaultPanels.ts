import { MONITORING_PANEL_IDS } from '@fincloud/plugin-monitoring-common';
import { PanelTemplateConfig } from '../config/types';

/*
 * The panels every service gets unless `fincloud.monitoring.panels` replaces
 * them: RED from Istio's standard metrics (the destination sidecar's view,
 * one series per version so a canary shows next to stable) and USE from
 * cAdvisor and kube-state-metrics names. Pods are selected by the
 * Deployment's naming (`<workload>-<pod-template-hash>-<suffix>`), since
 * cAdvisor has no workload label.
 */

const REQUESTS = `istio_requests_total{reporter="destination",destination_workload_namespace="$namespace",destination_workload="$workload",destination_version=~"$version"}`;
const ERRORS = `istio_requests_total{reporter="destination",destination_workload_namespace="$namespace",destination_workload="$workload",destination_version=~"$version",response_code=~"5.."}`;
const DURATION = `istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="$namespace",destination_workload="$workload",destination_version=~"$version"}`;
const PODS = `namespace="$namespace",pod=~"$workload-[a-z0-9]+-[a-z0-9]{5}"`;

const byVersion = { destination_version: 'version' };

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
    query: `sum(rate(container_cpu_usage_seconds_total{${PODS},container!="",container!="POD"}[$__rate_interval]))`,
  },
  {
    id: MONITORING_PANEL_IDS.memory,
    title: 'Memory working set',
    unit: 'bytes',
    kind: 'area',
    query: `sum(container_memory_working_set_bytes{${PODS},container!="",container!="POD"})`,
  },
  {
    id: MONITORING_PANEL_IDS.restarts,
    title: 'Container restarts (10 min)',
    unit: 'count',
    kind: 'stat',
    thresholds: [{ value: 1, color: 'warning' }],
    query: `sum(increase(kube_pod_container_status_restarts_total{${PODS}}[10m]))`,
  },
  {
    id: MONITORING_PANEL_IDS.readyPods,
    title: 'Ready pods',
    unit: 'count',
    kind: 'stat',
    query: `sum(kube_pod_status_ready{${PODS},condition="true"})`,
  },
];
