import type { ServerResponse } from 'node:http';
import type { Cluster } from '../store/Cluster';
import { StatusError } from '../store/errors';
import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import type { ResourceType } from '../store/resources';
import { apiVersionOf } from '../store/resources';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../store/selectors';

export interface WatchRequest {
  resource: ResourceType;
  version: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
}

export interface WatchOptions {
  /** Real milliseconds between BOOKMARK events (default 60 000, as the API server roughly does). */
  bookmarkIntervalMs: number;
  /** Closes a watch whose client does not read (buffered bytes). */
  maxBufferedBytes: number;
  /** Default server-side timeout when the client names none (seconds). */
  defaultTimeoutSeconds: number;
}

const jsonCache = new WeakMap<object, string>();

/** JSON of a stored (frozen) object in the served version, cached per object. */
export function objectJson(
  cluster: Cluster,
  resource: ResourceType,
  object: K8sObject,
  version: string,
): string {
  const apiVersion = apiVersionOf(resource.group, version);
  if (object.apiVersion === apiVersion) {
    let json = jsonCache.get(object);
    if (json === undefined) {
      json = JSON.stringify(object);
      jsonCache.set(object, json);
    }
    return json;
  }
  return JSON.stringify(cluster.present(object, resource, version));
}

/**
 * A watch stream: newline-delimited events from a resourceVersion (replayed
 * from the bounded history, or ERROR 410 Expired when it is gone), the
 * current objects as ADDED when no version is given, selector transitions
 * as ADDED / DELETED, BOOKMARKs, and the server-side timeout.
 */
export class WatchStream {
  private closed = false;
  private cleanups: Array<() => void> = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly res: ServerResponse,
    private readonly request: WatchRequest,
    private readonly options: WatchOptions,
    private readonly onClose: () => void,
  ) {}

  get plural() {
    return this.request.resource.plural;
  }

  start() {
    const { cluster, request, res } = this;
    const { resource, namespace } = request;
    // Selectors are checked before the stream starts: a bad one is a 400.
    const labels = parseLabelSelector(request.labelSelector);
    const fields = parseFieldSelector(
      request.fieldSelector,
      cluster.fieldSelectorsOf(resource),
    );
    const key = cluster.key(resource);
    const matches = (obj: K8sObject | undefined) =>
      !!obj &&
      (!namespace ||
        !resource.namespaced ||
        obj.metadata.namespace === namespace) &&
      matchesLabels(labels, obj.metadata.labels) &&
      matchesFields(fields, obj);

    let replay: StoreEvent[] = [];
    let initial: K8sObject[] = [];
    let expired: StatusError | undefined;
    const rv = request.resourceVersion;
    if (!rv || rv === '0' || request.sendInitialEvents) {
      initial = cluster.store
        .list(key, resource.namespaced ? namespace : undefined)
        .filter(matches);
    } else {
      const from = Number(rv);
      if (!Number.isFinite(from) || from < 0) {
        throw StatusError.badRequest(`invalid resource version: ${rv}`);
      }
      try {
        replay = cluster.store.eventsSince(key, from);
      } catch (error) {
        if (error instanceof StatusError && error.code === 410) expired = error;
        else throw error;
      }
    }

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    res.on('close', () => this.close());

    if (expired) {
      this.write('ERROR', expired.toStatus());
      this.close();
      return;
    }
    for (const obj of initial) this.writeObject('ADDED', obj);
    if (request.sendInitialEvents && request.allowWatchBookmarks) {
      this.bookmark({ 'k8s.io/initial-events-end': 'true' });
    }
    const deliver = (event: StoreEvent) => {
      const now = matches(event.object);
      const before = event.previous ? matches(event.previous) : false;
      switch (event.type) {
        case 'ADDED':
          if (now) this.writeObject('ADDED', event.object);
          break;
        case 'MODIFIED':
          if (now && before) this.writeObject('MODIFIED', event.object);
          else if (now) this.writeObject('ADDED', event.object);
          else if (before) this.writeObject('DELETED', event.object);
          break;
        case 'DELETED':
          if (before || now) this.writeObject('DELETED', event.object);
          break;
        default:
          break;
      }
    };
    for (const event of replay) deliver(event);
    this.cleanups.push(cluster.store.subscribe(deliver, key));

    if (request.allowWatchBookmarks) {
      const timer = setInterval(
        () => this.bookmark(),
        this.options.bookmarkIntervalMs,
      );
      timer.unref?.();
      this.cleanups.push(() => clearInterval(timer));
    }
    const timeout =
      request.timeoutSeconds ?? this.options.defaultTimeoutSeconds;
    if (timeout > 0) {
      const timer = setTimeout(() => this.close(), timeout * 1000);
      timer.unref?.();
      this.cleanups.push(() => clearTimeout(timer));
    }
  }

  private bookmark(annotations?: Record<string, string>) {
    const apiVersion = apiVersionOf(
      this.request.resource.group,
      this.request.version,
    );
    this.write('BOOKMARK', {
      kind: this.request.resource.kind,
      apiVersion,
      metadata: {
        resourceVersion: String(this.cluster.store.currentRevision),
        ...(annotations ? { annotations } : {}),
      },
    });
  }

  private writeObject(type: string, obj: K8sObject) {
    if (this.closed) return;
    const json = objectJson(
      this.cluster,
      this.request.resource,
      obj,
      this.request.version,
    );
    this.send(`{"type":"${type}","object":${json}}\n`);
  }

  private write(type: string, object: unknown) {
    if (this.closed) return;
    this.send(`${JSON.stringify({ type, object })}\n`);
  }

  private send(line: string) {
    this.res.write(line);
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      // A client that does not read loses its watch, as with the API server.
      this.drop();
    }
  }

  /** Ends the stream cleanly (timeout, Expired). */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cleanups) c();
    this.cleanups = [];
    if (!this.res.writableEnded) this.res.end();
    this.onClose();
  }

  /** Cuts the connection (fault injection, slow client). */
  drop() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cleanups) c();
    this.cleanups = [];
    this.res.destroy();
    this.onClose();
  }
}
