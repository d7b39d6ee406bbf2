import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  AlertGroup,
  AlertGroupBy,
  Alert,
  AlertRulePreview,
  AlertRuleSpec,
  CreateSilenceRequest,
  Dashboard,
  NoiseReport,
  NoiseWindow,
  Silence,
} from '@fincloud/plugin-monitoring-common';

/** What the Monitoring tab asks for: a range in unix ms, and optionally a step and one version. @public */
export interface DashboardQuery {
  from: number;
  to: number;
  /** seconds between points; the backend picks ~240 points when left out */
  step?: number;
  /** only this version on the RED panels */
  version?: string;
}

/** @public */
export interface AlertCenterQuery {
  groupBy: AlertGroupBy;
  severity?: string[];
  q?: string;
}

/**
 * `/api/monitoring` as the UI sees it. The backend decides who may do what;
 * errors are `ResponseError`s carrying its message and status.
 *
 * @public
 */
export interface MonitoringApi {
  /** The whole overview of a service in one round trip. */
  getDashboard(entityRef: string, query: DashboardQuery): Promise<Dashboard>;
  getAlerts(entityRef: string): Promise<Alert[]>;
  getSilences(entityRef: string): Promise<Silence[]>;
  createSilence(
    entityRef: string,
    request: CreateSilenceRequest,
  ): Promise<Silence>;
  /** Expires the silence now. */
  expireSilence(silenceId: string, entityRef: string): Promise<void>;
  getRules(entityRef: string): Promise<AlertRuleSpec[]>;
  previewRule(
    entityRef: string,
    rule: AlertRuleSpec,
  ): Promise<AlertRulePreview>;
  /** Creates or replaces the rule of that name. */
  saveRule(entityRef: string, rule: AlertRuleSpec): Promise<AlertRuleSpec>;
  deleteRule(entityRef: string, name: string): Promise<void>;
  /** Every firing alert the user may see, grouped. */
  getAlertCenter(query: AlertCenterQuery): Promise<AlertGroup[]>;
  getNoise(window: NoiseWindow): Promise<NoiseReport>;
}

/** @public */
export const monitoringApiRef = createApiRef<MonitoringApi>({
  id: 'plugin.monitoring.service',
});
