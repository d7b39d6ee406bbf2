/*
 * The end-to-end path, live: the cluster simulator serving traffic and
 * metrics, a real Prometheus scraping it every second and evaluating the
 * rule files the development sync writes, a real Alertmanager receiving its
 * alerts. A rule written through the service becomes a PrometheusRule, a
 * rule file, an evaluated rule; raising the simulator's error ratio makes it
 * fire; the alert reaches the entity's alerts through Alertmanager and is
 * silenced there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { PrometheusClient } from './clients/PrometheusClient';
import { readMonitoringConfig } from './config/readConfig';
import { DefaultMonitoringService } from './service/DefaultMonitoringService';
import { PrometheusRuleStore } from './service/PrometheusRuleStore';
import { syncRules } from './tasks/ruleSync';
import {
  describeWithPrometheus,
  startAlertmanager,
  startPrometheus,
  Started,
} from './__testUtils__/promStack';
import { sampleEntities } from './__testUtils__/fixtures';
import { eventually, lastValue } from './__testUtils__/live';

jest.setTimeout(180_000);

const PG = 'component:default/payment-gateway';
const user = { credentials: mockCredentials.user('user:default/pete') };

describeWithPrometheus(
  'live: simulator → Prometheus → Alertmanager → the monitoring service',
  () => {
    let sim: ClusterSim;
    let prom: Awaited<ReturnType<typeof startPrometheus>>;
    let am: Started;
    let service: DefaultMonitoringService;
    let clusters: ConfigFincloudClusters;
    const rulesDir = mkdtempSync(join(tmpdir(), 'fincloud-live-rules-'));

    beforeAll(async () => {
      // One at a time, each assigned as it starts, so afterAll stops whatever did.
      sim = await startClusterSim({
        seed: require.resolve('@fincloud/cluster-sim/seed/default.yaml'),
      });
      am = await startAlertmanager();
      prom = await startPrometheus({
        scrape: [{ target: new URL(sim.url).host, labels: { cluster: 'sim' } }],
        ruleFiles: [join(rulesDir, '*.yml')],
        alertmanager: new URL(am.url).host,
      });
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
                  { name: 'sim', url: prom.url, scrapeIntervalSeconds: 1 },
                ],
                alertmanager: [{ name: 'sim', url: am.url }],
              },
            },
          }),
        ),
        catalog: catalogServiceMock({ entities: sampleEntities() }),
        clusters,
        logger: mockServices.logger.mock(),
      });
    });

    afterAll(async () => {
      await Promise.all([prom?.stop(), am?.stop(), sim?.stop()]);
      rmSync(rulesDir, { recursive: true, force: true });
    });

    const dashboard = () => {
      const now = Date.now();
      return service.dashboard(
        PG,
        { from: now - 120_000, to: now, step: 1 },
        user,
      );
    };

    it('draws live series of payment-gateway from the simulator through Prometheus', async () => {
      const d = await eventually('live request rate', async () => {
        const answer = await dashboard();
        const rate = lastValue(answer, 'request-rate');
        return rate && rate > 0 ? answer : undefined;
      });
      expect(d.versions.length).toBeGreaterThan(0);
      expect(lastValue(d, 'cpu')).toBeGreaterThan(0);
      expect(lastValue(d, 'memory')).toBeGreaterThan(0);
      expect(lastValue(d, 'ready-pods')).toBeGreaterThanOrEqual(1);
      expect(d.panels.every(p => !p.error)).toBe(true);
    });

    it('fires a rule written through the service when the error ratio rises, and silences it in Alertmanager', async () => {
      await service.putRule(
        PG,
        {
          name: 'PaymentsErrorsLive',
          metric: 'error-ratio',
          comparison: '>',
          threshold: 20,
          forMinutes: 0,
          severity: 'critical',
        },
        user,
      );
      await syncRules({
        store: new PrometheusRuleStore(clusters),
        clusters: ['sim'],
        directory: rulesDir,
        prometheus: new PrometheusClient({
          name: 'sim',
          url: prom.url,
          timeoutMs: 5000,
          scrapeIntervalSeconds: 1,
        }),
        logger: mockServices.logger.mock(),
      });
      await eventually('the rule loaded by Prometheus', async () => {
        const rules = await (await fetch(`${prom.url}/api/v1/rules`)).json();
        return rules.data.groups.length > 0 ? true : undefined;
      });
      expect(await service.alerts(PG, user)).toEqual([]);

      const res = await fetch(
        `${sim.url}/sim/deployments/payments/payment-gateway/behaviour`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${sim.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ errorRatio: 0.5 }),
        },
      );
      expect(res.ok).toBe(true);

      const alert = await eventually('the alert in Alertmanager', async () => {
        const alerts = await service.alerts(PG, user);
        return alerts.find(
          a => a.name === 'PaymentsErrorsLive' && a.source === 'alertmanager',
        );
      });
      expect(alert).toMatchObject({
        state: 'firing',
        severity: 'critical',
        entityRef: PG,
        labels: {
          namespace: 'payments',
          workload: 'payment-gateway',
          alertname: 'PaymentsErrorsLive',
        },
      });
      // The overview shows it too (its latest point may trail the rule's
      // evaluation by a scrape on a busy machine).
      const ratio = await eventually('the error ratio on the dashboard', async () => {
        const value = lastValue(await dashboard(), 'error-ratio');
        return value !== undefined && value > 20 ? value : undefined;
      }, 30_000);
      expect(ratio).toBeGreaterThan(20);

      const silence = await service.createSilence(
        PG,
        {
          alertFingerprint: alert.fingerprint,
          durationMinutes: 15,
          comment: 'live test',
        },
        user,
      );
      const silenced = (await service.alerts(PG, user)).find(
        a => a.name === 'PaymentsErrorsLive',
      );
      expect(silenced).toMatchObject({
        state: 'suppressed',
        silencedBy: [silence.id],
      });
    });
  },
);
