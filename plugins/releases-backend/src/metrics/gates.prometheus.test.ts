import { TestDatabases } from '@backstage/backend-test-utils';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import {
  Harness,
  SEED,
  component,
  deployment,
  liveWeights,
  startHarness,
} from '../__testUtils__/harness';
import {
  RunningPrometheus,
  describeWithPrometheus,
  startPrometheus,
} from '../__testUtils__/prometheus';
import { DEFAULT_GATES, runGates } from './MetricsProvider';
import { PrometheusMetricsProvider } from './PrometheusMetricsProvider';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const IMAGE = 'registry.fincloud.example/payments/payment-gateway:2.8.0';

/**
 * Metric gates against a real Prometheus scraping the simulator's /metrics
 * every second, with the simulator in real time (traffic flows, pods start).
 */
describeWithPrometheus('metric gates over a real Prometheus', () => {
  let sim: ClusterSim;
  let prometheus: RunningPrometheus;
  let h: Harness;

  beforeEach(async () => {
    sim = await startClusterSim({ seed: SEED });
    prometheus = await startPrometheus(new URL(sim.url).host);
    h = await startHarness({
      knex: await databases.init('SQLITE_3'),
      sim,
      manualClock: false,
      metrics: new PrometheusMetricsProvider({ default: prometheus.url }),
      releases: {
        analysis: { window: '10s', intervalSeconds: 4, timeoutSeconds: 90 },
      },
    });
    // The seed's pods get ready (readiness probes start after 3 s).
    await waitFor(
      'the seed pods',
      async () =>
        deployment(sim, 'payments', 'payment-gateway')?.status
          ?.availableReplicas === 3,
    );
  });

  afterEach(async () => {
    await prometheus?.stop();
    await sim?.stop();
  });

  async function waitFor(
    what: string,
    check: () => Promise<boolean> | boolean,
    ms = 90_000,
  ) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await h.controller.tick();
      await new Promise(r => setTimeout(r, 1_000));
    }
  }

  it('rolls a canary back automatically when its error ratio fails the success-rate gate', async () => {
    const release = await h.service.create(
      component('payment-gateway'),
      {
        image: IMAGE,
        strategy: 'canary',
        steps: [{ weight: 50, analysis: true }, { weight: 100 }],
      },
      { ref: 'user:default/pete' },
    );
    // The new version is broken: 30 % of its answers are 500s.
    await fetch(
      `${sim.url}/sim/deployments/payments/payment-gateway-2.8.0/behaviour`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sim.token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ errorRatio: 0.3 }),
      },
    ).then(r => expect(r.status).toBe(200));

    await waitFor(
      'the automatic rollback',
      async () =>
        (await h.store.get(release.id))!.record.release.state === 'rolled-back',
    );
    const rolledBack = (await h.store.get(release.id))!.record.release;
    expect(rolledBack.reason).toMatch(
      /^metric gate failed at step 1: success-rate canary 0\.\d{4} \(stable (1|0\.9\d{3})\) not >= 0\.99/,
    );
    const analysis = rolledBack.analyses.at(-1)!;
    expect(analysis.pass).toBe(false);
    const successRate = analysis.results.find(r => r.name === 'success-rate')!;
    expect(successRate.canary!).toBeGreaterThan(0.5);
    expect(successRate.canary!).toBeLessThan(0.85);
    expect(successRate.stable!).toBeGreaterThan(0.98);
    expect(successRate.query).toContain('destination_version="2.8.0"');
    // Traffic back to stable 100 %, the new version scaled to zero.
    expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
      stable: 100,
    });
    expect(
      deployment(sim, 'payments', 'payment-gateway-2.8.0').spec.replicas,
    ).toBe(0);
    // The automatic rollback is an audit event with why.
    const event = h.auditor.events.find(
      e => e.options.eventId === 'release-auto-rollback',
    );
    expect(event).toMatchObject({
      status: 'succeeded',
      options: {
        severityLevel: 'medium',
        meta: {
          entityRef: 'component:default/payment-gateway',
          releaseId: release.id,
          to: 'rolled-back',
          reason: rolledBack.reason,
        },
      },
    });
  });

  it('lets a healthy canary through its gates to the end', async () => {
    const release = await h.service.create(
      component('payment-gateway'),
      {
        image: IMAGE,
        strategy: 'canary',
        steps: [{ weight: 50, analysis: true }, { weight: 100 }],
      },
      { ref: 'user:default/pete' },
    );
    await waitFor(
      'the release to succeed',
      async () =>
        (await h.store.get(release.id))!.record.release.state === 'succeeded',
    );
    const done = (await h.store.get(release.id))!.record.release;
    const passed = done.analyses.find(a => a.pass)!;
    expect(passed.results.map(r => [r.name, r.pass])).toEqual([
      ['success-rate', true],
      ['latency-p99-ms', true],
      ['restarts', true],
    ]);
    expect(
      passed.results.every(r => r.canary !== null && r.stable !== null),
    ).toBe(true);
    expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
      stable: 100,
    });

    // The same gates, run directly: the provider reads the numbers Prometheus scraped.
    const results = await runGates(
      new PrometheusMetricsProvider({ default: prometheus.url }),
      {
        cluster: 'sim',
        namespace: 'payments',
        app: 'payment-gateway',
        service: 'payment-gateway',
        canary: { version: '2.8.0', deployment: 'payment-gateway-2.8.0' },
        stable: { version: 'v1', deployment: 'payment-gateway' },
        window: '10s',
      },
      DEFAULT_GATES,
    );
    expect(results.find(r => r.name === 'restarts')).toMatchObject({
      canary: 0,
      pass: true,
    });
  });
});
