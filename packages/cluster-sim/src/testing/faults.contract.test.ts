import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from './startClusterSim';
import { deployment, failure, until } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

describe('fault injection for reliability tests', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  beforeEach(async () => {
    sim = await startClusterSim({ manualClock: true, trafficIntervalMs: 0 });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
  });

  afterEach(async () => {
    await sim.stop();
  });

  it('fails a verb on a resource a given number of times with the chosen status, then recovers', async () => {
    sim.faults.failRequests({ verbs: ['list'], resources: ['pods'], count: 2 });
    const first = await failure(
      core.listNamespacedPod({ namespace: 'default' }),
    );
    expect(first).toMatchObject({
      code: 500,
      status: { kind: 'Status', reason: 'InternalError' },
    });
    expect(
      (await failure(core.listNamespacedPod({ namespace: 'default' }))).code,
    ).toBe(500);
    await expect(
      core.listNamespacedPod({ namespace: 'default' }),
    ).resolves.toBeDefined();
    // Other verbs and resources were never affected.
    sim.faults.failRequests({
      verbs: ['create'],
      resources: ['deployments.apps'],
      status: 503,
    });
    expect(
      (
        await failure(
          apps.createNamespacedDeployment({
            namespace: 'default',
            body: deployment('web'),
          }),
        )
      ).code,
    ).toBe(503);
    await expect(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'ok' } },
      }),
    ).resolves.toBeDefined();
    expect(sim.store.list('apps/v1', 'Deployment', 'default')).toEqual([]);
  });

  it('fails a share of requests with a ratio', async () => {
    let n = 0;
    sim.faults.seed(() => (n++ % 4) / 4); // 0, .25, .5, .75, ...
    sim.faults.failRequests({
      verbs: ['get'],
      resources: ['namespaces'],
      ratio: 0.5,
    });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      outcomes.push(
        await core.readNamespace({ name: 'default' }).then(
          () => true,
          () => false,
        ),
      );
    }
    expect(outcomes.filter(ok => !ok)).toHaveLength(4);
  });

  it('adds latency to matching requests', async () => {
    sim.faults.addLatency(300, { verbs: ['get'], resources: ['namespaces'] });
    const start = Date.now();
    await core.readNamespace({ name: 'default' });
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
  });

  it('answers updates with a 409 storm; a client that re-reads and retries gets through', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cfg' }, data: { v: '1' } },
    });
    sim.faults.conflictStorm({ resources: ['configmaps'], count: 3 });
    const refusals: Array<{ code: number; message: string }> = [];
    let updated = false;
    while (!updated && refusals.length < 10) {
      const current = await core.readNamespacedConfigMap({
        name: 'cfg',
        namespace: 'default',
      });
      try {
        await core.replaceNamespacedConfigMap({
          name: 'cfg',
          namespace: 'default',
          body: { ...current, data: { v: '2' } },
        });
        updated = true;
      } catch (error: any) {
        refusals.push({
          code: error.code,
          message: JSON.parse(error.body).message,
        });
      }
    }
    expect(refusals).toEqual(
      Array(3).fill({
        code: 409,
        message:
          'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
      }),
    );
    expect(
      (
        await core.readNamespacedConfigMap({
          name: 'cfg',
          namespace: 'default',
        })
      ).data,
    ).toEqual({ v: '2' });
  });

  it('drops open watch streams: reset (the client sees an error) or graceful (it just reconnects)', async () => {
    const informer = makeInformer(
      kc,
      '/api/v1/namespaces/default/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    let connects = 0;
    let errors = 0;
    let stopped = false;
    informer.on('connect', () => {
      connects++;
    });
    informer.on('error', () => {
      errors++;
      // What a controller does: start again after an error.
      setTimeout(() => !stopped && informer.start(), 10);
    });
    await informer.start();
    await until(() => sim.simulator.server.openWatches === 1);
    expect(sim.faults.dropWatches('configmaps')).toBe(1);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'after-reset' } },
    });
    await until(() =>
      informer.list('default').some(c => c.metadata?.name === 'after-reset'),
    );
    expect(errors).toBe(1);
    await until(() => sim.simulator.server.openWatches === 1);
    expect(sim.faults.dropWatches('configmaps', { graceful: true })).toBe(1);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'after-close' } },
    });
    await until(() =>
      informer.list('default').some(c => c.metadata?.name === 'after-close'),
    );
    expect(errors).toBe(1);
    expect(connects).toBeGreaterThanOrEqual(3);
    stopped = true;
    await informer.stop();
  });

  it('is reachable over POST /sim/faults for the browser tests, guarded by the token', async () => {
    const post = (path: string, body: unknown, token = sim.token) =>
      fetch(`${sim.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    expect((await post('/sim/faults', { kind: 'error' }, 'wrong')).status).toBe(
      401,
    );
    const bad = await post('/sim/faults', {
      kind: 'error',
      verbs: ['explode'],
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain('fault verbs must be some of');
    const added = await post('/sim/faults', {
      kind: 'error',
      verbs: ['get'],
      resources: ['namespaces'],
      status: 500,
      count: 1,
    });
    expect(added.status).toBe(201);
    const { id } = await added.json();
    const list = await (
      await fetch(`${sim.url}/sim/faults`, {
        headers: { authorization: `Bearer ${sim.token}` },
      })
    ).json();
    expect(list.faults).toEqual([
      expect.objectContaining({ id, kind: 'error', count: 1 }),
    ]);
    expect((await failure(core.readNamespace({ name: 'default' }))).code).toBe(
      500,
    );
    await expect(
      core.readNamespace({ name: 'default' }),
    ).resolves.toBeDefined();

    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web'),
    });
    const behaviour = await post('/sim/deployments/default/web/behaviour', {
      errorRatio: 0.25,
      latencyMs: 120,
    });
    expect(behaviour.status).toBe(200);
    const d = await apps.readNamespacedDeployment({
      name: 'web',
      namespace: 'default',
    });
    expect(d.metadata?.annotations).toMatchObject({
      'sim.fincloud.io/error-ratio': '0.25',
      'sim.fincloud.io/latency-ms': '120',
    });
    expect(
      (await post('/sim/deployments/default/web/behaviour', { errorRatio: 2 }))
        .status,
    ).toBe(400);

    const advanced = await post('/sim/clock', { advanceMs: 60_000 });
    expect(advanced.status).toBe(200);
    expect((await advanced.json()).now).toBe(sim.clock.now());
  });
});
