/**
 * fincloud monitoring: Prometheus dashboards, Alertmanager alerts and
 * silences, alert rules as PrometheusRule objects, the alert center.
 *
 * @packageDocumentation
 */
export { monitoringPlugin as default } from './plugin';
export { readMonitoringConfig } from './config/readConfig';
export type { MonitoringConfig } from './config/types';
