import { Config } from '@backstage/config';
import { MONITORING_PANEL_IDS } from '@fincloud/plugin-monitoring-common';
import { DEFAULT_PANELS } from '../promql/defaultPanels';
import { LABEL_NAME } from '../promql/escape';
import { compileTemplate, TemplateError } from '../promql/template';
import {
  MarkerEventConfig,
  MonitoringConfig,
  PanelTemplate,
  PanelTemplateConfig,
  PrometheusServerConfig,
  ServerConfig,
} from './types';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PANEL_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const UNITS = ['reqps', 'percent', 'ms', 'cores', 'bytes', 'count'];
const KINDS = ['line', 'area', 'stat'];
const HEADER = /^[A-Za-z0-9-]+$/;

class MonitoringConfigError extends Error {}

function fail(key: string, message: string): never {
  throw new MonitoringConfigError(`${key} ${message}`);
}

function readServer(config: Config, key: string): ServerConfig {
  const name = config.getString('name');
  if (!NAME.test(name)) {
    fail(`${key}.name`, 'must be lowercase letters, digits and -');
  }
  const url = config.getString('url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`${key}.url`, 'is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    fail(`${key}.url`, 'must be http:// or https://');
  }
  if (parsed.username || parsed.password) {
    fail(`${key}.url`, 'must not carry credentials; use token or authHeader');
  }
  const token = config.getOptionalString('token');
  const authHeader = config.getOptionalString('authHeader');
  if (token !== undefined && authHeader !== undefined) {
    fail(key, 'may set token or authHeader, not both');
  }
  if (token !== undefined && !token.trim()) fail(`${key}.token`, 'is empty');
  const tenantHeader = config.getOptionalString('tenantHeader');
  if (tenantHeader !== undefined && !HEADER.test(tenantHeader)) {
    fail(`${key}.tenantHeader`, 'is not an HTTP header name');
  }
  const tenantsList = config.getOptionalConfigArray('tenants');
  const tenants = tenantsList
    ? Object.fromEntries(
        tenantsList.map(t => [
          t.getString('owner').toLocaleLowerCase('en-US'),
          t.getString('tenant'),
        ]),
      )
    : undefined;
  const timeoutSeconds = config.getOptionalNumber('timeoutSeconds') ?? 10;
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 300)) {
    fail(`${key}.timeoutSeconds`, 'must be between 0 and 300');
  }
  return {
    name,
    url: url.replace(/\/+$/, ''),
    token,
    authHeader,
    tenantHeader,
    tenants,
    timeoutMs: timeoutSeconds * 1000,
  };
}

function compile(source: string, key: string) {
  try {
    return compileTemplate(source);
  } catch (error) {
    if (error instanceof TemplateError) fail(key, error.message);
    throw error;
  }
}

function readPanelConfig(config: Config): PanelTemplateConfig {
  const thresholds = config.getOptionalConfigArray('thresholds')?.map(t => ({
    value: t.getNumber('value'),
    color: t.getString('color') as 'warning' | 'error',
  }));
  const labels = config.getOptionalConfig('seriesLabels');
  return {
    id: config.getString('id'),
    title: config.getString('title'),
    unit: config.getString('unit') as PanelTemplateConfig['unit'],
    kind: (config.getOptionalString('kind') ??
      'line') as PanelTemplateConfig['kind'],
    thresholds,
    query: config.getString('query'),
    ruleQuery: config.getOptionalString('ruleQuery'),
    seriesLabels: labels
      ? Object.fromEntries(labels.keys().map(k => [k, labels.getString(k)]))
      : undefined,
  };
}

export function compilePanel(
  panel: PanelTemplateConfig,
  key: string,
): PanelTemplate {
  if (!PANEL_ID.test(panel.id)) {
    fail(`${key}.id`, 'must be lowercase letters, digits and -');
  }
  if (!UNITS.includes(panel.unit)) {
    fail(`${key}.unit`, `must be one of ${UNITS.join(', ')}`);
  }
  if (!KINDS.includes(panel.kind)) {
    fail(`${key}.kind`, `must be one of ${KINDS.join(', ')}`);
  }
  for (const [i, t] of (panel.thresholds ?? []).entries()) {
    if (t.color !== 'warning' && t.color !== 'error') {
      fail(`${key}.thresholds[${i}].color`, 'must be warning or error');
    }
    if (!Number.isFinite(t.value)) {
      fail(`${key}.thresholds[${i}].value`, 'must be a number');
    }
  }
  for (const [from, to] of Object.entries(panel.seriesLabels ?? {})) {
    if (!LABEL_NAME.test(from) || !LABEL_NAME.test(to)) {
      fail(`${key}.seriesLabels`, `has an invalid label name (${from}: ${to})`);
    }
  }
  return {
    ...panel,
    query: compile(panel.query, `${key}.query`),
    ruleQuery: compile(
      panel.ruleQuery ?? `max(${panel.query})`,
      `${key}.ruleQuery`,
    ),
  };
}

function readPanels(
  list: Config[] | undefined,
  key: string,
): PanelTemplate[] | undefined {
  if (!list) return undefined;
  const panels = list.map((c, i) =>
    compilePanel(readPanelConfig(c), `${key}[${i}]`),
  );
  const seen = new Set<string>();
  panels.forEach((p, i) => {
    if (seen.has(p.id)) fail(`${key}[${i}].id`, `duplicates "${p.id}"`);
    seen.add(p.id);
  });
  return panels;
}

/**
 * The audit events of the builds and releases plugins that mark charts
 * (their `src/auditor/events.ts`): builds started, and every release step
 * that moves traffic or versions.
 */
export const DEFAULT_MARKERS: MarkerEventConfig[] = [
  {
    plugin: 'builds',
    eventIds: ['build-trigger', 'build-rerun'],
    kind: 'build',
    statuses: ['succeeded', 'failed'],
  },
  {
    plugin: 'releases',
    eventIds: [
      'release-create',
      'release-promote',
      'release-transition',
      'release-rollback',
      'release-auto-rollback',
      'release-switch-back',
    ],
    kind: 'release',
    statuses: ['succeeded', 'failed'],
  },
];

/**
 * Reads `fincloud.monitoring`. A mistake stops the backend at start with the
 * key at fault; secrets never appear in the messages.
 */
export function readMonitoringConfig(root: Config): MonitoringConfig {
  const config = root.getOptionalConfig('fincloud.monitoring');
  const key = 'fincloud.monitoring';

  const prometheus: PrometheusServerConfig[] = (
    config?.getOptionalConfigArray('prometheus') ?? []
  ).map((c, i) => {
    const k = `${key}.prometheus[${i}]`;
    const scrape = c.getOptionalNumber('scrapeIntervalSeconds') ?? 15;
    if (!(scrape > 0 && scrape <= 3600)) {
      fail(`${k}.scrapeIntervalSeconds`, 'must be between 0 and 3600');
    }
    return {
      ...readServer(c, k),
      scrapeIntervalSeconds: scrape,
      alertmanager: c.getOptionalString('alertmanager'),
    };
  });
  const alertmanager = (
    config?.getOptionalConfigArray('alertmanager') ?? []
  ).map((c, i) => readServer(c, `${key}.alertmanager[${i}]`));
  for (const [list, k] of [
    [prometheus, 'prometheus'],
    [alertmanager, 'alertmanager'],
  ] as const) {
    const names = new Set<string>();
    list.forEach((s, i) => {
      if (names.has(s.name)) {
        fail(`${key}.${k}[${i}].name`, `duplicates "${s.name}"`);
      }
      names.add(s.name);
    });
  }
  prometheus.forEach((p, i) => {
    if (p.alertmanager && !alertmanager.some(a => a.name === p.alertmanager)) {
      fail(
        `${key}.prometheus[${i}].alertmanager`,
        `names "${p.alertmanager}", which is not in ${key}.alertmanager`,
      );
    }
  });

  const panels =
    readPanels(config?.getOptionalConfigArray('panels'), `${key}.panels`) ??
    DEFAULT_PANELS.map((p, i) => compilePanel(p, `(default panel ${i})`));
  const extraPanels =
    readPanels(
      config?.getOptionalConfigArray('extraPanels'),
      `${key}.extraPanels`,
    ) ?? [];
  for (const [i, extra] of extraPanels.entries()) {
    if (panels.some(p => p.id === extra.id)) {
      fail(`${key}.extraPanels[${i}].id`, `"${extra.id}" is already a panel`);
    }
  }

  const markers =
    config?.getOptionalConfigArray('markers')?.map((c, i) => {
      const kind = c.getString('kind');
      if (kind !== 'build' && kind !== 'release') {
        fail(`${key}.markers[${i}].kind`, 'must be build or release');
      }
      const statuses = (c.getOptionalStringArray('statuses') ?? [
        'succeeded',
        'failed',
      ]) as MarkerEventConfig['statuses'];
      for (const s of statuses) {
        if (!['initiated', 'succeeded', 'failed'].includes(s)) {
          fail(`${key}.markers[${i}].statuses`, `has an unknown status ${s}`);
        }
      }
      return {
        plugin: c.getString('plugin'),
        eventIds: c.getOptionalStringArray('eventIds'),
        kind,
        statuses,
        link: c.getOptionalString('link'),
      } as MarkerEventConfig;
    }) ?? DEFAULT_MARKERS;

  const ruleSyncConfig = config?.getOptionalConfig('ruleSync');
  let ruleSync: MonitoringConfig['ruleSync'];
  if (ruleSyncConfig) {
    const target =
      ruleSyncConfig.getOptionalString('prometheus') ?? prometheus[0]?.name;
    if (!target || !prometheus.some(p => p.name === target)) {
      fail(`${key}.ruleSync.prometheus`, 'must name a configured Prometheus');
    }
    ruleSync = {
      directory: ruleSyncConfig.getString('directory'),
      prometheus: target,
      clusters: ruleSyncConfig.getOptionalStringArray('clusters'),
      intervalSeconds: ruleSyncConfig.getOptionalNumber('intervalSeconds') ?? 5,
    };
  }

  const alertWorkloadLabels = config?.getOptionalStringArray(
    'alertWorkloadLabels',
  ) ?? ['workload', 'app'];
  for (const label of alertWorkloadLabels) {
    if (!LABEL_NAME.test(label)) {
      fail(`${key}.alertWorkloadLabels`, `has an invalid label name ${label}`);
    }
  }
  if (alertWorkloadLabels.length === 0) {
    fail(`${key}.alertWorkloadLabels`, 'must name at least one label');
  }

  const trafficPanel =
    config?.getOptionalString('trafficPanel') ??
    MONITORING_PANEL_IDS.requestRate;

  return {
    prometheus,
    alertmanager,
    panels,
    extraPanels,
    trafficPanel,
    cache: {
      maxEntries: config?.getOptionalNumber('cache.maxEntries') ?? 2000,
      maxTtlSeconds: config?.getOptionalNumber('cache.maxTtlSeconds') ?? 300,
    },
    targetPoints: config?.getOptionalNumber('targetPoints') ?? 240,
    markers,
    alertWorkloadLabels,
    ruleSync,
  };
}
