import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import type { ResourceType } from '../store/resources';
import type { Controller, ControllerContext } from './context';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

/**
 * The garbage collector's finalizers: `orphan` (drop the owner reference
 * from dependents, then let the owner go) and `foregroundDeletion` (delete
 * the dependents first, then the owner). Background cascades happen in the
 * API layer when the owner is removed.
 */
export class GarbageCollector implements Controller {
  /** Owners waiting for their dependents: `${key}|${namespace}/${name}`. */
  private readonly waiting = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    const o = event.object;
    const finalizers = o.metadata.finalizers ?? [];
    if (
      event.type !== 'DELETED' &&
      o.metadata.deletionTimestamp &&
      (finalizers.includes(FOREGROUND) || finalizers.includes(ORPHAN))
    ) {
      const id = `${event.key}|${o.metadata.namespace ?? ''}/${
        o.metadata.name
      }`;
      this.waiting.add(id);
      this.enqueue(id);
    }
    if (event.type === 'DELETED' && o.metadata.ownerReferences?.length) {
      for (const id of this.waiting) this.enqueue(id);
    }
  }

  private enqueue(id: string) {
    this.ctx.queue.add(`gc:${id}`, () => this.process(id));
  }

  private resourceFor(key: string): ResourceType | undefined {
    return this.ctx.cluster.registry.resources.find(
      r => this.ctx.cluster.key(r) === key,
    );
  }

  private process(id: string) {
    const [key, path] = id.split('|');
    const slash = path.indexOf('/');
    const namespace = path.slice(0, slash) || undefined;
    const name = path.slice(slash + 1);
    const resource = this.resourceFor(key);
    const { cluster } = this.ctx;
    const owner: K8sObject | undefined =
      resource && cluster.tryGet(resource, namespace, name);
    if (!resource || !owner || !owner.metadata.deletionTimestamp) {
      this.waiting.delete(id);
      return;
    }
    const finalizers = owner.metadata.finalizers ?? [];
    const dependents = cluster.dependentsOf(owner);
    if (finalizers.includes(ORPHAN)) {
      for (const dep of dependents)
        cluster.dropOwnerReference(
          dep.resource,
          dep.object,
          owner.metadata.uid!,
        );
      cluster.removeFinalizer(resource, owner, ORPHAN);
    }
    if (finalizers.includes(FOREGROUND)) {
      const blocking = dependents.filter(d =>
        d.object.metadata.ownerReferences?.some(
          r => r.uid === owner.metadata.uid && r.blockOwnerDeletion,
        ),
      );
      for (const dep of dependents) {
        if (!dep.object.metadata.deletionTimestamp) {
          cluster.delete(
            dep.resource,
            dep.object.metadata.namespace,
            dep.object.metadata.name,
            {
              propagationPolicy: 'Foreground',
            },
          );
        }
      }
      const left = blocking.filter(d =>
        cluster.tryGet(
          d.resource,
          d.object.metadata.namespace,
          d.object.metadata.name,
        ),
      );
      if (left.length === 0) {
        cluster.removeFinalizer(resource, owner, FOREGROUND);
      }
    }
    const after = cluster.tryGet(resource, namespace, name);
    if (
      !after ||
      !(after.metadata.finalizers ?? []).some(
        f => f === FOREGROUND || f === ORPHAN,
      )
    ) {
      this.waiting.delete(id);
    }
  }
}

/** Deleting a namespace deletes everything in it, then the namespace. */
export class NamespaceController implements Controller {
  private readonly terminating = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  onEvent(event: StoreEvent) {
    const o = event.object;
    if (
      event.key === 'core/namespaces' &&
      event.type !== 'DELETED' &&
      o.metadata.deletionTimestamp
    ) {
      this.terminating.add(o.metadata.name);
      this.enqueue(o.metadata.name);
    } else if (
      event.type === 'DELETED' &&
      o.metadata.namespace &&
      this.terminating.has(o.metadata.namespace)
    ) {
      this.enqueue(o.metadata.namespace);
    }
  }

  private enqueue(name: string) {
    this.ctx.queue.add(`namespace:${name}`, () => this.process(name));
  }

  private process(name: string) {
    const { cluster, resources } = this.ctx;
    const ns = cluster.tryGet(resources.namespaces, undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) {
      this.terminating.delete(name);
      return;
    }
    let left = 0;
    for (const resource of cluster.registry.resources) {
      if (!resource.namespaced) continue;
      for (const obj of cluster.store.list(cluster.key(resource), name)) {
        left++;
        if (!obj.metadata.deletionTimestamp) {
          cluster.delete(resource, name, obj.metadata.name, {
            propagationPolicy: 'Background',
          });
        }
      }
    }
    if (
      left === 0 ||
      cluster.registry.resources.every(
        r =>
          !r.namespaced ||
          cluster.store.list(cluster.key(r), name).length === 0,
      )
    ) {
      cluster.removeNow(resources.namespaces, ns);
      this.terminating.delete(name);
    }
  }
}
