import {
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  FINCLOUD_ANNOTATIONS,
  getWorkloadTarget,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import { PanelTemplate, ServerConfig, MonitoringConfig } from '../config/types';
import { LABEL_NAME } from '../promql/escape';

/** A label matcher selecting an entity's alerts (equality or inequality only). */
export interface LabelMatcher {
  name: string;
  value: string;
  isEqual: boolean;
}

/**
 * What monitoring knows about one entity: where its metrics and alerts are,
 * the labels that select them, its panels. Built from the catalog entity and
 * the config; every value that reaches PromQL was validated here.
 */
export interface MonitoringTarget {
  entityRef: string;
  cluster: string;
  namespace: string;
  workload: string;
  prometheus: string;
  alertmanager?: string;
  /** Tenant ids when the server has tenancy on. */
  prometheusTenant?: string;
  alertmanagerTenant?: string;
  panels: PanelTemplate[];
  /** Extra matchers from `fincloud.io/alert-selector`. */
  selector: LabelMatcher[];
  owner?: string;
  system?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function relationTarget(entity: Entity, type: string, kind?: string) {
  return entity.relations?.find(
    r =>
      r.type === type &&
      (!kind ||
        parseEntityRef(r.targetRef).kind.toLocaleLowerCase('en-US') === kind),
  )?.targetRef;
}

/** The owner ref (full, lower case), from the relation or `spec.owner`. */
export function ownerOf(entity: Entity): string | undefined {
  const related = relationTarget(entity, RELATION_OWNED_BY);
  if (related) return related.toLocaleLowerCase('en-US');
  const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  return stringifyEntityRef(
    parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  ).toLocaleLowerCase('en-US');
}

/** The system ref, from the relation or `spec.system`. */
export function systemOf(entity: Entity): string | undefined {
  const related = relationTarget(entity, RELATION_PART_OF, 'system');
  if (related) return related.toLocaleLowerCase('en-US');
  const system = (entity.spec as { system?: unknown } | undefined)?.system;
  if (typeof system !== 'string' || !system) return undefined;
  return stringifyEntityRef(
    parseEntityRef(system, {
      defaultKind: 'system',
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  ).toLocaleLowerCase('en-US');
}

/** Parses `fincloud.io/alert-selector`: `name=value, name!=value` (values may be "quoted"). */
export function parseAlertSelector(value: string | undefined): LabelMatcher[] {
  if (!value) return [];
  const annotation = FINCLOUD_ANNOTATIONS.alertSelector;
  const matchers: LabelMatcher[] = [];
  for (const item of value
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)) {
    const m = /^([^!=~\s]+)\s*(!=|=~|!~|=)\s*(.*)$/.exec(item);
    if (!m) {
      throw new InputError(
        `${annotation}: "${item}" is not a matcher (write name=value or name!=value)`,
      );
    }
    const [, name, op, rawValue] = m;
    if (!LABEL_NAME.test(name)) {
      throw new InputError(`${annotation}: "${name}" is not a label name`);
    }
    if (op === '=~' || op === '!~') {
      throw new InputError(
        `${annotation}: regular expressions are not supported ("${item}"); use = or !=`,
      );
    }
    let matcherValue = rawValue.trim();
    if (
      matcherValue.length >= 2 &&
      matcherValue.startsWith('"') &&
      matcherValue.endsWith('"')
    ) {
      matcherValue = matcherValue.slice(1, -1);
    }
    matchers.push({ name, value: matcherValue, isEqual: op === '=' });
  }
  return matchers;
}

/**
 * Applies `fincloud.io/monitoring-panels` to the configured panels:
 * `+id` (or `id`) adds a panel from `fincloud.monitoring.extraPanels`, `-id`
 * hides one, `id.warning=N` / `id.error=N` set a threshold.
 */
export function panelsFor(
  config: Pick<MonitoringConfig, 'panels' | 'extraPanels'>,
  annotationValue: string | undefined,
): PanelTemplate[] {
  let panels = config.panels.map(p => ({ ...p }));
  if (!annotationValue) return panels;
  const annotation = FINCLOUD_ANNOTATIONS.monitoringPanels;
  const known = () =>
    [...config.panels, ...config.extraPanels].map(p => p.id).join(', ');
  for (const item of annotationValue
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)) {
    const threshold = /^([a-z0-9-]+)\.(warning|error)\s*=\s*(.+)$/.exec(item);
    if (threshold) {
      const [, id, color, raw] = threshold;
      const value = Number(raw);
      const panel = panels.find(p => p.id === id);
      if (!panel) {
        throw new InputError(
          `${annotation}: no panel "${id}" to set a threshold on (panels: ${panels
            .map(p => p.id)
            .join(', ')})`,
        );
      }
      if (!Number.isFinite(value) || raw.trim() === '') {
        throw new InputError(`${annotation}: "${raw}" is not a number`);
      }
      panel.thresholds = [
        ...(panel.thresholds ?? []).filter(t => t.color !== color),
        { value, color: color as 'warning' | 'error' },
      ].sort((a, b) => a.value - b.value);
      continue;
    }
    const m = /^([+-]?)([a-z0-9-]+)$/.exec(item);
    if (!m) {
      throw new InputError(
        `${annotation}: "${item}" is not +id, -id or id.warning=N / id.error=N`,
      );
    }
    const [, sign, id] = m;
    if (sign === '-') {
      if (!panels.some(p => p.id === id)) {
        throw new InputError(
          `${annotation}: cannot hide "${id}", there is no such panel (known: ${known()})`,
        );
      }
      panels = panels.filter(p => p.id !== id);
    } else if (!panels.some(p => p.id === id)) {
      const extra = config.extraPanels.find(p => p.id === id);
      if (!extra) {
        throw new InputError(
          `${annotation}: unknown panel "${id}" (known: ${known()})`,
        );
      }
      panels.push({ ...extra });
    }
  }
  return panels;
}

function pickServer<T extends ServerConfig>(
  servers: T[],
  name: string | undefined,
): T | undefined {
  return name ? servers.find(s => s.name === name) : servers[0];
}

function tenantFor(
  server: ServerConfig | undefined,
  owner: string | undefined,
) {
  if (!server?.tenantHeader || !owner) return undefined;
  return server.tenants?.[owner] ?? parseEntityRef(owner).name;
}

/**
 * Resolves an entity to its monitoring target, or explains what is missing
 * (InputError / NotFoundError, shown to the user as they are).
 */
export function resolveTarget(
  entity: Entity,
  config: MonitoringConfig,
): MonitoringTarget {
  const entityRef = stringifyEntityRef(entity);
  const workloadTarget = getWorkloadTarget(entity);
  if (!workloadTarget) {
    throw new InputError(
      `${entityRef} has no ${FINCLOUD_ANNOTATIONS.cluster} and ${FINCLOUD_ANNOTATIONS.namespace} annotations: add them to monitor it`,
    );
  }
  const { namespace, workload } = workloadTarget;
  const cluster = workloadTarget.clusters[0];
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    throw new InputError(
      `${FINCLOUD_ANNOTATIONS.namespace} of ${entityRef} is not a Kubernetes namespace name`,
    );
  }
  if (!DNS_SUBDOMAIN.test(workload) || workload.length > 253) {
    throw new InputError(
      `${FINCLOUD_ANNOTATIONS.workload} of ${entityRef} is not a Kubernetes object name`,
    );
  }
  if (!DNS_LABEL.test(cluster)) {
    throw new InputError(
      `${FINCLOUD_ANNOTATIONS.cluster} of ${entityRef} is not a cluster name`,
    );
  }
  if (config.prometheus.length === 0) {
    throw new NotFoundError(
      'No Prometheus is configured: add fincloud.monitoring.prometheus to the app config',
    );
  }
  const wanted = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.prometheus,
  );
  const prometheus = pickServer(config.prometheus, wanted);
  if (!prometheus) {
    throw new InputError(
      `${
        FINCLOUD_ANNOTATIONS.prometheus
      } of ${entityRef} names "${wanted}", which is not in fincloud.monitoring.prometheus (${config.prometheus
        .map(p => p.name)
        .join(', ')})`,
    );
  }
  const alertmanager =
    (prometheus.alertmanager &&
      config.alertmanager.find(a => a.name === prometheus.alertmanager)) ||
    config.alertmanager.find(a => a.name === prometheus.name) ||
    config.alertmanager[0];
  const owner = ownerOf(entity);
  return {
    entityRef,
    cluster,
    namespace,
    workload,
    prometheus: prometheus.name,
    alertmanager: alertmanager?.name,
    prometheusTenant: tenantFor(prometheus, owner),
    alertmanagerTenant: tenantFor(alertmanager, owner),
    panels: panelsFor(
      config,
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.monitoringPanels),
    ),
    selector: parseAlertSelector(
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.alertSelector),
    ),
    owner,
    system: systemOf(entity),
  };
}

/**
 * Whether an alert's labels belong to the target: its namespace, its
 * workload under one of the configured labels, and the selector.
 */
export function alertMatchesTarget(
  labels: Record<string, string>,
  target: Pick<MonitoringTarget, 'namespace' | 'workload' | 'selector'>,
  workloadLabels: string[],
): boolean {
  if (labels.namespace !== target.namespace) return false;
  if (!workloadLabels.some(l => labels[l] === target.workload)) return false;
  return target.selector.every(m =>
    // As in Prometheus and Alertmanager, an absent label equals "".
    m.isEqual
      ? (labels[m.name] ?? '') === m.value
      : (labels[m.name] ?? '') !== m.value,
  );
}
