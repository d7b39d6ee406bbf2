import { StatusError } from './errors';

/** A stored object: the wire shape, frozen once stored. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }>;
    finalizers?: string[];
    generateName?: string;
    [key: string]: any;
  };
  [key: string]: any;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  /** The resource's storage key, e.g. `apps/deployments`. */
  key: string;
  object: K8sObject;
  /** The object before this change (MODIFIED, DELETED). */
  previous?: K8sObject;
  rv: number;
}

export type StoreListener = (event: StoreEvent) => void;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) {
      deepFreeze(child);
    }
  }
  return value;
}

function objectKey(namespace: string | undefined, name: string) {
  return `${namespace ?? ''}/${name}`;
}

/**
 * The simulator's storage: every object by resource, one global
 * resourceVersion counter (like etcd's revision), and a bounded history of
 * changes per resource that watches resume from. Stored objects are frozen;
 * change them by putting a new copy.
 */
export class ObjectStore {
  private revision: number;
  private readonly data = new Map<string, Map<string, K8sObject>>();
  private readonly history = new Map<string, StoreEvent[]>();
  /** Per resource: the newest revision no longer in the history (watches from before it get 410). */
  private readonly compacted = new Map<string, number>();
  private readonly listeners = new Set<StoreListener>();
  private readonly keyListeners = new Map<string, Set<StoreListener>>();

  constructor(
    private readonly options: {
      historyLimit?: number;
      startRevision?: number;
    } = {},
  ) {
    this.revision = options.startRevision ?? 1000;
  }

  get currentRevision(): number {
    return this.revision;
  }

  get historyLimit(): number {
    return this.options.historyLimit ?? 5000;
  }

  /** Revisions at or below this can no longer be watched from for `key`. */
  compactedRevision(key: string): number {
    return this.compacted.get(key) ?? 0;
  }

  get(
    key: string,
    namespace: string | undefined,
    name: string,
  ): K8sObject | undefined {
    return this.data.get(key)?.get(objectKey(namespace, name));
  }

  /** Objects of a resource (optionally one namespace), sorted by namespace/name. */
  list(key: string, namespace?: string): K8sObject[] {
    const collection = this.data.get(key);
    if (!collection) return [];
    const out: K8sObject[] = [];
    for (const obj of collection.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) {
        out.push(obj);
      }
    }
    return out.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name) <
      objectKey(b.metadata.namespace, b.metadata.name)
        ? -1
        : 1,
    );
  }

  count(key: string): number {
    return this.data.get(key)?.size ?? 0;
  }

  keys(): string[] {
    return [...this.data.keys()];
  }

  /** Stores a new or changed object with the next resourceVersion; returns the stored (frozen) copy. */
  put(key: string, object: K8sObject): K8sObject {
    const collection = this.collection(key);
    const id = objectKey(object.metadata.namespace, object.metadata.name);
    const previous = collection.get(id);
    const rv = ++this.revision;
    const stored = deepFreeze({
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(rv) },
    });
    collection.set(id, stored);
    this.record({
      type: previous ? 'MODIFIED' : 'ADDED',
      key,
      object: stored,
      previous,
      rv,
    });
    return stored;
  }

  /** Removes an object; the DELETED event carries a new resourceVersion. */
  remove(
    key: string,
    namespace: string | undefined,
    name: string,
  ): K8sObject | undefined {
    const collection = this.collection(key);
    const id = objectKey(namespace, name);
    const previous = collection.get(id);
    if (!previous) return undefined;
    collection.delete(id);
    const rv = ++this.revision;
    const stored = deepFreeze({
      ...previous,
      metadata: { ...previous.metadata, resourceVersion: String(rv) },
    });
    this.record({ type: 'DELETED', key, object: stored, previous, rv });
    return stored;
  }

  /** Changes of `key` after `rv`, oldest first; throws 410 Expired when they are no longer kept. */
  eventsSince(key: string, rv: number): StoreEvent[] {
    const compacted = this.compactedRevision(key);
    if (rv < compacted) {
      throw StatusError.expired(
        `too old resource version: ${rv} (${compacted})`,
      );
    }
    const events = this.history.get(key) ?? [];
    // History is sorted by rv: binary search for the first event after rv.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return events.slice(lo);
  }

  /** Called synchronously for every change, after it is stored. */
  subscribe(listener: StoreListener, key?: string): () => void {
    if (key) {
      let set = this.keyListeners.get(key);
      if (!set) {
        set = new Set();
        this.keyListeners.set(key, set);
      }
      set.add(listener);
      return () => set!.delete(listener);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private collection(key: string) {
    let collection = this.data.get(key);
    if (!collection) {
      collection = new Map();
      this.data.set(key, collection);
    }
    return collection;
  }

  private record(event: StoreEvent) {
    let events = this.history.get(event.key);
    if (!events) {
      events = [];
      this.history.set(event.key, events);
    }
    events.push(event);
    if (events.length > this.historyLimit) {
      const dropped = events.splice(0, events.length - this.historyLimit);
      this.compacted.set(event.key, dropped[dropped.length - 1].rv);
    }
    for (const listener of this.keyListeners.get(event.key) ?? []) {
      listener(event);
    }
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}
