import { resolve } from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  V1Job,
  V1Pod,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';
import { deployment, failure } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

const SEED = resolve(__dirname, '../../seed/default.yaml');

function buildJob(
  name: string,
  options: {
    annotations?: Record<string, string>;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttl?: number;
    suspend?: boolean;
  } = {},
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'fincloud-builds' },
    spec: {
      backoffLimit: options.backoffLimit ?? 0,
      activeDeadlineSeconds: options.activeDeadlineSeconds,
      ttlSecondsAfterFinished: options.ttl,
      suspend: options.suspend,
      template: {
        metadata: { annotations: options.annotations },
        spec: {
          restartPolicy: 'Never',
          initContainers: [
            {
              name: 'clone',
              image: 'alpine/git:2.45.2',
              args: [
                'clone',
                '--branch',
                'main',
                'https://git.fincloud.example/payments/gateway.git',
                '/workspace/src',
              ],
            },
          ],
          containers: [
            {
              name: 'build',
              image: 'gcr.io/kaniko-project/executor:v1.23.2',
              args: [
                '--context=dir:///workspace/src',
                '--destination=registry.fincloud.example/payments/payment-gateway:abc1234',
              ],
            },
          ],
        },
      },
    },
  };
}

describe('controllers: deployments, scheduling and jobs as Kubernetes runs them', () => {
  let sim: ClusterSim;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;

  beforeEach(async () => {
    sim = await startClusterSim({
      manualClock: true,
      seed: SEED,
      trafficIntervalMs: 0,
    });
    const kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    batch = kc.makeApiClient(BatchV1Api);
  });

  afterEach(async () => {
    await sim.stop();
  });

  const pods = async (namespace: string, labelSelector?: string) =>
    (await core.listNamespacedPod({ namespace, labelSelector })).items;

  it('brings the seed up: every Deployment available, risk-engine on the high-performance pool only', async () => {
    sim.clock.advance(15_000);
    for (const [ns, name, replicas] of [
      ['risk', 'risk-engine', 2],
      ['payments', 'payment-gateway', 3],
      ['web', 'user-portal', 2],
    ] as const) {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name });
      expect(d.status).toMatchObject({
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
        observedGeneration: 1,
      });
      expect(
        d.status?.conditions?.find(c => c.type === 'Available')?.status,
      ).toBe('True');
    }
    const risk = await pods('risk');
    expect(risk.map(p => p.spec?.nodeName).sort()).toEqual([
      'hp-node-1',
      'hp-node-2',
    ]);
    for (const p of [...(await pods('payments')), ...(await pods('web'))]) {
      expect(p.spec?.nodeName).toMatch(/^general-node-/);
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.podIP).toMatch(/^10\.244\./);
    }
    const events = sim.store
      .events('payments', (await pods('payments'))[0].metadata!.name!)
      .map(e => e.reason);
    expect(events.slice(0, 5)).toEqual([
      'Scheduled',
      'Pulling',
      'Pulled',
      'Created',
      'Started',
    ]);
  });

  it("leaves a pod that does not tolerate the taint Pending with the scheduler's FailedScheduling message, and places it when a node fits", async () => {
    await core.createNamespacedPod({
      namespace: 'risk',
      body: {
        metadata: { name: 'no-toleration' },
        spec: {
          nodeSelector: { 'fincloud.io/pool': 'high-performance' },
          containers: [{ name: 'c', image: 'busybox:1.36' }],
        },
      },
    });
    sim.clock.advance(1000);
    const pod = await core.readNamespacedPod({
      namespace: 'risk',
      name: 'no-toleration',
    });
    const message =
      "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.";
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
      }),
    );
    const events = await core.listNamespacedEvent({
      namespace: 'risk',
      fieldSelector:
        'involvedObject.name=no-toleration,reason=FailedScheduling',
    });
    expect(events.items[0]).toMatchObject({
      type: 'Warning',
      message,
      source: { component: 'default-scheduler' },
    });
    // A new untainted node in the pool: the scheduler retries and binds.
    sim.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'hp-node-3',
        labels: { 'fincloud.io/pool': 'high-performance' },
      },
    });
    sim.clock.advance(5000);
    const placed = await core.readNamespacedPod({
      namespace: 'risk',
      name: 'no-toleration',
    });
    expect(placed.spec?.nodeName).toBe('hp-node-3');
    expect(placed.status?.phase).toBe('Running');
  });

  it('honours required node affinity and prefers what preferred affinity asks for', async () => {
    await core.createNamespacedPod({
      namespace: 'payments',
      body: {
        metadata: { name: 'zone-c' },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      {
                        key: 'topology.kubernetes.io/zone',
                        operator: 'In',
                        values: ['zone-c'],
                      },
                    ],
                  },
                ],
              },
            },
          },
          containers: [{ name: 'c', image: 'busybox:1.36' }],
        },
      },
    });
    await core.createNamespacedPod({
      namespace: 'payments',
      body: {
        metadata: { name: 'prefers-b' },
        spec: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  preference: {
                    matchExpressions: [
                      {
                        key: 'topology.kubernetes.io/zone',
                        operator: 'In',
                        values: ['zone-b'],
                      },
                    ],
                  },
                },
              ],
            },
          },
          containers: [{ name: 'c', image: 'busybox:1.36' }],
        },
      },
    });
    await core.createNamespacedPod({
      namespace: 'payments',
      body: {
        metadata: { name: 'zone-d' },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      {
                        key: 'topology.kubernetes.io/zone',
                        operator: 'In',
                        values: ['zone-d'],
                      },
                    ],
                  },
                ],
              },
            },
          },
          containers: [{ name: 'c', image: 'busybox:1.36' }],
        },
      },
    });
    sim.clock.advance(1000);
    expect(
      (await core.readNamespacedPod({ namespace: 'payments', name: 'zone-c' }))
        .spec?.nodeName,
    ).toBe('general-node-3');
    expect(
      (
        await core.readNamespacedPod({
          namespace: 'payments',
          name: 'prefers-b',
        })
      ).spec?.nodeName,
    ).toBe('general-node-2');
    const unplaced = await core.readNamespacedPod({
      namespace: 'payments',
      name: 'zone-d',
    });
    expect(unplaced.status?.conditions?.[0].message).toBe(
      "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
    );
  });

  it('honours required pod anti-affinity: one replica per node, the extra one stays Pending', async () => {
    const body = deployment('spread', { replicas: 4, namespace: 'payments' });
    (body.spec.template.spec as any).affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { app: 'spread' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    };
    await apps.createNamespacedDeployment({ namespace: 'payments', body });
    sim.clock.advance(5000);
    const all = await pods('payments', 'app=spread');
    const placed = all.filter(p => p.spec?.nodeName);
    expect(new Set(placed.map(p => p.spec?.nodeName)).size).toBe(3);
    const pending = all.filter(p => !p.spec?.nodeName);
    expect(pending).toHaveLength(1);
    expect(pending[0].status?.conditions?.[0].message).toContain(
      "3 node(s) didn't match pod anti-affinity rules",
    );
    const d = await apps.readNamespacedDeployment({
      namespace: 'payments',
      name: 'spread',
    });
    expect(d.status?.availableReplicas).toBe(3);
    expect(
      d.status?.conditions?.find(c => c.type === 'Available')?.status,
    ).toBe('True');
  });

  async function rollOut(
    name: string,
    strategy: any,
    check: (live: V1Pod[], ready: V1Pod[]) => void,
  ) {
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: deployment(name, { replicas: 3, namespace: 'payments', strategy }),
    });
    sim.clock.advance(10_000);
    await apps.patchNamespacedDeployment(
      {
        name,
        namespace: 'payments',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'registry.fincloud.example/demo/app:2.0.0',
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    for (let t = 0; t < 120; t++) {
      sim.clock.advance(500);
      const live = (await pods('payments', `app=${name}`)).filter(
        p => !p.metadata?.deletionTimestamp,
      );
      const ready = live.filter(p =>
        p.status?.conditions?.some(
          c => c.type === 'Ready' && c.status === 'True',
        ),
      );
      check(live, ready);
    }
    const d = await apps.readNamespacedDeployment({
      name,
      namespace: 'payments',
    });
    expect(d.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(
      d.status?.conditions?.find(c => c.type === 'Progressing'),
    ).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const rs = (
      await apps.listNamespacedReplicaSet({
        namespace: 'payments',
        labelSelector: `app=${name}`,
      })
    ).items;
    expect(
      rs
        .map(r => [
          r.metadata?.annotations?.['deployment.kubernetes.io/revision'],
          r.spec?.replicas,
        ])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 3],
    ]);
    const final = (await pods('payments', `app=${name}`)).filter(
      p => !p.metadata?.deletionTimestamp,
    );
    expect(final.map(p => p.spec?.containers[0].image)).toEqual(
      Array(3).fill('registry.fincloud.example/demo/app:2.0.0'),
    );
  }

  it('rolls out with maxSurge 1 / maxUnavailable 0: never more than 4 pods, never fewer than 3 ready', async () => {
    let sawFour = false;
    await rollOut(
      'surge',
      {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
      },
      (live, ready) => {
        expect(live.length).toBeLessThanOrEqual(4);
        expect(ready.length).toBeGreaterThanOrEqual(3);
        sawFour ||= live.length === 4;
      },
    );
    expect(sawFour).toBe(true);
  });

  it('rolls out with maxSurge 0 / maxUnavailable 1: never more than 3 pods, never fewer than 2 ready', async () => {
    await rollOut(
      'unavailable',
      {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      },
      (live, ready) => {
        expect(live.length).toBeLessThanOrEqual(3);
        expect(ready.length).toBeGreaterThanOrEqual(2);
      },
    );
  });

  it('recreates: no new pod while an old one still exists', async () => {
    await rollOut('recreate', { type: 'Recreate' }, () => {});
    // Checked separately on all pods, terminating ones included.
    await apps.patchNamespacedDeployment(
      {
        name: 'recreate',
        namespace: 'payments',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'registry.fincloud.example/demo/app:3.0.0',
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    for (let t = 0; t < 100; t++) {
      sim.clock.advance(500);
      const images = new Set(
        (await pods('payments', 'app=recreate')).map(
          p => p.spec?.containers[0].image,
        ),
      );
      expect(images.size).toBeLessThanOrEqual(1);
    }
    expect(
      (
        await apps.readNamespacedDeployment({
          name: 'recreate',
          namespace: 'payments',
        })
      ).status?.availableReplicas,
    ).toBe(3);
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: deployment('stuck', { namespace: 'payments' }),
    });
    sim.clock.advance(10_000);
    await apps.patchNamespacedDeployment(
      {
        name: 'stuck',
        namespace: 'payments',
        body: {
          spec: {
            progressDeadlineSeconds: 30,
            template: {
              metadata: {
                annotations: { 'sim.fincloud.io/never-ready': 'true' },
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    sim.clock.advance(31_000);
    const d = await apps.readNamespacedDeployment({
      name: 'stuck',
      namespace: 'payments',
    });
    expect(
      d.status?.conditions?.find(c => c.type === 'Progressing'),
    ).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    // The old pod still serves: maxUnavailable 25% of 1 rounds down to 0.
    expect(d.status?.availableReplicas).toBe(1);
  });

  it('runs a build Job to completion with its scripted step logs', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-ok'),
    });
    sim.clock.advance(60_000);
    const job = await batch.readNamespacedJob({
      name: 'build-ok',
      namespace: 'fincloud-builds',
    });
    expect(job.status).toMatchObject({ succeeded: 1 });
    expect(job.status?.active).toBeUndefined();
    expect(job.status?.conditions?.map(c => `${c.type}=${c.status}`)).toEqual([
      'SuccessCriteriaMet=True',
      'Complete=True',
    ]);
    expect(job.status?.completionTime).toBeInstanceOf(Date);
    const [pod] = await pods('fincloud-builds', 'job-name=build-ok');
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.metadata?.finalizers).toBeUndefined();
    expect(
      pod.status?.initContainerStatuses?.[0].state?.terminated,
    ).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(pod.status?.containerStatuses?.[0].state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(
      sim.store.logText('fincloud-builds', pod.metadata!.name!, 'clone'),
    ).toContain('Cloning into');
    expect(
      sim.store.logText('fincloud-builds', pod.metadata!.name!, 'build'),
    ).toMatch(
      /Pushed registry\.fincloud\.example\/payments\/payment-gateway@sha256:[0-9a-f]{64}/,
    );
  });

  it('fails a build at the chosen step, retries with back-off up to backoffLimit, then marks the Job Failed', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-bad', {
        backoffLimit: 1,
        annotations: { 'sim.fincloud.io/fail-at': 'build' },
      }),
    });
    sim.clock.advance(15_000);
    let list = await pods('fincloud-builds', 'job-name=build-bad');
    expect(list).toHaveLength(1);
    expect(list[0].status?.phase).toBe('Failed');
    expect(
      list[0].status?.containerStatuses?.[0].state?.terminated,
    ).toMatchObject({ exitCode: 1, reason: 'Error' });
    const failedAt =
      list[0].status!.containerStatuses![0].state!.terminated!.finishedAt!.getTime();
    sim.clock.advance(60_000);
    list = await pods('fincloud-builds', 'job-name=build-bad');
    expect(list).toHaveLength(2);
    // The Job controller's back-off: the retry starts 10 s after the failure.
    expect(
      Math.max(...list.map(p => p.metadata!.creationTimestamp!.getTime())) -
        failedAt,
    ).toBeGreaterThanOrEqual(10_000);
    expect(list.every(p => p.status?.phase === 'Failed')).toBe(true);
    const job = await batch.readNamespacedJob({
      name: 'build-bad',
      namespace: 'fincloud-builds',
    });
    expect(job.status?.failed).toBe(2);
    expect(
      job.status?.conditions?.find(c => c.type === 'Failed'),
    ).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const events = sim.store
      .events('fincloud-builds', 'build-bad')
      .map(e => e.reason);
    expect(events).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'BackoffLimitExceeded']),
    );
  });

  it('fails a Job that runs longer than activeDeadlineSeconds and stops its pod', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-slow', { activeDeadlineSeconds: 3 }),
    });
    sim.clock.advance(4_000);
    const job = await batch.readNamespacedJob({
      name: 'build-slow',
      namespace: 'fincloud-builds',
    });
    expect(
      job.status?.conditions?.find(c => c.type === 'Failed'),
    ).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    sim.clock.advance(31_000);
    expect(await pods('fincloud-builds', 'job-name=build-slow')).toEqual([]);
  });

  it('deletes a finished Job and its pods ttlSecondsAfterFinished later', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-ttl', { ttl: 30 }),
    });
    sim.clock.advance(40_000);
    expect(
      (
        await batch.readNamespacedJob({
          name: 'build-ttl',
          namespace: 'fincloud-builds',
        })
      ).status?.succeeded,
    ).toBe(1);
    sim.clock.advance(30_000);
    expect(
      await failure(
        batch.readNamespacedJob({
          name: 'build-ttl',
          namespace: 'fincloud-builds',
        }),
      ),
    ).toMatchObject({ code: 404 });
    expect(await pods('fincloud-builds', 'job-name=build-ttl')).toEqual([]);
  });

  it('starts a suspended Job only when resumed (read-modify-write through the client)', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-later', { suspend: true }),
    });
    sim.clock.advance(5_000);
    expect(await pods('fincloud-builds', 'job-name=build-later')).toEqual([]);
    const job = await batch.readNamespacedJob({
      name: 'build-later',
      namespace: 'fincloud-builds',
    });
    job.spec!.suspend = false;
    await batch.replaceNamespacedJob({
      name: 'build-later',
      namespace: 'fincloud-builds',
      body: job,
    });
    sim.clock.advance(60_000);
    expect(
      (
        await batch.readNamespacedJob({
          name: 'build-later',
          namespace: 'fincloud-builds',
        })
      ).status?.succeeded,
    ).toBe(1);
  });

  it('counts a deleted running Job pod as a failure and retries it, as the Job controller does', async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-retry', { backoffLimit: 2 }),
    });
    sim.clock.advance(6_000);
    const [running] = await pods('fincloud-builds', 'job-name=build-retry');
    expect(running.status?.phase).toBe('Running');
    await core.createNamespacedPodEviction({
      name: running.metadata!.name!,
      namespace: 'fincloud-builds',
      body: { metadata: { name: running.metadata!.name! } },
    });
    sim.clock.advance(1_000);
    const job = await batch.readNamespacedJob({
      name: 'build-retry',
      namespace: 'fincloud-builds',
    });
    expect(job.status?.failed).toBe(1);
    sim.clock.advance(120_000);
    const done = await batch.readNamespacedJob({
      name: 'build-retry',
      namespace: 'fincloud-builds',
    });
    expect(done.status).toMatchObject({ succeeded: 1, failed: 1 });
    expect(
      done.status?.conditions?.find(c => c.type === 'Complete')?.status,
    ).toBe('True');
  });

  it("keeps a Job's pods when the Job is deleted without a propagation policy, and warns", async () => {
    await batch.createNamespacedJob({
      namespace: 'fincloud-builds',
      body: buildJob('build-orphan'),
    });
    sim.clock.advance(60_000);
    const response = await fetch(
      `${sim.url}/apis/batch/v1/namespaces/fincloud-builds/jobs/build-orphan`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${sim.token}` },
      },
    );
    expect(response.headers.get('warning')).toContain(
      'child pods are preserved by default when jobs are deleted',
    );
    sim.clock.advance(1_000);
    const left = await pods('fincloud-builds', 'job-name=build-orphan');
    expect(left).toHaveLength(1);
    expect(left[0].metadata?.ownerReferences).toBeUndefined();
  });

  it('shows CrashLoopBackOff and ImagePullBackOff for pods told to misbehave', async () => {
    const crash = deployment('crashy', { namespace: 'payments' });
    (crash.spec.template.metadata as any).annotations = {
      'sim.fincloud.io/crash-loop': 'true',
    };
    const pull = deployment('nopull', { namespace: 'payments' });
    (pull.spec.template.metadata as any).annotations = {
      'sim.fincloud.io/image-pull-error': 'true',
    };
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: crash,
    });
    await apps.createNamespacedDeployment({
      namespace: 'payments',
      body: pull,
    });
    sim.clock.advance(60_000);
    const [c] = await pods('payments', 'app=crashy');
    expect(
      c.status?.containerStatuses?.[0].restartCount,
    ).toBeGreaterThanOrEqual(2);
    expect(
      c.status?.containerStatuses?.[0].lastState?.terminated,
    ).toMatchObject({ exitCode: 1, reason: 'Error' });
    const [p] = await pods('payments', 'app=nopull');
    expect(p.status?.containerStatuses?.[0].state?.waiting?.reason).toBe(
      'ImagePullBackOff',
    );
  });
});
