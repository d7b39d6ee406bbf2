import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters, fincloudClustersServiceRef } from './clusters';

jest.setTimeout(60_000);

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
    spec: { type: 'service', owner: 'team-payments' },
  };
}

describe('fincloud clusters', () => {
  let sim: ClusterSim;

  beforeAll(async () => {
    sim = await startClusterSim({ manualClock: true, trafficIntervalMs: 0 });
    sim.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'payment-gateway', namespace: 'payments' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'payment-gateway' } },
          template: {
            metadata: { labels: { app: 'payment-gateway' } },
            spec: { containers: [{ name: 'app', image: 'gateway:1' }] },
          },
        },
      },
    ]);
  });

  afterAll(async () => {
    await sim.stop();
  });

  const config = (clusters: object[]) =>
    new ConfigReader({ fincloud: { clusters: clusters as any } });
  const simCluster = () => ({
    name: 'sim',
    url: sim.url,
    serviceAccountToken: sim.token,
    skipTLSVerify: true,
  });

  it('reaches a configured cluster through the real client', async () => {
    const clusters = ConfigFincloudClusters.fromConfig(config([simCluster()]));
    const kc = clusters.getKubeConfig('sim');
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map(n => n.metadata?.name)).toContain('payments');
    const target = clusters.resolveWorkload(
      component({
        'fincloud.io/cluster': 'sim',
        'fincloud.io/namespace': 'payments',
      }),
    );
    expect(target).toEqual({
      cluster: { name: 'sim', url: sim.url },
      namespace: 'payments',
      workload: 'payment-gateway',
    });
    const deployment = await kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({
        name: target.workload,
        namespace: target.namespace,
      });
    expect(deployment.metadata?.name).toBe('payment-gateway');
  });

  it('verifies an HTTPS cluster against its configured CA', async () => {
    const tlsSim = await startClusterSim({
      manualClock: true,
      tls: true,
      trafficIntervalMs: 0,
    });
    try {
      const clusters = ConfigFincloudClusters.fromConfig(
        config([
          {
            name: 'tls',
            url: tlsSim.url,
            serviceAccountToken: tlsSim.token,
            caData: tlsSim.caData,
          },
        ]),
      );
      const namespaces = await clusters
        .getKubeConfig('tls')
        .makeApiClient(CoreV1Api)
        .listNamespace();
      expect(namespaces.items.map(n => n.metadata?.name)).toContain('default');
      const withoutCa = ConfigFincloudClusters.fromConfig(
        config([
          { name: 'tls', url: tlsSim.url, serviceAccountToken: tlsSim.token },
        ]),
      );
      await expect(
        withoutCa.getKubeConfig('tls').makeApiClient(CoreV1Api).listNamespace(),
      ).rejects.toThrow(/certificate/i);
    } finally {
      await tlsSim.stop();
    }
  });

  it('lists clusters without their credentials and never logs a token', () => {
    const logger = mockServices.logger.mock();
    const clusters = ConfigFincloudClusters.fromConfig(
      config([
        simCluster(),
        {
          name: 'prod-east',
          url: 'https://k8s.example.internal',
          serviceAccountToken: 'prod-secret-token',
          namespaces: ['payments'],
        },
      ]),
      { logger },
    );
    expect(clusters.listClusters()).toEqual([
      { name: 'sim', url: sim.url },
      {
        name: 'prod-east',
        url: 'https://k8s.example.internal',
        namespaces: ['payments'],
      },
    ]);
    expect(JSON.stringify(clusters.listClusters())).not.toContain('token');
    clusters.getKubeConfig('prod-east');
    const logged = JSON.stringify([
      ...logger.info.mock.calls,
      ...logger.debug.mock.calls,
    ]);
    expect(logged).not.toContain('prod-secret-token');
    expect(logged).not.toContain(sim.token);
    expect(() => clusters.getKubeConfig('nowhere')).toThrow(NotFoundError);
    expect(() => clusters.getKubeConfig('nowhere')).toThrow(
      'No cluster "nowhere" in fincloud.clusters',
    );
  });

  it('explains what is wrong with an entity or with the configuration', () => {
    const clusters = ConfigFincloudClusters.fromConfig(
      config([
        simCluster(),
        {
          name: 'restricted',
          url: 'https://k8s.example.internal',
          serviceAccountToken: 't',
          namespaces: ['web'],
        },
      ]),
    );
    expect(() => clusters.resolveWorkload(component({}))).toThrow(InputError);
    expect(() =>
      clusters.resolveWorkload(
        component({
          'fincloud.io/cluster': 'prod-west',
          'fincloud.io/namespace': 'payments',
        }),
      ),
    ).toThrow(
      /names cluster "prod-west" in fincloud.io\/cluster, but fincloud.clusters has no such cluster \(configured: "sim", "restricted"\)/,
    );
    expect(() =>
      clusters.resolveWorkload(
        component({
          'fincloud.io/cluster': 'restricted',
          'fincloud.io/namespace': 'payments',
        }),
      ),
    ).toThrow(NotAllowedError);
    const both = component({
      'fincloud.io/cluster': 'sim, restricted',
      'fincloud.io/namespace': 'web',
      'fincloud.io/workload': 'portal',
    });
    expect(
      clusters
        .resolveWorkloads(both)
        .map(t => `${t.cluster.name}/${t.namespace}/${t.workload}`),
    ).toEqual(['sim/web/portal', 'restricted/web/portal']);
    expect(
      clusters.resolveWorkload(both, { cluster: 'restricted' }).cluster.name,
    ).toBe('restricted');
    expect(() => clusters.resolveWorkload(both, { cluster: 'other' })).toThrow(
      /does not run in cluster "other"/,
    );

    expect(() =>
      ConfigFincloudClusters.fromConfig(config([simCluster(), simCluster()])),
    ).toThrow(/configured twice/);
    expect(() =>
      ConfigFincloudClusters.fromConfig(
        config([{ ...simCluster(), skipTLSVerify: false }]),
      ),
    ).toThrow(/plain http/);
    expect(() =>
      ConfigFincloudClusters.fromConfig(
        config([{ ...simCluster(), url: 'ftp://x' }]),
      ),
    ).toThrow(/https:\/\//);
    expect(() =>
      ConfigFincloudClusters.fromConfig(
        config([{ ...simCluster(), name: 'Sim Cluster' }]),
      ),
    ).toThrow(/lowercase/);
  });

  it('is a root service a backend plugin gets by depending on its ref (default factory)', async () => {
    let seen: string[] = [];
    const plugin = createBackendPlugin({
      pluginId: 'probe',
      register(env) {
        env.registerInit({
          deps: { clusters: fincloudClustersServiceRef },
          async init({ clusters }) {
            seen = clusters.listClusters().map(c => c.name);
            const kc = clusters.getKubeConfig('sim');
            await kc
              .makeApiClient(CoreV1Api)
              .readNamespace({ name: 'payments' });
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        plugin,
        mockServices.rootConfig.factory({
          data: { fincloud: { clusters: [simCluster()] } },
        }),
      ],
    });
    expect(seen).toEqual(['sim']);
    await backend.stop();
  });
});
