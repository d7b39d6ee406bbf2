import { TestDatabases } from '@backstage/backend-test-utils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Knex } from 'knex';
import {
  Harness,
  SEED,
  component,
  liveWeights,
  startHarness,
  virtualService,
} from '../__testUtils__/harness';
import { StoredRelease } from '../database/ReleaseStore';
import { ReleaseController } from '../tasks/ReleaseController';
import { SimulatedCrash } from './ReleaseEngine';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const PETE = 'user:default/pete';
const PAULA = 'user:default/paula';
const OLGA = 'user:default/olga';
const IMAGE = 'registry.fincloud.example/payments/payment-gateway:2.8.0';
const LEASE_MS = 30_000;

describe.each(databases.eachSupportedId())(
  'the release controller on %p',
  databaseId => {
    let sim: ClusterSim;
    let knex: Knex;
    let h: Harness;

    beforeEach(async () => {
      sim = await startClusterSim({ manualClock: true, seed: SEED });
      knex = await databases.init(databaseId);
      sim.clock.advance(15_000);
    });

    afterEach(async () => {
      await sim.stop();
    });

    async function state(id: string) {
      return (await h.store.get(id))!;
    }

    it('resumes after a crash between every intent write and its apply, applying each intent exactly once', async () => {
      // Every instance dies the first time it is about to apply a generation it
      // has not seen crash yet: the intent is durable, the cluster untouched.
      const crashedAt = new Set<number>();
      const applied: number[] = [];
      const hooks = {
        beforeApply(s: StoredRelease) {
          if (!crashedAt.has(s.intentGeneration)) {
            crashedAt.add(s.intentGeneration);
            throw new SimulatedCrash(
              `crash before applying generation ${s.intentGeneration}`,
            );
          }
        },
        afterApply(s: StoredRelease) {
          applied.push(s.intentGeneration);
        },
      };
      h = await startHarness({
        knex,
        sim,
        hooks,
        releases: {
          defaultApprovals: 1,
          controller: { leaseSeconds: LEASE_MS / 1000 },
        },
      });
      const release = await h.service.create(
        component('payment-gateway'),
        {
          image: IMAGE,
          strategy: 'canary',
          steps: [
            { weight: 10, pause: { seconds: 20 } },
            { weight: 50 },
            { weight: 100 },
          ],
        },
        { ref: PETE },
      );
      // Approval: the transition is written, then the backend dies before the cluster hears of it.
      await expect(
        h.service.act(release.id, { type: 'approve', by: PAULA, reason: 'ok' }),
      ).rejects.toThrow(SimulatedCrash);
      expect((await state(release.id)).record.release.state).toBe(
        'progressing',
      );
      expect((await state(release.id)).intentGeneration).toBe(1);
      expect(
        sim.store
          .list('apps/v1', 'Deployment', 'payments')
          .map((d: any) => d.metadata.name),
      ).toEqual(['payment-gateway']);

      let instance = 0;
      let controller: ReleaseController = h.another({
        hooks,
        instanceId: `backend-${++instance}`,
      }).controller;
      const before: Array<Record<string, number>> = [];
      const crashes: unknown[] = [];
      for (
        let i = 0;
        i < 40 &&
        (await state(release.id)).record.release.state !== 'succeeded';
        i++
      ) {
        try {
          await controller.tick();
          sim.clock.advance(5_000);
        } catch (error) {
          crashes.push(error);
          // Killed between the write and the apply: the cluster still shows the previous step.
          before.push(liveWeights(sim, 'payments', 'payment-gateway'));
          // A new backend takes over once the dead one's lease has run out.
          sim.clock.advance(LEASE_MS + 1);
          controller = h.another({
            hooks,
            instanceId: `backend-${++instance}`,
          }).controller;
        }
      }
      expect(crashes.every(e => e instanceof SimulatedCrash)).toBe(true);
      const final = await state(release.id);
      expect(final.record.release.state).toBe('succeeded');
      expect(final.appliedGeneration).toBe(final.intentGeneration);
      // Every generation crashed once, and was applied once afterwards.
      expect([...crashedAt].sort()).toEqual(
        Array.from({ length: final.intentGeneration }, (_, i) => i + 1),
      );
      expect(applied).toEqual(
        Array.from({ length: final.intentGeneration }, (_, i) => i + 1),
      );
      // (The first crash was in the approval request, before any VirtualService existed.)
      expect(before).toEqual([
        { stable: 90, canary: 10 },
        { stable: 50, canary: 50 },
        { stable: 0, canary: 100 },
      ]);
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 100,
      });
    });

    it('never applies an intent twice when two backends race', async () => {
      const applies: Array<{ instance: string; generation: number }> = [];
      h = await startHarness({ knex, sim });
      const racers = ['backend-a', 'backend-b'].map(instanceId =>
        h.another({
          instanceId,
          hooks: {
            afterApply: s => {
              applies.push({
                instance: instanceId,
                generation: s.intentGeneration,
              });
            },
          },
        }),
      );
      const release = await racers[0].service.create(
        component('payment-gateway'),
        {
          image: IMAGE,
          strategy: 'canary',
          steps: [
            { weight: 10 },
            { weight: 30 },
            { weight: 60 },
            { weight: 100 },
          ],
        },
        { ref: PETE },
      );
      for (
        let i = 0;
        i < 30 &&
        (await state(release.id)).record.release.state !== 'succeeded';
        i++
      ) {
        sim.clock.advance(5_000);
        // Both controllers tick at once, and a person promotes through the other backend meanwhile.
        await Promise.all([
          racers[0].controller.tick(),
          racers[1].controller.tick(),
          i === 2
            ? racers[1].service
                .act(release.id, { type: 'promote', by: PETE, full: false })
                .catch(() => undefined)
            : undefined,
        ]);
      }
      const final = await state(release.id);
      expect(final.record.release.state).toBe('succeeded');
      const generations = applies.map(a => a.generation);
      expect(generations).toEqual(
        [...new Set(generations)].sort((a, b) => a - b),
      );
      expect(generations).toEqual(
        Array.from({ length: final.intentGeneration }, (_, i) => i + 1),
      );
      // Which backend wins each race is up to timing (usually both win
      // some); what matters is above: every intent applied exactly once.
    });

    it('detects a VirtualService edited by hand, shows it, does not overwrite it, and re-applies on resume', async () => {
      h = await startHarness({ knex, sim });
      const release = await h.service.create(
        component('payment-gateway'),
        {
          image: IMAGE,
          strategy: 'canary',
          steps: [{ weight: 10, pause: { seconds: 60 } }, { weight: 100 }],
        },
        { ref: PETE },
      );
      await h.advance(10_000);
      await h.advance(1_000);
      expect((await state(release.id)).record.release.state).toBe('paused');
      // Someone shifts traffic with kubectl.
      const custom = sim.kubeConfig().makeApiClient(CustomObjectsApi);
      const vs: any = virtualService(sim, 'payments', 'payment-gateway');
      const edited = JSON.parse(JSON.stringify(vs));
      edited.spec.http[0].route[0].weight = 50;
      edited.spec.http[0].route[1].weight = 50;
      await custom.replaceNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1beta1',
        namespace: 'payments',
        plural: 'virtualservices',
        name: 'payment-gateway',
        body: edited,
      });
      await h.advance(1_000);
      const drifted = (await state(release.id)).record.release;
      expect(drifted).toMatchObject({
        state: 'paused',
        reason: 'drift',
        drift: {
          details:
            'VirtualService payments/payment-gateway was edited outside fincloud: weights stable 50 / canary 50, fincloud applied 90 / 10',
        },
      });
      // The timed pause ends, but nothing advances and the hand edit stays.
      await h.advance(60_000);
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 50,
        canary: 50,
      });
      expect((await state(release.id)).record.release.currentStep).toBe(0);
      await expect(
        h.service.act(release.id, { type: 'promote', by: PETE, full: false }),
      ).rejects.toThrow(/drift/);
      // A person decides: resume re-applies the release's weights.
      const resumed = await h.service.act(release.id, {
        type: 'resume',
        by: PETE,
      });
      expect(resumed.drift).toBeUndefined();
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 90,
        canary: 10,
      });
    });

    it('retries a resourceVersion conflict, and fails a release the cluster keeps refusing (then restores it)', async () => {
      h = await startHarness({
        knex,
        sim,
        releases: { controller: { maxApplyAttempts: 3 } },
      });
      // Two conflicting writes: read again and succeed, without counting as failures.
      sim.faults.conflictStorm({
        resources: ['virtualservices.networking.istio.io'],
        count: 2,
      });
      const release = await h.service.create(
        component('payment-gateway'),
        {
          image: IMAGE,
          strategy: 'canary',
          steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
        },
        { ref: PETE },
      );
      sim.clock.advance(10_000);
      // The first apply creates the VirtualService; the conflicts hit the next updates.
      for (let i = 0; i < 6; i++) await h.advance(2_000);
      let s = await state(release.id);
      expect(sim.faults.list()).toEqual([]); // both conflicts were hit
      expect(s.record.internal.applyFailures).toBe(0);
      expect(s.record.release.currentStep).toBeGreaterThanOrEqual(1);

      sim.faults.failRequests({
        verbs: ['update', 'create', 'patch'],
        resources: ['virtualservices.networking.istio.io'],
        status: 500,
        message: 'etcdserver: request timed out',
      });
      const promoted = await h.service.act(release.id, {
        type: 'promote',
        by: PETE,
        full: true,
      });
      expect(promoted.state).toBe('progressing');
      // The new pods come up; then every write of the VirtualService fails.
      for (let i = 0; i < 6; i++) await h.advance(5_000);
      s = await state(release.id);
      expect(s.record.release.state).toBe('failed');
      expect(s.record.release.reason).toBe(
        'could not apply to the cluster: 500 Internal error occurred: etcdserver: request timed out (after 3 attempts)',
      );
      // The cluster comes back: the controller restores the stable version.
      sim.faults.clear();
      await h.advance(2_000);
      s = await state(release.id);
      expect(s.appliedGeneration).toBe(s.intentGeneration);
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 100,
      });
    });

    it('waits for N-of-M approvals through the store, ignoring expired ones', async () => {
      h = await startHarness({ knex, sim, releases: { approvalTtl: '2m' } });
      const release = await h.service.create(
        component('payment-gateway', {
          'fincloud.io/release-approvals': '2-of-3',
        }),
        { image: IMAGE, strategy: 'canary', steps: [{ weight: 100 }] },
        { ref: PETE },
      );
      expect(release).toMatchObject({
        state: 'awaiting-approval',
        requiredApprovals: 2,
      });
      await h.service.act(release.id, {
        type: 'approve',
        by: PAULA,
        reason: 'fine',
      });
      sim.clock.advance(120_000 + 1);
      const late = await h.service.act(release.id, {
        type: 'approve',
        by: OLGA,
        reason: 'fine too',
      });
      expect(late.state).toBe('awaiting-approval');
      const again = await h.service.act(release.id, {
        type: 'approve',
        by: PAULA,
        reason: 'still fine',
      });
      expect(again.state).toBe('progressing');
      expect(again.approvals.map(a => a.by)).toEqual([PAULA, OLGA, PAULA]);
    });
  },
);
