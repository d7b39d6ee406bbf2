import { Entity, parseEntityRef } from '@backstage/catalog-model';
import { isWorkloadAvailable } from '@fincloud/plugin-fincloud-common';

/** The plugin id: the backend is mounted at `/api/monitoring`. @public */
export const MONITORING_PLUGIN_ID = 'monitoring';

/**
 * Ids of the default panels (`fincloud.monitoring.panels` may replace them;
 * these are what the backend ships with). A panel id is also what an alert
 * rule's `metric` names.
 *
 * @public
 */
export const MONITORING_PANEL_IDS = {
  requestRate: 'request-rate',
  errorRatio: 'error-ratio',
  latencyP50: 'latency-p50',
  latencyP95: 'latency-p95',
  latencyP99: 'latency-p99',
  cpu: 'cpu',
  memory: 'memory',
  restarts: 'restarts',
  readyPods: 'ready-pods',
} as const;

/**
 * The four golden signals of the overview card: traffic, errors, latency,
 * saturation.
 *
 * @public
 */
export const GOLDEN_SIGNAL_PANEL_IDS: readonly string[] = [
  MONITORING_PANEL_IDS.requestRate,
  MONITORING_PANEL_IDS.errorRatio,
  MONITORING_PANEL_IDS.latencyP99,
  MONITORING_PANEL_IDS.cpu,
];

/** An alert rule name, as Prometheus requires for `alertname`. @public */
export const ALERT_RULE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest silence, in minutes (7 days). @public */
export const MAX_SILENCE_MINUTES = 7 * 24 * 60;

/** Longest `for` of an alert rule, in minutes (1 day). @public */
export const MAX_RULE_FOR_MINUTES = 24 * 60;

/** Windows of the noise report. @public */
export const NOISE_WINDOWS = ['24h', '7d'] as const;

/** @public */
export type NoiseWindow = (typeof NOISE_WINDOWS)[number];

/** How the alert center groups. @public */
export const ALERT_GROUP_BY = ['owner', 'system', 'severity'] as const;

/** @public */
export type AlertGroupBy = (typeof ALERT_GROUP_BY)[number];

/** The alert center's key for alerts no catalog entity claims. @public */
export const UNOWNED_ALERT_GROUP = 'unowned';

/**
 * Monitoring needs to know where the service runs: `fincloud.io/cluster` and
 * `fincloud.io/namespace` (the workload defaults to the entity name).
 *
 * @public
 */
export function isMonitoringAvailable(entity: Entity): boolean {
  return isWorkloadAvailable(entity);
}

/**
 * The path of an entity under `/api/monitoring`, e.g.
 * `/entities/component/default/payment-gateway` (then `/dashboard`,
 * `/alerts`, `/silences`, `/rules`).
 *
 * @public
 */
export function monitoringEntityPath(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/entities/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}
