import { TestDatabases } from '@backstage/backend-test-utils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import {
  Harness,
  SEED,
  component,
  startHarness,
} from '../__testUtils__/harness';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const PETE = 'user:default/pete';
const PAULA = 'user:default/paula';
const PG = component('payment-gateway');

/** Requests answered with `code` (and, optionally, an Envoy response flag) so far, from the simulator's /metrics. */
async function answered(
  sim: ClusterSim,
  code: string,
  flag?: string,
): Promise<number> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('istio_requests_total{')) continue;
    if (!line.includes('destination_service_name="payment-gateway"')) continue;
    if (!line.includes(`response_code="${code}"`)) continue;
    if (flag && !line.includes(`response_flags="${flag}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

function destinationRule(sim: ClusterSim): any {
  return sim.store.get(
    'networking.istio.io/v1beta1',
    'DestinationRule',
    'payments',
    'payment-gateway',
  );
}

function envoyFilter(sim: ClusterSim): any {
  return sim.store.get(
    'networking.istio.io/v1alpha3',
    'EnvoyFilter',
    'payments',
    'payment-gateway-local-ratelimit',
  );
}

describe.each(databases.eachSupportedId())(
  'traffic policies on %p',
  databaseId => {
    let sim: ClusterSim;
    let h: Harness;

    beforeEach(async () => {
      sim = await startClusterSim({ manualClock: true, seed: SEED });
      h = await startHarness({
        knex: await databases.init(databaseId),
        sim,
        releases: { defaultApprovals: 1 },
      });
      sim.clock.advance(15_000);
    });

    afterEach(async () => {
      await sim.stop();
    });

    it('circuit breaking: lint, diff, four-eyes approval, applied to the DestinationRule; the traffic sheds with 503 UO', async () => {
      const policy = {
        connectionPool: {
          tcp: { maxConnections: 1 },
          http: { http1MaxPendingRequests: 1 },
        },
      };
      const { lint, diff } = await h.service.lintPolicy(PG, policy);
      expect(lint).toEqual([]);
      expect(diff).toContain('+  trafficPolicy:');
      const proposal = await h.service.proposePolicy(PG, policy, { ref: PETE });
      expect(proposal).toMatchObject({
        state: 'awaiting-approval',
        requestedBy: PETE,
      });
      expect(destinationRule(sim)).toBeUndefined(); // nothing applied before approval
      await expect(
        h.service.approvePolicy(proposal.id, { ref: PETE }, 'mine', 1),
      ).rejects.toThrow(/four-eyes/);

      const before = await answered(sim, '503', 'UO');
      const applied = await h.service.approvePolicy(
        proposal.id,
        { ref: PAULA },
        'load test passed',
        1,
      );
      expect(applied.state).toBe('applied');
      expect(destinationRule(sim).spec.trafficPolicy).toEqual(policy);
      // 60 req/s at ~45 ms is ~2.7 requests in flight per client: above 1 + 1, some overflow.
      sim.clock.advance(30_000);
      expect((await answered(sim, '503', 'UO')) - before).toBeGreaterThan(100);

      const view = await h.service.trafficPolicy(PG);
      expect(view.current).toEqual(policy);
      expect(view.inCluster).toEqual({
        destinationRule: { trafficPolicy: policy, subsets: [] },
        envoyFilter: null,
      });
      expect(view.proposals.map(p => p.state)).toEqual(['applied']);

      // One click back to what was there before: no policy, no more overflow.
      const reverted = await h.service.revertPolicy(proposal.id);
      expect(reverted.state).toBe('reverted');
      expect(destinationRule(sim).spec.trafficPolicy).toBeUndefined();
      const after = await answered(sim, '503', 'UO');
      sim.clock.advance(30_000);
      expect(await answered(sim, '503', 'UO')).toBe(after);
      await expect(h.service.revertPolicy(proposal.id)).rejects.toThrow(
        /not the one in force/,
      );
    });

    it('local rate limit: shadow counts without refusing, enforce answers 429 RL, revert goes back to shadow', async () => {
      const limit = { maxTokens: 5, tokensPerFill: 5, fillIntervalSeconds: 1 };
      const shadow = await h.service.proposePolicy(
        PG,
        { rateLimit: { ...limit, mode: 'shadow' } },
        { ref: PETE },
      );
      expect(shadow.lint.map(l => l.rule)).toEqual(['request-rate-unknown']);
      await h.service.approvePolicy(
        shadow.id,
        { ref: PAULA },
        'shadow first',
        1,
      );
      expect(envoyFilter(sim).spec.workloadSelector).toEqual({
        labels: { app: 'payment-gateway' },
      });
      let base = await answered(sim, '429', 'RL');
      sim.clock.advance(20_000);
      expect(await answered(sim, '429', 'RL')).toBe(base);

      const enforce = await h.service.proposePolicy(
        PG,
        { rateLimit: { ...limit, mode: 'enforce' } },
        { ref: PETE },
      );
      expect(enforce.diff).toMatch(/-\s+numerator: 0\n\+\s+numerator: 100/);
      await h.service.approvePolicy(
        enforce.id,
        { ref: PAULA },
        'numbers checked',
        1,
      );
      base = await answered(sim, '429', 'RL');
      sim.clock.advance(20_000);
      // 60 req/s against 3 pods × 5 tokens/s: about 45 req/s refused.
      const refused = (await answered(sim, '429', 'RL')) - base;
      expect(refused).toBeGreaterThan(20 * 30);

      await h.service.revertPolicy(enforce.id);
      const value =
        envoyFilter(sim).spec.configPatches[0].patch.value.typed_config.value;
      expect(value.filter_enforced.default_value.numerator).toBe(0);
      const { current } = await h.service.trafficPolicy(PG);
      expect(current).toEqual({ rateLimit: { ...limit, mode: 'shadow' } });
    });

    it('keeps a canary subset policy while the release rewrites the subsets', async () => {
      const release = await h.service.create(
        PG,
        {
          image: 'registry.fincloud.example/payments/payment-gateway:2.8.0',
          strategy: 'canary',
          steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
        },
        { ref: PETE },
      );
      await h.service.act(release.id, {
        type: 'approve',
        by: PAULA,
        reason: 'go',
      });
      await h.advance(10_000);
      const policy = {
        outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 50 },
        subset: 'canary' as const,
      };
      const proposal = await h.service.proposePolicy(PG, policy, { ref: PETE });
      expect(proposal.lint).toEqual([]);
      await h.service.approvePolicy(
        proposal.id,
        { ref: PAULA },
        'protect users from the canary',
        1,
      );
      const canarySubset = () =>
        destinationRule(sim).spec.subsets.find((s: any) => s.name === 'canary');
      expect(canarySubset()).toEqual({
        name: 'canary',
        labels: { version: '2.8.0' },
        trafficPolicy: {
          outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 50 },
        },
      });
      await h.service.act(release.id, {
        type: 'promote',
        by: PETE,
        full: false,
      });
      expect(canarySubset().trafficPolicy).toEqual({
        outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 50 },
      });
    });
  },
);
