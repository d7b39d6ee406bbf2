import { InputError } from '@backstage/errors';
import {
  ALERT_RULE_NAME_PATTERN,
  AlertRuleSpec,
  Comparison,
  MAX_RULE_FOR_MINUTES,
} from '@fincloud/plugin-monitoring-common';
import { PanelTemplate } from '../config/types';
import { renderTemplate } from '../promql/template';
import { MonitoringTarget } from './entityTarget';

/*
 * An entity's alert rules live in one PrometheusRule object in its
 * namespace (prometheus-operator's convention, label `role: alert-rules`),
 * named `fincloud-<workload>`, one group. Each rule carries what the typed
 * editor needs to read it back in annotations (`fincloud_*`); rules in the
 * object without them (written by hand) are kept untouched.
 */

export const PROMETHEUS_RULE = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  plural: 'prometheusrules',
  kind: 'PrometheusRule',
} as const;

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const ENTITY_ANNOTATION = 'fincloud.io/entity-ref';

const COMPARISONS: Comparison[] = ['>', '>=', '<', '<='];
const SEVERITIES = ['critical', 'warning', 'info'];

/** One Prometheus rule as in a rule group. */
export interface PrometheusRuleEntry {
  alert?: string;
  record?: string;
  expr: string | number;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface PrometheusRuleObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: {
    groups: Array<{
      name: string;
      rules: PrometheusRuleEntry[];
      [k: string]: unknown;
    }>;
  };
}

export function ruleObjectName(target: Pick<MonitoringTarget, 'workload'>) {
  return `fincloud-${target.workload}`.slice(0, 253);
}

export function ruleGroupName(
  target: Pick<MonitoringTarget, 'namespace' | 'workload'>,
) {
  return `fincloud.${target.namespace}.${target.workload}`;
}

/**
 * Checks a spec against the entity's panels; InputError naming the field.
 * The path's rule name must match the body's.
 */
export function validateRuleSpec(
  spec: AlertRuleSpec,
  panels: PanelTemplate[],
): PanelTemplate {
  if (!ALERT_RULE_NAME_PATTERN.test(spec.name) || spec.name.length > 200) {
    throw new InputError(
      `name "${spec.name}" is not an alert name ([A-Za-z_][A-Za-z0-9_]*, at most 200 characters)`,
    );
  }
  const panel = panels.find(p => p.id === spec.metric);
  if (!panel) {
    throw new InputError(
      `metric "${spec.metric}" is not a panel of this service (${panels
        .map(p => p.id)
        .join(', ')})`,
    );
  }
  if (!COMPARISONS.includes(spec.comparison)) {
    throw new InputError(`comparison must be one of ${COMPARISONS.join(' ')}`);
  }
  if (!Number.isFinite(spec.threshold)) {
    throw new InputError('threshold must be a finite number');
  }
  if (
    !Number.isInteger(spec.forMinutes) ||
    spec.forMinutes < 0 ||
    spec.forMinutes > MAX_RULE_FOR_MINUTES
  ) {
    throw new InputError(
      `forMinutes must be a whole number from 0 to ${MAX_RULE_FOR_MINUTES}`,
    );
  }
  if (!SEVERITIES.includes(spec.severity)) {
    throw new InputError(`severity must be one of ${SEVERITIES.join(', ')}`);
  }
  if (spec.summary !== undefined) {
    const controlCharacter = [...spec.summary].some(ch => {
      const code = ch.codePointAt(0)!;
      return code < 0x20 || code === 0x7f;
    });
    if (spec.summary.length > 500 || controlCharacter) {
      throw new InputError(
        'summary must be one line of at most 500 characters',
      );
    }
  }
  return panel;
}

/** A number as PromQL reads it. */
function promNumber(value: number): string {
  // JavaScript's shortest round-trip form (`0.5`, `1e+21`) is valid PromQL.
  return String(value);
}

/** The rule's value expression (the panel's rule query for this entity). */
export function ruleValueExpression(
  panel: PanelTemplate,
  target: MonitoringTarget,
  rateInterval: string,
): string {
  return renderTemplate(panel.ruleQuery, {
    namespace: target.namespace,
    workload: target.workload,
    cluster: target.cluster,
    rateInterval,
  });
}

/** The alerting expression: `(value) <comparison> threshold`. */
export function ruleExpression(
  spec: AlertRuleSpec,
  valueExpression: string,
): string {
  return `(${valueExpression}) ${spec.comparison} ${promNumber(
    spec.threshold,
  )}`;
}

export function compare(
  value: number,
  comparison: Comparison,
  threshold: number,
): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    default:
      return false;
  }
}

/** The rule entry for a spec. */
export function toRuleEntry(
  spec: AlertRuleSpec,
  panel: PanelTemplate,
  target: MonitoringTarget,
  expr: string,
  workloadLabel: string,
): PrometheusRuleEntry {
  const labels: Record<string, string> = {};
  // The selector's equality labels first, so an entity's own alerts always
  // match its alert selector; then what identifies the service.
  for (const m of target.selector) {
    if (m.isEqual) labels[m.name] = m.value;
  }
  labels.namespace = target.namespace;
  labels[workloadLabel] = target.workload;
  labels.severity = spec.severity;
  return {
    alert: spec.name,
    expr,
    ...(spec.forMinutes > 0 ? { for: `${spec.forMinutes}m` } : {}),
    labels,
    annotations: {
      summary:
        spec.summary ??
        `${panel.title} ${spec.comparison} ${promNumber(spec.threshold)}${
          spec.forMinutes > 0 ? ` for ${spec.forMinutes} min` : ''
        }`,
      fincloud_entity: target.entityRef,
      fincloud_metric: spec.metric,
      fincloud_comparison: spec.comparison,
      fincloud_threshold: promNumber(spec.threshold),
    },
  };
}

/** Minutes of a Prometheus duration (`5m`, `1h30m`, `90s`); undefined when it is not one. */
export function durationMinutes(value: string | undefined): number | undefined {
  if (value === undefined) return 0;
  const m =
    /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/.exec(
      value,
    );
  if (!m || value === '') return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  const seconds =
    n(2) * 365 * 86400 +
    n(4) * 7 * 86400 +
    n(6) * 86400 +
    n(8) * 3600 +
    n(10) * 60 +
    n(12) +
    n(14) / 1000;
  return Math.round(seconds / 60);
}

/** The typed specs of the fincloud rules in an object (hand-written rules are left out). */
export function specsFromObject(
  object: PrometheusRuleObject | undefined,
): AlertRuleSpec[] {
  const specs: AlertRuleSpec[] = [];
  for (const group of object?.spec?.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const a = rule.annotations ?? {};
      if (!rule.alert || !a.fincloud_metric) continue;
      const comparison = a.fincloud_comparison as Comparison;
      const threshold = Number(a.fincloud_threshold);
      const forMinutes = durationMinutes(rule.for);
      if (
        !COMPARISONS.includes(comparison) ||
        !Number.isFinite(threshold) ||
        forMinutes === undefined
      ) {
        continue;
      }
      specs.push({
        name: rule.alert,
        metric: a.fincloud_metric,
        comparison,
        threshold,
        forMinutes,
        severity: (rule.labels?.severity ??
          'warning') as AlertRuleSpec['severity'],
        ...(a.summary ? { summary: a.summary } : {}),
      });
    }
  }
  return specs;
}

/** A new, empty PrometheusRule object for the target. */
export function newRuleObject(target: MonitoringTarget): PrometheusRuleObject {
  return {
    apiVersion: `${PROMETHEUS_RULE.group}/${PROMETHEUS_RULE.version}`,
    kind: PROMETHEUS_RULE.kind,
    metadata: {
      name: ruleObjectName(target),
      namespace: target.namespace,
      labels: {
        role: 'alert-rules',
        [MANAGED_BY_LABEL]: 'fincloud',
      },
      annotations: { [ENTITY_ANNOTATION]: target.entityRef },
    },
    spec: { groups: [{ name: ruleGroupName(target), rules: [] }] },
  };
}

/** The object with `entry` put in place of the rule of the same name (or added to the fincloud group). */
export function upsertRule(
  object: PrometheusRuleObject,
  target: MonitoringTarget,
  entry: PrometheusRuleEntry,
): PrometheusRuleObject {
  const groupName = ruleGroupName(target);
  let replaced = false;
  const groups = (object.spec?.groups ?? []).map(g => ({
    ...g,
    rules: (g.rules ?? []).map(r => {
      if (r.alert !== entry.alert || replaced) return r;
      replaced = true;
      return entry;
    }),
  }));
  if (!replaced) {
    let group = groups.find(g => g.name === groupName);
    if (!group) {
      group = { name: groupName, rules: [] };
      groups.push(group);
    }
    group.rules.push(entry);
  }
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, role: 'alert-rules' },
    },
    spec: { ...object.spec, groups: groups.filter(g => g.rules.length > 0) },
  };
}

/** The object without the alert named `name`; `removed` false when it had none. */
export function removeRule(
  object: PrometheusRuleObject,
  name: string,
): { object: PrometheusRuleObject; removed: boolean; empty: boolean } {
  let removed = false;
  const groups = (object.spec?.groups ?? [])
    .map(g => {
      const rules = (g.rules ?? []).filter(r => r.alert !== name);
      if (rules.length !== (g.rules ?? []).length) removed = true;
      return { ...g, rules };
    })
    .filter(g => g.rules.length > 0);
  return {
    object: { ...object, spec: { ...object.spec, groups } },
    removed,
    empty: groups.length === 0,
  };
}
