import { TestDatabases } from '@backstage/backend-test-utils';
import { isBuildFinished } from '@fincloud/plugin-builds-common';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { Harness, PORTAL, startHarness } from '../__testUtils__/harness';
import { BuildRecord } from '../database/types';
import { buildManifests, jobNameFor } from '../kubernetes/jobManifest';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const NS = 'fincloud-builds';

const finished = (b: BuildRecord) => isBuildFinished(b.status) && b.logComplete;

/** What the stored log must be: a marker and every line of each container, in order. */
function expectedLog(h: Harness, build: BuildRecord): string[] {
  const lines: string[] = [];
  for (const attempt of build.spec.attempts) {
    const pod = h.sim.store.get('v1', 'Pod', NS, attempt.podName!) as any;
    const containers = [
      ...(pod.spec.initContainers ?? []),
      ...pod.spec.containers,
    ];
    for (const c of containers) {
      let text: string;
      try {
        text = h.sim.store.logText(NS, attempt.podName!, c.name);
      } catch {
        continue; // never started
      }
      if (!text) continue;
      lines.push(`[fincloud] step ${c.name} (${c.image})`);
      lines.push(...text.replace(/\n$/, '').split('\n'));
    }
  }
  return lines;
}

describe('BuildController against the simulator', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ knex: await databases.init('SQLITE_3') });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('runs a build to success: a placed, typed Job; steps; image digest; the whole log', async () => {
    const build = await h.trigger({ branch: 'main' });
    expect(build).toMatchObject({
      status: 'queued',
      number: 1,
      buildType: 'generic',
      language: 'node',
      cluster: 'sim',
      namespace: NS,
    });
    const done = await h.drive(build.id, finished);
    expect(done).toMatchObject({
      status: 'succeeded',
      commit: expect.stringMatching(/^[0-9a-f]{7}$/),
      image: {
        ref: 'registry.fincloud.example/web/user-portal:1-main',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
      scan: { status: 'passed', threshold: 'high' },
    });
    expect(done.steps.map(s => [s.name, s.status, s.exitCode])).toEqual([
      ['clone', 'succeeded', 0],
      ['scan', 'succeeded', 0],
      ['build', 'succeeded', 0],
    ]);
    expect(done.queueMs).toBeGreaterThanOrEqual(0);
    expect(done.runMs).toBeGreaterThanOrEqual(0);

    const job = h.sim.store.get('batch/v1', 'Job', NS, done.jobName!) as any;
    expect(job.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'fincloud-builds',
      'fincloud.io/build-id': build.id,
      'fincloud.io/build-number': '1',
    });
    expect(job.metadata.annotations['fincloud.io/entity-ref']).toBe(PORTAL);
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 600,
    });
    const podSpec = job.spec.template.spec;
    expect(podSpec).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      nodeSelector: { 'fincloud.io/pool': 'general' },
      tolerations: [
        {
          key: 'dedicated',
          operator: 'Equal',
          value: 'builds',
          effect: 'NoSchedule',
        },
      ],
    });
    expect(podSpec.initContainers.map((c: any) => c.name)).toEqual([
      'clone',
      'scan',
    ]);
    const clone = podSpec.initContainers[0];
    expect(clone.env).toEqual(
      expect.arrayContaining([
        {
          name: 'GIT_URL',
          value: 'https://git.fincloud.example/web/user-portal.git',
        },
        { name: 'GIT_BRANCH', value: 'main' },
      ]),
    );
    const builder = podSpec.containers[0];
    expect(builder.args).toEqual(
      expect.arrayContaining([
        '--destination=registry.fincloud.example/web/user-portal:1-main',
        '--cache=true',
        '--cache-repo=registry.fincloud.example/cache/web/user-portal',
      ]),
    );
    expect(builder.resources).toEqual({
      requests: { cpu: '1', memory: '2Gi' },
      limits: { cpu: '2', memory: '4Gi' },
    });
    // The generated Dockerfile, mounted from a ConfigMap the Job owns.
    const cm = h.sim.store.get('v1', 'ConfigMap', NS, done.jobName!) as any;
    expect(cm.data.Dockerfile).toBe(h.config.templates.node.generic);
    expect(cm.metadata.ownerReferences[0]).toMatchObject({
      kind: 'Job',
      name: done.jobName,
      uid: job.metadata.uid,
    });

    const log = await h.log(build.id);
    expect(log).toEqual(expectedLog(h, done));
    // The builder ran the generated Dockerfile, not one of its own.
    expect(log).toEqual(
      expect.arrayContaining([
        expect.stringContaining('CMD ["node", "dist/server.js"]'),
      ]),
    );
    expect(log[log.length - 1]).toMatch(
      /\] Pushed registry\.fincloud\.example\/web\/user-portal@sha256:[0-9a-f]{64}$/,
    );
    expect(
      h.events.changes.filter(c => c.id === build.id).map(c => c.status),
    ).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));
  });

  it.each([
    [
      'clone',
      'feature/sim-fail-clone',
      /the clone of feature\/sim-fail-clone failed \(exit/,
    ],
    ['build', 'feature/sim-fail-build', /the build step failed \(exit 1/],
  ])(
    'fails at the %s step with the reason in words',
    async (step, branch, reason) => {
      const build = await h.trigger({ branch });
      const done = await h.drive(build.id, finished);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(reason);
      const failedStep = done.steps.find(s => s.name === step)!;
      expect(failedStep.status).toBe('failed');
      expect(failedStep.exitCode).not.toBe(0);
      const after = done.steps.slice(done.steps.indexOf(failedStep) + 1);
      expect(after.every(s => s.status === 'skipped')).toBe(true);
      expect(done.image).toBeUndefined();
      expect(await h.log(build.id)).toEqual(expectedLog(h, done));
    },
  );

  it('fails at the scan step with the blocking rules, then passes once a lead waives them', async () => {
    const build = await h.trigger({ branch: 'feature/sim-fail-scan' });
    const failed = await h.drive(build.id, finished);
    expect(failed.status).toBe('failed');
    expect(failed.scan).toMatchObject({
      status: 'failed',
      counts: { critical: 1 },
      threshold: 'high',
    });
    const critical = failed.scan!.findings.filter(
      f => f.severity === 'critical',
    );
    expect(critical).toHaveLength(1);
    expect(failed.error).toContain(critical[0].ruleId);
    expect(failed.error).toMatch(/ask a team lead to approve a waiver/);
    expect(failed.steps.map(s => s.status)).toEqual([
      'succeeded',
      'failed',
      'skipped',
    ]);

    // Both critical rules the simulator may report, waived by the lead.
    const waiver = await h.store.createWaiver({
      entityRef: PORTAL,
      ruleIds: [
        'generic.secrets.security.detected-aws-access-key-id-value',
        'generic.secrets.security.detected-private-key',
      ],
      reason: 'test keys only, rotated',
      requestedBy: 'user:default/pete',
      expiresAt: Date.now() + 86_400_000,
    });
    await h.store.decideWaiver(waiver.id, {
      status: 'approved',
      by: 'user:default/paula',
      reason: 'ok until rotation',
    });
    const rerun = await h.service.rerun(build.id, 'user:default/pete');
    expect(rerun.rerunOf).toBe(build.id);
    const done = await h.drive(rerun.id, finished);
    expect(done.status).toBe('succeeded');
    expect(done.scan).toMatchObject({ status: 'waived', waiverId: waiver.id });
    expect(done.spec.attempts).toHaveLength(2);
    expect(done.spec.attempts[1]).toMatchObject({
      jobName: jobNameFor(done, 1),
      skipScan: true,
    });
    // The continuation builds exactly the commit that was scanned, without the scan.
    const second = h.sim.store.get(
      'batch/v1',
      'Job',
      NS,
      done.spec.attempts[1].jobName,
    ) as any;
    const spec = second.spec.template.spec;
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['clone']);
    expect(spec.initContainers[0].env).toEqual(
      expect.arrayContaining([{ name: 'GIT_REVISION', value: done.commit }]),
    );
    expect(done.steps.find(s => s.name === 'scan')?.message).toMatch(
      /waived by user:default\/paula/,
    );
    const log = await h.log(done.id);
    expect(log).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[fincloud\] scan findings waived by waiver/),
      ]),
    );
    expect(h.auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'scan-waived',
        severityLevel: 'medium',
        meta: expect.objectContaining({
          entityRef: PORTAL,
          waiverId: waiver.id,
        }),
      }),
    );
  });

  it('cancels a running build: deletes its Job and keeps what was logged', async () => {
    const build = await h.trigger({ branch: 'main' });
    await h.drive(
      build.id,
      b => b.steps[0].status === 'running' || b.steps[0].status === 'succeeded',
      { stepMs: 500 },
    );
    const jobName = (await h.get(build.id)).jobName!;
    const cancelled = await h.service.cancel(
      build.id,
      'user:default/pete',
      'wrong branch',
    );
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by user:default/pete: wrong branch',
    });
    expect(h.sim.store.get('batch/v1', 'Job', NS, jobName)).toBeUndefined();
    const done = await h.drive(build.id, b => b.logComplete, { stepMs: 5000 });
    expect(done.status).toBe('cancelled');
    expect(done.steps.some(s => s.status === 'cancelled')).toBe(true);
    await expect(
      h.service.cancel(build.id, 'user:default/pete'),
    ).rejects.toThrow(/already cancelled/);
  });

  it('fails a build whose pod is evicted, saying so', async () => {
    const build = await h.trigger({ branch: 'main' });
    const running = await h.drive(
      build.id,
      b => b.steps[2].status === 'running',
      { stepMs: 500 },
    );
    const pod = running.spec.attempts[0].podName!;
    await h.sim
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedPodEviction({
        name: pod,
        namespace: NS,
        body: { metadata: { name: pod, namespace: NS } },
      });
    const done = await h.drive(build.id, finished, { stepMs: 5000 });
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(new RegExp(`the build pod ${pod} was evicted`));
    // Everything logged before the eviction is kept.
    expect((await h.log(build.id)).length).toBeGreaterThan(20);
  });

  it('fails a build whose Job is deleted while it runs', async () => {
    const build = await h.trigger({ branch: 'main' });
    const running = await h.drive(build.id, b => b.status === 'running', {
      stepMs: 500,
    });
    await h.sim
      .kubeConfig()
      .makeApiClient(BatchV1Api)
      .deleteNamespacedJob({
        name: running.jobName!,
        namespace: NS,
        propagationPolicy: 'Background',
      });
    const done = await h.drive(build.id, finished, { stepMs: 5000 });
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/deleted/);
  });

  it("fails a build with a cluster that refuses its Job, with the cluster's message", async () => {
    h.sim.faults.failRequests({
      verbs: ['create'],
      resources: ['jobs.batch'],
      status: 422,
      message:
        'admission webhook "policy.fincloud.example" denied the request: image not signed',
      count: 1,
    });
    const build = await h.trigger({ branch: 'main' });
    const done = await h.drive(build.id, finished);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/refused the build Job: .*image not signed/);
  });

  it('keeps a build queued while the cluster is down, then runs it', async () => {
    const fault = h.sim.faults.failRequests({
      verbs: ['create'],
      resources: ['jobs.batch'],
      status: 503,
      count: 3,
    });
    const build = await h.trigger({ branch: 'main' });
    for (let i = 0; i < 2; i++) await h.controller.reconcile(build.id);
    expect((await h.get(build.id)).status).toBe('queued');
    h.sim.faults.remove(fault);
    const done = await h.drive(build.id, finished);
    expect(done.status).toBe('succeeded');
  });

  it('makes manifests the strict admission accepts for every builder and build type', async () => {
    const batch = h.sim.kubeConfig().makeApiClient(BatchV1Api);
    const base = await h.get((await h.trigger({ branch: 'main' })).id);
    await h.service.cancel(base.id, 'user:default/pete');
    const variants = [
      { ...h.config, builder: 'buildkit' as const },
      {
        ...h.config,
        registrySecret: 'registry-push',
        serviceAccountName: 'builder',
      },
      { ...h.config, cache: { ...h.config.cache, enabled: false } },
    ];
    const specs = [
      base.spec,
      {
        ...base.spec,
        dockerfile: undefined,
        inRepo: { dockerfile: 'build/Dockerfile', context: 'app' },
      },
      { ...base.spec, scan: { enabled: false, failOn: 'high' as const } },
    ];
    let n = 0;
    for (const config of variants) {
      for (const spec of specs) {
        const attempt = { jobName: `admission-check-${n++}`, skipScan: false };
        const { job, configMap } = buildManifests(
          { ...base, spec },
          attempt,
          config,
        );
        await expect(
          batch.createNamespacedJob({
            namespace: NS,
            body: job.toJSON() as any,
            dryRun: 'All',
          }),
        ).resolves.toMatchObject({ metadata: { name: attempt.jobName } });
        // A ConfigMap exactly when the Dockerfile is generated or custom.
        expect(Boolean(configMap)).toBe(Boolean(spec.dockerfile));
        const accepted = configMap
          ? await h.sim
              .kubeConfig()
              .makeApiClient(CoreV1Api)
              .createNamespacedConfigMap({
                namespace: NS,
                body: configMap.toJSON() as any,
                dryRun: 'All',
              })
          : undefined;
        expect(accepted?.metadata?.name).toBe(
          configMap ? attempt.jobName : undefined,
        );
      }
    }
  });
});

describe('BuildController limits', () => {
  it('fails a build that runs past its deadline', async () => {
    const h = await startHarness({
      knex: await databases.init('SQLITE_3'),
      builds: { activeDeadlineSeconds: 6 },
    });
    try {
      const build = await h.trigger({ branch: 'main' });
      const done = await h.drive(build.id, finished);
      expect(done.status).toBe('failed');
      expect(done.error).toBe(
        'the build ran longer than its deadline of 6 s (activeDeadlineSeconds) and was stopped',
      );
    } finally {
      await h.stop();
    }
  });

  it('queues builds beyond maxConcurrentBuilds per cluster', async () => {
    const h = await startHarness({
      knex: await databases.init('SQLITE_3'),
      builds: { maxConcurrentBuilds: 1 },
    });
    try {
      const first = await h.trigger({ branch: 'main' });
      const second = await h.trigger({ branch: 'main' });
      await h.drive(first.id, b => b.status === 'running', { stepMs: 500 });
      await h.controller.reconcile(second.id);
      expect(await h.get(second.id)).toMatchObject({
        status: 'queued',
        spec: { attempts: [] },
      });
      await h.drive(first.id, finished);
      const done = await h.drive(second.id, finished);
      expect(done.status).toBe('succeeded');
    } finally {
      await h.stop();
    }
  });
});

describe.each(databases.eachSupportedId())(
  'BuildController replicas and restarts on %p',
  databaseId => {
    let h: Harness;

    beforeAll(async () => {
      h = await startHarness({
        knex: await databases.init(databaseId),
        builds: {
          podAnnotations: { 'sim.fincloud.io/log-lines': '30000' },
          logs: { flushIntervalMs: 50, chunkLines: 700 },
        },
      });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('resumes following after a crash mid-build with no gap and no duplicate line', async () => {
      const build = await h.trigger({ branch: 'main' });
      const first = h.controller;
      await h.drive(build.id, b => b.steps[2].status === 'running', {
        stepMs: 500,
      });
      // Let the build step print part of its 30 000 compiler lines, stored as they come.
      await h.drive(build.id, b => b.logLines > 3000, { stepMs: 100 });
      // The backend dies: the follower stops, its lease is not released.
      await first.stop({ releaseLeases: false });
      const storedAtCrash = (await h.get(build.id)).logLines;
      h.sim.clock.advance(800); // lines keep coming while nobody follows
      // The backend comes back (a new instance) and takes over after the lease.
      h.addController('replica-after-restart');
      const done = await h.drive(build.id, finished, { stepMs: 500 });
      expect(done.status).toBe('succeeded');
      const log = await h.log(build.id);
      expect(log.length).toBeGreaterThan(30_000);
      expect(storedAtCrash).toBeLessThan(log.length - 1000);
      expect(log).toEqual(expectedLog(h, done));
    });

    it('lets two replicas reconcile the same builds without double-acting', async () => {
      h.addController('replica-b');
      const builds = await Promise.all([
        h.trigger({ branch: 'main' }),
        h.trigger({ branch: 'release/1.2' }),
      ]);
      // Both replicas reconcile at the same moment, repeatedly.
      for (let i = 0; i < 3; i++) {
        await Promise.all(
          h.controllers.flatMap(c => builds.map(b => c.reconcile(b.id))),
        );
      }
      for (const b of builds) {
        const done = await h.drive(b.id, finished, { stepMs: 1000 });
        expect(done.status).toBe('succeeded');
        const jobs = h.sim.store
          .list('batch/v1', 'Job', NS)
          .filter(
            (j: any) => j.metadata.labels['fincloud.io/build-id'] === b.id,
          );
        expect(jobs).toHaveLength(1);
        expect(await h.log(b.id)).toEqual(expectedLog(h, done));
      }
    });
  },
);
