/*
 * The domain service against a real Prometheus (backfilled, deterministic
 * data) and a real Alertmanager: every default panel's values, gaps,
 * coalescing and caching counted at Prometheus itself, per-panel failures,
 * alerts from both sources, and silences round-tripping through
 * Alertmanager with their entity scoping.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { createServer as createNetServer, Socket } from 'node:net';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { Dashboard, Panel } from '@fincloud/plugin-monitoring-common';
import { readMonitoringConfig } from '../config/readConfig';
import { labelsFingerprint } from '../promql/fingerprint';
import {
  backfill,
  describeWithPrometheus,
  freePort,
  postAlerts,
  startAlertmanager,
  startPrometheus,
  Started,
} from '../__testUtils__/promStack';
import {
  component,
  EXPECTED,
  fixtureOpenMetrics,
  NS,
  sampleEntities,
  SCRAPE_SECONDS,
  T_END,
  T_START,
  WL,
} from '../__testUtils__/fixtures';
import { DefaultMonitoringService } from './DefaultMonitoringService';

jest.setTimeout(60_000);

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';
const user = { credentials: mockCredentials.user('user:default/pete') };

function panel(dashboard: Dashboard, id: string): Panel {
  const found = dashboard.panels.find(p => p.id === id);
  if (!found) throw new Error(`no panel ${id}`);
  return found;
}

/** Every point of the series with these labels, as numbers (nulls fail). */
function values(p: Panel, labels: Record<string, string> = {}) {
  const series = p.series.find(
    s => JSON.stringify(s.labels) === JSON.stringify(labels),
  );
  if (!series) {
    throw new Error(
      `${p.id}: no series ${JSON.stringify(labels)} in ${JSON.stringify(
        p.series.map(s => s.labels),
      )} ${p.error ?? ''}`,
    );
  }
  return series.points.map(([, v]) => v);
}

function expectAll(list: Array<number | null>, expected: number) {
  expect(list.length).toBeGreaterThan(0);
  for (const v of list) expect(v).toBeCloseTo(expected, 6);
}

describeWithPrometheus('DefaultMonitoringService', () => {
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let am: Started;

  beforeAll(async () => {
    // One at a time, each assigned as it starts, so afterAll stops whatever did.
    prom = await backfill(fixtureOpenMetrics()).then(dataDir =>
      startPrometheus({ dataDir }),
    );
    am = await startAlertmanager();
  });
  afterAll(async () => {
    await Promise.all([prom?.stop(), am?.stop()]);
  });

  function makeService(
    options: {
      monitoring?: object;
      entities?: ReturnType<typeof sampleEntities>;
      now?: () => number;
      fetch?: typeof fetch;
    } = {},
  ) {
    const config = readMonitoringConfig(
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
            alertmanager: [{ name: 'test', url: am.url }],
            ...options.monitoring,
          },
        },
      }),
    );
    return new DefaultMonitoringService({
      config,
      catalog: catalogServiceMock({
        entities: options.entities ?? sampleEntities(),
      }),
      clusters: ConfigFincloudClusters.fromConfig(new ConfigReader({})),
      logger: mockServices.logger.mock(),
      now: options.now,
      fetch: options.fetch,
    });
  }

  const range = { from: (T_START + 900) * 1000, to: T_END * 1000, step: 60 };

  describe('dashboards', () => {
    it('answers every default panel with the exact values of the data, per version, counting every Deployment of the service', async () => {
      const service = makeService();
      const d = await service.dashboard(PG, range, user);

      expect(d.entityRef).toBe(PG);
      expect(d.step).toBe(60);
      expect(d.from).toBe(Math.floor((T_START + 900) / 60) * 60 * 1000);
      expect(d.to).toBe(Math.floor(T_END / 60) * 60 * 1000);
      expect(d.panels.map(p => p.id)).toEqual([
        'request-rate',
        'error-ratio',
        'latency-p50',
        'latency-p95',
        'latency-p99',
        'cpu',
        'memory',
        'restarts',
        'ready-pods',
      ]);
      expect(d.panels.every(p => p.error === undefined)).toBe(true);
      const points = (d.to - d.from) / 60_000 + 1;
      for (const p of d.panels) {
        for (const s of p.series) expect(s.points).toHaveLength(points);
      }

      for (const v of ['v1', 'v2'] as const) {
        expectAll(
          values(panel(d, 'request-rate'), { version: v }),
          EXPECTED.requestRate[v],
        );
        expectAll(
          values(panel(d, 'error-ratio'), { version: v }),
          EXPECTED.errorRatio[v],
        );
        expectAll(
          values(panel(d, 'latency-p50'), { version: v }),
          EXPECTED.latency.p50[v],
        );
        expectAll(
          values(panel(d, 'latency-p95'), { version: v }),
          EXPECTED.latency.p95[v],
        );
        expectAll(
          values(panel(d, 'latency-p99'), { version: v }),
          EXPECTED.latency.p99[v],
        );
      }
      // v2 runs in the canary Deployment payment-gateway-v2: its traffic
      // (above) and its pods count; the worker's and another namespace's do not.
      for (const v of ['v1', 'v2'] as const) {
        expectAll(
          values(panel(d, 'cpu'), { version: v }),
          EXPECTED.cpuCores[v],
        );
        expectAll(
          values(panel(d, 'memory'), { version: v }),
          EXPECTED.memoryBytes[v],
        );
      }
      expect(panel(d, 'cpu').series).toHaveLength(2);
      expectAll(values(panel(d, 'ready-pods')), EXPECTED.readyPods);
      const restarts = values(panel(d, 'restarts'));
      expect(restarts[0]).toBe(0);
      expect(restarts[restarts.length - 1]).toBeGreaterThanOrEqual(2);
      expect(d.versions).toEqual(['v1', 'v2']);
      expect(panel(d, 'error-ratio').thresholds).toEqual([
        { value: 1, color: 'warning' },
        { value: 5, color: 'error' },
      ]);
    });

    it('returns null where Prometheus has no sample, not zero', async () => {
      const service = makeService();
      const d = await service.dashboard(
        PG,
        { from: (T_END - 600) * 1000, to: (T_END + 900) * 1000, step: 60 },
        user,
      );
      const [, series] = [0, panel(d, 'request-rate').series[0]];
      const at = (t: number) =>
        series.points.find(([ts]) => ts === t * 1000)?.[1];
      expect(at(Math.floor((T_END - 300) / 60) * 60)).toBeCloseTo(10, 6);
      expect(at(Math.floor((T_END + 600) / 60) * 60)).toBeNull();
      expect(series.points[series.points.length - 1][1]).toBeNull();
    });

    it('filters the panels to one version when asked', async () => {
      const d = await makeService().dashboard(
        PG,
        { ...range, version: 'v2' },
        user,
      );
      expect(panel(d, 'request-rate').series.map(s => s.labels)).toEqual([
        { version: 'v2' },
      ]);
      expect(d.versions).toEqual(['v2']);
      // The pod panels too: only the v2 pod.
      expect(panel(d, 'cpu').series.map(s => s.labels)).toEqual([
        { version: 'v2' },
      ]);
      expectAll(
        values(panel(d, 'cpu'), { version: 'v2' }),
        EXPECTED.cpuCores.v2,
      );
      expectAll(values(panel(d, 'ready-pods')), 1);
    });

    it('picks a step for about 240 points when none is given', async () => {
      const d = await makeService().dashboard(
        PG,
        { from: (T_END - 3600) * 1000, to: T_END * 1000 },
        user,
      );
      expect(d.step).toBe(15);
    });

    it('coalesces identical queries of simultaneous viewers and caches them for a step: Prometheus counts the queries', async () => {
      let now = T_END * 1000 + 1000;
      const service = makeService({ now: () => now });
      const panels = 9;
      const before = await prom.queryCount('/api/v1/query_range');
      const viewers = await Promise.all(
        Array.from({ length: 50 }, () => service.dashboard(PG, range, user)),
      );
      expect(new Set(viewers.map(v => JSON.stringify(v.panels))).size).toBe(1);
      await new Promise(r => setTimeout(r, 200));
      const afterFirst = await prom.queryCount('/api/v1/query_range');
      expect(afterFirst - before).toBe(panels);

      // Later viewers within the step: served from the cache.
      await Promise.all(
        Array.from({ length: 50 }, () => service.dashboard(PG, range, user)),
      );
      await new Promise(r => setTimeout(r, 200));
      expect((await prom.queryCount('/api/v1/query_range')) - afterFirst).toBe(
        0,
      );

      // One step later the cached window has expired: one query per panel again.
      now += 61_000;
      await Promise.all(
        Array.from({ length: 10 }, () => service.dashboard(PG, range, user)),
      );
      await new Promise(r => setTimeout(r, 200));
      expect((await prom.queryCount('/api/v1/query_range')) - afterFirst).toBe(
        panels,
      );
      expect(service.cacheStats.loads).toBe(2 * panels);
    });

    it('shows a failing panel as an error and still draws the others', async () => {
      const entities = sampleEntities();
      entities[0].metadata.annotations!['fincloud.io/monitoring-panels'] =
        '+broken, -restarts, error-ratio.error=2';
      const service = makeService({
        entities,
        monitoring: {
          extraPanels: [
            {
              id: 'broken',
              title: 'Broken',
              unit: 'count',
              query:
                'sum(rate(istio_requests_total{destination_app="$workload"}[$__rate_interval])) by (',
            },
          ],
        },
      });
      const d = await service.dashboard(PG, range, user);
      const broken = panel(d, 'broken');
      expect(broken.error).toMatch(
        /^Prometheus refused the query: .*parse error/,
      );
      expect(broken.series).toEqual([]);
      expectAll(values(panel(d, 'request-rate'), { version: 'v1' }), 10);
      expect(d.panels.some(p => p.id === 'restarts')).toBe(false);
      expect(panel(d, 'error-ratio').thresholds).toEqual([
        { value: 1, color: 'warning' },
        { value: 2, color: 'error' },
      ]);
    });

    it('answers with every panel in error when Prometheus is down, without failing the call', async () => {
      const closed = await freePort();
      const service = makeService({
        monitoring: {
          prometheus: [
            {
              name: 'test',
              url: `http://127.0.0.1:${closed}`,
              timeoutSeconds: 2,
            },
          ],
          alertmanager: [
            {
              name: 'test',
              url: `http://127.0.0.1:${closed}`,
              timeoutSeconds: 2,
            },
          ],
        },
      });
      const d = await service.dashboard(PG, range, user);
      expect(d.panels).toHaveLength(9);
      for (const p of d.panels) {
        expect(p.error).toMatch(
          /Prometheus "test" is unreachable: ECONNREFUSED/,
        );
      }
      expect(d.alertsError).toMatch(/unreachable/);
    });

    it('gives up on a Prometheus that accepts connections but never answers, after its timeout, and caches nothing', async () => {
      const sockets = new Set<Socket>();
      const silent = createNetServer(socket => sockets.add(socket));
      await new Promise<void>(r => silent.listen(0, '127.0.0.1', r));
      try {
        const port = (silent.address() as { port: number }).port;
        const service = makeService({
          monitoring: {
            prometheus: [
              {
                name: 'test',
                url: `http://127.0.0.1:${port}`,
                timeoutSeconds: 1,
              },
            ],
            alertmanager: [
              {
                name: 'test',
                url: `http://127.0.0.1:${port}`,
                timeoutSeconds: 1,
              },
            ],
          },
        });
        const started = Date.now();
        const d = await service.dashboard(PG, range, user);
        expect(Date.now() - started).toBeLessThan(5000);
        for (const p of d.panels) {
          expect(p.error).toBe(
            'Prometheus "test" is unreachable: no answer within 1 s',
          );
        }
        expect(service.cacheStats.hits).toBe(0);
        expect(
          (await service.dashboard(PG, range, user)).panels[0].error,
        ).toMatch(/no answer/);
        expect(service.cacheStats.loads).toBe(18);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise(r => silent.close(r));
      }
    });

    it('explains what is missing on the entity, and refuses ranges it cannot draw', async () => {
      const entities = [
        ...sampleEntities(),
        component('no-annotations', {}),
        component('elsewhere', {
          'fincloud.io/cluster': 'sim',
          'fincloud.io/namespace': 'web',
          'fincloud.io/prometheus': 'mars',
        }),
        component('bad-namespace', {
          'fincloud.io/cluster': 'sim',
          'fincloud.io/namespace': '"} or vector(1) #',
        }),
      ];
      const service = makeService({ entities });
      await expect(
        service.dashboard('component:default/no-annotations', range, user),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/fincloud\.io\/cluster/),
      });
      await expect(
        service.dashboard('component:default/elsewhere', range, user),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/names "mars"/),
      });
      await expect(
        service.dashboard('component:default/bad-namespace', range, user),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/not a Kubernetes namespace name/),
      });
      await expect(
        service.dashboard('component:default/nope', range, user),
      ).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(
        service.dashboard(PG, { from: range.to, to: range.from }, user),
      ).rejects.toMatchObject({ name: 'InputError' });
      await expect(
        service.dashboard(
          PG,
          { from: range.from - 7 * 86400_000, to: range.to, step: 1 },
          user,
        ),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/too many/),
      });
    });

    it('sends the credentials and the tenant of the owning team, and nothing of them reaches the answer', async () => {
      const seen: IncomingHttpHeaders[] = [];
      const proxy: Server = createServer(async (req, res) => {
        seen.push(req.headers);
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const upstream = await fetch(`${prom.url}${req.url}`, {
          method: req.method,
          headers: {
            'content-type': req.headers['content-type'] ?? 'text/plain',
          },
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        res.writeHead(upstream.status, { 'content-type': 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
      await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
      try {
        const port = (proxy.address() as { port: number }).port;
        const token = 'prometheus-bearer-token-0123456789';
        const service = makeService({
          monitoring: {
            prometheus: [
              {
                name: 'test',
                url: `http://127.0.0.1:${port}`,
                token,
                tenantHeader: 'X-Scope-OrgID',
                tenants: [
                  { owner: 'group:default/team-risk', tenant: 'risk-tenant' },
                ],
                scrapeIntervalSeconds: SCRAPE_SECONDS,
              },
            ],
          },
        });
        const d = await service.dashboard(PG, range, user);
        await service.dashboard(RISK, range, user);
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.every(h => h.authorization === `Bearer ${token}`)).toBe(
          true,
        );
        expect(new Set(seen.map(h => h['x-scope-orgid']))).toEqual(
          new Set(['team-payments', 'risk-tenant']),
        );
        expect(JSON.stringify(d)).not.toContain(token);
      } finally {
        await new Promise(r => proxy.close(r));
      }
    });
  });

  describe('alerts and silences', () => {
    const highErrors = {
      alertname: 'HighErrorRatio',
      namespace: NS,
      workload: WL,
      severity: 'warning',
    };
    const podCrash = {
      alertname: 'PodCrashLooping',
      namespace: NS,
      app: WL,
      severity: 'critical',
    };

    beforeAll(async () => {
      await postAlerts(am.url, [
        {
          labels: highErrors,
          annotations: { summary: 'Error ratio above 5 %' },
        },
        { labels: podCrash },
        // Not payment-gateway's: another service, a worker, another namespace.
        {
          labels: {
            alertname: 'HighErrorRatio',
            namespace: 'risk',
            workload: 'risk-engine',
            severity: 'warning',
          },
        },
        {
          labels: {
            alertname: 'HighErrorRatio',
            namespace: NS,
            workload: `${WL}-worker`,
            severity: 'warning',
          },
        },
        {
          labels: {
            alertname: 'DiskFull',
            namespace: 'infra',
            severity: 'critical',
          },
        },
      ]);
    });

    it("lists the entity's alerts only, matched on namespace and workload or app, worst first, with Alertmanager's fingerprints", async () => {
      const alerts = await makeService().alerts(PG, user);
      expect(alerts.map(a => [a.name, a.state, a.severity, a.source])).toEqual([
        ['PodCrashLooping', 'firing', 'critical', 'alertmanager'],
        ['HighErrorRatio', 'firing', 'warning', 'alertmanager'],
      ]);
      expect(alerts[1]).toMatchObject({
        summary: 'Error ratio above 5 %',
        labels: highErrors,
        entityRef: PG,
        fingerprint: labelsFingerprint(highErrors),
      });
      expect(alerts[0].fingerprint).toBe(labelsFingerprint(podCrash));
    });

    it('honours the alert selector annotation', async () => {
      const entities = sampleEntities();
      entities[0].metadata.annotations!['fincloud.io/alert-selector'] =
        'severity!=critical';
      const alerts = await makeService({ entities }).alerts(PG, user);
      expect(alerts.map(a => a.name)).toEqual(['HighErrorRatio']);
    });

    it('silences one alert through Alertmanager, scoped to the entity, and expires it again', async () => {
      const service = makeService();
      const fingerprint = labelsFingerprint(highErrors);
      const silence = await service.createSilence(
        PG,
        {
          alertFingerprint: fingerprint,
          durationMinutes: 30,
          comment: 'deploying a fix',
        },
        user,
      );
      expect(silence).toMatchObject({
        status: 'active',
        createdBy: 'user:default/pete',
        comment: 'deploying a fix',
      });
      // Alertmanager starts a silence at its own "now" when ours has passed: ~30 min.
      const length = Date.parse(silence.endsAt) - Date.parse(silence.startsAt);
      expect(length).toBeGreaterThan(30 * 60_000 - 1000);
      expect(length).toBeLessThanOrEqual(30 * 60_000);
      expect(silence.matchers).toEqual(
        expect.arrayContaining([
          { name: 'namespace', value: NS, isRegex: false, isEqual: true },
          { name: 'workload', value: WL, isRegex: false, isEqual: true },
          {
            name: 'alertname',
            value: 'HighErrorRatio',
            isRegex: false,
            isEqual: true,
          },
        ]),
      );

      // Alertmanager has it, and mutes the alert.
      const inAm = await (
        await fetch(`${am.url}/api/v2/silence/${silence.id}`)
      ).json();
      expect(inAm).toMatchObject({
        id: silence.id,
        status: { state: 'active' },
        createdBy: 'user:default/pete',
      });
      const alerts = await service.alerts(PG, user);
      expect(alerts.find(a => a.name === 'HighErrorRatio')).toMatchObject({
        state: 'suppressed',
        silencedBy: [silence.id],
      });
      expect(alerts.find(a => a.name === 'PodCrashLooping')?.state).toBe(
        'firing',
      );
      expect((await service.silences(PG, user)).map(s => s.id)).toContain(
        silence.id,
      );
      expect((await service.silences(RISK, user)).map(s => s.id)).not.toContain(
        silence.id,
      );

      // Another service cannot expire it; its own can.
      await expect(
        service.expireSilence(silence.id, RISK, user),
      ).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
      expect(
        (await (await fetch(`${am.url}/api/v2/silence/${silence.id}`)).json())
          .status.state,
      ).toBe('active');
      await service.expireSilence(silence.id, PG, user);
      expect(
        (await (await fetch(`${am.url}/api/v2/silence/${silence.id}`)).json())
          .status.state,
      ).toBe('expired');
      expect(
        (await service.alerts(PG, user)).find(a => a.name === 'HighErrorRatio')
          ?.state,
      ).toBe('firing');
      // Expiring twice changes nothing and is not an error.
      await service.expireSilence(silence.id, PG, user);
      const listed = await service.silences(PG, user);
      expect(listed.find(s => s.id === silence.id)?.status).toBe('expired');
    });

    it('always adds the entity matchers, so a silence cannot reach another service', async () => {
      const service = makeService();
      const silence = await service.createSilence(
        PG,
        {
          matchers: [
            {
              name: 'alertname',
              value: 'High.*',
              isRegex: true,
              isEqual: true,
            },
          ],
          durationMinutes: 5,
          comment: 'maintenance',
        },
        user,
      );
      expect(silence.matchers).toEqual(
        expect.arrayContaining([
          { name: 'namespace', value: NS, isRegex: false, isEqual: true },
          { name: 'workload', value: WL, isRegex: false, isEqual: true },
        ]),
      );
      // The risk-engine and worker alerts of the same name stay firing.
      const all: any[] = await (await fetch(`${am.url}/api/v2/alerts`)).json();
      const state = (labels: Record<string, string>) =>
        all.find(a => a.fingerprint === labelsFingerprint(labels))?.status
          .state;
      expect(state(highErrors)).toBe('suppressed');
      expect(
        state({
          alertname: 'HighErrorRatio',
          namespace: 'risk',
          workload: 'risk-engine',
          severity: 'warning',
        }),
      ).toBe('active');
      expect(
        state({
          alertname: 'HighErrorRatio',
          namespace: NS,
          workload: `${WL}-worker`,
          severity: 'warning',
        }),
      ).toBe('active');
      await service.expireSilence(silence.id, PG, user);

      const before = (await (await fetch(`${am.url}/api/v2/silences`)).json())
        .length;
      for (const matchers of [
        [{ name: 'namespace', value: 'risk', isRegex: false, isEqual: true }],
        [{ name: 'workload', value: '.*', isRegex: true, isEqual: true }],
        [{ name: 'app', value: WL, isRegex: false, isEqual: false }],
      ]) {
        await expect(
          service.createSilence(
            PG,
            { matchers, durationMinutes: 5, comment: 'x' },
            user,
          ),
        ).rejects.toMatchObject({
          name: 'InputError',
          message: expect.stringMatching(/cannot silence another service/),
        });
      }
      await expect(
        service.createSilence(
          PG,
          {
            alertFingerprint: labelsFingerprint({
              alertname: 'DiskFull',
              namespace: 'infra',
              severity: 'critical',
            }),
            durationMinutes: 5,
            comment: 'x',
          },
          user,
        ),
      ).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(
        service.createSilence(
          PG,
          {
            matchers: [
              {
                name: 'alertname',
                value: '(unclosed',
                isRegex: true,
                isEqual: true,
              },
            ],
            durationMinutes: 5,
            comment: 'x',
          },
          user,
        ),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(/Alertmanager refused the silence/),
      });
      // Nothing was created by the refused requests.
      expect(
        (await (await fetch(`${am.url}/api/v2/silences`)).json()).length,
      ).toBe(before);
    });
  });
});
