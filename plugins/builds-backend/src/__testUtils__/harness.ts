import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  BuildStatus,
  TriggerBuildRequest,
} from '@fincloud/plugin-builds-common';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { Knex } from 'knex';
import { BuildsConfig, readBuildsConfig } from '../config';
import { BuildController } from '../controller/BuildController';
import { BuildEvents } from '../controller/BuildEvents';
import { DatabaseBuildsStore } from '../database/DatabaseBuildsStore';
import { BuildRecord } from '../database/types';
import { ClusterClientCache } from '../kubernetes/clusterClients';
import { StaticBuildsRepoReader } from '../repo/BuildsRepoReader';
import { DefaultBuildsService } from '../service/DefaultBuildsService';

export const SEED = path.resolve(
  require.resolve('@fincloud/cluster-sim/package.json'),
  '..',
  'seed',
  'default.yaml',
);

export const PORTAL = 'component:default/user-portal';
export const GATEWAY = 'component:default/payment-gateway';

export function component(
  name: string,
  annotations: Record<string, string>,
  owner = 'team-payments',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner },
  };
}

export const ENTITIES: Entity[] = [
  component('user-portal', {
    'fincloud.io/cluster': 'sim',
    'fincloud.io/namespace': 'web',
    'fincloud.io/language': 'node',
    'fincloud.io/build-type': 'generic',
    'fincloud.io/source-repo':
      'https://git.fincloud.example/web/user-portal.git',
  }),
  component('payment-gateway', {
    'fincloud.io/cluster': 'sim',
    'fincloud.io/namespace': 'payments',
    'fincloud.io/language': 'java',
    'fincloud.io/build-type': 'compile-then-build',
    'fincloud.io/source-repo':
      'https://git.fincloud.example/payments/payment-gateway.git',
  }),
  component('no-builds', {
    'fincloud.io/cluster': 'sim',
    'fincloud.io/namespace': 'web',
  }),
];

/** Records what the controller announced. */
export class RecordingEvents implements BuildEvents {
  changes: Array<{ id: string; status: BuildStatus }> = [];
  progress = 0;
  changed(build: { id: string; status: BuildStatus }) {
    this.changes.push({ id: build.id, status: build.status });
  }
  progressed() {
    this.progress++;
  }
}

export interface HarnessOptions {
  builds?: Record<string, unknown>;
  knex: Knex;
  sim?: ClusterSim;
}

/**
 * A simulator (manual clock), the store on a test database, the controller
 * and the service, wired as the plugin wires them.
 */
export async function startHarness(options: HarnessOptions) {
  const sim =
    options.sim ?? (await startClusterSim({ manualClock: true, seed: SEED }));
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
      builds: {
        logs: { flushIntervalMs: 50, chunkLines: 400 },
        controller: { leaseSeconds: 2 },
        placement: {
          nodeSelector: { 'fincloud.io/pool': 'general' },
          tolerations: [
            {
              key: 'dedicated',
              operator: 'Equal',
              value: 'builds',
              effect: 'NoSchedule',
            },
          ],
        },
        ...options.builds,
      },
    },
  });
  const config: BuildsConfig = readBuildsConfig(rootConfig);
  const clusters = ConfigFincloudClusters.fromConfig(rootConfig);
  const store = await DatabaseBuildsStore.create({ database: options.knex });
  const events = new RecordingEvents();
  const auditor = mockServices.auditor.mock();
  const logger = mockServices.logger.mock();
  const makeController = (instanceId: string) =>
    new BuildController({
      store,
      clients: new ClusterClientCache(clusters),
      config,
      logger,
      events,
      auditor,
      instanceId,
      factsGraceMs: 10_000,
      followerPollMs: 30,
    });
  const controllers = [makeController('replica-1')];
  const service = (controller: BuildController) =>
    new DefaultBuildsService({
      store,
      config,
      catalog: catalogServiceMock({ entities: ENTITIES }),
      auth: mockServices.auth(),
      clusters,
      repoReader: new StaticBuildsRepoReader(),
      controller,
      events,
      logger,
    });

  const h = {
    sim,
    store,
    config,
    events,
    auditor,
    logger,
    controllers,
    get controller() {
      return controllers[0];
    },
    get service() {
      return service(controllers[0]);
    },
    /** A fresh controller (another replica, or the backend after a restart). */
    addController(instanceId: string) {
      const c = makeController(instanceId);
      controllers.push(c);
      return c;
    },
    async trigger(
      request: TriggerBuildRequest,
      entityRef = PORTAL,
      by = 'user:default/pete',
    ) {
      return service(controllers[0]).triggerBuild(entityRef, request, by);
    },
    async get(id: string): Promise<BuildRecord> {
      return (await store.getBuild(id))!;
    },
    /**
     * Moves simulator time in steps and lets every controller reconcile, until
     * `until` holds for the build (or gives up after `maxSteps`).
     */
    async drive(
      id: string,
      until: (b: BuildRecord) => boolean,
      {
        stepMs = 1000,
        maxSteps = 120,
      }: { stepMs?: number; maxSteps?: number } = {},
    ): Promise<BuildRecord> {
      for (let i = 0; i < maxSteps; i++) {
        for (const c of controllers) await c.reconcile(id);
        const build = await h.get(id);
        if (until(build)) return build;
        sim.clock.advance(stepMs);
        await new Promise(r => setTimeout(r, 40));
      }
      const build = await h.get(id);
      throw new Error(
        `build did not get there: ${JSON.stringify({
          status: build.status,
          error: build.error,
          steps: build.steps,
          logLines: build.logLines,
          logComplete: build.logComplete,
          cursor: build.logCursor,
        })}`,
      );
    },
    /** Waits (real time, clock still) until the condition holds. */
    async waitFor(
      id: string,
      until: (b: BuildRecord) => boolean,
      timeoutMs = 20_000,
    ): Promise<BuildRecord> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const c of controllers) await c.reconcile(id);
        const build = await h.get(id);
        if (until(build)) return build;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out: ${JSON.stringify({
              status: build.status,
              error: build.error,
              logLines: build.logLines,
              logComplete: build.logComplete,
              cursor: build.logCursor,
            })}`,
          );
        }
        await new Promise(r => setTimeout(r, 50));
      }
    },
    /** Every stored log line of a build. */
    async log(id: string): Promise<string[]> {
      const lines: string[] = [];
      for await (const chunk of store.streamLog(id)) lines.push(...chunk);
      return lines;
    },
    async stop() {
      for (const c of controllers) await c.stop();
      if (!options.sim) await sim.stop();
    },
  };
  return h;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
