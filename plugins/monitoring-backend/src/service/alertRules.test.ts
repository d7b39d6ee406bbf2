/*
 * Alert rules end to end through the real parts: typed specs written as a
 * PrometheusRule through @kubernetes/client-node to the cluster simulator
 * (its strict admission must accept the object), read back, the generated
 * rule file checked by `promtool check rules`, previews evaluated by a real
 * Prometheus on known data, and the development sync writing rule files
 * Prometheus loads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { AlertRuleSpec } from '@fincloud/plugin-monitoring-common';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { PrometheusClient } from '../clients/PrometheusClient';
import { readMonitoringConfig } from '../config/readConfig';
import { ruleFileFor, syncRules } from '../tasks/ruleSync';
import {
  backfill,
  describeWithPrometheus,
  promtoolCheckRules,
  startPrometheus,
} from '../__testUtils__/promStack';
import {
  fixtureOpenMetrics,
  NS,
  sampleEntities,
  SCRAPE_SECONDS,
} from '../__testUtils__/fixtures';
import {
  durationMinutes,
  PROMETHEUS_RULE,
  PrometheusRuleObject,
} from './alertRules';
import { DefaultMonitoringService } from './DefaultMonitoringService';
import { PrometheusRuleStore } from './PrometheusRuleStore';

jest.setTimeout(60_000);

const PG = 'component:default/payment-gateway';
const user = { credentials: mockCredentials.user('user:default/pete') };

const highErrors: AlertRuleSpec = {
  name: 'HighErrorRatio',
  metric: 'error-ratio',
  comparison: '>',
  threshold: 5,
  forMinutes: 5,
  severity: 'warning',
  summary: 'More than 5 % of requests fail',
};

describeWithPrometheus('alert rules', () => {
  let sim: ClusterSim;
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let service: DefaultMonitoringService;
  let clusters: ConfigFincloudClusters;

  const entities = sampleEntities();
  entities[0].metadata.annotations!['fincloud.io/monitoring-panels'] =
    '+broken';

  beforeAll(async () => {
    // One at a time, each assigned as it starts, so afterAll stops whatever did.
    sim = await startClusterSim({
      manualClock: true,
      trafficIntervalMs: 0,
      seed: require.resolve('@fincloud/cluster-sim/seed/default.yaml'),
    });
    prom = await backfill(
      fixtureOpenMetrics(
        Math.floor(Date.now() / 1000) - 1800,
        Math.floor(Date.now() / 1000) + 1800,
      ),
    ).then(dataDir => startPrometheus({ dataDir }));
    clusters = ConfigFincloudClusters.fromConfig(
      new ConfigReader({
        fincloud: {
          clusters: [
            {
              name: 'sim',
              url: sim.url,
              serviceAccountToken: sim.token,
              skipTLSVerify: true,
            },
          ],
        },
      }),
    );
    service = new DefaultMonitoringService({
      config: readMonitoringConfig(
        new ConfigReader({
          fincloud: {
            monitoring: {
              prometheus: [
                {
                  name: 'test',
                  url: prom.url,
                  scrapeIntervalSeconds: SCRAPE_SECONDS,
                },
              ],
              extraPanels: [
                {
                  id: 'broken',
                  title: 'Broken',
                  unit: 'count',
                  query: 'sum(up{namespace="$namespace"}',
                  ruleQuery: 'sum(up{namespace="$namespace"}) by (',
                },
              ],
            },
          },
        }),
      ),
      catalog: catalogServiceMock({ entities }),
      clusters,
      logger: mockServices.logger.mock(),
    });
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), prom?.stop()]);
  });

  const stored = () =>
    sim.store.get(
      'monitoring.coreos.com/v1',
      'PrometheusRule',
      NS,
      'fincloud-payment-gateway',
    ) as PrometheusRuleObject | undefined;

  it('writes a rule as a PrometheusRule the simulator admits, reads it back, and promtool accepts the rule file', async () => {
    const first = await service.putRule(PG, highErrors, user);
    expect(first.created).toBe(true);
    expect(first.spec).toEqual(highErrors);
    const second = await service.putRule(
      PG,
      {
        name: 'SlowP99',
        metric: 'latency-p99',
        comparison: '>=',
        threshold: 800.5,
        forMinutes: 0,
        severity: 'critical',
      },
      user,
    );
    expect(second.created).toBe(true);

    const object = stored()!;
    expect(object.metadata.labels).toMatchObject({
      role: 'alert-rules',
      'app.kubernetes.io/managed-by': 'fincloud',
    });
    expect(object.metadata.annotations?.['fincloud.io/entity-ref']).toBe(PG);
    expect(object.spec.groups).toHaveLength(1);
    const [rule] = object.spec.groups[0].rules;
    expect(rule).toMatchObject({
      alert: 'HighErrorRatio',
      for: '5m',
      labels: {
        namespace: NS,
        workload: 'payment-gateway',
        severity: 'warning',
      },
    });
    // The service is its `app` label: every Deployment of it (a canary's too).
    expect(String(rule.expr)).toMatch(
      /^\(.*destination_app="payment-gateway".*\) > 5$/,
    );
    expect(String(rule.expr)).not.toContain('destination_workload=');

    expect(await service.rules(PG, user)).toEqual([
      highErrors,
      {
        name: 'SlowP99',
        metric: 'latency-p99',
        comparison: '>=',
        threshold: 800.5,
        forMinutes: 0,
        severity: 'critical',
        summary: 'Latency p99 >= 800.5',
      },
    ]);
    const checked = await promtoolCheckRules(ruleFileFor(object));
    expect(checked).toMatch(/SUCCESS: 2 rules found/);

    // Updating keeps one rule of that name.
    const updated = await service.putRule(
      PG,
      { ...highErrors, threshold: 2 },
      user,
    );
    expect(updated.created).toBe(false);
    expect(
      (await service.rules(PG, user)).filter(r => r.name === 'HighErrorRatio'),
    ).toEqual([{ ...highErrors, threshold: 2 }]);
  });

  it('keeps rules written by hand in the same object untouched', async () => {
    const api = sim.kubeConfig().makeApiClient(CustomObjectsApi);
    const current = stored()!;
    await api.replaceNamespacedCustomObject({
      ...PROMETHEUS_RULE,
      namespace: NS,
      name: current.metadata.name,
      body: {
        ...current,
        spec: {
          groups: [
            ...current.spec.groups,
            {
              name: 'hand-written',
              rules: [{ alert: 'ManualRule', expr: 'up == 0' }],
            },
          ],
        },
      },
    });
    await service.putRule(PG, { ...highErrors, threshold: 7 }, user);
    const groups = stored()!.spec.groups;
    expect(groups.find(g => g.name === 'hand-written')?.rules).toEqual([
      { alert: 'ManualRule', expr: 'up == 0' },
    ]);
    expect((await service.rules(PG, user)).map(r => r.name)).toEqual([
      'HighErrorRatio',
      'SlowP99',
    ]);
  });

  it('deletes rules, and the object with the last one', async () => {
    await service.deleteRule(PG, 'SlowP99', user);
    await expect(service.deleteRule(PG, 'SlowP99', user)).rejects.toMatchObject(
      { name: 'NotFoundError' },
    );
    await service.deleteRule(PG, 'HighErrorRatio', user);
    await service.deleteRule(PG, 'ManualRule', user);
    expect(stored()).toBeUndefined();
    expect(await service.rules(PG, user)).toEqual([]);
  });

  it('refuses specs it cannot write, writing nothing', async () => {
    for (const [spec, message] of [
      [{ ...highErrors, name: 'bad name' }, /not an alert name/],
      [{ ...highErrors, metric: 'nope' }, /not a panel of this service/],
      [{ ...highErrors, forMinutes: 1.5 }, /whole number/],
      [{ ...highErrors, summary: 'two\nlines' }, /one line/],
    ] as const) {
      await expect(
        service.putRule(PG, spec as AlertRuleSpec, user),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(message),
      });
    }
    expect(stored()).toBeUndefined();
  });

  it('says a cluster error, and loses no rule, when the cluster refuses a write', async () => {
    await service.putRule(PG, highErrors, user);
    sim.faults.failRequests({
      verbs: ['update'],
      resources: ['prometheusrules.monitoring.coreos.com'],
      count: 1,
    });
    await expect(
      service.putRule(PG, { ...highErrors, name: 'Another' }, user),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
    });
    expect((await service.rules(PG, user)).map(r => r.name)).toEqual([
      'HighErrorRatio',
    ]);
    // A conflicting write in between is retried from a fresh read.
    sim.faults.conflictStorm({
      resources: ['prometheusrules.monitoring.coreos.com'],
      count: 2,
    });
    await service.putRule(PG, { ...highErrors, name: 'Another' }, user);
    expect((await service.rules(PG, user)).map(r => r.name).sort()).toEqual([
      'Another',
      'HighErrorRatio',
    ]);
    await service.deleteRule(PG, 'Another', user);
    await service.deleteRule(PG, 'HighErrorRatio', user);
  });

  it('previews a rule on current data: value, whether it would fire, and the expression promtool accepts', async () => {
    // The data of this suite runs from 30 minutes ago to 30 minutes ahead,
    // so "now" has samples: error ratio v1 10 %, v2 0 %; 13 requests/s.
    const above = await service.previewRule(PG, highErrors, user);
    expect(above).toEqual({
      expr: expect.stringMatching(
        /^\(max\(100 \* \(sum by \(destination_version\).*\)\) > 5$/,
      ),
      currentValue: 10,
      wouldFire: true,
      valid: true,
    });
    expect(
      await promtoolCheckRules(
        `groups:\n- name: preview\n  rules:\n  - alert: X\n    expr: ${JSON.stringify(
          above.expr,
        )}\n`,
      ),
    ).toMatch(/SUCCESS/);
    expect(
      await service.previewRule(PG, { ...highErrors, threshold: 50 }, user),
    ).toMatchObject({
      currentValue: 10,
      wouldFire: false,
    });
    // "Too little traffic": the total rate of both versions (v2 served by the
    // canary Deployment payment-gateway-v2), compared from below.
    expect(
      await service.previewRule(
        PG,
        {
          ...highErrors,
          metric: 'request-rate',
          comparison: '<',
          threshold: 20,
        },
        user,
      ),
    ).toMatchObject({
      currentValue: expect.closeTo(13, 6),
      wouldFire: true,
      valid: true,
    });
    // CPU of the whole service: the v1 pods and the canary's (0.75 + 0.1 cores).
    expect(
      await service.previewRule(
        PG,
        { ...highErrors, metric: 'cpu', comparison: '>', threshold: 0.8 },
        user,
      ),
    ).toMatchObject({
      currentValue: expect.closeTo(0.85, 6),
      wouldFire: true,
      valid: true,
    });
    // A template Prometheus cannot parse: not valid, with Prometheus' reason.
    expect(
      await service.previewRule(PG, { ...highErrors, metric: 'broken' }, user),
    ).toEqual({
      expr: expect.any(String),
      currentValue: null,
      wouldFire: false,
      valid: false,
      error: expect.stringMatching(/parse error/),
    });
  });

  it('syncs the PrometheusRules into rule files Prometheus loads (development sync)', async () => {
    await service.putRule(PG, highErrors, user);
    const dir = mkdtempSync(join(tmpdir(), 'fincloud-sync-'));
    try {
      const syncProm = await startPrometheus({
        ruleFiles: [join(dir, '*.yml')],
      });
      try {
        const client = new PrometheusClient({
          name: 'sync',
          url: syncProm.url,
          timeoutMs: 5000,
          scrapeIntervalSeconds: 1,
        });
        const options = {
          store: new PrometheusRuleStore(clusters),
          clusters: ['sim'],
          directory: dir,
          prometheus: client,
          logger: mockServices.logger.mock(),
        };
        expect(await syncRules(options)).toEqual({
          written: ['fincloud-sync-sim-payments-fincloud-payment-gateway.yml'],
          removed: [],
        });
        const rules = await (
          await fetch(`${syncProm.url}/api/v1/rules`)
        ).json();
        expect(rules.data.groups.map((g: any) => g.name)).toEqual([
          'fincloud.payments.payment-gateway',
        ]);
        expect(rules.data.groups[0].rules[0]).toMatchObject({
          name: 'HighErrorRatio',
          health: expect.any(String),
        });
        await promtoolCheckRules(
          readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'),
        );
        // Nothing changed: nothing written.
        expect(await syncRules(options)).toEqual({ written: [], removed: [] });
        // The object is gone: its file too.
        await service.deleteRule(PG, 'HighErrorRatio', user);
        expect(await syncRules(options)).toEqual({
          written: [],
          removed: ['fincloud-sync-sim-payments-fincloud-payment-gateway.yml'],
        });
        const after = await (
          await fetch(`${syncProm.url}/api/v1/rules`)
        ).json();
        expect(after.data.groups).toEqual([]);
      } finally {
        await syncProm.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads Prometheus durations as minutes', () => {
    expect(durationMinutes(undefined)).toBe(0);
    expect(durationMinutes('5m')).toBe(5);
    expect(durationMinutes('1h30m')).toBe(90);
    expect(durationMinutes('90s')).toBe(2);
    expect(durationMinutes('soon')).toBeUndefined();
  });
});
