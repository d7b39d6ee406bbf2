import { PassThrough } from 'node:stream';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';
import { until } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

describe('pods/log through the client', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeEach(async () => {
    sim = await startClusterSim({ manualClock: true, trafficIntervalMs: 0 });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await sim.stop();
  });

  const get = (path: string) =>
    fetch(`${sim.url}${path}`, {
      headers: { authorization: `Bearer ${sim.token}` },
    });

  async function runningPod(
    name: string,
    containers = [{ name: 'app', image: 'nginx:1.27' }],
  ) {
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name, labels: { app: name } }, spec: { containers } },
    });
    sim.clock.advance(10_000);
  }

  it('follows a build container while it runs and ends when it terminates', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        metadata: { name: 'build' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'build',
                  image: 'gcr.io/kaniko-project/executor:v1.23.2',
                  args: [
                    '--context=dir:///workspace',
                    '--destination=registry.fincloud.example/demo/app:1',
                  ],
                },
              ],
            },
          },
        },
      },
    });
    sim.clock.advance(2_500);
    const [pod] = (
      await core.listNamespacedPod({
        namespace: 'default',
        labelSelector: 'job-name=build',
      })
    ).items;
    expect(pod.status?.containerStatuses?.[0].state?.running).toBeDefined();
    const out = new PassThrough();
    let text = '';
    let ended = false;
    out.on('data', chunk => {
      text += chunk.toString();
    });
    out.on('end', () => {
      ended = true;
    });
    await new Log(kc).log('default', pod.metadata!.name!, 'build', out, {
      follow: true,
    });
    const sizes: number[] = [];
    for (let i = 0; i < 30 && !ended; i++) {
      sim.clock.advance(500);
      await new Promise(r => setTimeout(r, 20));
      sizes.push(text.length);
    }
    await until(() => ended);
    // Lines arrived over time, not all at once, and the stream closed with the container.
    expect(new Set(sizes).size).toBeGreaterThan(3);
    expect(text.trim().split('\n').pop()).toMatch(
      /Pushed registry\.fincloud\.example\/demo\/app@sha256:[0-9a-f]{64}$/,
    );
    const after = await core.readNamespacedPod({
      namespace: 'default',
      name: pod.metadata!.name!,
    });
    expect(
      after.status?.containerStatuses?.[0].state?.terminated?.exitCode,
    ).toBe(0);
  });

  it('honours tailLines, limitBytes, sinceTime and timestamps', async () => {
    await runningPod('web');
    sim.store.writeLog('default', 'web', 'app', [
      'one',
      'two',
      'three',
      'four',
    ]);
    const all = await (
      await get('/api/v1/namespaces/default/pods/web/log')
    ).text();
    expect(all.endsWith('one\ntwo\nthree\nfour\n')).toBe(true);
    expect(
      await (
        await get('/api/v1/namespaces/default/pods/web/log?tailLines=2')
      ).text(),
    ).toBe('three\nfour\n');
    expect(
      await (
        await get(
          '/api/v1/namespaces/default/pods/web/log?tailLines=2&limitBytes=8',
        )
      ).text(),
    ).toBe('three\nfo');
    const stamped = await (
      await get(
        '/api/v1/namespaces/default/pods/web/log?tailLines=1&timestamps=true',
      )
    ).text();
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z four\n$/);
    const writtenAt = new Date(sim.clock.now()).toISOString();
    sim.clock.advance(5_000);
    sim.store.writeLog('default', 'web', 'app', ['later']);
    const since = await (
      await get(
        `/api/v1/namespaces/default/pods/web/log?sinceTime=${new Date(
          sim.clock.now(),
        ).toISOString()}`,
      )
    ).text();
    expect(since.split('\n')).toContain('later');
    expect(since).not.toContain('four');
    const sinceBefore = await (
      await get(
        `/api/v1/namespaces/default/pods/web/log?sinceTime=${writtenAt}`,
      )
    ).text();
    expect(sinceBefore).toContain('four');
    const bad = await get(
      '/api/v1/namespaces/default/pods/web/log?tailLines=-1',
    );
    expect(bad.status).toBe(422);
    expect((await bad.json()).message).toContain(
      'tailLines: Invalid value: -1',
    );
  });

  it('asks for a container name when a pod has several, and says when a container has not started', async () => {
    await runningPod('two', [
      { name: 'app', image: 'nginx:1.27' },
      { name: 'proxy', image: 'envoyproxy/envoy:v1.31.0' },
    ]);
    const which = await get('/api/v1/namespaces/default/pods/two/log');
    expect(which.status).toBe(400);
    expect((await which.json()).message).toBe(
      'a container name must be specified for pod two, choose one of: [app proxy]',
    );
    expect(
      (await get('/api/v1/namespaces/default/pods/two/log?container=nope'))
        .status,
    ).toBe(400);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'fresh' },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    sim.settle();
    const waiting = await get('/api/v1/namespaces/default/pods/fresh/log');
    expect(waiting.status).toBe(400);
    expect((await waiting.json()).message).toBe(
      'container "app" in pod "fresh" is waiting to start: ContainerCreating',
    );
    expect(
      (await get('/api/v1/namespaces/default/pods/missing/log')).status,
    ).toBe(404);
  });

  it('serves the previous container instance after a restart, and 400 when there is none', async () => {
    const none = await (async () => {
      await runningPod('steady');
      return get('/api/v1/namespaces/default/pods/steady/log?previous=true');
    })();
    expect(none.status).toBe(400);
    expect((await none.json()).message).toBe(
      'previous terminated container "app" in pod "steady" not found',
    );
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: {
          name: 'crashy',
          annotations: { 'sim.fincloud.io/crash-loop': 'true' },
        },
        spec: {
          containers: [{ name: 'app', image: 'eclipse-temurin:21-jre' }],
        },
      },
    });
    sim.clock.advance(30_000);
    const previous = await (
      await get('/api/v1/namespaces/default/pods/crashy/log?previous=true')
    ).text();
    expect(previous).toContain(
      'required configuration "database.url" is missing',
    );
  });

  it('streams a large finished log completely and in order', async () => {
    await runningPod('big');
    const lines = Array.from(
      { length: 200_000 },
      (_, i) => `line ${i} ${'x'.repeat(60)}`,
    );
    sim.store.writeLog('default', 'big', 'app', lines);
    const text = await (
      await get('/api/v1/namespaces/default/pods/big/log')
    ).text();
    const got = text.split('\n').filter(l => l.startsWith('line '));
    expect(got).toHaveLength(200_000);
    expect(got[0]).toBe(lines[0]);
    expect(got[199_999]).toBe(lines[199_999]);
    expect(
      await (
        await get('/api/v1/namespaces/default/pods/big/log?tailLines=1')
      ).text(),
    ).toBe(`${lines[199_999]}\n`);
  });
});
