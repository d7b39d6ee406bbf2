/**
 * The fincloud monitoring UI: each service's Monitoring tab (Prometheus
 * panels, deploy markers, canary-vs-stable split, alerts with silences, the
 * alert rule editor), its golden-signals card and the alert center. Legacy
 * exports here; the New Frontend System plugin is the default export of
 * `./alpha`.
 *
 * @packageDocumentation
 */
export {
  monitoringPlugin,
  EntityMonitoringContent,
  EntityMonitoringCard,
  AlertCenterPage,
} from './plugin';
export { rootRouteRef } from './routes';
export { monitoringApiRef, MonitoringClient } from './api';
export type { MonitoringApi, DashboardQuery, AlertCenterQuery } from './api';
