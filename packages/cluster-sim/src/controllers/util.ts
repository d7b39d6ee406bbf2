import type { K8sObject } from '../store/ObjectStore';

export function controllerRef(object: K8sObject) {
  return object.metadata.ownerReferences?.find(ref => ref.controller);
}

export function ownerRefTo(owner: K8sObject) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isPodTerminal(pod: K8sObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isPodActive(pod: K8sObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function podCondition(pod: K8sObject, type: string): any | undefined {
  return (pod.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function isPodReady(pod: K8sObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds at `now`. */
export function isPodAvailable(
  pod: K8sObject,
  minReadySeconds: number,
  now: number,
): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(ready.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** FNV-1a, 32 bit. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** The pod-template-hash label value: FNV of the template, safe-encoded as Kubernetes does. */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const digits = String(
    fnv32a(
      JSON.stringify(template ?? {}) +
        (collisionCount ? String(collisionCount) : ''),
    ),
  );
  let out = '';
  for (const ch of digits) out += SAFE[ch.charCodeAt(0) % SAFE.length];
  return out;
}

/** A stable pseudo-random number in [0, 1) from a string (deterministic jitter). */
export function jitter(seed: string): number {
  return fnv32a(seed) / 0x100000000;
}

/** Resolves an int-or-percent against a total, rounding up or down. */
export function scaledValue(
  value: unknown,
  total: number,
  roundUp: boolean,
): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (m) {
      const raw = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(raw) : Math.floor(raw);
    }
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return 0;
}

/**
 * Sets a condition: lastTransitionTime moves only when the status changes;
 * lastUpdateTime (when the kind has it) moves when anything changes.
 */
export function setCondition(
  conditions: any[] | undefined,
  condition: any,
  now: string,
): any[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex(c => c.type === condition.type);
  if (index < 0) {
    list.push({ ...condition, lastTransitionTime: now });
    return list;
  }
  const old = list[index];
  const changed = old.status !== condition.status;
  const next: any = {
    ...condition,
    lastTransitionTime: changed ? now : old.lastTransitionTime ?? now,
  };
  if ('lastProbeTime' in old && !('lastProbeTime' in condition))
    next.lastProbeTime = old.lastProbeTime;
  if ('lastUpdateTime' in old || 'lastUpdateTime' in condition) {
    const different =
      changed ||
      old.reason !== condition.reason ||
      old.message !== condition.message;
    next.lastUpdateTime =
      condition.lastUpdateTime ?? (different ? now : old.lastUpdateTime);
  }
  list[index] = next;
  return list;
}
