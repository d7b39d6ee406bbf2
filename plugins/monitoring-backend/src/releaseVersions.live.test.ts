/*
 * A service's dashboard through a release, live: the cluster simulator
 * serving traffic, a real Prometheus scraping it every second, the
 * monitoring service drawing the default panels.
 *
 * The cluster is changed through the Kubernetes API (client-node) the way
 * the releases plugin changes it (plugins/releases-backend, "What it does
 * to the cluster"): a second Deployment `payment-gateway-v2` whose pods are
 * labelled `app: payment-gateway, version: v2`, a DestinationRule with the
 * subsets `stable` / `canary` by version, a VirtualService whose `primary`
 * route splits the weights; at the end the new version becomes `stable` and
 * the original Deployment is scaled to 0. The service's Monitoring tab must
 * show both versions during the canary and keep showing the service after.
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { Dashboard } from '@fincloud/plugin-monitoring-common';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  V1Deployment,
} from '@kubernetes/client-node';
import { readMonitoringConfig } from './config/readConfig';
import { DefaultMonitoringService } from './service/DefaultMonitoringService';
import {
  describeWithPrometheus,
  startPrometheus,
} from './__testUtils__/promStack';
import { sampleEntities } from './__testUtils__/fixtures';
import { eventually, latestByVersion, panelOf } from './__testUtils__/live';

jest.setTimeout(180_000);

const PG = 'component:default/payment-gateway';
const NS = 'payments';
const APP = 'payment-gateway';
const CANARY = `${APP}-v2`;
const user = { credentials: mockCredentials.user('user:default/pete') };

const ISTIO = { group: 'networking.istio.io', version: 'v1beta1' };

function destinationRule(subsets: Record<'stable' | 'canary', string>) {
  return {
    apiVersion: `${ISTIO.group}/${ISTIO.version}`,
    kind: 'DestinationRule',
    metadata: { name: APP, namespace: NS },
    spec: {
      host: APP,
      subsets: Object.entries(subsets).map(([name, version]) => ({
        name,
        labels: { version },
      })),
    },
  };
}

function virtualService(weights: { stable: number; canary: number }) {
  return {
    apiVersion: `${ISTIO.group}/${ISTIO.version}`,
    kind: 'VirtualService',
    metadata: { name: APP, namespace: NS },
    spec: {
      hosts: [APP],
      http: [
        {
          name: 'primary',
          route: (['stable', 'canary'] as const).map(subset => ({
            destination: { host: APP, subset },
            weight: weights[subset],
          })),
        },
      ],
    },
  };
}

describeWithPrometheus(
  'live: a release’s versions on the service’s dashboard (simulator → Prometheus → the monitoring service)',
  () => {
    let sim: ClusterSim;
    let prom: Awaited<ReturnType<typeof startPrometheus>>;
    let service: DefaultMonitoringService;
    let apps: AppsV1Api;
    let core: CoreV1Api;
    let custom: CustomObjectsApi;

    beforeAll(async () => {
      // One at a time, each assigned as it starts, so afterAll stops whatever did.
      sim = await startClusterSim({
        seed: require.resolve('@fincloud/cluster-sim/seed/default.yaml'),
      });
      prom = await startPrometheus({
        scrape: [{ target: new URL(sim.url).host, labels: { cluster: 'sim' } }],
      });
      const kc = sim.kubeConfig();
      apps = kc.makeApiClient(AppsV1Api);
      core = kc.makeApiClient(CoreV1Api);
      custom = kc.makeApiClient(CustomObjectsApi);
      service = new DefaultMonitoringService({
        config: readMonitoringConfig(
          new ConfigReader({
            fincloud: {
              monitoring: {
                prometheus: [
                  { name: 'sim', url: prom.url, scrapeIntervalSeconds: 1 },
                ],
              },
            },
          }),
        ),
        catalog: catalogServiceMock({ entities: sampleEntities() }),
        clusters: ConfigFincloudClusters.fromConfig(
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
        ),
        logger: mockServices.logger.mock(),
      });
    });

    afterAll(async () => {
      await Promise.all([prom?.stop(), sim?.stop()]);
    });

    /** The dashboard of the last `seconds`, at a 1 s step. */
    const dashboard = (seconds: number) => {
      const now = Date.now();
      return service.dashboard(
        PG,
        { from: now - seconds * 1000, to: now, step: 1 },
        user,
      );
    };

    /** What Prometheus answers for an instant query now. */
    const instant = async (query: string) => {
      const res = await fetch(
        `${prom.url}/api/v1/query?${new URLSearchParams({ query })}`,
      );
      const body = await res.json();
      return body.data.result as Array<{ value: [number, string] }>;
    };

    const replace = async (
      plural: 'destinationrules' | 'virtualservices',
      body: { metadata: { name: string } },
    ) => {
      const current: any = await custom.getNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural,
        name: body.metadata.name,
      });
      await custom.replaceNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural,
        name: body.metadata.name,
        body: {
          ...body,
          metadata: {
            ...body.metadata,
            resourceVersion: current.metadata.resourceVersion,
          },
        },
      });
    };

    it('shows the stable and the canary version side by side while a canary takes part of the traffic', async () => {
      // Before: one Deployment, one version.
      await eventually('traffic of the seeded service', async () => {
        const d = await dashboard(60);
        return d.versions.length > 0 ? d : undefined;
      });

      // The canary, as the releases plugin writes it: a copy of the stable
      // Deployment's pod template with the new image and version.
      const stable = await apps.readNamespacedDeployment({
        name: APP,
        namespace: NS,
      });
      const template = JSON.parse(JSON.stringify(stable.spec!.template));
      template.metadata.labels = {
        ...template.metadata.labels,
        app: APP,
        version: 'v2',
      };
      for (const c of template.spec.containers) {
        c.image = c.image.replace(/:[^:/]+$/, ':2.8.0');
      }
      const canary: V1Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: CANARY,
          namespace: NS,
          labels: { app: APP, version: 'v2' },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: APP, version: 'v2' } },
          template,
        },
      };
      await apps.createNamespacedDeployment({ namespace: NS, body: canary });
      await custom.createNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural: 'destinationrules',
        body: destinationRule({ stable: 'v1', canary: 'v2' }),
      });
      await custom.createNamespacedCustomObject({
        ...ISTIO,
        namespace: NS,
        plural: 'virtualservices',
        body: virtualService({ stable: 75, canary: 25 }),
      });

      await eventually<Dashboard>(
        'both versions on the dashboard',
        async () => {
          const answer = await dashboard(60);
          const rate = latestByVersion(answer, 'request-rate');
          const cpu = latestByVersion(answer, 'cpu');
          return (rate.v1 ?? 0) > 0 &&
            (rate.v2 ?? 0) > 0 &&
            (cpu.v2 ?? 0) > 0 &&
            latestByVersion(answer, 'ready-pods')[''] === 4
            ? answer
            : undefined;
        },
      );
      // Ten more seconds of the split, so each version's rate is steady.
      await new Promise(r => setTimeout(r, 10_000));
      const d = await dashboard(60);
      expect(d.panels.every(p => !p.error)).toBe(true);
      // The request-rate panel: one series per version, and the versions the
      // UI offers as a filter.
      expect(
        panelOf(d, 'request-rate').series.map(s => s.labels.version),
      ).toEqual(['v1', 'v2']);
      expect(d.versions).toEqual(['v1', 'v2']);
      // The canary gets about its 25 % (averaged over the last 8 s).
      const mean = (version: string) => {
        const points = panelOf(d, 'request-rate')
          .series.find(s => s.labels.version === version)!
          .points.slice(-8)
          .map(([, v]) => v ?? 0);
        return points.reduce((a, b) => a + b, 0) / points.length;
      };
      const share = mean('v2') / (mean('v1') + mean('v2'));
      expect(share).toBeGreaterThan(0.1);
      expect(share).toBeLessThan(0.4);
      // CPU and memory include the canary's pod, drawn as its own version;
      // ready pods count the pods of both Deployments (3 + 1).
      expect(panelOf(d, 'cpu').series.map(s => s.labels.version)).toEqual([
        'v1',
        'v2',
      ]);
      expect(latestByVersion(d, 'memory').v2).toBeGreaterThan(0);

      // Asked for v2 only: the canary's series, every panel.
      const now = Date.now();
      const onlyV2 = await service.dashboard(
        PG,
        { from: now - 30_000, to: now, step: 1, version: 'v2' },
        user,
      );
      for (const id of ['request-rate', 'latency-p99', 'cpu', 'memory']) {
        expect({
          id,
          versions: panelOf(onlyV2, id).series.map(s => s.labels.version),
        }).toEqual({ id, versions: ['v2'] });
      }
      expect(latestByVersion(onlyV2, 'ready-pods')['']).toBe(1);
    });

    it('still shows the service once the release has succeeded and the original Deployment is scaled to 0', async () => {
      // The end of a successful canary: the new version becomes the stable
      // subset and takes all the traffic; the old Deployment goes to 0.
      await replace(
        'destinationrules',
        destinationRule({ stable: 'v2', canary: 'v2' }),
      );
      await replace(
        'virtualservices',
        virtualService({ stable: 100, canary: 0 }),
      );
      const scale = await apps.readNamespacedDeploymentScale({
        name: APP,
        namespace: NS,
      });
      await apps.replaceNamespacedDeploymentScale({
        name: APP,
        namespace: NS,
        body: { ...scale, spec: { replicas: 0 } },
      });
      await eventually(
        'the pods of the original Deployment gone',
        async () => {
          const pods = await core.listNamespacedPod({
            namespace: NS,
            labelSelector: `app=${APP},version=v1`,
          });
          return pods.items.length === 0 ? true : undefined;
        },
        120_000,
      );

      const d = await eventually<Dashboard>(
        'the service on the dashboard after the release',
        async () => {
          const answer = await dashboard(8);
          return answer.versions.join() === 'v2' &&
            panelOf(answer, 'cpu').series.length === 1 &&
            latestByVersion(answer, 'ready-pods')[''] === 1
            ? answer
            : undefined;
        },
      );
      expect(d.panels.every(p => !p.error)).toBe(true);
      expect(latestByVersion(d, 'request-rate').v2).toBeGreaterThan(10);
      expect(latestByVersion(d, 'error-ratio').v2).toBeLessThan(5);
      expect(latestByVersion(d, 'latency-p50').v2).toBeGreaterThan(0);
      expect(latestByVersion(d, 'cpu')).toEqual({ v2: expect.any(Number) });
      expect(latestByVersion(d, 'cpu').v2).toBeGreaterThan(0);
      expect(latestByVersion(d, 'memory').v2).toBeGreaterThan(0);

      // What selecting by the Deployment's name would have drawn now: the
      // original Deployment serves nothing.
      const byDeployment = await instant(
        `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${NS}",destination_workload="${APP}"}[5s]))`,
      );
      expect(byDeployment.map(r => Number(r.value[1]))).toEqual([0]);
    });
  },
);
