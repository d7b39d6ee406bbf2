import { dirname, join } from 'node:path';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { Knex } from 'knex';
import { ReleaseCluster } from '../cluster/ReleaseCluster';
import { readReleasesConfig, ReleasesConfig } from '../config';
import { DatabaseReleaseStore } from '../database/DatabaseReleaseStore';
import { MetricsProvider } from '../metrics/MetricsProvider';
import { DefaultReleaseService } from '../service/DefaultReleaseService';
import { EngineHooks, ReleaseEngine } from '../service/ReleaseEngine';
import { ReleaseController } from '../tasks/ReleaseController';

export const SEED = join(
  dirname(require.resolve('@fincloud/cluster-sim/package.json')),
  'seed',
  'default.yaml',
);

/** The sample catalog's services, as the catalog serves them (catalog/systems.yaml). */
export function component(
  name: 'payment-gateway' | 'user-portal' | 'risk-engine',
  annotations: Record<string, string> = {},
): Entity {
  const ns = {
    'payment-gateway': 'payments',
    'user-portal': 'web',
    'risk-engine': 'risk',
  }[name];
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'fincloud.io/cluster': 'sim',
        'fincloud.io/namespace': ns,
        'fincloud.io/workload': name,
        'fincloud.io/scheduling-profile':
          name === 'risk-engine' ? 'high-performance' : 'general',
        ...annotations,
      },
    },
    spec: {
      type: 'service',
      owner: name === 'risk-engine' ? 'team-risk' : 'team-payments',
      system: 'core-banking',
    },
  };
}

export interface RecordedEvent {
  options: AuditorServiceCreateEventOptions;
  status: 'initiated' | 'succeeded' | 'failed';
  error?: string;
}

/** An auditor that keeps what it is given, for asserting the events of automatic transitions. */
export function recordingAuditor(): AuditorService & {
  events: RecordedEvent[];
} {
  const events: RecordedEvent[] = [];
  return {
    events,
    async createEvent(options) {
      const event: RecordedEvent = { options, status: 'initiated' };
      events.push(event);
      return {
        async success() {
          event.status = 'succeeded';
        },
        async fail(o) {
          event.status = 'failed';
          event.error = String(o.error?.message ?? o.error);
        },
      };
    },
  };
}

export interface Harness {
  sim: ClusterSim;
  config: ReleasesConfig;
  store: DatabaseReleaseStore;
  engine: ReleaseEngine;
  service: DefaultReleaseService;
  controller: ReleaseController;
  auditor: ReturnType<typeof recordingAuditor>;
  /** A second engine + controller on the same database and cluster (another backend). */
  another(options?: { hooks?: EngineHooks; instanceId?: string }): {
    engine: ReleaseEngine;
    service: DefaultReleaseService;
    controller: ReleaseController;
  };
  /** Moves the simulator's clock on, then runs one controller tick. */
  advance(ms: number): Promise<void>;
}

export async function startHarness(options: {
  knex: Knex;
  sim?: ClusterSim;
  releases?: Record<string, unknown>;
  hooks?: EngineHooks;
  metrics?: MetricsProvider;
  manualClock?: boolean;
}): Promise<Harness> {
  const sim =
    options.sim ??
    (await startClusterSim({
      manualClock: options.manualClock ?? true,
      seed: SEED,
    }));
  const rootConfig = new ConfigReader({
    fincloud: {
      clusters: [
        {
          name: 'sim',
          url: sim.url,
          serviceAccountToken: sim.token,
          skipTLSVerify: true,
        },
      ],
      releases: {
        defaultApprovals: 0,
        ...(options.releases ?? {}),
      },
    },
  });
  const config = readReleasesConfig(rootConfig);
  const clusters = ConfigFincloudClusters.fromConfig(rootConfig);
  const store = await DatabaseReleaseStore.create({ database: options.knex });
  const logger = mockServices.logger.mock();
  const auditor = recordingAuditor();
  const make = (hooks?: EngineHooks, instanceId = 'backend-a') => {
    const engine = new ReleaseEngine({
      store,
      cluster: new ReleaseCluster(name => clusters.getKubeConfig(name)),
      config,
      logger,
      auditor,
      metrics: options.metrics,
      clock: () => sim.clock.now(),
      instanceId,
      hooks,
    });
    const service = new DefaultReleaseService({
      engine,
      clusters,
      config,
      logger,
      metrics: options.metrics,
    });
    return {
      engine,
      service,
      controller: new ReleaseController(engine, logger, 8),
    };
  };
  const main = make(options.hooks);
  return {
    sim,
    config,
    store,
    ...main,
    auditor,
    another: o => make(o?.hooks, o?.instanceId ?? 'backend-b'),
    async advance(ms) {
      if (options.manualClock ?? true) sim.clock.advance(ms);
      await main.controller.tick();
    },
  };
}

/** Reads a VirtualService as the cluster has it. */
export function virtualService(
  sim: ClusterSim,
  namespace: string,
  name: string,
): any {
  return sim.store.get(
    'networking.istio.io/v1beta1',
    'VirtualService',
    namespace,
    name,
  );
}

export function deployment(
  sim: ClusterSim,
  namespace: string,
  name: string,
): any {
  return sim.store.get('apps/v1', 'Deployment', namespace, name);
}

/** The primary route's weights by subset, as the traffic actually splits. */
export function liveWeights(sim: ClusterSim, namespace: string, name: string) {
  const vs = virtualService(sim, namespace, name);
  const primary = vs?.spec?.http?.find((r: any) => r.name === 'primary');
  const out: Record<string, number> = {};
  for (const d of primary?.route ?? []) out[d.destination.subset] = d.weight;
  return out;
}
