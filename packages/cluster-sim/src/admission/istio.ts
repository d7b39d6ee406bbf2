import type { K8sObject } from '../store/ObjectStore';
import { Causes } from './rules';
import {
  dns1123Label,
  prometheusDuration,
  qualifiedName,
  labelValue,
} from './names';
import { FieldTree, unknownTreeFields } from './schema';

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DESTINATION: FieldTree = { host: true, subset: true, port: true };
const STRING_MATCH: FieldTree = { exact: true, prefix: true, regex: true };
const HTTP_MATCH: FieldTree = {
  name: true,
  uri: STRING_MATCH,
  scheme: STRING_MATCH,
  method: STRING_MATCH,
  authority: STRING_MATCH,
  headers: true,
  port: true,
  sourceLabels: true,
  gateways: true,
  queryParams: true,
  ignoreUriCase: true,
  withoutHeaders: true,
  sourceNamespace: true,
  statPrefix: true,
};
const HEADERS: FieldTree = {
  request: { set: true, add: true, remove: true },
  response: { set: true, add: true, remove: true },
};
const HTTP_ROUTE: FieldTree = {
  name: true,
  match: HTTP_MATCH,
  route: { destination: DESTINATION, weight: true, headers: HEADERS },
  redirect: true,
  directResponse: true,
  delegate: true,
  rewrite: true,
  timeout: true,
  retries: {
    attempts: true,
    perTryTimeout: true,
    retryOn: true,
    retryRemoteLocalities: true,
  },
  fault: true,
  mirror: DESTINATION,
  mirrors: true,
  mirrorPercentage: true,
  mirrorPercent: true,
  corsPolicy: true,
  headers: HEADERS,
};
const VIRTUAL_SERVICE_SPEC: FieldTree = {
  hosts: true,
  gateways: true,
  http: HTTP_ROUTE,
  tls: true,
  tcp: true,
  exportTo: true,
};
const TRAFFIC_POLICY: FieldTree = {
  loadBalancer: true,
  connectionPool: {
    tcp: true,
    http: true,
  },
  outlierDetection: {
    consecutiveErrors: true,
    consecutiveGatewayErrors: true,
    consecutive5xxErrors: true,
    consecutiveLocalOriginFailures: true,
    splitExternalLocalOriginErrors: true,
    interval: true,
    baseEjectionTime: true,
    maxEjectionPercent: true,
    minHealthPercent: true,
  },
  tls: true,
  portLevelSettings: true,
  tunnel: true,
  proxyProtocol: true,
};
const DESTINATION_RULE_SPEC: FieldTree = {
  host: true,
  trafficPolicy: TRAFFIC_POLICY,
  subsets: { name: true, labels: true, trafficPolicy: TRAFFIC_POLICY },
  exportTo: true,
  workloadSelector: true,
};
const ENVOY_FILTER_SPEC: FieldTree = {
  workloadSelector: true,
  targetRefs: true,
  configPatches: { applyTo: true, match: true, patch: true },
  priority: true,
};

/** `reviews`, `reviews.ns`, `reviews.ns.svc.cluster.local` → the FQDN in `namespace`. */
export function fqdn(host: string, namespace: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

function duration(value: unknown, field: string, c: Causes) {
  if (value === undefined) return;
  if (
    typeof value !== 'string' ||
    !/^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/.test(value)
  ) {
    c.invalid(field, value, 'must be a duration such as "5s", "1m" or "250ms"');
  }
}

function validateTrafficPolicy(tp: any, field: string, c: Causes) {
  if (!isObject(tp)) return;
  const od = tp.outlierDetection;
  if (isObject(od)) {
    duration(od.interval, `${field}.outlierDetection.interval`, c);
    duration(
      od.baseEjectionTime,
      `${field}.outlierDetection.baseEjectionTime`,
      c,
    );
    if (
      typeof od.maxEjectionPercent === 'number' &&
      (od.maxEjectionPercent < 0 || od.maxEjectionPercent > 100)
    ) {
      c.invalid(
        `${field}.outlierDetection.maxEjectionPercent`,
        od.maxEjectionPercent,
        'must be between 0 and 100',
      );
    }
  }
  const http = tp.connectionPool?.http;
  if (isObject(http)) {
    for (const key of [
      'http1MaxPendingRequests',
      'http2MaxRequests',
      'maxRequestsPerConnection',
      'maxRetries',
    ]) {
      if (typeof http[key] === 'number' && http[key] < 0) {
        c.invalid(
          `${field}.connectionPool.http.${key}`,
          http[key],
          'must be greater than or equal to 0',
        );
      }
    }
  }
}

export function validateDestinationRule(obj: K8sObject, c: Causes) {
  const spec = (obj as any).spec;
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  c.list.push(...unknownTreeFields(spec, DESTINATION_RULE_SPEC, 'spec'));
  if (typeof spec.host !== 'string' || spec.host === '') {
    c.required(
      'spec.host',
      'name the Service the rule applies to, e.g. "payment-gateway" or "payment-gateway.payments.svc.cluster.local"',
    );
  }
  validateTrafficPolicy(spec.trafficPolicy, 'spec.trafficPolicy', c);
  const names = new Set<string>();
  (Array.isArray(spec.subsets) ? spec.subsets : []).forEach(
    (subset: any, i: number) => {
      if (!isObject(subset)) return;
      const f = `spec.subsets[${i}]`;
      if (typeof subset.name !== 'string' || subset.name === '') {
        c.required(`${f}.name`);
      } else {
        for (const e of dns1123Label(subset.name))
          c.invalid(`${f}.name`, subset.name, e);
        if (names.has(subset.name)) {
          c.duplicate(`${f}.name`, subset.name);
        }
        names.add(subset.name);
      }
      if (isObject(subset.labels)) {
        for (const [k, v] of Object.entries(subset.labels)) {
          for (const e of qualifiedName(k)) c.invalid(`${f}.labels`, k, e);
          for (const e of labelValue(String(v))) c.invalid(`${f}.labels`, v, e);
        }
      }
      validateTrafficPolicy(subset.trafficPolicy, `${f}.trafficPolicy`, c);
    },
  );
}

/**
 * VirtualService rules: hosts given, weights of each http route sum to 100
 * when weights are given, and every subset a route names exists in a
 * DestinationRule for that host in the same namespace (what `istioctl
 * analyze` reports as IST0101; Istio's webhook itself does not look).
 */
export function validateVirtualService(
  obj: K8sObject,
  c: Causes,
  destinationRules: K8sObject[],
) {
  const spec = (obj as any).spec;
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  c.list.push(...unknownTreeFields(spec, VIRTUAL_SERVICE_SPEC, 'spec'));
  if (!Array.isArray(spec.hosts) || spec.hosts.length === 0) {
    c.required('spec.hosts', 'at least one host, e.g. the Service name');
  }
  const namespace = obj.metadata.namespace ?? 'default';
  const subsetsByHost = new Map<string, Set<string>>();
  for (const dr of destinationRules) {
    const host = (dr as any).spec?.host;
    if (typeof host !== 'string' || dr.metadata.deletionTimestamp) continue;
    const key = fqdn(host, dr.metadata.namespace ?? namespace);
    const set = subsetsByHost.get(key) ?? new Set<string>();
    for (const s of (dr as any).spec?.subsets ?? []) {
      if (typeof s?.name === 'string') set.add(s.name);
    }
    subsetsByHost.set(key, set);
  }
  const checkDestination = (dest: any, field: string) => {
    if (!isObject(dest)) return;
    if (typeof dest.host !== 'string' || dest.host === '') {
      c.required(`${field}.host`);
      return;
    }
    if (typeof dest.subset === 'string' && dest.subset !== '') {
      const host = fqdn(dest.host, namespace);
      const subsets = subsetsByHost.get(host);
      if (!subsets) {
        c.invalid(
          `${field}.subset`,
          dest.subset,
          `no DestinationRule for host "${dest.host}" in namespace "${namespace}" defines subsets; create the DestinationRule with subset "${dest.subset}" before the VirtualService`,
        );
      } else if (!subsets.has(dest.subset)) {
        c.invalid(
          `${field}.subset`,
          dest.subset,
          `subset "${
            dest.subset
          }" is not defined in the DestinationRule for host "${
            dest.host
          }" (it defines: ${
            [...subsets].map(s => `"${s}"`).join(', ') || 'no subsets'
          }); add it to the DestinationRule or route to an existing subset`,
        );
      }
    }
  };
  (Array.isArray(spec.http) ? spec.http : []).forEach(
    (route: any, i: number) => {
      if (!isObject(route)) return;
      const f = `spec.http[${i}]`;
      const destinations: any[] = Array.isArray(route.route) ? route.route : [];
      if (
        destinations.length === 0 &&
        !route.redirect &&
        !route.directResponse &&
        !route.delegate
      ) {
        c.required(
          `${f}.route`,
          'an http route needs at least one destination (or a redirect / directResponse)',
        );
      }
      const weighted = destinations.filter(
        d => isObject(d) && d.weight !== undefined,
      );
      if (weighted.length > 0 || destinations.length > 1) {
        const sum = destinations.reduce(
          (total, d) =>
            total +
            (isObject(d) && typeof d.weight === 'number' ? d.weight : 0),
          0,
        );
        if (sum !== 100) {
          c.invalid(
            `${f}.route`,
            destinations.map(d => d?.weight ?? 0),
            `total destination weight = ${sum}; the weights of an http route must add up to 100 (e.g. 90 + 10)`,
          );
        }
      }
      destinations.forEach((d, j) => {
        if (!isObject(d)) return;
        if (typeof d.weight === 'number' && (d.weight < 0 || d.weight > 100)) {
          c.invalid(
            `${f}.route[${j}].weight`,
            d.weight,
            'must be between 0 and 100',
          );
        }
        checkDestination(d.destination, `${f}.route[${j}].destination`);
      });
      if (route.mirror) checkDestination(route.mirror, `${f}.mirror`);
      duration(route.timeout, `${f}.timeout`, c);
      if (isObject(route.retries))
        duration(route.retries.perTryTimeout, `${f}.retries.perTryTimeout`, c);
    },
  );
  for (const section of ['tcp', 'tls']) {
    (Array.isArray(spec[section]) ? spec[section] : []).forEach(
      (route: any, i: number) => {
        (Array.isArray(route?.route) ? route.route : []).forEach(
          (d: any, j: number) =>
            checkDestination(
              d?.destination,
              `spec.${section}[${i}].route[${j}].destination`,
            ),
        );
      },
    );
  }
}

export function validateEnvoyFilter(obj: K8sObject, c: Causes) {
  const spec = (obj as any).spec;
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  c.list.push(...unknownTreeFields(spec, ENVOY_FILTER_SPEC, 'spec'));
  (Array.isArray(spec.configPatches) ? spec.configPatches : []).forEach(
    (p: any, i: number) => {
      if (!isObject(p)) return;
      if (!p.applyTo) c.required(`spec.configPatches[${i}].applyTo`);
      if (!isObject(p.patch) || !p.patch.operation) {
        c.required(`spec.configPatches[${i}].patch.operation`);
      }
    },
  );
}

// ---------------------------------------------------------------- PrometheusRule

const RULE_GROUP: FieldTree = {
  name: true,
  interval: true,
  rules: {
    record: true,
    alert: true,
    expr: true,
    for: true,
    keep_firing_for: true,
    labels: true,
    annotations: true,
  },
  limit: true,
  partial_response_strategy: true,
  query_offset: true,
  labels: true,
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function validatePrometheusRule(obj: K8sObject, c: Causes) {
  const spec = (obj as any).spec;
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  c.list.push(...unknownTreeFields(spec, { groups: RULE_GROUP }, 'spec'));
  if (!Array.isArray(spec.groups)) {
    c.required('spec.groups');
    return;
  }
  const groupNames = new Set<string>();
  spec.groups.forEach((group: any, i: number) => {
    const f = `spec.groups[${i}]`;
    if (!isObject(group)) return;
    if (typeof group.name !== 'string' || group.name === '')
      c.required(`${f}.name`);
    else if (groupNames.has(group.name)) c.duplicate(`${f}.name`, group.name);
    else groupNames.add(group.name);
    if (
      group.interval !== undefined &&
      !prometheusDuration(String(group.interval))
    ) {
      c.invalid(
        `${f}.interval`,
        group.interval,
        'must be a Prometheus duration such as "30s", "1m" or "1h30m"',
      );
    }
    (Array.isArray(group.rules) ? group.rules : []).forEach(
      (rule: any, j: number) => {
        const rf = `${f}.rules[${j}]`;
        if (!isObject(rule)) return;
        const hasAlert = typeof rule.alert === 'string' && rule.alert !== '';
        const hasRecord = typeof rule.record === 'string' && rule.record !== '';
        if (hasAlert === hasRecord) {
          c.invalid(
            rf,
            hasAlert ? 'alert and record' : '',
            'a rule needs exactly one of `alert` (an alerting rule) or `record` (a recording rule)',
          );
        }
        if (hasRecord && !METRIC_NAME.test(rule.record)) {
          c.invalid(
            `${rf}.record`,
            rule.record,
            'must be a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)',
          );
        }
        if (rule.expr === undefined || rule.expr === '' || rule.expr === null) {
          c.required(`${rf}.expr`, 'a PromQL expression');
        } else if (typeof rule.expr === 'string') {
          let depth = 0;
          for (const ch of rule.expr) {
            if (ch === '(') depth++;
            if (ch === ')') depth--;
            if (depth < 0) break;
          }
          if (depth !== 0)
            c.invalid(`${rf}.expr`, rule.expr, 'unbalanced parentheses');
        }
        for (const key of ['for', 'keep_firing_for']) {
          if (
            rule[key] !== undefined &&
            !prometheusDuration(String(rule[key]))
          ) {
            c.invalid(
              `${rf}.${key}`,
              rule[key],
              'must be a Prometheus duration such as "5m" or "1h"',
            );
          }
        }
        if (
          hasRecord &&
          (rule.for !== undefined || rule.annotations !== undefined)
        ) {
          c.invalid(
            rf,
            rule.record,
            'a recording rule cannot have `for` or `annotations`',
          );
        }
        if (isObject(rule.labels)) {
          for (const key of Object.keys(rule.labels)) {
            if (!LABEL_NAME.test(key))
              c.invalid(`${rf}.labels`, key, 'invalid label name');
          }
        }
      },
    );
  });
}
