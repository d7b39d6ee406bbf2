/** Indexes over a TrafficWorld: Services, their pods and workloads, Istio config for a host. */
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { TrafficWorld } from '../contracts';

export const TRAFFIC_ANNOTATIONS = {
  rps: 'sim.fincloud.io/rps',
  errorRatio: 'sim.fincloud.io/error-ratio',
  latencyMs: 'sim.fincloud.io/latency-ms',
  latencyP99Ms: 'sim.fincloud.io/latency-p99-ms',
  capacityRps: 'sim.fincloud.io/capacity-rps',
  cpuMillis: 'sim.fincloud.io/cpu-millis',
  memoryMb: 'sim.fincloud.io/memory-mb',
  requestHeaders: 'sim.fincloud.io/request-headers',
  paths: 'sim.fincloud.io/paths',
} as const;

/** Namespaces whose Services get no generated load by default. */
export const SYSTEM_NAMESPACES = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'istio-system',
]);

export const fqdn = (name: string, ns: string) =>
  `${name}.${ns}.svc.cluster.local`;

export function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

export function isReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase !== 'Running') return false;
  const ready = pod.status?.conditions?.find(c => c.type === 'Ready');
  return ready ? ready.status === 'True' : false;
}

export interface Workload {
  name: string;
  namespace: string;
  app: string;
  version: string;
  canonicalService: string;
  canonicalRevision: string;
  serviceAccount: string;
  annotations: Record<string, string>;
}

export class WorldIndex {
  private readonly deploymentsByNs = new Map<string, V1Deployment[]>();
  private readonly podsByNs = new Map<string, V1Pod[]>();
  private readonly workloadCache = new Map<string, Workload>();

  constructor(readonly world: TrafficWorld) {
    for (const d of world.deployments)
      push(this.deploymentsByNs, d.metadata?.namespace ?? 'default', d);
    for (const p of world.pods)
      push(this.podsByNs, p.metadata?.namespace ?? 'default', p);
  }

  /** A Service by host: `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local` (relative to `fromNs`). */
  service(host: string, fromNs = 'default'): V1Service | undefined {
    const h = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const parts = h.split('.');
    const name = parts[0];
    const ns = parts.length >= 2 ? parts[1] : fromNs;
    if (
      parts.length > 2 &&
      !(
        parts[2] === 'svc' &&
        (parts.length === 3 || parts.slice(3).join('.') === 'cluster.local')
      )
    )
      return undefined;
    return (
      this.world.services.find(
        s =>
          s.metadata?.name === name &&
          (s.metadata?.namespace ?? 'default') === ns,
      ) ??
      (h.match(/^\d+\.\d+\.\d+\.\d+$/)
        ? this.world.services.find(s => s.spec?.clusterIP === h)
        : undefined)
    );
  }

  /** Pods a Service selects (ready or not). */
  servicePods(svc: V1Service): V1Pod[] {
    const ns = svc.metadata?.namespace ?? 'default';
    return (this.podsByNs.get(ns) ?? []).filter(p =>
      labelsMatch(svc.spec?.selector, p.metadata?.labels),
    );
  }

  /** The Deployment that owns a pod (by selector; the newest match wins). */
  deploymentOf(pod: V1Pod): V1Deployment | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const candidates = (this.deploymentsByNs.get(ns) ?? []).filter(d =>
      labelsMatch(d.spec?.selector?.matchLabels, pod.metadata?.labels),
    );
    if (candidates.length <= 1) return candidates[0];
    // Several deployments match (canary v1/v2 share app): the one whose template labels match the pod best.
    return candidates
      .map(d => ({
        d,
        score: Object.entries(d.spec?.template?.metadata?.labels ?? {}).filter(
          ([k, v]) => pod.metadata?.labels?.[k] === v,
        ).length,
      }))
      .sort((a, b) => b.score - a.score)[0].d;
  }

  workload(pod: V1Pod): Workload {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const cached = this.workloadCache.get(key);
    if (cached) return cached;
    const labels = pod.metadata?.labels ?? {};
    const dep = this.deploymentOf(pod);
    const name =
      dep?.metadata?.name ??
      (
        pod.metadata?.ownerReferences?.[0]?.name ??
        pod.metadata?.name ??
        'unknown'
      ).replace(/-[a-z0-9]{5,10}$/, '');
    const app = labels.app ?? labels['app.kubernetes.io/name'] ?? name;
    const version =
      labels.version ?? labels['app.kubernetes.io/version'] ?? 'unknown';
    const w: Workload = {
      name,
      namespace: pod.metadata?.namespace ?? 'default',
      app,
      version,
      canonicalService:
        labels['service.istio.io/canonical-name'] ??
        labels['app.kubernetes.io/name'] ??
        app,
      canonicalRevision:
        labels['service.istio.io/canonical-revision'] ??
        labels['app.kubernetes.io/version'] ??
        labels.version ??
        'latest',
      serviceAccount: pod.spec?.serviceAccountName ?? 'default',
      annotations: {
        ...(dep?.metadata?.annotations ?? {}),
        ...(dep?.spec?.template?.metadata?.annotations ?? {}),
      },
    };
    this.workloadCache.set(key, w);
    return w;
  }

  podByName(ns: string, name: string): V1Pod | undefined {
    return (this.podsByNs.get(ns) ?? []).find(p => p.metadata?.name === name);
  }

  /** VirtualServices that route `svcFqdn` (hosts resolved relative to the VS namespace). */
  virtualServices(svcFqdn: string): any[] {
    return this.world.virtualServices
      .filter(vs =>
        (vs?.spec?.hosts ?? []).some(
          (h: string) =>
            expandHost(h, vs.metadata?.namespace ?? 'default') === svcFqdn,
        ),
      )
      .sort(
        (a, b) =>
          String(a.metadata?.creationTimestamp ?? '').localeCompare(
            String(b.metadata?.creationTimestamp ?? ''),
          ) ||
          `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
            `${b.metadata?.namespace}/${b.metadata?.name}`,
          ),
      );
  }

  destinationRule(svcFqdn: string, fromNs: string): any | undefined {
    const rules = this.world.destinationRules.filter(
      dr =>
        expandHost(
          dr?.spec?.host ?? '',
          dr.metadata?.namespace ?? 'default',
        ) === svcFqdn,
    );
    return rules.find(r => r.metadata?.namespace === fromNs) ?? rules[0];
  }

  envoyFilters(): any[] {
    return this.world.envoyFilters;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** An Istio host as a Service FQDN (short names are relative to the config's namespace). */
export function expandHost(host: string, ns: string): string {
  const h = host.toLowerCase();
  if (h.endsWith('.svc.cluster.local')) return h;
  const parts = h.split('.');
  if (parts.length === 1) return fqdn(parts[0], ns);
  if (parts.length === 2) return fqdn(parts[0], parts[1]);
  if (parts.length === 3 && parts[2] === 'svc') return `${h}.cluster.local`;
  return h;
}

/** Istio durations: "1s", "500ms", "1m", "1h", "2.5s". */
export function duration(v: unknown, fallback: number): number {
  if (typeof v === 'number') return v * 1000;
  if (typeof v !== 'string') return fallback;
  const m = /^([\d.]+)(ms|s|m|h)$/.exec(v.trim());
  if (!m) return fallback;
  return (
    Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms']!
  );
}

export function numberAnnotation(
  a: Record<string, string> | undefined,
  key: string,
): number | undefined {
  const v = a?.[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
