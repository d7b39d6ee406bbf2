/*
 * The alert center and the noise report, through the permission decorator,
 * against a real Alertmanager (alerts posted as Prometheus would) and a
 * real Prometheus holding an ALERTS history.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { readMonitoringConfig } from '../config/readConfig';
import {
  backfill,
  describeWithPrometheus,
  postAlerts,
  startAlertmanager,
  startPrometheus,
  Started,
} from '../__testUtils__/promStack';
import {
  fixtureOpenMetrics,
  NS,
  sampleEntities,
  WL,
} from '../__testUtils__/fixtures';
import { AuthorizedMonitoringService } from './AuthorizedMonitoringService';
import { DefaultMonitoringService } from './DefaultMonitoringService';

jest.setTimeout(60_000);

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';
const PAYMENTS = 'group:default/team-payments';
const RISK_TEAM = 'group:default/team-risk';

/**
 * A permissions service deciding like the fincloud policy would for one
 * user: monitoring.read on the listed entities, monitoring.noise.read when
 * `noise`. (The real policy, end to end, is in the permission matrix.)
 */
function permissionsFor(readable: string[], noise: boolean) {
  return mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => {
        const { permission } = r;
        const resourceRef = (r as { resourceRef?: string }).resourceRef;
        const allowed =
          permission.name === 'monitoring.noise.read'
            ? noise
            : permission.name === 'monitoring.read' &&
              !!resourceRef &&
              readable.includes(resourceRef);
        return {
          result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        };
      }),
  });
}

describeWithPrometheus('the alert center and the noise report', () => {
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let am: Started;
  let inner: DefaultMonitoringService;

  beforeAll(async () => {
    // One at a time, each assigned as it starts, so afterAll stops whatever did.
    prom = await backfill(fixtureOpenMetrics()).then(dataDir =>
      startPrometheus({ dataDir }),
    );
    am = await startAlertmanager();
    await postAlerts(am.url, [
      {
        labels: {
          alertname: 'HighErrorRatio',
          namespace: NS,
          workload: WL,
          severity: 'warning',
        },
        annotations: { summary: 'errors' },
      },
      {
        labels: {
          alertname: 'PodCrashLooping',
          namespace: NS,
          app: WL,
          severity: 'critical',
        },
      },
      {
        labels: {
          alertname: 'HighLatency',
          namespace: 'risk',
          workload: 'risk-engine',
          severity: 'warning',
        },
      },
      {
        labels: {
          alertname: 'DiskFull',
          namespace: 'infra',
          instance: 'node-1',
          severity: 'critical',
        },
        annotations: { description: 'disk /var is full' },
      },
    ]);
    inner = new DefaultMonitoringService({
      config: readMonitoringConfig(
        new ConfigReader({
          fincloud: {
            monitoring: {
              prometheus: [{ name: 'test', url: prom.url }],
              alertmanager: [{ name: 'test', url: am.url }],
            },
          },
        }),
      ),
      catalog: catalogServiceMock({ entities: sampleEntities() }),
      clusters: ConfigFincloudClusters.fromConfig(new ConfigReader({})),
      logger: mockServices.logger.mock(),
    });
  });
  afterAll(async () => {
    await Promise.all([prom?.stop(), am?.stop()]);
  });

  const as = (readable: string[], noise: boolean) =>
    new AuthorizedMonitoringService(inner, permissionsFor(readable, noise));
  const credentials = mockCredentials.user('user:default/oscar');

  const summary = (
    groups: Awaited<ReturnType<DefaultMonitoringService['alertCenter']>>,
  ) =>
    groups.map(g => [
      g.key,
      g.alerts.map(a => `${a.name}@${a.entityRef ?? '-'}`),
    ]);

  it('groups every firing alert by owning team, resolving entities from the labels; unowned alerts last', async () => {
    const groups = await as([PG, RISK], true).alertCenter(
      { groupBy: 'owner' },
      { credentials },
    );
    expect(summary(groups)).toEqual([
      [PAYMENTS, [`PodCrashLooping@${PG}`, `HighErrorRatio@${PG}`]],
      [RISK_TEAM, [`HighLatency@${RISK}`]],
      ['unowned', ['DiskFull@-']],
    ]);
    expect(groups[0].alerts[1]).toMatchObject({
      owner: PAYMENTS,
      system: 'system:default/core-banking',
      state: 'firing',
      source: 'alertmanager',
      summary: 'errors',
    });
    expect(groups[2].alerts[0].summary).toBe('disk /var is full');
  });

  it('groups by system and by severity, and filters', async () => {
    const service = as([PG, RISK], true);
    expect(
      summary(
        await service.alertCenter({ groupBy: 'system' }, { credentials }),
      ),
    ).toEqual([
      [
        'system:default/core-banking',
        [
          `PodCrashLooping@${PG}`,
          `HighErrorRatio@${PG}`,
          `HighLatency@${RISK}`,
        ],
      ],
      ['unowned', ['DiskFull@-']],
    ]);
    expect(
      summary(
        await service.alertCenter({ groupBy: 'severity' }, { credentials }),
      ),
    ).toEqual([
      ['critical', ['DiskFull@-', `PodCrashLooping@${PG}`]],
      ['warning', [`HighErrorRatio@${PG}`, `HighLatency@${RISK}`]],
    ]);
    expect(
      summary(
        await service.alertCenter(
          { groupBy: 'owner', severity: ['critical'], q: 'crash' },
          { credentials },
        ),
      ),
    ).toEqual([[PAYMENTS, [`PodCrashLooping@${PG}`]]]);
  });

  it('shows a user only the alerts of entities they may read, and no unowned alerts without the noise permission', async () => {
    expect(
      summary(
        await as([PG], false).alertCenter(
          { groupBy: 'owner' },
          { credentials },
        ),
      ),
    ).toEqual([[PAYMENTS, [`PodCrashLooping@${PG}`, `HighErrorRatio@${PG}`]]]);
    expect(
      await as([], false).alertCenter({ groupBy: 'owner' }, { credentials }),
    ).toEqual([]);
  });

  it('reports the rules that fired most and those that flap, from the ALERTS history', async () => {
    expect(await as([], true).noise('24h', { credentials })).toEqual({
      window: '24h',
      topRules: [
        { name: 'HighErrorRatio', firings: 3, entityRef: PG },
        { name: 'DiskFull', firings: 1 },
        { name: 'PodRestarts', firings: 1, entityRef: RISK },
      ],
      flapping: [{ name: 'HighErrorRatio', transitions: 6, entityRef: PG }],
    });
    const week = await as([], true).noise('7d', { credentials });
    expect(week.topRules[0]).toEqual({
      name: 'HighErrorRatio',
      firings: 3,
      entityRef: PG,
    });
  });

  it('keeps the noise report from those without monitoring.noise.read', async () => {
    await expect(
      as([PG, RISK], false).noise('24h', { credentials }),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
  });
});
