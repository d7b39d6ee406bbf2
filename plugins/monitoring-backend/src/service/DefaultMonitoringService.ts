import { LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuditStore } from '@fincloud/plugin-audit-node';
import { FINCLOUD_ANNOTATIONS } from '@fincloud/plugin-fincloud-common';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import {
  Alert,
  AlertGroup,
  AlertRulePreview,
  AlertRuleSpec,
  CreateSilenceRequest,
  Dashboard,
  NoiseReport,
  NoiseWindow,
  Panel,
  Series,
  Silence,
  SilenceMatcher,
  UNOWNED_ALERT_GROUP,
} from '@fincloud/plugin-monitoring-common';
import {
  AlertmanagerAlert,
  AlertmanagerClient,
  AlertmanagerSilence,
} from '../clients/AlertmanagerClient';
import { FetchLike, UpstreamRequestError } from '../clients/http';
import {
  PrometheusAlert,
  PrometheusClient,
  RangeSeries,
} from '../clients/PrometheusClient';
import { MonitoringConfig, PanelTemplate } from '../config/types';
import { labelsFingerprint } from '../promql/fingerprint';
import { renderTemplate } from '../promql/template';
import {
  compare,
  newRuleObject,
  removeRule,
  ruleExpression,
  ruleObjectName,
  ruleValueExpression,
  specsFromObject,
  toRuleEntry,
  upsertRule,
  validateRuleSpec,
} from './alertRules';
import {
  alertMatchesTarget,
  MonitoringTarget,
  resolveTarget,
} from './entityTarget';
import { readMarkers } from './markers';
import { PrometheusRuleStore } from './PrometheusRuleStore';
import { QueryCache } from './QueryCache';
import {
  AlertCenterQuery,
  CenterAlert,
  DashboardQuery,
  MonitoringService,
  RequestOptions,
} from './types';

/** Prometheus refuses more points per series than this. */
const MAX_POINTS = 11_000;
const MAX_RANGE_MS = 32 * 24 * 3600 * 1000;
const NICE_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400,
];
const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'];
const STATE_ORDER = ['firing', 'pending', 'suppressed'];
const EXPIRED_SILENCES_SHOWN = 20;
const NOISE_TOP = 10;
/** Firing → resolved → firing → resolved: an alert that came back at least once. */
const FLAPPING_MIN_TRANSITIONS = 4;

export interface DefaultMonitoringServiceOptions {
  config: MonitoringConfig;
  catalog: CatalogService;
  clusters: FincloudClustersService;
  auditStore?: Pick<AuditStore, 'query'>;
  logger: LoggerService;
  fetch?: FetchLike;
  now?: () => number;
}

function sortAlerts<T extends Alert>(alerts: T[]): T[] {
  const rank = (list: string[], value: string) => {
    const i = list.indexOf(value);
    return i === -1 ? list.length : i;
  };
  return alerts.sort(
    (a, b) =>
      rank(STATE_ORDER, a.state) - rank(STATE_ORDER, b.state) ||
      rank(SEVERITY_ORDER, a.severity) - rank(SEVERITY_ORDER, b.severity) ||
      a.startsAt.localeCompare(b.startsAt) ||
      a.name.localeCompare(b.name),
  );
}

function fromAlertmanager(a: AlertmanagerAlert, entityRef?: string): Alert {
  return {
    fingerprint: a.fingerprint,
    name: a.labels.alertname ?? '(unnamed)',
    state: a.status?.state === 'suppressed' ? 'suppressed' : 'firing',
    severity: a.labels.severity ?? 'none',
    ...(a.annotations?.summary || a.annotations?.description
      ? { summary: a.annotations.summary ?? a.annotations.description }
      : {}),
    labels: a.labels,
    startsAt: a.startsAt,
    source: 'alertmanager',
    ...(a.status?.silencedBy?.length
      ? { silencedBy: a.status.silencedBy }
      : {}),
    ...(entityRef ? { entityRef } : {}),
  };
}

function fromPrometheus(a: PrometheusAlert, entityRef?: string): Alert {
  return {
    fingerprint: labelsFingerprint(a.labels),
    name: a.labels.alertname ?? '(unnamed)',
    state: a.state === 'firing' ? 'firing' : 'pending',
    severity: a.labels.severity ?? 'none',
    ...(a.annotations?.summary || a.annotations?.description
      ? { summary: a.annotations.summary ?? a.annotations.description }
      : {}),
    labels: a.labels,
    startsAt: a.activeAt ?? new Date(0).toISOString(),
    source: 'prometheus',
    ...(entityRef ? { entityRef } : {}),
  };
}

/** True when every label of `inner` is in `outer` with the same value (Alertmanager adds external labels). */
function labelsWithin(
  inner: Record<string, string>,
  outer: Record<string, string>,
) {
  return Object.entries(inner).every(([k, v]) => outer[k] === v);
}

/**
 * Merges Alertmanager's alerts (which know about silences) with the ones
 * Prometheus evaluates: pending alerts, and firing ones Alertmanager has not
 * received yet.
 */
function mergeAlerts(fromAm: Alert[], fromProm: Alert[]): Alert[] {
  const merged = [...fromAm];
  for (const alert of fromProm) {
    if (!fromAm.some(a => labelsWithin(alert.labels, a.labels))) {
      merged.push(alert);
    }
  }
  return merged;
}

function toSilence(s: AlertmanagerSilence): Silence {
  return {
    id: s.id,
    matchers: s.matchers.map(m => ({
      name: m.name,
      value: m.value,
      isRegex: m.isRegex,
      isEqual: m.isEqual !== false,
    })),
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    comment: s.comment,
    status: s.status.state,
  };
}

function numberOf(value: string): number | null {
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Picks a step (seconds) giving about `target` points. */
export function autoStep(
  rangeMs: number,
  target: number,
  minStep: number,
): number {
  const wanted = Math.max(minStep, rangeMs / 1000 / target);
  return NICE_STEPS.find(s => s >= wanted) ?? Math.ceil(wanted / 86400) * 86400;
}

/** One series per result, a point at every step (null where Prometheus had none). */
export function toSeries(
  result: RangeSeries[],
  panel: Pick<PanelTemplate, 'seriesLabels'>,
  start: number,
  end: number,
  step: number,
): Series[] {
  const series = result.map(r => {
    const labels: Record<string, string> = {};
    if (panel.seriesLabels) {
      for (const [from, to] of Object.entries(panel.seriesLabels)) {
        if (r.metric[from] !== undefined) labels[to] = r.metric[from];
      }
    } else {
      for (const [k, v] of Object.entries(r.metric)) {
        if (k !== '__name__') labels[k] = v;
      }
    }
    const byTime = new Map<number, number | null>();
    for (const [t, v] of r.values) byTime.set(Math.round(t), numberOf(v));
    const points: Array<[number, number | null]> = [];
    for (let t = start; t <= end; t += step) {
      points.push([t * 1000, byTime.get(t) ?? null]);
    }
    return { labels, points };
  });
  const key = (s: Series) => JSON.stringify(Object.entries(s.labels).sort());
  return series.sort((a, b) => key(a).localeCompare(key(b)));
}

export class DefaultMonitoringService implements MonitoringService {
  private readonly prometheus = new Map<string, PrometheusClient>();
  private readonly alertmanagers = new Map<string, AlertmanagerClient>();
  private readonly rangeCache: QueryCache<RangeSeries[]>;
  private readonly rulesStore: PrometheusRuleStore;
  private readonly now: () => number;

  constructor(private readonly options: DefaultMonitoringServiceOptions) {
    const fetchImpl = options.fetch ?? fetch;
    for (const p of options.config.prometheus) {
      this.prometheus.set(p.name, new PrometheusClient(p, fetchImpl));
    }
    for (const a of options.config.alertmanager) {
      this.alertmanagers.set(a.name, new AlertmanagerClient(a, fetchImpl));
    }
    this.now = options.now ?? Date.now;
    this.rangeCache = new QueryCache(options.config.cache.maxEntries, this.now);
    this.rulesStore = new PrometheusRuleStore(options.clusters);
  }

  /** Counters of the range-query cache (tests, bench). */
  get cacheStats() {
    return this.rangeCache.stats;
  }

  private promClient(name: string) {
    return this.prometheus.get(name)!;
  }

  private async entity(entityRef: string, options: RequestOptions) {
    const entity = await this.options.catalog.getEntityByRef(entityRef, {
      credentials: options.credentials,
    });
    if (!entity) throw new NotFoundError(`${entityRef} is not in the catalog`);
    return entity;
  }

  private async target(entityRef: string, options: RequestOptions) {
    const entity = await this.entity(entityRef, options);
    return { entity, target: resolveTarget(entity, this.options.config) };
  }

  private rateInterval(prometheus: string, step: number) {
    const scrape = this.promClient(prometheus).server.scrapeIntervalSeconds;
    return `${Math.max(4 * scrape, step + scrape)}s`;
  }

  /** The `$__rate_interval` of alert rules, which Prometheus evaluates every interval. */
  private ruleRateInterval(prometheus: string) {
    const scrape = this.promClient(prometheus).server.scrapeIntervalSeconds;
    return `${Math.max(4 * scrape, 15)}s`;
  }

  private rangeQuery(
    target: MonitoringTarget,
    query: string,
    start: number,
    end: number,
    step: number,
  ) {
    const client = this.promClient(target.prometheus);
    const tenant = target.prometheusTenant;
    const key = [
      client.server.name,
      tenant ?? '',
      query,
      start,
      end,
      step,
    ].join('\u0000');
    const ttlMs =
      Math.max(1, Math.min(step, this.options.config.cache.maxTtlSeconds)) *
      1000;
    return this.rangeCache.get(key, ttlMs, () =>
      client.queryRange(query, start, end, step, tenant),
    );
  }

  async dashboard(
    entityRef: string,
    query: DashboardQuery,
    options: RequestOptions,
  ): Promise<Dashboard> {
    const { target } = await this.target(entityRef, options);
    const scrape = this.promClient(target.prometheus).server
      .scrapeIntervalSeconds;
    const now = this.now();
    const to = Math.min(query.to, now);
    const from = query.from;
    if (!(from < to)) {
      throw new InputError('from must be before to (and before now)');
    }
    if (to - from > MAX_RANGE_MS) {
      throw new InputError('the range may span at most 32 days');
    }
    const step =
      query.step ??
      autoStep(to - from, this.options.config.targetPoints, Math.ceil(scrape));
    const start = Math.floor(from / 1000 / step) * step;
    const end = Math.max(start, Math.floor(to / 1000 / step) * step);
    if ((end - start) / step + 1 > MAX_POINTS) {
      throw new InputError(
        `${
          (end - start) / step + 1
        } points per series are too many (at most ${MAX_POINTS}); use a larger step`,
      );
    }
    const rateInterval = this.rateInterval(target.prometheus, step);

    const panelsPromise = Promise.all(
      target.panels.map(async (panel): Promise<Panel> => {
        const base = {
          id: panel.id,
          title: panel.title,
          unit: panel.unit,
          kind: panel.kind,
          ...(panel.thresholds?.length ? { thresholds: panel.thresholds } : {}),
        };
        const promql = renderTemplate(panel.query, {
          namespace: target.namespace,
          workload: target.workload,
          cluster: target.cluster,
          version: query.version,
          rateInterval,
        });
        try {
          const result = await this.rangeQuery(
            target,
            promql,
            start,
            end,
            step,
          );
          return { ...base, series: toSeries(result, panel, start, end, step) };
        } catch (error) {
          const message =
            error instanceof UpstreamRequestError
              ? `Prometheus refused the query: ${error.message}`
              : (error as Error).message;
          this.options.logger.warn(
            `Panel ${panel.id} of ${entityRef} failed: ${message}`,
          );
          return { ...base, series: [], error: message };
        }
      }),
    );
    const markersPromise = this.options.auditStore
      ? readMarkers(
          this.options.auditStore,
          this.options.config.markers,
          target.entityRef,
          start * 1000,
          (end + step) * 1000,
        ).then(
          markers => ({ markers }),
          (error: Error) => ({ markers: [], markersError: error.message }),
        )
      : Promise.resolve({ markers: [] });
    const alertsPromise = this.alertsOf(target).then(
      alerts => ({ alerts }),
      (error: Error) => ({ alerts: [], alertsError: error.message }),
    );

    const [panels, markers, alerts] = await Promise.all([
      panelsPromise,
      markersPromise,
      alertsPromise,
    ]);

    const traffic =
      panels.find(p => p.id === this.options.config.trafficPanel) ?? panels[0];
    const versions = [
      ...new Set(
        (traffic?.series ?? [])
          .filter(
            s =>
              s.labels.version !== undefined &&
              s.points.some(([, v]) => v !== null && v > 0),
          )
          .map(s => s.labels.version),
      ),
    ].sort();

    return {
      entityRef: target.entityRef,
      from: start * 1000,
      to: end * 1000,
      step,
      panels,
      ...markers,
      ...alerts,
      versions,
    };
  }

  /** Firing, pending and silenced alerts of a target, newest information from both sources. */
  private async alertsOf(target: MonitoringTarget): Promise<Alert[]> {
    const workloadLabels = this.options.config.alertWorkloadLabels;
    const am = target.alertmanager
      ? this.alertmanagers.get(target.alertmanager)
      : undefined;
    const [fromAm, fromProm] = await Promise.all([
      am
        ? am.alerts(
            [{ name: 'namespace', value: target.namespace }],
            target.alertmanagerTenant,
          )
        : Promise.resolve([]),
      this.promClient(target.prometheus).alerts(target.prometheusTenant),
    ]);
    const mine = (labels: Record<string, string>) =>
      alertMatchesTarget(labels, target, workloadLabels);
    return sortAlerts(
      mergeAlerts(
        fromAm
          .filter(a => mine(a.labels))
          .map(a => fromAlertmanager(a, target.entityRef)),
        fromProm
          .filter(a => a.state !== 'inactive' && mine(a.labels))
          .map(a => fromPrometheus(a, target.entityRef)),
      ),
    );
  }

  async alerts(entityRef: string, options: RequestOptions): Promise<Alert[]> {
    const { target } = await this.target(entityRef, options);
    return this.alertsOf(target);
  }

  private alertmanagerOf(target: MonitoringTarget): AlertmanagerClient {
    const am = target.alertmanager
      ? this.alertmanagers.get(target.alertmanager)
      : undefined;
    if (!am) {
      throw new NotFoundError(
        'No Alertmanager is configured: add fincloud.monitoring.alertmanager to the app config',
      );
    }
    return am;
  }

  /** A silence is the entity's when it pins its namespace and its workload. */
  private silenceInScope(
    matchers: Array<
      Pick<SilenceMatcher, 'name' | 'value' | 'isRegex'> & { isEqual?: boolean }
    >,
    target: MonitoringTarget,
  ) {
    const exact = (name: string, value: string) =>
      matchers.some(
        m =>
          m.name === name &&
          m.value === value &&
          !m.isRegex &&
          m.isEqual !== false,
      );
    return (
      exact('namespace', target.namespace) &&
      this.options.config.alertWorkloadLabels.some(l =>
        exact(l, target.workload),
      )
    );
  }

  async silences(
    entityRef: string,
    options: RequestOptions,
  ): Promise<Silence[]> {
    const { target } = await this.target(entityRef, options);
    const all = await this.alertmanagerOf(target).silences(
      target.alertmanagerTenant,
    );
    const mine = all
      .filter(s => this.silenceInScope(s.matchers, target))
      .map(toSilence);
    const order = { active: 0, pending: 1, expired: 2 };
    mine.sort(
      (a, b) =>
        order[a.status] - order[b.status] ||
        (a.status === 'expired'
          ? b.endsAt.localeCompare(a.endsAt)
          : a.startsAt.localeCompare(b.startsAt)),
    );
    const live = mine.filter(s => s.status !== 'expired');
    const expired = mine
      .filter(s => s.status === 'expired')
      .slice(0, EXPIRED_SILENCES_SHOWN);
    return [...live, ...expired];
  }

  /**
   * The matchers of a new silence: what the user asked for, always narrowed
   * to the entity (namespace, workload, alert selector).
   */
  private async silenceMatchers(
    target: MonitoringTarget,
    request: CreateSilenceRequest,
  ): Promise<SilenceMatcher[]> {
    const workloadLabels = this.options.config.alertWorkloadLabels;
    const matchers: SilenceMatcher[] = [];
    const add = (m: SilenceMatcher) => {
      if (
        !matchers.some(
          x =>
            x.name === m.name &&
            x.value === m.value &&
            x.isRegex === m.isRegex &&
            x.isEqual === m.isEqual,
        )
      ) {
        matchers.push(m);
      }
    };
    let workloadLabel: string | undefined;

    if (request.alertFingerprint) {
      const alerts = await this.alertsOf(target);
      const alert = alerts.find(
        a => a.fingerprint === request.alertFingerprint,
      );
      if (!alert) {
        throw new NotFoundError(
          `${target.entityRef} has no alert ${request.alertFingerprint} (it may have resolved)`,
        );
      }
      for (const [name, value] of Object.entries(alert.labels).sort()) {
        add({ name, value, isRegex: false, isEqual: true });
      }
      workloadLabel = workloadLabels.find(
        l => alert.labels[l] === target.workload,
      );
    }
    for (const m of request.matchers ?? []) {
      const scoped = m.name === 'namespace' ? target.namespace : undefined;
      if (m.name === 'namespace' || workloadLabels.includes(m.name)) {
        const expected = scoped ?? target.workload;
        if (m.isRegex || !m.isEqual || m.value !== expected) {
          throw new InputError(
            `a silence of ${target.entityRef} may only match ${m.name}="${expected}": it cannot silence another service`,
          );
        }
        if (m.name !== 'namespace') workloadLabel ??= m.name;
      }
      add(m);
    }
    add({
      name: 'namespace',
      value: target.namespace,
      isRegex: false,
      isEqual: true,
    });
    add({
      name: workloadLabel ?? workloadLabels[0],
      value: target.workload,
      isRegex: false,
      isEqual: true,
    });
    for (const m of target.selector) {
      add({ name: m.name, value: m.value, isRegex: false, isEqual: m.isEqual });
    }
    return matchers;
  }

  async createSilence(
    entityRef: string,
    request: CreateSilenceRequest,
    options: RequestOptions,
  ): Promise<Silence> {
    const { target } = await this.target(entityRef, options);
    const am = this.alertmanagerOf(target);
    const matchers = await this.silenceMatchers(target, request);
    const principal = options.credentials.principal as {
      type: string;
      userEntityRef?: string;
      subject?: string;
    };
    const createdBy =
      principal.userEntityRef ?? principal.subject ?? 'fincloud';
    const startsAt = new Date(this.now());
    const endsAt = new Date(
      startsAt.getTime() + request.durationMinutes * 60_000,
    );
    let id: string;
    try {
      id = await am.createSilence(
        {
          matchers,
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
          createdBy,
          comment: request.comment,
        },
        target.alertmanagerTenant,
      );
    } catch (error) {
      if (error instanceof UpstreamRequestError) {
        throw new InputError(
          `Alertmanager refused the silence: ${error.message}`,
        );
      }
      throw error;
    }
    return toSilence(await am.silence(id, target.alertmanagerTenant));
  }

  async expireSilence(id: string, entityRef: string, options: RequestOptions) {
    const { target } = await this.target(entityRef, options);
    const am = this.alertmanagerOf(target);
    const silence = await am.silence(id, target.alertmanagerTenant);
    if (!this.silenceInScope(silence.matchers, target)) {
      throw new NotAllowedError(
        `silence ${id} is not a silence of ${target.entityRef}`,
      );
    }
    if (silence.status.state !== 'expired') {
      await am.expireSilence(id, target.alertmanagerTenant);
    }
    return { matchers: toSilence(silence).matchers };
  }

  private workloadOf(entity: Entity) {
    return this.options.clusters.resolveWorkload(entity);
  }

  async rules(entityRef: string, options: RequestOptions) {
    const { entity, target } = await this.target(entityRef, options);
    const { cluster, namespace } = this.workloadOf(entity);
    const object = await this.rulesStore.get(
      cluster.name,
      namespace,
      ruleObjectName(target),
    );
    return specsFromObject(object);
  }

  async previewRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ): Promise<AlertRulePreview> {
    const { target } = await this.target(entityRef, options);
    const panel = validateRuleSpec(spec, target.panels);
    const value = ruleValueExpression(
      panel,
      target,
      this.ruleRateInterval(target.prometheus),
    );
    const expr = ruleExpression(spec, value);
    const client = this.promClient(target.prometheus);
    try {
      const [current] = await Promise.all([
        client.query(value, undefined, target.prometheusTenant),
        // The whole expression must parse too.
        client.query(expr, undefined, target.prometheusTenant),
      ]);
      const values = this.instantValues(current);
      const firing = values.filter(v =>
        compare(v, spec.comparison, spec.threshold),
      );
      const lowIsBad = spec.comparison === '<' || spec.comparison === '<=';
      let currentValue: number | null = null;
      if (values.length > 0) {
        currentValue = lowIsBad ? Math.min(...values) : Math.max(...values);
      }
      return {
        expr,
        currentValue,
        wouldFire: firing.length > 0,
        valid: true,
      };
    } catch (error) {
      if (error instanceof UpstreamRequestError) {
        return {
          expr,
          currentValue: null,
          wouldFire: false,
          valid: false,
          error: error.message,
        };
      }
      throw error;
    }
  }

  private instantValues(answer: {
    resultType: string;
    result: unknown;
  }): number[] {
    const out: number[] = [];
    if (answer.resultType === 'vector') {
      for (const s of answer.result as Array<{ value: [number, string] }>) {
        const n = numberOf(s.value[1]);
        if (n !== null) out.push(n);
      }
    } else if (answer.resultType === 'scalar') {
      const n = numberOf((answer.result as [number, string])[1]);
      if (n !== null) out.push(n);
    }
    return out;
  }

  async putRule(
    entityRef: string,
    spec: AlertRuleSpec,
    options: RequestOptions,
  ) {
    const { entity, target } = await this.target(entityRef, options);
    const panel = validateRuleSpec(spec, target.panels);
    const { cluster, namespace } = this.workloadOf(entity);
    const expr = ruleExpression(
      spec,
      ruleValueExpression(
        panel,
        target,
        this.ruleRateInterval(target.prometheus),
      ),
    );
    const entry = toRuleEntry(
      spec,
      panel,
      target,
      expr,
      this.options.config.alertWorkloadLabels[0],
    );
    let created = true;
    const written = await this.rulesStore.update(
      cluster.name,
      namespace,
      ruleObjectName(target),
      current => {
        created = !specsFromObject(current).some(s => s.name === spec.name);
        return upsertRule(current ?? newRuleObject(target), target, entry);
      },
    );
    const saved = specsFromObject(written).find(s => s.name === spec.name);
    if (!saved) {
      throw new ServiceUnavailableError(
        `the cluster did not keep rule ${spec.name}`,
      );
    }
    return { spec: saved, expr, created };
  }

  async deleteRule(entityRef: string, name: string, options: RequestOptions) {
    const { entity, target } = await this.target(entityRef, options);
    const { cluster, namespace } = this.workloadOf(entity);
    let found = false;
    await this.rulesStore.update(
      cluster.name,
      namespace,
      ruleObjectName(target),
      current => {
        if (!current) {
          found = false;
          return undefined;
        }
        const { object, removed, empty } = removeRule(current, name);
        found = removed;
        if (!removed) return current;
        return empty ? undefined : object;
      },
    );
    if (!found) {
      throw new NotFoundError(`${entityRef} has no alert rule ${name}`);
    }
  }

  /** Every catalog entity the caller can list that monitoring can resolve. */
  private async catalogTargets(options: RequestOptions) {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${FINCLOUD_ANNOTATIONS.namespace}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.annotations',
          'spec.owner',
          'spec.system',
          'relations',
        ],
      },
      { credentials: options.credentials },
    );
    const targets: MonitoringTarget[] = [];
    for (const entity of items) {
      try {
        targets.push(resolveTarget(entity, this.options.config));
      } catch (error) {
        this.options.logger.debug(
          `Not monitoring ${stringifyEntityRef(entity)}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return targets;
  }

  /** (server, tenant) pairs to ask: one per server, or one per tenant when tenancy is on. */
  private sources(
    kind: 'prometheus' | 'alertmanager',
    targets: MonitoringTarget[],
  ): Array<{ server: string; tenant?: string }> {
    const servers =
      kind === 'prometheus'
        ? this.options.config.prometheus
        : this.options.config.alertmanager;
    const out: Array<{ server: string; tenant?: string }> = [];
    for (const server of servers) {
      if (!server.tenantHeader) {
        out.push({ server: server.name });
        continue;
      }
      const tenants = new Set(
        targets
          .filter(t => t[kind] === server.name)
          .map(t =>
            kind === 'prometheus' ? t.prometheusTenant : t.alertmanagerTenant,
          )
          .filter((t): t is string => !!t),
      );
      for (const tenant of tenants) out.push({ server: server.name, tenant });
    }
    return out;
  }

  /** The entity an alert belongs to, by its labels. */
  private resolveAlertEntity(
    labels: Record<string, string>,
    targets: MonitoringTarget[],
    source: { kind: 'prometheus' | 'alertmanager'; server: string },
  ): MonitoringTarget | undefined {
    const workloadLabels = this.options.config.alertWorkloadLabels;
    const candidates = targets.filter(t =>
      alertMatchesTarget(labels, t, workloadLabels),
    );
    return (
      candidates.find(t => t[source.kind] === source.server) ?? candidates[0]
    );
  }

  async alertCenter(
    query: AlertCenterQuery,
    options: Parameters<MonitoringService['alertCenter']>[1],
  ): Promise<AlertGroup[]> {
    const targets = await this.catalogTargets(options);
    const amSources = this.sources('alertmanager', targets);
    const promSources = this.sources('prometheus', targets);
    const failures: string[] = [];
    const fromAm: CenterAlert[] = [];
    const fromProm: CenterAlert[] = [];
    const decorate = (
      alert: Alert,
      target: MonitoringTarget | undefined,
    ): CenterAlert => ({
      ...alert,
      ...(target
        ? {
            entityRef: target.entityRef,
            ...(target.owner ? { owner: target.owner } : {}),
            ...(target.system ? { system: target.system } : {}),
          }
        : {}),
    });
    await Promise.all([
      ...amSources.map(async ({ server, tenant }) => {
        try {
          const alerts = await this.alertmanagers
            .get(server)!
            .alerts([], tenant);
          for (const a of alerts) {
            const target = this.resolveAlertEntity(a.labels, targets, {
              kind: 'alertmanager',
              server,
            });
            fromAm.push(decorate(fromAlertmanager(a), target));
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }),
      ...promSources.map(async ({ server, tenant }) => {
        try {
          const alerts = await this.promClient(server).alerts(tenant);
          for (const a of alerts) {
            if (a.state !== 'firing') continue;
            const target = this.resolveAlertEntity(a.labels, targets, {
              kind: 'prometheus',
              server,
            });
            fromProm.push(decorate(fromPrometheus(a), target));
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }),
    ]);
    if (failures.length > 0) {
      if (failures.length === amSources.length + promSources.length) {
        throw new ServiceUnavailableError(
          `No alert source answered: ${failures.join('; ')}`,
        );
      }
      this.options.logger.warn(
        `Alert center: some sources did not answer: ${failures.join('; ')}`,
      );
    }
    let alerts = mergeAlerts(fromAm, fromProm) as CenterAlert[];

    if (options.visible) {
      const refs = [
        ...new Set(
          alerts.map(a => a.entityRef).filter((r): r is string => !!r),
        ),
      ];
      const visible = await options.visible(refs);
      alerts = alerts.filter(a =>
        a.entityRef ? visible.refs.has(a.entityRef) : visible.unowned,
      );
    }
    if (query.severity?.length) {
      alerts = alerts.filter(a => query.severity!.includes(a.severity));
    }
    if (query.q) {
      const needle = query.q.toLocaleLowerCase('en-US');
      alerts = alerts.filter(a =>
        [
          a.name,
          a.summary ?? '',
          a.entityRef ?? '',
          a.owner ?? '',
          a.system ?? '',
          ...Object.values(a.labels),
        ].some(text => text.toLocaleLowerCase('en-US').includes(needle)),
      );
    }

    const groups = new Map<string, CenterAlert[]>();
    for (const alert of sortAlerts(alerts)) {
      const byGroup = {
        severity: alert.severity,
        owner: alert.owner,
        system: alert.system,
      };
      const key = byGroup[query.groupBy] ?? UNOWNED_ALERT_GROUP;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(alert);
    }
    const keyRank = (key: string) => {
      if (query.groupBy === 'severity') {
        const i = SEVERITY_ORDER.indexOf(key);
        return i === -1 ? SEVERITY_ORDER.length : i;
      }
      return key === UNOWNED_ALERT_GROUP ? 1 : 0;
    };
    return [...groups.entries()]
      .map(([key, list]) => ({ key, alerts: list }))
      .sort(
        (a, b) => keyRank(a.key) - keyRank(b.key) || a.key.localeCompare(b.key),
      );
  }

  async noise(
    window: NoiseWindow,
    options: RequestOptions,
  ): Promise<NoiseReport> {
    const seconds = window === '7d' ? 7 * 86400 : 86400;
    const step = window === '7d' ? 60 : 15;
    const end = Math.floor(this.now() / 1000 / step) * step;
    const start = end - seconds;
    const targets = await this.catalogTargets(options);
    const firings = new Map<
      string,
      { name: string; entityRef?: string; n: number }
    >();
    const transitions = new Map<
      string,
      { name: string; entityRef?: string; n: number }
    >();
    const failures: string[] = [];
    const sources = this.sources('prometheus', targets);
    await Promise.all(
      sources.map(async ({ server, tenant }) => {
        let result: RangeSeries[];
        try {
          result = await this.promClient(server).queryRange(
            'ALERTS{alertstate="firing"}',
            start,
            end,
            step,
            tenant,
          );
        } catch (error) {
          failures.push((error as Error).message);
          return;
        }
        for (const series of result) {
          const labels = { ...series.metric };
          delete labels.__name__;
          delete labels.alertstate;
          const name = labels.alertname ?? '(unnamed)';
          const target = this.resolveAlertEntity(labels, targets, {
            kind: 'prometheus',
            server,
          });
          const present = new Set(series.values.map(([t]) => Math.round(t)));
          // Episodes that started in the window (or were on at its start),
          // and changes between firing and not firing inside it.
          let was = present.has(start);
          let fired = was ? 1 : 0;
          let changes = 0;
          for (let t = start + step; t <= end; t += step) {
            const is = present.has(t);
            if (is && !was) fired += 1;
            if (is !== was) changes += 1;
            was = is;
          }
          const key = `${name}\u0000${target?.entityRef ?? ''}`;
          const f = firings.get(key) ?? {
            name,
            entityRef: target?.entityRef,
            n: 0,
          };
          f.n += fired;
          firings.set(key, f);
          const c = transitions.get(key) ?? {
            name,
            entityRef: target?.entityRef,
            n: 0,
          };
          c.n += changes;
          transitions.set(key, c);
        }
      }),
    );
    if (sources.length > 0 && failures.length === sources.length) {
      throw new ServiceUnavailableError(
        `No Prometheus answered: ${failures.join('; ')}`,
      );
    }
    const withRef = (e: { entityRef?: string }) =>
      e.entityRef ? { entityRef: e.entityRef } : {};
    return {
      window,
      topRules: [...firings.values()]
        .filter(f => f.n > 0)
        .sort((a, b) => b.n - a.n || a.name.localeCompare(b.name))
        .slice(0, NOISE_TOP)
        .map(f => ({ name: f.name, firings: f.n, ...withRef(f) })),
      flapping: [...transitions.values()]
        .filter(c => c.n >= FLAPPING_MIN_TRANSITIONS)
        .sort((a, b) => b.n - a.n || a.name.localeCompare(b.name))
        .slice(0, NOISE_TOP)
        .map(c => ({ name: c.name, transitions: c.n, ...withRef(c) })),
    };
  }
}
