import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Alert,
  AlertGroup,
  AlertGroupBy,
  AlertRulePreview,
  AlertRuleSpec,
  CreateSilenceRequest,
  Dashboard,
  NoiseReport,
  NoiseWindow,
  Silence,
} from '@fincloud/plugin-monitoring-common';

export interface RequestOptions {
  credentials: BackstageCredentials;
}

export interface DashboardQuery {
  /** unix ms */
  from: number;
  /** unix ms */
  to: number;
  /** seconds; chosen from the range when absent */
  step?: number;
  /** only this version in the RED panels */
  version?: string;
}

export interface AlertCenterQuery {
  groupBy: AlertGroupBy;
  severity?: string[];
  q?: string;
}

/** An alert of the alert center, with the entity it belongs to. */
export type CenterAlert = AlertGroup['alerts'][number];

/**
 * What the monitoring API does. `DefaultMonitoringService` does it;
 * `AuthorizedMonitoringService` checks the permissions first.
 */
export interface MonitoringService {
  dashboard(
    entityRef: string,
    query: DashboardQuery,
    options: RequestOptions,
  ): Promise<Dashboard>;
  alerts(entityRef: string, options: RequestOptions): Promise<Alert[]>;
  silences(entityRef: string, options: RequestOptions): Promise<Silence[]>;
  createSilence(
    entityRef: string,
    request: CreateSilenceRequest,
    options: RequestOptions,
  ): Promise<Silence>;
  expireSilence(
    id: string,
    entityRef: string,
    options: RequestOptions,
  ): Promise<{ matchers: Silence['matchers'] } | undefined>;
  rules(entityRef: string, options: RequestOptions): Promise<AlertRuleSpec[]>;
  previewRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ): Promise<AlertRulePreview>;
  putRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ): Promise<{ spec: AlertRuleSpec; expr: string; created: boolean }>;
  deleteRule(
    entityRef: string,
    name: string,
    options: RequestOptions,
  ): Promise<void>;
  /** Every alert of the catalog the caller can list; the authorized service filters per entity. */
  alertCenter(
    query: AlertCenterQuery,
    options: RequestOptions & {
      /** Keeps the alerts of these entities (and the unowned ones when `unowned`). */
      visible?: (
        entityRefs: string[],
      ) => Promise<{ refs: Set<string>; unowned: boolean }>;
    },
  ): Promise<AlertGroup[]>;
  noise(window: NoiseWindow, options: RequestOptions): Promise<NoiseReport>;
}
