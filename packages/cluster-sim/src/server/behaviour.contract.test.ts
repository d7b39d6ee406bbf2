import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import {
  AppsV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  V1Status,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

const SEED = resolve(__dirname, '../../seed/default.yaml');

/** Sums the samples of a metric family whose labels include `match`. */
function sum(
  metrics: string,
  name: string,
  match: Record<string, string>,
): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (
      Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))
    ) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

describe('the behaviour modules behind the API: exec, traffic and metrics on the default seed', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeEach(async () => {
    sim = await startClusterSim({ manualClock: true, seed: SEED });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    sim.clock.advance(15_000);
  });

  afterEach(async () => {
    await sim.stop();
  });

  async function podOf(namespace: string, app: string) {
    const [pod] = (
      await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` })
    ).items;
    return pod.metadata!.name!;
  }

  function run(namespace: string, pod: string, command: string[]) {
    let out = '';
    const stdout = new Writable({
      write(chunk, _e, done) {
        out += chunk.toString();
        done();
      },
    });
    return new Promise<{ out: string; status: V1Status }>((done, fail) => {
      new Exec(kc)
        .exec(
          namespace,
          pod,
          '',
          command,
          stdout,
          stdout,
          null,
          false,
          status => done({ out, status }),
        )
        .catch(fail);
    });
  }

  it('runs shell pipelines in a service container, with the pod spec env and the image profile', async () => {
    const pod = await podOf('payments', 'payment-gateway');
    const env = await run('payments', pod, [
      'sh',
      '-c',
      'echo $HOSTNAME; env | grep RISK_ENGINE_URL | cut -d= -f2',
    ]);
    expect(env.status.status).toBe('Success');
    expect(env.out).toBe(
      `${pod}\nhttp://risk-engine.risk.svc.cluster.local:8080\n`,
    );
    const jstat = await run('payments', pod, ['sh', '-c', 'jstat -gcutil 1']);
    expect(jstat.status.status).toBe('Success');
    expect(jstat.out).toMatch(/S0\s+S1\s+E\s+O/);
    const failing = await run('payments', pod, [
      'sh',
      '-c',
      'cat /no/such/file',
    ]);
    expect(failing.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
    });
  });

  it('lets curl reach simulated Services only, through the traffic model', async () => {
    const pod = await podOf('web', 'user-portal');
    const ok = await run('web', pod, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://payment-gateway.payments.svc.cluster.local:8080/api/v1/payments',
    ]);
    expect(ok.out).toMatch(/^(200|201)$/);
    const short = await run('web', pod, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://user-portal/',
    ]);
    expect(short.out).toMatch(/^2\d\d$/);
    const outside = await run('web', pod, [
      'curl',
      '-sS',
      'http://example.com/',
    ]);
    expect(outside.status).toMatchObject({
      status: 'Failure',
      details: { causes: [{ reason: 'ExitCode', message: '6' }] },
    });
    expect(outside.out).toContain('Could not resolve host: example.com');
  });

  it('serves Istio and cAdvisor metrics on /metrics that follow the traffic and a raised error ratio', async () => {
    sim.clock.advance(10_000);
    let metrics = await (await fetch(`${sim.url}/metrics`)).text();
    const ok = sum(metrics, 'istio_requests_total', {
      destination_workload: 'payment-gateway',
      response_code: '200',
    });
    expect(ok).toBeGreaterThan(100);
    expect(metrics).toContain('container_cpu_usage_seconds_total{');
    expect(metrics).toContain('container_memory_working_set_bytes{');
    expect(metrics).toContain('kube_pod_status_ready{');
    expect(metrics).toMatch(
      /istio_request_duration_milliseconds_bucket\{[^}]*destination_workload="payment-gateway"/,
    );
    expect(metrics).toMatch(/^sim_objects\{resource="pods"\} 7$/m);

    const before = sum(metrics, 'istio_requests_total', {
      destination_workload: 'payment-gateway',
      response_code: '500',
    });
    const admin = await fetch(
      `${sim.url}/sim/deployments/payments/payment-gateway/behaviour`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sim.token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ errorRatio: 0.5 }),
      },
    );
    expect(admin.status).toBe(200);
    sim.clock.advance(10_000);
    metrics = await (await fetch(`${sim.url}/metrics`)).text();
    const errors =
      sum(metrics, 'istio_requests_total', {
        destination_workload: 'payment-gateway',
        response_code: '500',
      }) - before;
    const total = sum(metrics, 'istio_requests_total', {
      destination_workload: 'payment-gateway',
      reporter: 'destination',
    });
    expect(errors).toBeGreaterThan(100);
    expect(total).toBeGreaterThan(errors);
  });

  it('routes a canary by the VirtualService weights in force', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const v1 = await apps.readNamespacedDeployment({
      name: 'payment-gateway',
      namespace: 'payments',
    });
    const template = v1.spec!.template;
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: {
        metadata: {
          name: 'payment-gateway-v2',
          namespace: 'payments',
          labels: { app: 'payment-gateway' },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'payment-gateway', version: 'v2' } },
          template: {
            ...template,
            metadata: {
              labels: { ...template.metadata!.labels, version: 'v2' },
            },
          },
        },
      },
    });
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payment-gateway', namespace: 'payments' },
      spec: {
        host: 'payment-gateway',
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    } as any);
    await objects.create({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payment-gateway', namespace: 'payments' },
      spec: {
        hosts: ['payment-gateway'],
        http: [
          {
            route: [
              {
                destination: { host: 'payment-gateway', subset: 'v1' },
                weight: 90,
              },
              {
                destination: { host: 'payment-gateway', subset: 'v2' },
                weight: 10,
              },
            ],
          },
        ],
      },
    } as any);
    sim.clock.advance(10_000);
    const before = await (await fetch(`${sim.url}/metrics`)).text();
    sim.clock.advance(60_000);
    const after = await (await fetch(`${sim.url}/metrics`)).text();
    const match = (version: string) => ({
      destination_service_name: 'payment-gateway',
      destination_version: version,
      reporter: 'destination',
    });
    const delta = (version: string) =>
      sum(after, 'istio_requests_total', match(version)) -
      sum(before, 'istio_requests_total', match(version));
    // Istio names the workload after the Deployment: v2 answers as payment-gateway-v2.
    expect(
      sum(after, 'istio_requests_total', {
        destination_workload: 'payment-gateway-v2',
      }),
    ).toBeGreaterThan(0);
    const share = delta('v2') / (delta('v1') + delta('v2'));
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);
  });
});
