/**
 * The wire types of `/api/monitoring` (see README.md for the routes). The
 * backend answers exactly these shapes; the UI draws them as they are.
 */

/**
 * One time series, ready to draw: a point at every step of the dashboard's
 * range, `null` where Prometheus had no sample (a gap, not a zero).
 *
 * @public
 */
export interface Series {
  /** What tells this series apart, e.g. `{ version: 'v2' }`; `{}` for a single total. */
  labels: Record<string, string>;
  /** `[unix ms, value]`, one per step from the dashboard's `from` to `to`. */
  points: Array<[number, number | null]>;
}

/** @public */
export type PanelUnit =
  | 'reqps'
  | 'percent'
  | 'ms'
  | 'cores'
  | 'bytes'
  | 'count';

/** @public */
export type PanelKind = 'line' | 'area' | 'stat';

/** @public */
export interface PanelThreshold {
  value: number;
  color: 'warning' | 'error';
}

/**
 * One chart of a dashboard. Its id is also the `metric` an alert rule names.
 *
 * @public
 */
export interface Panel {
  id: string;
  title: string;
  unit: PanelUnit;
  kind: PanelKind;
  thresholds?: PanelThreshold[];
  series: Series[];
  /** This panel's query failed; the other panels still render. */
  error?: string;
}

/**
 * A build or release of the entity inside the dashboard's range, read from
 * the audit trail; every chart can mark it.
 *
 * @public
 */
export interface DeployMarker {
  /** unix ms */
  at: number;
  kind: 'build' | 'release';
  label: string;
  status?: string;
  link?: string;
}

/** @public */
export type AlertState = 'firing' | 'pending' | 'suppressed';

/**
 * A firing, pending or silenced alert, from Alertmanager (API v2) or from
 * Prometheus' rule evaluation (pending alerts only reach Alertmanager once
 * they fire).
 *
 * @public
 */
export interface Alert {
  /** Alertmanager's fingerprint (the label set's hash); for Prometheus alerts the same hash of the labels. */
  fingerprint: string;
  /** The `alertname` label. */
  name: string;
  state: AlertState;
  /** The `severity` label (`none` when the alert has none). */
  severity: string;
  /** The `summary` (else `description`) annotation. */
  summary?: string;
  labels: Record<string, string>;
  /** ISO 8601 */
  startsAt: string;
  source: 'alertmanager' | 'prometheus';
  /** Ids of the silences muting it (state `suppressed`). */
  silencedBy?: string[];
  /** The catalog entity the alert belongs to, when its labels name one. */
  entityRef?: string;
}

/**
 * One call gives the whole overview of an entity: every panel, the deploy
 * markers and the alerts.
 *
 * @public
 */
export interface Dashboard {
  entityRef: string;
  /** unix ms, aligned down to the step */
  from: number;
  /** unix ms, aligned down to the step */
  to: number;
  /** seconds between points */
  step: number;
  panels: Panel[];
  markers: DeployMarker[];
  alerts: Alert[];
  /** Versions with traffic in the range (more than one: a canary or blue-green is in progress). */
  versions: string[];
  /** Set when the alerts could not be read (the panels are still there). */
  alertsError?: string;
  /** Set when the deploy markers could not be read. */
  markersError?: string;
}

/** @public */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false for `!=` / `!~` */
  isEqual: boolean;
}

/** @public */
export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** ISO 8601 */
  startsAt: string;
  /** ISO 8601 */
  endsAt: string;
  createdBy: string;
  comment: string;
  status: 'active' | 'pending' | 'expired';
}

/**
 * Body of `POST .../silences`. The backend always adds the entity's own
 * matchers (`namespace`, `workload`, and the `fincloud.io/alert-selector`
 * ones), so a silence can never mute another service.
 *
 * @public
 */
export interface CreateSilenceRequest {
  /** Silence exactly this alert (its labels become the matchers). */
  alertFingerprint?: string;
  /** Extra matchers, e.g. `{ name: 'alertname', value: 'HighErrorRatio', isRegex: false, isEqual: true }`. */
  matchers?: SilenceMatcher[];
  /** 1 .. 10080 (7 days) */
  durationMinutes: number;
  /** Why; required, shown in Alertmanager and in the audit trail. */
  comment: string;
}

/** @public */
export type Comparison = '>' | '>=' | '<' | '<=';

/** @public */
export type AlertRuleSeverity = 'critical' | 'warning' | 'info';

/**
 * A threshold alert rule of one entity, stored as a rule of the entity's
 * `PrometheusRule` object: fires when `metric` (a panel id) `comparison`
 * `threshold` holds for `forMinutes`.
 *
 * @public
 */
export interface AlertRuleSpec {
  /** The alert name, `[A-Za-z_][A-Za-z0-9_]*` (see ALERT_RULE_NAME_PATTERN). */
  name: string;
  /** A panel id of the entity's dashboard, e.g. `error-ratio`. */
  metric: string;
  comparison: Comparison;
  /** In the panel's unit (percent for `error-ratio`, ms for latencies). */
  threshold: number;
  /** 0 .. 1440 */
  forMinutes: number;
  severity: AlertRuleSeverity;
  summary?: string;
}

/** @public */
export interface AlertRulePreview {
  /** The PromQL the rule evaluates. */
  expr: string;
  /** The rule's value now (of several series: the highest for > / >=, the lowest for < / <=); null without data. */
  currentValue: number | null;
  wouldFire: boolean;
  valid: boolean;
  error?: string;
}

/**
 * One group of the alert center (`GET /alerts?groupBy=`).
 *
 * @public
 */
export interface AlertGroup {
  /** The owner ref, system ref or severity; `unowned` for alerts no entity claims. */
  key: string;
  alerts: Array<
    Alert & { entityRef?: string; owner?: string; system?: string }
  >;
}

/**
 * Alert noise over a window, from Prometheus' `ALERTS` history.
 *
 * @public
 */
export interface NoiseReport {
  window: string;
  /** Rules that fired most often (count of times an alert started firing). */
  topRules: Array<{ name: string; firings: number; entityRef?: string }>;
  /** Alerts that switched between firing and not firing most often. */
  flapping: Array<{ name: string; transitions: number; entityRef?: string }>;
}
