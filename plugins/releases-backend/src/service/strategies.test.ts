import { TestDatabases } from '@backstage/backend-test-utils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import {
  Harness,
  SEED,
  component,
  deployment,
  liveWeights,
  startHarness,
  virtualService,
} from '../__testUtils__/harness';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const PETE = 'user:default/pete';
const PAULA = 'user:default/paula';

describe.each(databases.eachSupportedId())(
  'release strategies on %p',
  databaseId => {
    let sim: ClusterSim;
    let h: Harness;

    beforeEach(async () => {
      sim = await startClusterSim({ manualClock: true, seed: SEED });
      h = await startHarness({
        knex: await databases.init(databaseId),
        sim,
        releases: { blueGreen: { warmSeconds: 120 } },
      });
      // The seed's pods start and become ready.
      sim.clock.advance(15_000);
    });

    afterEach(async () => {
      await sim.stop();
    });

    it('runs a full canary: a version Deployment, subsets by version, weights step by step, old version scaled down', async () => {
      const release = await h.service.create(
        component('payment-gateway'),
        {
          image: 'registry.fincloud.example/payments/payment-gateway:2.8.0',
          strategy: 'canary',
          steps: [
            { weight: 10, pause: { seconds: 30 } },
            { weight: 50 },
            { weight: 100 },
          ],
        },
        { ref: PETE },
      );
      expect(release).toMatchObject({
        state: 'progressing',
        version: '2.8.0',
        stableVersion: 'v1',
        currentStep: 0,
        weights: { stable: 100, canary: 0 },
      });
      // The new version's Deployment exists, labelled with its version; traffic
      // waits until a pod of it is available.
      const canary = deployment(sim, 'payments', 'payment-gateway-2.8.0');
      expect(canary.spec.selector.matchLabels).toEqual({
        app: 'payment-gateway',
        version: '2.8.0',
      });
      expect(canary.spec.template.spec.containers[0].image).toBe(
        'registry.fincloud.example/payments/payment-gateway:2.8.0',
      );
      expect(canary.spec.replicas).toBe(1);
      expect(
        virtualService(sim, 'payments', 'payment-gateway'),
      ).toBeUndefined();

      await h.advance(10_000); // the canary pod becomes ready; routes applied
      const dr = sim.store.get(
        'networking.istio.io/v1beta1',
        'DestinationRule',
        'payments',
        'payment-gateway',
      ) as any;
      expect(dr.spec.subsets).toEqual([
        { name: 'stable', labels: { version: 'v1' } },
        { name: 'canary', labels: { version: '2.8.0' } },
      ]);
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 90,
        canary: 10,
      });
      await h.advance(1_000); // observed ready → timed pause
      let current = (await h.store.get(release.id))!.record.release;
      expect(current).toMatchObject({
        state: 'paused',
        weights: { stable: 90, canary: 10 },
      });

      await h.advance(30_000); // pause over → step 2
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 50,
        canary: 50,
      });
      await h.advance(10_000); // second canary pod ready
      await h.advance(1_000);
      current = (await h.store.get(release.id))!.record.release;
      expect(current.currentStep).toBe(2);
      await h.advance(10_000);
      await h.advance(1_000);
      await h.advance(10_000);
      current = (await h.store.get(release.id))!.record.release;
      expect(current.state).toBe('succeeded');
      expect(current.weights).toEqual({ stable: 0, canary: 100 });
      expect(current.steps.map(s => s.status)).toEqual([
        'done',
        'done',
        'done',
      ]);
      // The new version is now the stable subset; the old Deployment is scaled down.
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 100,
      });
      const finalDr = sim.store.get(
        'networking.istio.io/v1beta1',
        'DestinationRule',
        'payments',
        'payment-gateway',
      ) as any;
      expect(finalDr.spec.subsets).toEqual([
        { name: 'stable', labels: { version: '2.8.0' } },
      ]);
      expect(deployment(sim, 'payments', 'payment-gateway').spec.replicas).toBe(
        0,
      );
      expect(
        deployment(sim, 'payments', 'payment-gateway-2.8.0').spec.replicas,
      ).toBe(3);
      expect(current.history!.map(t => `${t.to}: ${t.reason ?? ''}`)).toEqual([
        'progressing: step 1 of 3: 10 % to 2.8.0',
        'paused: ',
        'progressing: step 2 of 3: 50 % to 2.8.0',
        'progressing: step 3 of 3: 100 % to 2.8.0',
        'progressing: 2.8.0 becomes the stable version; the old one is scaled down',
        'succeeded: ',
      ]);
      // Every automatic transition is an audit event with the entity ref.
      const transitions = h.auditor.events.filter(
        e => e.options.eventId === 'release-transition',
      );
      expect(transitions.length).toBeGreaterThanOrEqual(3);
      expect(transitions[0].options.meta).toMatchObject({
        entityRef: 'component:default/payment-gateway',
        releaseId: release.id,
      });

      // The next release starts from the new stable Deployment.
      const next = await h.service.create(
        component('payment-gateway'),
        {
          image: 'registry.fincloud.example/payments/payment-gateway:2.9.0',
          strategy: 'canary',
          steps: [{ weight: 100 }],
        },
        { ref: PETE },
      );
      expect(next.stableVersion).toBe('2.8.0');
    });

    it('runs a blue-green release: preview Service, switch at once, warm old version, switch back', async () => {
      const release = await h.service.create(
        component('user-portal'),
        {
          image: 'registry.fincloud.example/web/user-portal:3.3.0',
          strategy: 'blue-green',
          steps: [{ weight: 0, pause: { seconds: 60 } }, { weight: 100 }],
        },
        { ref: PETE },
      );
      expect(release.blueGreen).toEqual({
        previewService: 'user-portal-preview',
        activeColor: 'blue',
      });
      expect(deployment(sim, 'web', 'user-portal-3.3.0').spec.replicas).toBe(2);
      await h.advance(10_000);
      const preview = sim.store.get(
        'v1',
        'Service',
        'web',
        'user-portal-preview',
      ) as any;
      expect(preview.spec.selector).toEqual({
        app: 'user-portal',
        version: '3.3.0',
      });
      // The preview: green runs at full size, reachable through its own Service, no user traffic.
      expect(liveWeights(sim, 'web', 'user-portal')).toEqual({
        stable: 100,
        canary: 0,
      });
      expect((await h.store.get(release.id))!.record.release.state).toBe(
        'paused',
      );
      await h.advance(60_000); // preview time over → the switch, all at once
      expect(liveWeights(sim, 'web', 'user-portal')).toEqual({
        stable: 0,
        canary: 100,
      });
      let current = (await h.store.get(release.id))!.record.release;
      expect(current.blueGreen!.activeColor).toBe('green');
      await h.advance(1_000);
      current = (await h.store.get(release.id))!.record.release;
      expect(current.state).toBe('progressing');
      expect(current.blueGreen!.warmUntil).toBeDefined();
      // Blue is kept warm: both versions still have every replica.
      expect(deployment(sim, 'web', 'user-portal').spec.replicas).toBe(2);

      const back = await h.service.act(release.id, {
        type: 'switch-back',
        by: PETE,
        reason: 'checkout broken on green',
      });
      expect(back.state).toBe('rolled-back');
      expect(back.blueGreen!.activeColor).toBe('blue');
      // Instantly: the VirtualService routes everything to blue again.
      expect(liveWeights(sim, 'web', 'user-portal')).toEqual({ stable: 100 });
      expect(deployment(sim, 'web', 'user-portal-3.3.0').spec.replicas).toBe(0);
      expect(
        sim.store.get('v1', 'Service', 'web', 'user-portal-preview'),
      ).toBeUndefined();
      expect(back.reason).toBe(
        `switched back by ${PETE}: checkout broken on green`,
      );
    });

    it('finishes a blue-green release after the warm window', async () => {
      const release = await h.service.create(
        component('user-portal'),
        {
          image: 'registry.fincloud.example/web/user-portal:3.3.0',
          strategy: 'blue-green',
          steps: [{ weight: 0 }, { weight: 100 }],
        },
        { ref: PAULA },
      );
      for (let i = 0; i < 4; i++) await h.advance(10_000);
      let current = (await h.store.get(release.id))!.record.release;
      expect(current.state).toBe('progressing');
      await h.advance(120_000);
      await h.advance(1_000);
      current = (await h.store.get(release.id))!.record.release;
      expect(current.state).toBe('succeeded');
      expect(deployment(sim, 'web', 'user-portal').spec.replicas).toBe(0);
      expect(liveWeights(sim, 'web', 'user-portal')).toEqual({ stable: 100 });
      await expect(
        h.service.act(release.id, {
          type: 'switch-back',
          by: PETE,
          reason: 'too late',
        }),
      ).rejects.toThrow(/already succeeded/);
    });

    it('runs a rolling release by patching the Deployment image and following the rollout', async () => {
      const release = await h.service.create(
        component('risk-engine'),
        {
          image: 'registry.fincloud.example/risk/risk-engine:1.5.0',
          strategy: 'rolling',
        },
        { ref: 'user:default/rob' },
      );
      const d = deployment(sim, 'risk', 'risk-engine');
      expect(d.spec.template.spec.containers[0].image).toBe(
        'registry.fincloud.example/risk/risk-engine:1.5.0',
      );
      for (
        let i = 0;
        i < 8 &&
        (await h.store.get(release.id))!.record.release.state !== 'succeeded';
        i++
      ) {
        await h.advance(10_000);
      }
      const current = (await h.store.get(release.id))!.record.release;
      expect(current.state).toBe('succeeded');
      expect(current.weights).toEqual({ stable: 0, canary: 100 });
      const pods = sim.store
        .list('v1', 'Pod', 'risk')
        .filter((p: any) => !p.metadata.deletionTimestamp);
      expect(pods.map((p: any) => p.spec.containers[0].image)).toEqual([
        'registry.fincloud.example/risk/risk-engine:1.5.0',
        'registry.fincloud.example/risk/risk-engine:1.5.0',
      ]);
    });

    it('applies the scheduling profile to the Deployment a release creates', async () => {
      const options = await h.service.getOptions(component('risk-engine'));
      expect(options.scheduling).toEqual({
        profile: 'high-performance',
        satisfiable: true,
        nodes: ['hp-node-1', 'hp-node-2'],
        message:
          '2 node(s) fit profile "high-performance": hp-node-1, hp-node-2.',
      });
      expect(options.currentImage).toBe(
        'registry.fincloud.example/risk/risk-engine:1.4.2',
      );
      const release = await h.service.create(
        component('risk-engine'),
        {
          image: 'registry.fincloud.example/risk/risk-engine:1.5.0',
          strategy: 'canary',
          steps: [{ weight: 50 }, { weight: 100 }],
        },
        { ref: 'user:default/rob' },
      );
      expect(release.schedulingProfile).toBe('high-performance');
      const spec = deployment(sim, 'risk', 'risk-engine-1.5.0').spec.template
        .spec;
      expect(spec.affinity.nodeAffinity).toEqual({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                {
                  key: 'fincloud.io/pool',
                  operator: 'In',
                  values: ['high-performance'],
                },
              ],
            },
          ],
        },
      });
      expect(spec.affinity.podAntiAffinity).toEqual({
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: {
              matchLabels: { app: 'risk-engine', version: '1.5.0' },
            },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      });
      expect(spec.tolerations).toEqual([
        {
          key: 'dedicated',
          operator: 'Equal',
          value: 'high-performance',
          effect: 'NoSchedule',
        },
      ]);
      for (let i = 0; i < 6; i++) await h.advance(10_000);
      expect((await h.store.get(release.id))!.record.release.state).toBe(
        'succeeded',
      );
      const pods = sim.store
        .list('v1', 'Pod', 'risk')
        .filter((p: any) => p.metadata.labels.version === '1.5.0');
      expect(pods).toHaveLength(2);
      expect(new Set(pods.map((p: any) => p.spec.nodeName))).toEqual(
        new Set(['hp-node-1', 'hp-node-2']),
      );
    });
  },
);
