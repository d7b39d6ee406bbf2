import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LoggerService } from '@backstage/backend-plugin-api';
import { isBuildFinished } from '@fincloud/plugin-builds-common';
import type { V1Pod } from '@kubernetes/client-node';
import { BuildsStore } from '../database/BuildsStore';
import { BuildRecord, LogCursor } from '../database/types';
import {
  ClusterClientCache,
  messageOf,
  statusOf,
} from '../kubernetes/clusterClients';
import { readFact } from '../kubernetes/logFacts';

export interface LogFollowerOptions {
  store: BuildsStore;
  clients: ClusterClientCache;
  namespace: string;
  logger: LoggerService;
  chunkLines: number;
  flushIntervalMs: number;
  /** How often to look at the pod while waiting for a container. Default 500 ms. */
  pollMs?: number;
  /** A follow stream silent this long is reopened (a silently dead connection). Default 30 s. */
  idleMs?: number;
  /** Called after lines were stored (the plugin throttles it into signals). */
  onLines?: (build: BuildRecord) => void;
  /** Called when a step's log starts or ends (the controller looks at the build again). */
  onStep?: (buildId: string) => void;
}

/** The follower lost its build to another replica (its write was refused). */
export class FollowerSuperseded extends Error {
  constructor() {
    super('another follower stored lines of this build first');
  }
}

class Aborted extends Error {}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new Aborted());
      return;
    }
    let timer: NodeJS.Timeout | undefined = undefined;
    function onAbort() {
      clearTimeout(timer);
      reject(new Aborted());
    }
    timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** `2026-11-30T10:00:00.123456789Z` → a key that sorts as time does. */
export function timestampKey(ts: string): string | undefined {
  const m =
    /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(
      ts,
    );
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return `${String(seconds).padStart(12, '0')}.${(m[2] ?? '').padEnd(9, '0')}`;
}

/** The RFC 3339 second a timestamp falls in (what `sinceTime` accepts). */
function secondOf(ts: string): string {
  const key = timestampKey(ts);
  if (!key) return ts;
  return new Date(Number(key.slice(0, 12)) * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
}

type Next =
  | {
      kind: 'follow';
      pod: V1Pod;
      container: string;
      image?: string;
      marker?: string;
    }
  | { kind: 'skip'; key: string; marker?: string }
  | { kind: 'wait' }
  | { kind: 'done' };

function containerState(pod: V1Pod, name: string) {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return statuses.find(s => s.name === name)?.state;
}

function podFinished(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Succeeded' ||
    pod.status?.phase === 'Failed' ||
    Boolean(pod.metadata?.deletionTimestamp)
  );
}

/**
 * Follows a build's containers, step by step and attempt by attempt, into
 * the log store. The cursor stored with every chunk (same transaction) says
 * which container and how many of its lines are kept, and the timestamp of
 * the last one: after a restart, following resumes with `sinceTime` at that
 * second and skips what is already stored, so no line is lost or repeated.
 */
export class LogFollower {
  private readonly pollMs: number;
  private readonly idleMs: number;

  constructor(private readonly options: LogFollowerOptions) {
    this.pollMs = options.pollMs ?? 500;
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Follows until every log of the finished build is stored ('complete') or aborted. */
  async run(
    buildId: string,
    signal: AbortSignal,
  ): Promise<'complete' | 'stopped'> {
    try {
      for (;;) {
        if (signal.aborted) return 'stopped';
        const build = await this.options.store.getBuild(buildId);
        if (!build) return 'complete';
        const cursor: LogCursor = build.logCursor ?? {
          done: [],
          lines: 0,
          atLastTs: 0,
        };
        let next: Next;
        try {
          next = await this.next(build, cursor);
        } catch (error) {
          this.options.logger.warn(
            `build ${build.id}: cannot read its pod (${messageOf(
              error,
            )}); retrying`,
          );
          await sleep(this.pollMs * 4, signal);
          continue;
        }
        if (next.kind === 'done') return 'complete';
        if (next.kind === 'wait') {
          await sleep(this.pollMs, signal);
          continue;
        }
        if (next.kind === 'skip') {
          const moved: LogCursor = {
            ...cursor,
            done: [...cursor.done, next.key],
            pod: undefined,
            container: undefined,
            lines: 0,
            lastTs: undefined,
            atLastTs: 0,
          };
          const ok = next.marker
            ? await this.options.store.appendLog(
                build.id,
                build.logLines,
                [next.marker],
                moved,
              )
            : await this.options.store.updateLogCursor(
                build.id,
                build.logLines,
                moved,
              );
          if (!ok) throw new FollowerSuperseded();
          continue;
        }
        this.options.onStep?.(build.id);
        await this.followContainer(build, cursor, next, signal);
        this.options.onStep?.(build.id);
      }
    } catch (error) {
      if (error instanceof Aborted) return 'stopped';
      throw error;
    }
  }

  /** What to do next: the first container whose log is not complete yet. */
  private async next(build: BuildRecord, cursor: LogCursor): Promise<Next> {
    const { core } = this.options.clients.get(build.cluster);
    const attempts = build.spec.attempts;
    const finished = isBuildFinished(build.status);
    for (let i = 0; i < attempts.length; i++) {
      const attempt = attempts[i];
      const laterAttempt = i < attempts.length - 1;
      const attemptKey = `${attempt.jobName}/*`;
      if (cursor.done.includes(attemptKey)) continue;
      const pods = await core.listNamespacedPod({
        namespace: this.options.namespace,
        labelSelector: `job-name=${attempt.jobName}`,
      });
      const pod = [...pods.items].sort((a, b) =>
        String(a.metadata?.creationTimestamp ?? '').localeCompare(
          String(b.metadata?.creationTimestamp ?? ''),
        ),
      )[0];
      if (!pod) {
        if (finished || laterAttempt) {
          const started = cursor.done.some(k =>
            k.startsWith(`${attempt.jobName}-`),
          );
          return {
            kind: 'skip',
            key: attemptKey,
            marker:
              started || (build.status === 'cancelled' && !build.startedAt)
                ? undefined
                : `[fincloud] the pod of Job ${attempt.jobName} was gone before its log could be read`,
          };
        }
        return { kind: 'wait' };
      }
      const podName = pod.metadata!.name!;
      const containers = [
        ...(pod.spec?.initContainers ?? []),
        ...(pod.spec?.containers ?? []),
      ];
      for (const container of containers) {
        const key = `${podName}/${container.name}`;
        if (cursor.done.includes(key)) continue;
        const state = containerState(pod, container.name);
        if (state?.running || state?.terminated) {
          const fresh =
            cursor.pod !== podName || cursor.container !== container.name;
          let marker: string | undefined;
          if (fresh) {
            marker = `[fincloud] step ${container.name} (${container.image})`;
            if (i > 0 && container === containers[0]) {
              marker = `[fincloud] scan findings waived${
                build.scan?.waiverId ? ` by waiver ${build.scan.waiverId}` : ''
              }: continuing in Job ${
                attempt.jobName
              } without the scan\n${marker}`;
            }
          }
          return {
            kind: 'follow',
            pod,
            container: container.name,
            image: container.image,
            marker,
          };
        }
        // Never started: skipped when the pod is over, else wait for it.
        if (podFinished(pod) || finished || laterAttempt) {
          return { kind: 'skip', key };
        }
        return { kind: 'wait' };
      }
      // Every container of this attempt is stored.
      return { kind: 'skip', key: attemptKey };
    }
    return finished ? { kind: 'done' } : { kind: 'wait' };
  }

  /** Streams one container into the store from where the cursor says. */
  private async followContainer(
    build: BuildRecord,
    stored: LogCursor,
    next: Extract<Next, { kind: 'follow' }>,
    signal: AbortSignal,
  ) {
    const { store } = this.options;
    const { core, log } = this.options.clients.get(build.cluster);
    const podName = next.pod.metadata!.name!;
    const namespace = this.options.namespace;
    const fresh = stored.pod !== podName || stored.container !== next.container;
    const cursor: LogCursor = fresh
      ? {
          ...stored,
          pod: podName,
          container: next.container,
          lines: 0,
          lastTs: undefined,
          atLastTs: 0,
        }
      : { ...stored, facts: { ...stored.facts } };
    cursor.facts = { ...(cursor.facts ?? {}) };
    let storedLines = build.logLines;
    let buffer: string[] = fresh && next.marker ? next.marker.split('\n') : [];

    const flush = async (durable = false) => {
      if (buffer.length === 0) return;
      const lines = buffer;
      buffer = [];
      const snapshot: LogCursor = {
        ...cursor,
        done: [...cursor.done],
        facts: { ...cursor.facts },
      };
      const ok = await store.appendLog(build.id, storedLines, lines, snapshot, {
        durable,
      });
      if (!ok) throw new FollowerSuperseded();
      storedLines += lines.length;
      this.options.onLines?.(build);
    };

    // One read: follow (or a final drain without follow) from the cursor.
    const readOnce = async (follow: boolean): Promise<'ended' | 'idle'> => {
      const resumeKey = cursor.lastTs ? timestampKey(cursor.lastTs) : undefined;
      let skipping = resumeKey !== undefined;
      let atResumeKey = 0;
      const decoder = new StringDecoder('utf8');
      let partial = '';
      let lastData = Date.now();
      let flushing: Promise<void> = Promise.resolve();
      let pending = 0;
      let failure: unknown;

      const take = (raw: string) => {
        const space = raw.indexOf(' ');
        const ts = space > 0 ? raw.slice(0, space) : raw;
        const text = space > 0 ? raw.slice(space + 1) : '';
        if (skipping) {
          const key = timestampKey(ts);
          if (key !== undefined && resumeKey !== undefined) {
            if (key < resumeKey) return;
            if (key === resumeKey) {
              atResumeKey++;
              if (atResumeKey <= cursor.atLastTs) return;
            }
          }
          skipping = false;
        }
        if (ts === cursor.lastTs) {
          cursor.atLastTs++;
        } else {
          cursor.lastTs = ts;
          cursor.atLastTs = 1;
        }
        cursor.lines++;
        readFact(cursor.facts!, next.container, text);
        buffer.push(text);
      };

      const sink = new Writable({
        write: (chunk: Buffer, _enc, callback) => {
          lastData = Date.now();
          const text = partial + decoder.write(chunk);
          let start = 0;
          for (;;) {
            const nl = text.indexOf('\n', start);
            if (nl < 0) break;
            take(text.slice(start, nl));
            start = nl + 1;
          }
          partial = text.slice(start);
          if (buffer.length >= this.options.chunkLines) {
            // Reading goes on while a chunk is stored; with two chunks
            // waiting, it stops until the older one is in (back-pressure).
            pending++;
            flushing = flushing
              .then(() => flush())
              .finally(() => {
                pending--;
              });
            flushing.catch(error => {
              failure = error;
            });
            if (pending >= 2) {
              flushing.then(
                () => callback(),
                error => callback(error as Error),
              );
            } else {
              callback();
            }
          } else {
            callback();
          }
        },
      });

      let controller: AbortController;
      try {
        controller = await log.log(namespace, podName, next.container, sink, {
          follow,
          timestamps: true,
          ...(cursor.lastTs ? { sinceTime: secondOf(cursor.lastTs) } : {}),
        });
      } catch (error) {
        sink.destroy();
        throw error;
      }
      const onAbort = () => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const outcome = await new Promise<'ended' | 'idle'>(
          (resolve, reject) => {
            const timer = setInterval(async () => {
              if (failure) {
                clearInterval(timer);
                reject(failure);
                return;
              }
              if (buffer.length > 0) {
                flushing = flushing
                  .then(() => flush())
                  .catch(error => {
                    failure = error;
                  });
              }
              if (Date.now() - lastData > this.idleMs) {
                clearInterval(timer);
                controller.abort();
                resolve('idle');
              }
            }, this.options.flushIntervalMs);
            sink.on('finish', () => {
              clearInterval(timer);
              resolve('ended');
            });
            sink.on('error', error => {
              clearInterval(timer);
              reject(error);
            });
            signal.addEventListener(
              'abort',
              () => {
                clearInterval(timer);
                reject(new Aborted());
              },
              { once: true },
            );
          },
        );
        const rest = partial + decoder.end();
        if (rest) take(rest);
        await flushing;
        if (failure) throw failure;
        await flush();
        return outcome;
      } finally {
        signal.removeEventListener('abort', onAbort);
        // Never leave a follow request open behind us (a failed write, an error).
        controller.abort();
      }
    };

    for (;;) {
      if (signal.aborted) throw new Aborted();
      let outcome: 'ended' | 'idle' | 'error';
      try {
        outcome = await readOnce(true);
      } catch (error) {
        if (error instanceof Aborted || error instanceof FollowerSuperseded) {
          throw error;
        }
        const status = statusOf(error);
        if (status === 404) {
          // The pod is gone: what is stored is all there will ever be.
          buffer.push(
            `[fincloud] the pod ${podName} was deleted while its ${next.container} log was being read`,
          );
          await flush();
          break;
        }
        this.options.logger.debug(
          `build ${build.id}: log stream of ${podName}/${
            next.container
          } failed (${messageOf(error)}); resuming`,
        );
        outcome = 'error';
      }
      // Did the container end? Then drain once (a cut connection can end a
      // stream early), store the rest and move on.
      let terminated = false;
      try {
        const pod = await core.readNamespacedPod({ name: podName, namespace });
        terminated =
          Boolean(containerState(pod, next.container)?.terminated) ||
          podFinished(pod);
      } catch (error) {
        if (statusOf(error) === 404) {
          buffer.push(
            `[fincloud] the pod ${podName} was deleted while its ${next.container} log was being read`,
          );
          await flush();
          break;
        }
      }
      if (terminated) {
        // A stream that ended cleanly ended with the container: its log is
        // complete. After an error or an idle cut, read what is left once
        // (from the last stored second, skipping what is stored).
        if (outcome === 'ended') break;
        try {
          await readOnce(false);
        } catch (error) {
          if (error instanceof Aborted || error instanceof FollowerSuperseded) {
            throw error;
          }
          if (statusOf(error) !== 404) {
            outcome = 'error';
            await sleep(this.pollMs, signal);
            continue;
          }
        }
        break;
      }
      if (outcome === 'error') await sleep(this.pollMs * 2, signal);
    }

    // The container's log is complete: record it in the cursor.
    await flush(true);
    const done: LogCursor = {
      ...cursor,
      done: [...cursor.done, `${podName}/${next.container}`],
      pod: undefined,
      container: undefined,
      lines: 0,
      lastTs: undefined,
      atLastTs: 0,
    };
    if (!(await store.updateLogCursor(build.id, storedLines, done))) {
      throw new FollowerSuperseded();
    }
  }
}
