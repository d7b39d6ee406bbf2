import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import { clone } from '../store/patch';
import { isoSeconds } from '../store/Cluster';
import type { Controller, ControllerContext } from './context';
import { controllerRef, isPodReady, ownerRefTo, setCondition } from './util';

const COMPONENT = 'job-controller';
/** Job pods carry it until the controller has counted them (as kube's Job controller does). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

function finished(job: K8sObject): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
      return c.type;
  }
  return undefined;
}

/**
 * Jobs: pods per parallelism / completions, success and failure counting
 * (a deleted or evicted running pod is a failure), backoffLimit with the
 * controller's exponential back-off, activeDeadlineSeconds, suspend, and
 * the TTL-after-finished controller (deletes the Job, its pods by cascade).
 */
export class JobController implements Controller {
  private readonly timers = new Map<string, Map<string, () => void>>();
  private readonly lastFailure = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    const o = event.object;
    if (event.key === 'batch/jobs') {
      if (event.type === 'DELETED') {
        this.clearTimers(o.metadata.uid!);
        this.lastFailure.delete(o.metadata.uid!);
        return;
      }
      this.enqueue(o.metadata.namespace!, o.metadata.name);
    } else if (event.key === 'core/pods') {
      const ref =
        controllerRef(o) ?? (event.previous && controllerRef(event.previous));
      if (ref?.kind === 'Job') this.enqueue(o.metadata.namespace!, ref.name);
    }
  }

  private enqueue(namespace: string, name: string) {
    this.ctx.queue.add(`job:${namespace}/${name}`, () =>
      this.reconcile(namespace, name),
    );
  }

  private timer(job: K8sObject, kind: string, ms: number) {
    const uid = job.metadata.uid!;
    let map = this.timers.get(uid);
    if (!map) {
      map = new Map();
      this.timers.set(uid, map);
    }
    if (map.has(kind)) return;
    const { namespace, name } = job.metadata;
    map.set(
      kind,
      this.ctx.clock.setTimeout(() => {
        map!.delete(kind);
        this.enqueue(namespace!, name);
      }, Math.max(0, ms)),
    );
  }

  private clearTimers(uid: string, kind?: string) {
    const map = this.timers.get(uid);
    if (!map) return;
    for (const [k, cancel] of map) {
      if (kind && k !== kind) continue;
      cancel();
      map.delete(k);
    }
  }

  private reconcile(namespace: string, name: string) {
    const { cluster, resources, clock } = this.ctx;
    const job = cluster.tryGet(resources.jobs, namespace, name);
    if (!job) return;
    const now = clock.now();
    const nowIso = isoSeconds(now);
    const status: any = clone(job.status ?? {});
    status.succeeded ??= 0;
    status.failed ??= 0;
    const pods = cluster.store
      .list('core/pods', namespace)
      .filter(pod => controllerRef(pod)?.uid === job.metadata.uid);

    // Count terminated pods once: the tracking finalizer goes when they are counted.
    const toRelease: K8sObject[] = [];
    for (const pod of pods) {
      if (!(pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER))
        continue;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded') {
        status.succeeded++;
        toRelease.push(pod);
      } else if (
        phase === 'Failed' ||
        (pod.metadata.deletionTimestamp && !pod.spec?.nodeName)
      ) {
        status.failed++;
        toRelease.push(pod);
        this.lastFailure.set(job.metadata.uid!, now);
      }
    }
    const onFailureRestarts = pods.reduce(
      (sum, pod) =>
        sum +
        (pod.status?.containerStatuses ?? []).reduce(
          (s: number, c: any) => s + (c.restartCount ?? 0),
          0,
        ) +
        (pod.status?.initContainerStatuses ?? []).reduce(
          (s: number, c: any) => s + (c.restartCount ?? 0),
          0,
        ),
      0,
    );
    const active = pods.filter(
      pod =>
        !pod.metadata.deletionTimestamp &&
        pod.status?.phase !== 'Succeeded' &&
        pod.status?.phase !== 'Failed',
    );
    const terminating = pods.filter(
      pod =>
        pod.metadata.deletionTimestamp &&
        pod.status?.phase !== 'Succeeded' &&
        pod.status?.phase !== 'Failed',
    );

    const done = finished(job);
    const completions = job.spec?.completions ?? 1;
    const parallelism = job.spec?.parallelism ?? 1;
    const backoffLimit = job.spec?.backoffLimit ?? 6;
    let conditions: any[] = status.conditions ?? [];
    let finishReason:
      | { type: 'Complete' | 'Failed'; reason: string; message: string }
      | undefined;

    if (!done) {
      if (job.spec?.suspend) {
        for (const pod of active)
          cluster.delete(resources.pods, namespace, pod.metadata.name, {});
        if (active.length)
          cluster.recordEvent(
            job,
            'Normal',
            'Suspended',
            'Job suspended',
            COMPONENT,
          );
        conditions = setCondition(
          conditions,
          {
            type: 'Suspended',
            status: 'True',
            reason: 'JobSuspended',
            message: 'Job suspended',
            lastProbeTime: nowIso,
          },
          nowIso,
        );
        delete status.startTime;
        this.clearTimers(job.metadata.uid!, 'deadline');
      } else {
        if (
          conditions.some(c => c.type === 'Suspended' && c.status === 'True')
        ) {
          conditions = setCondition(
            conditions,
            {
              type: 'Suspended',
              status: 'False',
              reason: 'JobResumed',
              message: 'Job resumed',
              lastProbeTime: nowIso,
            },
            nowIso,
          );
          cluster.recordEvent(
            job,
            'Normal',
            'Resumed',
            'Job resumed',
            COMPONENT,
          );
        }
        status.startTime ??= nowIso;
        const deadline = job.spec?.activeDeadlineSeconds;
        const started = Date.parse(status.startTime);
        const failures =
          status.failed +
          (job.spec?.template?.spec?.restartPolicy === 'OnFailure'
            ? onFailureRestarts
            : 0);
        if (status.succeeded >= completions) {
          finishReason = {
            type: 'Complete',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          };
        } else if (deadline !== undefined && started + deadline * 1000 <= now) {
          finishReason = {
            type: 'Failed',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          };
        } else if (failures > backoffLimit) {
          finishReason = {
            type: 'Failed',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          };
        } else {
          if (deadline !== undefined)
            this.timer(job, 'deadline', started + deadline * 1000 - now);
          const remaining = completions - status.succeeded;
          const want = Math.min(parallelism, remaining) - active.length;
          if (want > 0 && terminating.length === 0) {
            const delay = this.backoffDelay(job, status.failed, now);
            if (delay > 0) {
              this.timer(job, 'backoff', delay);
            } else {
              for (let i = 0; i < want; i++) {
                const pod = this.createPod(job);
                if (pod) active.push(pod);
              }
            }
          }
        }
      }
    }

    if (finishReason) {
      for (const pod of active)
        cluster.delete(resources.pods, namespace, pod.metadata.name, {});
      const target =
        finishReason.type === 'Complete'
          ? 'SuccessCriteriaMet'
          : 'FailureTarget';
      conditions = setCondition(
        conditions,
        {
          type: target,
          status: 'True',
          reason: finishReason.reason,
          message: finishReason.message,
          lastProbeTime: nowIso,
        },
        nowIso,
      );
      conditions = setCondition(
        conditions,
        {
          type: finishReason.type,
          status: 'True',
          reason: finishReason.reason,
          message: finishReason.message,
          lastProbeTime: nowIso,
        },
        nowIso,
      );
      if (finishReason.type === 'Complete') {
        status.completionTime = nowIso;
        cluster.recordEvent(
          job,
          'Normal',
          'Completed',
          'Job completed',
          COMPONENT,
        );
      } else {
        cluster.recordEvent(
          job,
          'Warning',
          finishReason.reason,
          finishReason.message,
          COMPONENT,
        );
      }
      this.clearTimers(job.metadata.uid!, 'deadline');
      this.clearTimers(job.metadata.uid!, 'backoff');
    }

    const remainingActive = finishReason
      ? []
      : active.filter(p => !p.metadata.deletionTimestamp);
    status.active = remainingActive.length;
    status.ready = remainingActive.filter(isPodReady).length;
    status.terminating = pods.filter(
      p =>
        p.metadata.deletionTimestamp &&
        p.status?.phase !== 'Succeeded' &&
        p.status?.phase !== 'Failed',
    ).length;
    status.uncountedTerminatedPods = {};
    status.conditions = conditions.length ? conditions : undefined;
    for (const key of ['active', 'succeeded', 'failed', 'conditions']) {
      if (status[key] === 0 || status[key] === undefined) delete status[key];
    }
    cluster.writeStatus(resources.jobs, job, status);
    for (const pod of toRelease)
      cluster.removeFinalizer(resources.pods, pod, JOB_TRACKING_FINALIZER);

    const latest = cluster.tryGet(resources.jobs, namespace, name);
    if (latest) this.ttl(latest, now);
  }

  /** kube's pod failure back-off: 10s, 20s, 40s ... capped at 6 minutes, from the last failure. */
  private backoffDelay(job: K8sObject, failed: number, now: number): number {
    const last = this.lastFailure.get(job.metadata.uid!);
    if (failed === 0 || last === undefined) return 0;
    const delay = Math.min(360_000, 10_000 * 2 ** (failed - 1));
    return Math.max(0, last + delay - now);
  }

  private createPod(job: K8sObject): K8sObject | undefined {
    const { cluster, resources } = this.ctx;
    const template = clone(job.spec?.template ?? {});
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels: template.metadata?.labels,
        annotations: template.metadata?.annotations,
        ownerReferences: [ownerRefTo(job)],
        finalizers: [JOB_TRACKING_FINALIZER],
      },
      spec: template.spec,
    };
    try {
      const created = cluster.create(
        resources.pods,
        job.metadata.namespace,
        pod,
      ).object;
      cluster.recordEvent(
        job,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name}`,
        COMPONENT,
      );
      return created;
    } catch (error: any) {
      cluster.recordEvent(
        job,
        'Warning',
        'FailedCreate',
        `Error creating: ${error.message}`,
        COMPONENT,
      );
      return undefined;
    }
  }

  /** TTL-after-finished: delete the finished Job (foreground, so its pods go first). */
  private ttl(job: K8sObject, now: number) {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || !finished(job) || job.metadata.deletionTimestamp)
      return;
    const finishedAt = Date.parse(
      job.status?.completionTime ??
        job.status?.conditions?.find(
          (c: any) =>
            (c.type === 'Complete' || c.type === 'Failed') &&
            c.status === 'True',
        )?.lastTransitionTime ??
        '',
    );
    const due = (Number.isFinite(finishedAt) ? finishedAt : now) + ttl * 1000;
    if (due <= now) {
      this.ctx.cluster.delete(
        this.ctx.resources.jobs,
        job.metadata.namespace,
        job.metadata.name,
        {
          propagationPolicy: 'Foreground',
          preconditions: { uid: job.metadata.uid },
        },
      );
    } else {
      this.timer(job, 'ttl', due - now);
    }
  }

  stop() {
    for (const uid of [...this.timers.keys()]) this.clearTimers(uid);
  }
}
