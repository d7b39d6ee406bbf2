import type { ServerResponse } from 'node:http';
import type { Cluster } from '../store/Cluster';
import { StatusError } from '../store/errors';
import type { K8sObject } from '../store/ObjectStore';

function podLogInvalid(
  name: string,
  field: string,
  value: unknown,
  message: string,
): StatusError {
  return StatusError.invalid('', 'PodLogOptions', name, [
    {
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${JSON.stringify(value)}: ${message}`,
    },
  ]);
}

function int(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw StatusError.badRequest(`${key}: expected an integer, got "${raw}"`);
  return n;
}

function bool(query: URLSearchParams, key: string): boolean {
  const raw = query.get(key);
  return raw === 'true' || raw === '1';
}

/** Which container a request means: the named one, the only one, or the default-container annotation. */
export function chooseContainer(
  pod: K8sObject,
  requested: string | null,
  verb: 'log' | 'exec',
): string {
  const containers: string[] = (pod.spec?.containers ?? []).map(
    (c: any) => c.name,
  );
  const inits: string[] = (pod.spec?.initContainers ?? []).map(
    (c: any) => c.name,
  );
  const ephemerals: string[] = (pod.spec?.ephemeralContainers ?? []).map(
    (c: any) => c.name,
  );
  if (requested) {
    if (![...containers, ...inits, ...ephemerals].includes(requested)) {
      throw StatusError.badRequest(
        `container ${requested} is not valid for pod ${pod.metadata.name}`,
      );
    }
    return requested;
  }
  const annotated =
    pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && containers.includes(annotated)) return annotated;
  if (containers.length === 1) return containers[0];
  if (verb === 'exec' && containers.length > 0) return containers[0];
  throw StatusError.badRequest(
    `a container name must be specified for pod ${
      pod.metadata.name
    }, choose one of: [${containers.join(' ')}]${
      inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''
    }`,
  );
}

function waitingReason(pod: K8sObject, container: string): string {
  const all = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  return (
    all.find((s: any) => s.name === container)?.state?.waiting?.reason ??
    'ContainerCreating'
  );
}

/**
 * GET pods/{name}/log: the container's log with tailLines, sinceTime,
 * sinceSeconds, limitBytes, timestamps and previous; with follow=true it
 * streams until the container terminates or the client goes away.
 */
export async function servePodLog(
  cluster: Cluster,
  pod: K8sObject,
  query: URLSearchParams,
  res: ServerResponse,
  signal: AbortSignal,
) {
  const name = pod.metadata.name;
  const container = chooseContainer(pod, query.get('container'), 'log');
  const tailLines = int(query, 'tailLines');
  const limitBytes = int(query, 'limitBytes');
  const sinceSeconds = int(query, 'sinceSeconds');
  const sinceTimeRaw = query.get('sinceTime');
  const follow = bool(query, 'follow');
  const timestamps = bool(query, 'timestamps');
  const previous = bool(query, 'previous');
  if (tailLines !== undefined && tailLines < 0)
    throw podLogInvalid(
      name,
      'tailLines',
      tailLines,
      'must be greater than or equal to 0',
    );
  if (limitBytes !== undefined && limitBytes < 1)
    throw podLogInvalid(
      name,
      'limitBytes',
      limitBytes,
      'must be greater than 0',
    );
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    throw podLogInvalid(
      name,
      'sinceSeconds',
      sinceSeconds,
      'must be greater than 0',
    );
  if (sinceSeconds !== undefined && sinceTimeRaw) {
    throw StatusError.invalid('', 'PodLogOptions', name, [
      {
        reason: 'FieldValueForbidden',
        field: 'sinceSeconds',
        message:
          'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
      },
    ]);
  }
  let sinceTime: number | undefined;
  if (sinceTimeRaw) {
    sinceTime = Date.parse(sinceTimeRaw);
    if (!Number.isFinite(sinceTime))
      throw StatusError.badRequest(
        `sinceTime: "${sinceTimeRaw}" is not an RFC 3339 time`,
      );
  } else if (sinceSeconds !== undefined) {
    sinceTime = cluster.clock.now() - sinceSeconds * 1000;
  }

  const log = previous
    ? cluster.logs.previous(pod.metadata.uid!, container)
    : cluster.logs.get(pod.metadata.uid!, container);
  if (!log) {
    if (previous) {
      throw StatusError.badRequest(
        `previous terminated container "${container}" in pod "${name}" not found`,
      );
    }
    throw StatusError.badRequest(
      `container "${container}" in pod "${name}" is waiting to start: ${waitingReason(
        pod,
        container,
      )}`,
    );
  }

  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  let remaining = limitBytes ?? Number.POSITIVE_INFINITY;
  let position = log.startIndex({ tailLines, sinceTime });
  let done = false;

  const finish = () => {
    if (done) return;
    done = true;
    res.end();
  };
  const drained = () =>
    new Promise<void>(resolve => {
      const ok = () => {
        res.off('drain', ok);
        res.off('close', ok);
        resolve();
      };
      res.on('drain', ok);
      res.on('close', ok);
    });

  /** Writes lines from `position` on; false when the byte limit ended the response. */
  const writeFrom = async (): Promise<boolean> => {
    const end = log.lineCount;
    for (const buffer of log.read(position, timestamps)) {
      if (signal.aborted || res.destroyed) return false;
      let chunk = buffer;
      if (chunk.length >= remaining) {
        chunk = chunk.subarray(0, remaining);
        remaining = 0;
        res.write(chunk);
        return false;
      }
      remaining -= chunk.length;
      if (!res.write(chunk)) await drained();
    }
    position = end;
    return true;
  };

  if (!(await writeFrom())) {
    finish();
    return;
  }
  if (!follow || log.isEnded) {
    // Lines appended while writing are included up to the end of the log.
    if (log.lineCount > position && !(await writeFrom())) {
      finish();
      return;
    }
    finish();
    return;
  }

  await new Promise<void>(resolve => {
    let scheduled = false;
    let busy = false;
    const pump = async () => {
      scheduled = false;
      if (busy || done) return;
      busy = true;
      try {
        if (log.lineCount > position && !(await writeFrom())) {
          stop();
          return;
        }
        if (log.isEnded || signal.aborted) stop();
      } finally {
        busy = false;
      }
      if (!done && log.lineCount > position) schedule();
    };
    function schedule() {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    }
    const unsubscribe = log.follow(schedule);
    const onAbort = () => stop();
    signal.addEventListener('abort', onAbort);
    function stop() {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      finish();
      resolve();
    }
    schedule();
  });
}
