export { monitoringApiRef } from './MonitoringApi';
export type {
  AlertCenterQuery,
  DashboardQuery,
  MonitoringApi,
} from './MonitoringApi';
export { MonitoringClient } from './MonitoringClient';
