/*
 * The plugin in a test backend, over HTTP: 401 without credentials, 403
 * when the permission says no (and nothing changes), 400 for bad input (and
 * nothing changes), the audit records of every write in the real audit
 * store (fincloud's auditor), deploy markers from that store on the
 * dashboard, against a real Prometheus, Alertmanager and the cluster
 * simulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import {
  auditStoreServiceRef,
  CheckpointSigner,
  DatabaseAuditStore,
  fincloudAuditorServiceFactory,
} from '@fincloud/plugin-audit-node';
import { AuditRecord } from '@fincloud/plugin-audit-common';
import { labelsFingerprint } from './promql/fingerprint';
import {
  backfill,
  describeWithPrometheus,
  postAlerts,
  startAlertmanager,
  startPrometheus,
  Started,
} from './__testUtils__/promStack';
import {
  fixtureOpenMetrics,
  NS,
  sampleEntities,
  SCRAPE_SECONDS,
  T_END,
  T_START,
  WL,
} from './__testUtils__/fixtures';
import { monitoringPlugin } from './plugin';

jest.setTimeout(120_000);

const PETE = 'user:default/pete';
const GARY = 'user:default/gary';
const PG_PATH = '/api/monitoring/entities/component/default/payment-gateway';
const PG = 'component:default/payment-gateway';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/**
 * Stand-in for the fincloud policy (the real one is exercised end to end by
 * the permission matrix): pete may do everything on payment-gateway, gary
 * only reads.
 */
const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory(): PermissionsService {
    const decide = (name: string, user?: string, resourceRef?: string) => {
      if (name === 'monitoring.read') return AuthorizeResult.ALLOW;
      if (user === PETE && resourceRef === PG) return AuthorizeResult.ALLOW;
      return AuthorizeResult.DENY;
    };
    const userOf = (c: any) =>
      c?.principal?.type === 'user' ? c.principal.userEntityRef : undefined;
    return {
      async authorize(requests, { credentials }) {
        return requests.map(r => ({
          result: decide(
            r.permission.name,
            userOf(credentials),
            (r as any).resourceRef,
          ),
        })) as any;
      },
      async authorizeConditional(requests, { credentials }) {
        return requests.map(r => ({
          result: decide(r.permission.name, userOf(credentials)),
        })) as any;
      },
    };
  },
});

describeWithPrometheus('the monitoring backend plugin', () => {
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let am: Started;
  let sim: ClusterSim;
  let store: DatabaseAuditStore;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stopBackend: () => Promise<void>;
  const spool = mkdtempSync(join(tmpdir(), 'monitoring-plugin-spool-'));
  const highErrors = {
    alertname: 'HighErrorRatio',
    namespace: NS,
    workload: WL,
    severity: 'warning',
  };

  beforeAll(async () => {
    // One at a time, each assigned as it starts, so afterAll stops whatever did.
    prom = await backfill(fixtureOpenMetrics()).then(dataDir =>
      startPrometheus({ dataDir }),
    );
    am = await startAlertmanager();
    sim = await startClusterSim({
      manualClock: true,
      trafficIntervalMs: 0,
      seed: require.resolve('@fincloud/cluster-sim/seed/default.yaml'),
    });
    await postAlerts(am.url, [{ labels: highErrors }]);
    store = await DatabaseAuditStore.create({
      database: await databases.init('SQLITE_3'),
      logger: mockServices.logger.mock(),
      signer: CheckpointSigner.hmac(
        'test',
        'monitoring-plugin-test-key-0123456789',
      ),
      spoolDirectory: spool,
    });
    // A release of payment-gateway inside the dashboard's range.
    await store.append({
      plugin: 'releases',
      eventId: 'release-promote',
      severity: 'high',
      status: 'succeeded',
      actor: { type: 'user', ref: 'user:default/paula' },
      entityRef: PG,
      at: new Date((T_START + 1800) * 1000).toISOString(),
      meta: { toVersion: 'v2' },
      correlationId: 'release-1',
    });

    const backend = await startTestBackend({
      features: [
        monitoringPlugin,
        fincloudAuditorServiceFactory,
        createServiceFactory({
          service: auditStoreServiceRef,
          deps: {},
          factory: () => store,
        }),
        catalogServiceMock.factory({ entities: sampleEntities() }),
        permissionsFactory,
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.rootConfig.factory({
          data: {
            fincloud: {
              clusters: [
                {
                  name: 'sim',
                  url: sim.url,
                  serviceAccountToken: sim.token,
                  skipTLSVerify: true,
                },
              ],
              monitoring: {
                prometheus: [
                  {
                    name: 'sim',
                    url: prom.url,
                    scrapeIntervalSeconds: SCRAPE_SECONDS,
                  },
                ],
                alertmanager: [{ name: 'sim', url: am.url }],
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stopBackend = () => backend.stop();
  });

  afterAll(async () => {
    await stopBackend?.();
    await store?.stop();
    await Promise.all([prom?.stop(), am?.stop(), sim?.stop()]);
    rmSync(spool, { recursive: true, force: true });
  });

  const as = (user?: string) => ({
    get: (path: string) => {
      const r = request(server).get(path);
      return user
        ? r.set('Authorization', mockCredentials.user.header(user))
        : r;
    },
    post: (path: string, body: object) => {
      const r = request(server).post(path).send(body);
      return user
        ? r.set('Authorization', mockCredentials.user.header(user))
        : r;
    },
    put: (path: string, body: object) => {
      const r = request(server).put(path).send(body);
      return user
        ? r.set('Authorization', mockCredentials.user.header(user))
        : r;
    },
    delete: (path: string) => {
      const r = request(server).delete(path);
      return user
        ? r.set('Authorization', mockCredentials.user.header(user))
        : r;
    },
  });

  async function auditOf(eventId: string): Promise<AuditRecord[]> {
    await store.flush();
    return (await store.query({ plugin: 'monitoring', eventId, limit: 50 }))
      .items;
  }

  async function silencesInAm(): Promise<any[]> {
    return (await fetch(`${am.url}/api/v2/silences`)).json();
  }

  const range = `from=${(T_START + 900) * 1000}&to=${T_END * 1000}&step=60`;

  it('answers 401 to a caller without credentials, on every route', async () => {
    for (const res of [
      await as().get(`${PG_PATH}/dashboard?${range}`),
      await as().get(`${PG_PATH}/alerts`),
      await as().post(`${PG_PATH}/silences`, {
        durationMinutes: 5,
        comment: 'x',
      }),
      await as().get('/api/monitoring/alerts'),
      await as().get('/api/monitoring/noise'),
    ]) {
      expect(res.status).toBe(401);
    }
  });

  it('serves the whole overview in one call, with the deploy markers from the audit trail', async () => {
    const res = await as(GARY).get(`${PG_PATH}/dashboard?${range}`);
    expect(res.status).toBe(200);
    expect(res.body.panels).toHaveLength(9);
    expect(res.body.versions).toEqual(['v1', 'v2']);
    expect(res.body.markers).toEqual([
      {
        at: (T_START + 1800) * 1000,
        kind: 'release',
        label: 'release-promote v2',
        status: 'succeeded',
      },
    ]);
    expect(res.body.alerts.map((a: any) => a.name)).toEqual(['HighErrorRatio']);
  });

  it.each([
    ['no range', ''],
    ['a range that is not a number', 'from=yesterday&to=1'],
    ['an unknown parameter', `${range}&panel=cpu`],
    ['a zero step', `from=1&to=2&step=0`],
    [
      'a version that is not a label value',
      `${range}&version=${encodeURIComponent('v1"} or vector(1)')}`,
    ],
    [
      'a range the wrong way round',
      `from=${T_END * 1000}&to=${T_START * 1000}`,
    ],
  ])('answers 400 for a dashboard with %s', async (_what, query) => {
    const res = await as(GARY).get(`${PG_PATH}/dashboard?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
  });

  it('creates a silence for the owner, in Alertmanager, audited with who, what and why', async () => {
    const before = (await silencesInAm()).length;
    const res = await as(PETE).post(`${PG_PATH}/silences`, {
      alertFingerprint: labelsFingerprint(highErrors),
      durationMinutes: 60,
      comment: 'fix is rolling out',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'active',
      createdBy: PETE,
      comment: 'fix is rolling out',
    });
    expect((await silencesInAm()).length).toBe(before + 1);

    const records = await auditOf('silence-create');
    const succeeded = records.find(r => r.status === 'succeeded')!;
    const initiated = records.find(
      r =>
        r.status === 'initiated' && r.correlationId === succeeded.correlationId,
    )!;
    expect(initiated).toMatchObject({
      severity: 'medium',
      actor: { type: 'user', ref: PETE },
      entityRef: PG,
      meta: {
        entityRef: PG,
        durationMinutes: 60,
        comment: 'fix is rolling out',
        alertFingerprint: labelsFingerprint(highErrors),
      },
    });
    expect(succeeded.meta).toMatchObject({
      silenceId: res.body.id,
      matchers: expect.arrayContaining([
        'namespace="payments"',
        'workload="payment-gateway"',
      ]),
    });

    // Gary may read, not silence: 403, nothing created, the attempt audited as failed.
    const denied = await as(GARY).post(`${PG_PATH}/silences`, {
      durationMinutes: 5,
      comment: 'x',
    });
    expect(denied.status).toBe(403);
    expect((await silencesInAm()).length).toBe(before + 1);
    expect(
      (await auditOf('silence-create')).some(
        r => r.status === 'failed' && r.actor.ref === GARY,
      ),
    ).toBe(true);

    // Expire: gary may not, pete may; without entityRef it is a 400.
    expect(
      (await as(PETE).delete(`/api/monitoring/silences/${res.body.id}`)).status,
    ).toBe(400);
    expect(
      (
        await as(GARY).delete(
          `/api/monitoring/silences/${
            res.body.id
          }?entityRef=${encodeURIComponent(PG)}`,
        )
      ).status,
    ).toBe(403);
    const expired = await as(PETE).delete(
      `/api/monitoring/silences/${res.body.id}?entityRef=${encodeURIComponent(
        PG,
      )}`,
    );
    expect(expired.status).toBe(204);
    const inAm = (await silencesInAm()).find(s => s.id === res.body.id);
    expect(inAm.status.state).toBe('expired');
    expect(
      (await auditOf('silence-expire')).find(r => r.status === 'succeeded'),
    ).toMatchObject({
      actor: { ref: PETE },
      meta: { silenceId: res.body.id },
    });
  });

  it.each([
    ['no comment', { durationMinutes: 5 }],
    ['a blank comment', { durationMinutes: 5, comment: '   ' }],
    ['a zero duration', { durationMinutes: 0, comment: 'x' }],
    ['a duration over 7 days', { durationMinutes: 10081, comment: 'x' }],
    [
      'an unknown field',
      { durationMinutes: 5, comment: 'x', createdBy: 'someone-else' },
    ],
    [
      'a malformed fingerprint',
      { durationMinutes: 5, comment: 'x', alertFingerprint: 'zz' },
    ],
    [
      'a matcher that is not a label name',
      {
        durationMinutes: 5,
        comment: 'x',
        matchers: [{ name: 'a-b', value: 'x', isRegex: false, isEqual: true }],
      },
    ],
    [
      'a matcher for another namespace',
      {
        durationMinutes: 5,
        comment: 'x',
        matchers: [
          { name: 'namespace', value: 'risk', isRegex: false, isEqual: true },
        ],
      },
    ],
  ])(
    'answers 400 for a silence with %s, and creates nothing',
    async (_what, body) => {
      const before = (await silencesInAm()).length;
      const res = await as(PETE).post(`${PG_PATH}/silences`, body);
      expect(res.status).toBe(400);
      expect((await silencesInAm()).length).toBe(before);
    },
  );

  it('writes, lists, previews and deletes alert rules for the owner only', async () => {
    const spec = {
      name: 'HighErrorRatio',
      metric: 'error-ratio',
      comparison: '>',
      threshold: 5,
      forMinutes: 2,
      severity: 'warning',
    };
    expect(
      (await as(GARY).put(`${PG_PATH}/rules/HighErrorRatio`, spec)).status,
    ).toBe(403);
    expect(
      sim.store.list('monitoring.coreos.com/v1', 'PrometheusRule', NS),
    ).toHaveLength(0);
    expect((await as(PETE).put(`${PG_PATH}/rules/Other`, spec)).status).toBe(
      400,
    );
    expect(
      (
        await as(PETE).put(`${PG_PATH}/rules/HighErrorRatio`, {
          ...spec,
          comparison: '!=',
        })
      ).status,
    ).toBe(400);

    const created = await as(PETE).put(`${PG_PATH}/rules/HighErrorRatio`, spec);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      ...spec,
      summary: 'Error ratio (5xx) > 5 for 2 min',
    });
    expect(
      (
        await as(PETE).put(`${PG_PATH}/rules/HighErrorRatio`, {
          ...spec,
          threshold: 3,
        })
      ).status,
    ).toBe(200);
    expect(
      (await as(GARY).get(`${PG_PATH}/rules`)).body.map(
        (r: any) => r.threshold,
      ),
    ).toEqual([3]);
    const preview = await as(GARY).post(`${PG_PATH}/rules/preview`, spec);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      valid: true,
      expr: expect.stringContaining('> 5'),
    });
    expect(
      (await auditOf('rule-write')).filter(r => r.status === 'succeeded'),
    ).toHaveLength(2);

    expect(
      (await as(GARY).delete(`${PG_PATH}/rules/HighErrorRatio`)).status,
    ).toBe(403);
    expect(
      (await as(PETE).delete(`${PG_PATH}/rules/HighErrorRatio`)).status,
    ).toBe(204);
    expect(
      (await as(PETE).delete(`${PG_PATH}/rules/HighErrorRatio`)).status,
    ).toBe(404);
    expect(
      sim.store.list('monitoring.coreos.com/v1', 'PrometheusRule', NS),
    ).toHaveLength(0);
  });

  it('checks the alert center and noise queries and permission', async () => {
    expect(
      (await as(GARY).get('/api/monitoring/alerts?groupBy=colour')).status,
    ).toBe(400);
    expect((await as(GARY).get('/api/monitoring/noise?window=1h')).status).toBe(
      400,
    );
    expect((await as(GARY).get('/api/monitoring/noise')).status).toBe(403);
    const alerts = await as(GARY).get(
      '/api/monitoring/alerts?groupBy=severity',
    );
    expect(alerts.status).toBe(200);
    expect(alerts.body.map((g: any) => g.key)).toEqual(['warning']);
  });
});
