import { randomUUID } from 'node:crypto';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  BuildStatus,
  BuildStep,
  isBuildFinished,
  StepName,
} from '@fincloud/plugin-builds-common';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { BUILDS_AUDIT_EVENTS } from '../auditor/events';
import type { BuildsConfig } from '../config';
import { BuildsStore } from '../database/BuildsStore';
import { BuildAttempt, BuildPatch, BuildRecord } from '../database/types';
import {
  ClusterClientCache,
  isTransient,
  messageOf,
  statusOf,
} from '../kubernetes/clusterClients';
import {
  BUILD_LABELS,
  buildManifests,
  jobNameFor,
} from '../kubernetes/jobManifest';
import { blockingFindings, scanResultOf } from '../kubernetes/logFacts';
import { BuildEvents } from './BuildEvents';
import { FollowerSuperseded, LogFollower } from './LogFollower';

export interface BuildControllerOptions {
  store: BuildsStore;
  clients: ClusterClientCache;
  config: BuildsConfig;
  logger: LoggerService;
  events: BuildEvents;
  auditor?: AuditorService;
  /** This replica's name in follower leases. */
  instanceId?: string;
  /** How long to wait for the log follower's facts before deciding without them. */
  factsGraceMs?: number;
  /** Log follower polling (tests make it short). */
  followerPollMs?: number;
}

const STEP_NAMES: StepName[] = ['clone', 'scan', 'build'];

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find(
    c => c.type === type && c.status === 'True',
  );
}

function allStatuses(pod: V1Pod) {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
}

function toMs(value: unknown): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value as string).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Steps still open when a build ends become skipped (failed) or cancelled. */
export function closeSteps(
  steps: BuildStep[],
  status: BuildStatus,
): BuildStep[] {
  return steps.map(step =>
    step.status === 'queued' || step.status === 'running'
      ? { ...step, status: status === 'cancelled' ? 'cancelled' : 'skipped' }
      : step,
  );
}

/**
 * Reconciles build records with their Jobs: queued → Job created → running
 * → succeeded / failed, with the reason in words; starts the log followers.
 * Idempotent and safe with several replicas: every change is made under the
 * record's optimistic lock, Job names are deterministic (a second create
 * gets AlreadyExists and adopts the same Job), and a log follower runs under
 * a lease on one replica at a time.
 */
export class BuildController {
  private readonly instanceId: string;
  private readonly follower: LogFollower;
  private readonly followers = new Map<
    string,
    { abort: AbortController; done: Promise<void> }
  >();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly configMapsEnsured = new Set<string>();
  private stopped = false;

  constructor(private readonly options: BuildControllerOptions) {
    this.instanceId = options.instanceId ?? `builds-${randomUUID()}`;
    this.follower = new LogFollower({
      store: options.store,
      clients: options.clients,
      namespace: options.config.namespace,
      logger: options.logger,
      chunkLines: options.config.logs.chunkLines,
      flushIntervalMs: options.config.logs.flushIntervalMs,
      pollMs: options.followerPollMs,
      onLines: build => options.events.progressed(build),
      onStep: buildId => this.kick(buildId),
    });
  }

  /** One pass over every build that is not finished (the scheduled task). */
  async reconcileAll(): Promise<void> {
    if (this.stopped) return;
    const builds = await this.options.store.listUnfinished();
    for (const build of builds) {
      await this.reconcile(build.id);
    }
  }

  /** Reconciles one build now (after a trigger), without waiting for the task. */
  kick(buildId: string): void {
    this.reconcile(buildId).catch(error =>
      this.options.logger.warn(
        `build ${buildId}: reconcile failed: ${messageOf(error)}`,
      ),
    );
  }

  async reconcile(buildId: string): Promise<void> {
    if (this.stopped) return undefined;
    const running = this.inFlight.get(buildId);
    if (running) {
      this.again.add(buildId);
      return running;
    }
    const work = (async () => {
      try {
        do {
          this.again.delete(buildId);
          const build = await this.options.store.getBuild(buildId);
          if (!build) return;
          try {
            await this.reconcileBuild(build);
          } catch (error) {
            this.options.logger.warn(
              `build ${build.id} (${build.entityRef} #${
                build.number
              }): ${messageOf(error)}; will retry`,
            );
          }
        } while (this.again.has(buildId) && !this.stopped);
      } finally {
        this.inFlight.delete(buildId);
      }
    })();
    this.inFlight.set(buildId, work);
    return work;
  }

  /**
   * Stops following logs. With `releaseLeases` (a clean shutdown) another
   * replica takes over at once; without (a crash) only after the lease.
   */
  async stop(options: { releaseLeases?: boolean } = {}): Promise<void> {
    this.stopped = true;
    const followers = [...this.followers.entries()];
    for (const [, f] of followers) f.abort.abort();
    await Promise.all(followers.map(([, f]) => f.done.catch(() => {})));
    await Promise.all([...this.inFlight.values()].map(p => p.catch(() => {})));
    if (options.releaseLeases ?? true) {
      for (const [id] of followers) {
        await this.options.store.releaseFollower(id, this.instanceId);
      }
    }
  }

  private async reconcileBuild(build: BuildRecord): Promise<void> {
    if (isBuildFinished(build.status)) {
      if (build.status === 'cancelled' && !build.logComplete) {
        await this.deleteJobs(build);
      }
      this.ensureFollowing(build);
      return;
    }
    const attempts = build.spec.attempts;
    if (attempts.length === 0) {
      await this.start(build);
      const started = await this.options.store.getBuild(build.id);
      if (started) this.ensureFollowing(started);
      return;
    }
    await this.observe(build, attempts[attempts.length - 1]);
    this.ensureFollowing(
      (await this.options.store.getBuild(build.id)) ?? build,
    );
  }

  private async update(
    build: BuildRecord,
    patch: BuildPatch,
  ): Promise<BuildRecord | undefined> {
    const ok = await this.options.store.updateBuild(
      build.id,
      build.version,
      patch,
    );
    if (!ok) {
      // Someone else changed it first; the next pass works from their version.
      this.again.add(build.id);
      return undefined;
    }
    const updated = await this.options.store.getBuild(build.id);
    if (updated) {
      const changed =
        patch.status !== undefined ||
        patch.steps !== undefined ||
        patch.scan !== undefined;
      if (changed) this.options.events.changed(updated);
    }
    return updated;
  }

  private async finish(
    build: BuildRecord,
    status: 'succeeded' | 'failed',
    patch: BuildPatch,
  ) {
    const updated = await this.update(build, {
      ...patch,
      status,
      finishedAt: patch.finishedAt ?? Date.now(),
      steps: closeSteps(patch.steps ?? build.steps, status),
    });
    if (updated) {
      this.options.logger.info(
        `build ${updated.entityRef} #${updated.number} ${status}${
          updated.error ? `: ${updated.error}` : ''
        }`,
      );
      this.ensureFollowing(updated);
    }
  }

  /** Queued without a Job: create one, when the cluster has room. */
  private async start(build: BuildRecord) {
    const { config, store } = this.options;
    const waited = Date.now() - Date.parse(build.createdAt);
    if (waited > config.queueTimeoutMs) {
      await this.finish(build, 'failed', {
        error: `waited ${Math.round(
          waited / 60_000,
        )} minutes in the queue without starting (cluster "${
          build.cluster
        }" busy or unreachable); trigger it again`,
      });
      return;
    }
    if (
      (await store.countActiveJobs(build.cluster)) >= config.maxConcurrentBuilds
    ) {
      return; // stays queued; the next pass tries again
    }
    const attempt: BuildAttempt = {
      jobName: jobNameFor(build, 0),
      skipScan: false,
      createdAt: Date.now(),
    };
    // Record the attempt first, under the lock: only one replica goes on.
    const claimed = await this.update(build, {
      jobName: attempt.jobName,
      spec: { ...build.spec, attempts: [attempt] },
    });
    if (!claimed) return;
    await this.createJob(claimed, attempt);
  }

  /**
   * Creates the attempt's Dockerfile ConfigMap, then its Job (adopting one
   * that exists already), then makes the Job the ConfigMap's owner so that the
   * garbage collector removes both together (TTL, cancel).
   */
  private async createJob(build: BuildRecord, attempt: BuildAttempt) {
    const { config, clients } = this.options;
    const { batch } = clients.get(build.cluster);
    let manifests;
    try {
      manifests = buildManifests(build, attempt, config);
    } catch (error) {
      await this.finish(build, 'failed', {
        error: `the build Job could not be made: ${messageOf(error)}`,
      });
      return;
    }
    let job: V1Job;
    try {
      // The pod mounts the Dockerfile: it must exist before the pod does.
      if (manifests.configMap) {
        await this.createConfigMap(build, manifests.configMap.toJSON());
      }
      job = await batch.createNamespacedJob({
        namespace: config.namespace,
        body: manifests.job.toJSON() as V1Job,
      });
    } catch (error) {
      if (statusOf(error) === 409) {
        job = await batch.readNamespacedJob({
          name: attempt.jobName,
          namespace: config.namespace,
        });
        if (job.metadata?.labels?.[BUILD_LABELS.buildId] !== build.id) {
          await this.finish(build, 'failed', {
            error: `a Job named ${attempt.jobName} already exists in ${config.namespace} and is not this build's`,
          });
          return;
        }
      } else if (isTransient(error)) {
        this.options.logger.warn(
          `build ${build.entityRef} #${build.number}: cluster "${
            build.cluster
          }" did not take the Job yet (${messageOf(error)}); retrying`,
        );
        return;
      } else {
        await this.finish(build, 'failed', {
          error: `cluster "${build.cluster}" refused the build Job: ${messageOf(
            error,
          )}`,
        });
        return;
      }
    }
    if (manifests.configMap) await this.ownConfigMap(build, job);
  }

  private async createConfigMap(build: BuildRecord, body: any) {
    const { core } = this.options.clients.get(build.cluster);
    try {
      await core.createNamespacedConfigMap({
        namespace: this.options.config.namespace,
        body,
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
  }

  /** Makes the Job the owner of its Dockerfile ConfigMap (once). */
  private async ownConfigMap(build: BuildRecord, job: V1Job) {
    const name = job.metadata!.name!;
    const key = `${build.cluster}/${name}`;
    if (this.configMapsEnsured.has(key)) return;
    const { core } = this.options.clients.get(build.cluster);
    const namespace = this.options.config.namespace;
    try {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      if (
        !cm.metadata?.ownerReferences?.some(o => o.uid === job.metadata?.uid)
      ) {
        await core.replaceNamespacedConfigMap({
          name,
          namespace,
          body: {
            ...cm,
            metadata: {
              ...cm.metadata,
              ownerReferences: [
                {
                  apiVersion: 'batch/v1',
                  kind: 'Job',
                  name,
                  uid: job.metadata!.uid!,
                },
              ],
            },
          },
        });
      }
      this.configMapsEnsured.add(key);
      if (this.configMapsEnsured.size > 5000) this.configMapsEnsured.clear();
    } catch (error) {
      // Retried on the next pass; a missing owner only delays the clean-up.
      this.options.logger.debug(
        `build ${
          build.id
        }: could not set the owner of ConfigMap ${name}: ${messageOf(error)}`,
      );
    }
  }

  private stepsFrom(build: BuildRecord, attempt: BuildAttempt, pod?: V1Pod) {
    const statuses = pod ? allStatuses(pod) : [];
    return build.steps.map((step): BuildStep => {
      if (
        step.name === 'scan' &&
        (attempt.skipScan || !build.spec.scan.enabled)
      )
        return step;
      const status = statuses.find(s => s.name === step.name);
      const state = status?.state;
      if (!state) return step;
      if (state.running) {
        return {
          ...step,
          status: 'running',
          startedAt: toIso(state.running.startedAt) ?? step.startedAt,
          finishedAt: undefined,
          exitCode: undefined,
          message: undefined,
        };
      }
      if (state.terminated) {
        const t = state.terminated;
        const next: BuildStep = {
          name: step.name,
          status: t.exitCode === 0 ? 'succeeded' : 'failed',
          exitCode: t.exitCode,
        };
        const startedAt = toIso(t.startedAt) ?? step.startedAt;
        const finishedAt = toIso(t.finishedAt);
        if (startedAt) next.startedAt = startedAt;
        if (finishedAt) next.finishedAt = finishedAt;
        if (t.exitCode !== 0) {
          next.message =
            t.message || t.reason || `exited with code ${t.exitCode}`;
        }
        return next;
      }
      return step;
    });
  }

  /** A build with a Job: follow its status and decide when it ends. */
  private async observe(build: BuildRecord, attempt: BuildAttempt) {
    const { batch, core } = this.options.clients.get(build.cluster);
    const namespace = this.options.config.namespace;
    let job: V1Job | undefined;
    try {
      job = await batch.readNamespacedJob({ name: attempt.jobName, namespace });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    if (!job) {
      await this.jobMissing(build, attempt);
      return;
    }
    if (build.spec.dockerfile) await this.ownConfigMap(build, job);
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `job-name=${attempt.jobName}`,
    });
    const pod = pods.items.sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(
        String(a.metadata?.creationTimestamp ?? ''),
      ),
    )[0];
    const steps = this.stepsFrom(build, attempt, pod);
    const facts = build.logCursor?.facts ?? {};
    const patch: BuildPatch = {};
    if (JSON.stringify(steps) !== JSON.stringify(build.steps))
      patch.steps = steps;
    if (!build.commit && facts.commit) patch.commit = facts.commit;
    if (pod && attempt.podName !== pod.metadata?.name) {
      patch.spec = {
        ...build.spec,
        attempts: build.spec.attempts.map(a =>
          a.jobName === attempt.jobName
            ? { ...a, podName: pod.metadata?.name }
            : a,
        ),
      };
    }
    const started = pod
      ? allStatuses(pod).some(s => s.state?.running || s.state?.terminated)
      : false;
    if (build.status === 'queued' && (started || job.status?.startTime)) {
      if (started || condition(job, 'Failed') || condition(job, 'Complete')) {
        patch.status = 'running';
        const first = pod
          ? toMs(
              allStatuses(pod)
                .map(
                  s =>
                    s.state?.running?.startedAt ??
                    s.state?.terminated?.startedAt,
                )
                .find(Boolean),
            )
          : undefined;
        const created = Date.parse(build.createdAt);
        patch.startedAt =
          first !== undefined && first >= created && first <= Date.now()
            ? first
            : Date.now();
      }
    }
    if (build.spec.scan.enabled && facts.scan && !build.scan) {
      patch.scan = scanResultOf(facts.scan, build.spec.scan.failOn);
    }

    const complete = condition(job, 'Complete');
    const failed = condition(job, 'Failed');
    if (complete) {
      await this.succeeded(build, patch, pod);
      return;
    }
    if (failed) {
      await this.failed(build, attempt, patch, pod, failed.reason ?? '');
      return;
    }
    if (Object.keys(patch).length > 0) await this.update(build, patch);
  }

  private readonly factsWaitSince = new Map<string, number>();

  /**
   * Whether the log follower has stored the container's whole log (so its
   * facts — digest, scan result — are known), or we waited long enough.
   */
  private factsSettled(
    build: BuildRecord,
    pod: V1Pod | undefined,
    container: string,
  ) {
    const done = build.logCursor?.done ?? [];
    const key = `${build.id}/${pod?.metadata?.name}/${container}`;
    if (!pod || done.includes(`${pod.metadata?.name}/${container}`)) {
      this.factsWaitSince.delete(key);
      return true;
    }
    const since = this.factsWaitSince.get(key) ?? Date.now();
    this.factsWaitSince.set(key, since);
    if (Date.now() - since > (this.options.factsGraceMs ?? 60_000)) {
      this.factsWaitSince.delete(key);
      return true;
    }
    // Look again soon, not only at the next scheduled pass.
    setTimeout(() => this.kick(build.id), 1000).unref?.();
    return false;
  }

  private async succeeded(
    build: BuildRecord,
    patch: BuildPatch,
    pod: V1Pod | undefined,
  ) {
    // The digest comes from the build step's last line: wait for the follower.
    if (!this.factsSettled(build, pod, 'build')) {
      if (Object.keys(patch).length) await this.update(build, patch);
      return;
    }
    const facts = build.logCursor?.facts ?? {};
    const ref = `${build.spec.imageRepository}:${build.spec.tag}`;
    const digest = facts.pushed?.digest ?? facts.builtDigest;
    await this.finish(build, 'succeeded', {
      ...patch,
      status: 'succeeded',
      startedAt: build.startedAt ? undefined : patch.startedAt ?? Date.now(),
      image: digest ? { ref, digest } : { ref },
      finishedAt: Date.now(),
      error: null,
    });
  }

  private async failed(
    build: BuildRecord,
    attempt: BuildAttempt,
    patch: BuildPatch,
    pod: V1Pod | undefined,
    reason: string,
  ) {
    const { config, store } = this.options;
    const startedAt = build.startedAt
      ? undefined
      : patch.startedAt ?? Date.now();
    if (reason === 'DeadlineExceeded') {
      await this.finish(build, 'failed', {
        ...patch,
        startedAt,
        error: `the build ran longer than its deadline of ${config.activeDeadlineSeconds} s (activeDeadlineSeconds) and was stopped`,
      });
      return;
    }
    const podName = pod?.metadata?.name ?? attempt.podName;
    const evicted = podName ? await this.evictionOf(build, podName) : undefined;
    if (evicted) {
      await this.finish(build, 'failed', {
        ...patch,
        startedAt,
        error: `the build pod ${podName} was evicted (${evicted}); trigger the build again`,
      });
      return;
    }
    const failedStep = (patch.steps ?? build.steps).find(
      s => s.status === 'failed',
    );
    if (!pod || pod.metadata?.deletionTimestamp || !failedStep) {
      await this.finish(build, 'failed', {
        ...patch,
        startedAt,
        error: podName
          ? `the build pod ${podName} was deleted before it finished`
          : 'the build pod was deleted before it started',
      });
      return;
    }
    if (failedStep.name === 'scan') {
      if (!this.factsSettled(build, pod, 'scan')) {
        if (Object.keys(patch).length) await this.update(build, patch);
        return;
      }
      const facts = build.logCursor?.facts?.scan;
      const scan = scanResultOf(facts, build.spec.scan.failOn);
      if (!scan) {
        await this.finish(build, 'failed', {
          ...patch,
          startedAt,
          error: `the scan step failed (exit ${failedStep.exitCode}) without a SARIF result; see the log`,
        });
        return;
      }
      const blocking = blockingFindings(scan.findings, build.spec.scan.failOn);
      const ruleIds = [...new Set(blocking.map(f => f.ruleId))].sort();
      const commit = build.commit ?? build.logCursor?.facts?.commit;
      const waiver =
        ruleIds.length > 0
          ? await store.findCoveringWaiver(build.entityRef, ruleIds)
          : undefined;
      if (waiver && commit) {
        // Continue without the scan, on exactly the commit that was scanned.
        const next: BuildAttempt = {
          jobName: jobNameFor(build, build.spec.attempts.length),
          skipScan: true,
          createdAt: Date.now(),
        };
        const steps = (patch.steps ?? build.steps).map((s): BuildStep => {
          if (s.name === 'scan') {
            return {
              ...s,
              status: 'succeeded',
              message: `${ruleIds.length} blocking finding(s) waived by ${
                waiver.approvedBy ?? 'a team lead'
              } (waiver ${waiver.id})`,
            };
          }
          // clone and build run again in the continuation Job
          return { name: s.name, status: 'queued' };
        });
        const updated = await this.update(build, {
          ...patch,
          startedAt,
          commit,
          steps,
          jobName: next.jobName,
          scan: { ...scan, status: 'waived', waiverId: waiver.id },
          spec: {
            ...(patch.spec ?? build.spec),
            attempts: [...(patch.spec ?? build.spec).attempts, next],
          },
        });
        if (!updated) return;
        if (this.options.auditor) {
          const event = await this.options.auditor.createEvent({
            eventId: BUILDS_AUDIT_EVENTS.scanWaived,
            severityLevel: 'medium',
            meta: {
              entityRef: build.entityRef,
              buildId: build.id,
              buildNumber: build.number,
              waiverId: waiver.id,
              approvedBy: waiver.approvedBy,
              ruleIds,
              commit,
            },
          });
          await event.success();
        }
        await this.createJob(updated, next);
        return;
      }
      await this.finish(build, 'failed', {
        ...patch,
        startedAt,
        scan,
        error:
          ruleIds.length > 0
            ? `the scan found ${blocking.length} finding(s) at or above "${
                build.spec.scan.failOn
              }" (${ruleIds.join(
                ', ',
              )}); fix them, or ask a team lead to approve a waiver for these rules and re-run`
            : `the scan step failed (exit ${failedStep.exitCode}); see the log`,
      });
      return;
    }
    const what =
      failedStep.name === 'clone'
        ? `the clone of ${build.branch}${
            build.commit ? ` at ${build.commit}` : ''
          } failed`
        : `the ${failedStep.name} step failed`;
    await this.finish(build, 'failed', {
      ...patch,
      startedAt,
      error: `${what} (exit ${failedStep.exitCode}${
        failedStep.message ? `, ${failedStep.message}` : ''
      }); see the log`,
    });
  }

  private async evictionOf(build: BuildRecord, podName: string) {
    const { core } = this.options.clients.get(build.cluster);
    try {
      const events = await core.listNamespacedEvent({
        namespace: this.options.config.namespace,
        fieldSelector: `involvedObject.name=${podName},reason=Evicted`,
      });
      const event = events.items[0];
      return event ? event.message || 'Evicted' : undefined;
    } catch {
      return undefined;
    }
  }

  private async jobMissing(build: BuildRecord, attempt: BuildAttempt) {
    if (build.status === 'queued' && !attempt.podName) {
      // Recorded but not (yet) created: a replica stopped in between, or the
      // cluster did not answer. Creating it again is safe (same name).
      await this.createJob(build, attempt);
      return;
    }
    const facts = build.logCursor?.facts;
    if (
      facts?.pushed &&
      build.logCursor?.done.some(k => k.endsWith('/build'))
    ) {
      // Gone after it finished (ttlSecondsAfterFinished) while nobody looked:
      // its log says it pushed.
      await this.finish(build, 'succeeded', {
        image: {
          ref: `${build.spec.imageRepository}:${build.spec.tag}`,
          digest: facts.pushed.digest,
        },
        error: null,
      });
      return;
    }
    await this.finish(build, 'failed', {
      startedAt: build.startedAt ? undefined : Date.now(),
      error: `the build Job ${attempt.jobName} was deleted from cluster "${build.cluster}" before it finished`,
    });
  }

  /** Deletes every Job of the build (its pods go with them, in the background). */
  async deleteJobs(build: BuildRecord): Promise<void> {
    const { batch } = this.options.clients.get(build.cluster);
    for (const attempt of build.spec.attempts) {
      try {
        await batch.deleteNamespacedJob({
          name: attempt.jobName,
          namespace: this.options.config.namespace,
          propagationPolicy: 'Background',
        });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
  }

  /** Starts following the build's logs here, if no replica does. */
  private ensureFollowing(build: BuildRecord) {
    if (this.stopped || build.logComplete || this.followers.has(build.id))
      return;
    if (build.spec.attempts.length === 0) {
      if (isBuildFinished(build.status)) {
        // Never got a Job: there is no log to wait for.
        void this.options.store
          .updateBuild(build.id, build.version, { logComplete: true })
          .catch(() => {});
      }
      return;
    }
    const { store, config, logger } = this.options;
    const abort = new AbortController();
    const entry = { abort, done: Promise.resolve() };
    this.followers.set(build.id, entry);
    entry.done = (async () => {
      let renew: NodeJS.Timeout | undefined;
      try {
        if (
          !(await store.claimFollower(
            build.id,
            this.instanceId,
            config.controller.leaseMs,
          ))
        ) {
          return; // another replica follows it
        }
        renew = setInterval(async () => {
          const ok = await store
            .claimFollower(build.id, this.instanceId, config.controller.leaseMs)
            .catch(() => false);
          if (!ok) abort.abort();
        }, Math.max(200, config.controller.leaseMs / 3));
        const outcome = await this.follower.run(build.id, abort.signal);
        if (outcome === 'complete') {
          for (let i = 0; i < 10; i++) {
            const current = await store.getBuild(build.id);
            if (!current || current.logComplete) break;
            if (
              await store.updateBuild(current.id, current.version, {
                logComplete: true,
              })
            ) {
              this.options.events.changed(current);
              break;
            }
          }
        }
      } catch (error) {
        if (!(error instanceof FollowerSuperseded)) {
          logger.warn(
            `build ${build.id}: log follower stopped: ${messageOf(error)}`,
          );
        }
      } finally {
        if (renew) clearInterval(renew);
        this.followers.delete(build.id);
        if (!abort.signal.aborted) {
          await store
            .releaseFollower(build.id, this.instanceId)
            .catch(() => {});
        }
      }
    })();
  }
}

function toIso(value: unknown): string | undefined {
  const ms = toMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

export { STEP_NAMES };
