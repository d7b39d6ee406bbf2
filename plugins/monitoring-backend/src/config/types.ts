import {
  PanelKind,
  PanelThreshold,
  PanelUnit,
} from '@fincloud/plugin-monitoring-common';
import { CompiledTemplate } from '../promql/template';

/** A panel as written in config (and in the defaults). */
export interface PanelTemplateConfig {
  id: string;
  title: string;
  unit: PanelUnit;
  kind: PanelKind;
  thresholds?: PanelThreshold[];
  /** PromQL template of the chart. */
  query: string;
  /** Result label → series label (e.g. destination_version → version); absent: all result labels. */
  seriesLabels?: Record<string, string>;
  /** PromQL template an alert rule on this panel evaluates; default `max(<query>)`. */
  ruleQuery?: string;
}

/** A panel ready to query. */
export interface PanelTemplate
  extends Omit<PanelTemplateConfig, 'query' | 'ruleQuery'> {
  query: CompiledTemplate;
  ruleQuery: CompiledTemplate;
}

/** How a server is reached: URL, credentials, tenancy. Credentials never leave the backend. */
export interface ServerConfig {
  name: string;
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** The whole `Authorization` header value (e.g. `Basic ...`), instead of `token`. */
  authHeader?: string;
  /** Per-team tenancy, e.g. `X-Scope-OrgID` (Mimir, Cortex, Thanos). */
  tenantHeader?: string;
  /** Owner ref → tenant id; default: the owner's name. */
  tenants?: Record<string, string>;
  timeoutMs: number;
}

export interface PrometheusServerConfig extends ServerConfig {
  /** Scrape interval, for `$__rate_interval` (max(4 × scrape, step + scrape)). */
  scrapeIntervalSeconds: number;
  /** The Alertmanager (by name) its alerts go to. */
  alertmanager?: string;
}

/** An audit event that becomes a deploy marker. */
export interface MarkerEventConfig {
  plugin: string;
  /** Event ids to take; absent: every event of the plugin of at least `medium` severity. */
  eventIds?: string[];
  kind: 'build' | 'release';
  /** Only records with these statuses (default: succeeded and failed: finished actions). */
  statuses: Array<'initiated' | 'succeeded' | 'failed'>;
  /** A link for the marker, with {kind}, {namespace}, {name} and meta fields as {meta.x}. */
  link?: string;
}

export interface RuleSyncConfig {
  /** Directory Prometheus loads `*.yml` rule files from. */
  directory: string;
  /** The Prometheus (by name) to reload after a change. */
  prometheus: string;
  /** Clusters whose PrometheusRules are synced; default all. */
  clusters?: string[];
  intervalSeconds: number;
}

export interface MonitoringConfig {
  prometheus: PrometheusServerConfig[];
  alertmanager: ServerConfig[];
  panels: PanelTemplate[];
  extraPanels: PanelTemplate[];
  /** The panel whose series tell which versions have traffic. */
  trafficPanel: string;
  cache: { maxEntries: number; maxTtlSeconds: number };
  /** Points per series the default step aims at. */
  targetPoints: number;
  markers: MarkerEventConfig[];
  /** The label naming the workload on alerts (besides `namespace`): tried in order. */
  alertWorkloadLabels: string[];
  ruleSync?: RuleSyncConfig;
}
