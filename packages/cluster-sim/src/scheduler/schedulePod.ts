/**
 * A pure re-implementation of kube-scheduler's default profile for the
 * plugins the suite relies on, with its exact FailedScheduling wording.
 *
 * Filter plugins run per node in the default profile's order and stop at the
 * first failure (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit, PodTopologySpread, InterPodAffinity). The message is
 * kube-scheduler's FitError: a histogram of reasons sorted as strings, then
 * the DefaultPreemption PostFilter's own FitError. Feasible nodes are scored
 * with the default weights and the highest total wins; ties go to the node
 * name that sorts first (kube-scheduler picks at random among ties).
 */
import type {
  V1Node,
  V1Pod,
  V1PodAffinityTerm,
  V1Taint,
  V1Toleration,
  V1LabelSelector,
  V1Container,
} from '@kubernetes/client-node';
import type { ScheduleInput, ScheduleResult, SchedulePod } from '../contracts';
import { milliValue, value } from './quantity';
import { matchesLabelSelector, matchesNodeSelectorTerm } from './selectors';

// ------------------------------------------------------------ wording

/** kube-scheduler's reasons, verbatim. */
export const Reasons = {
  unschedulable: 'node(s) were unschedulable',
  untoleratedTaint: (t: V1Taint) =>
    `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  nodeAffinityConflict: 'pod affinity terms conflict',
  prefilterAbsent: (plugins: string[]) =>
    `node(s) didn't satisfy plugin(s) [${plugins.join(' ')}]`,
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  insufficient: (resource: string) => `Insufficient ${resource}`,
  spreadMissingLabel:
    "node(s) didn't match pod topology spread constraints (missing required label)",
  spread: "node(s) didn't match pod topology spread constraints",
  podAffinity: "node(s) didn't match pod affinity rules",
  podAntiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity:
    "node(s) didn't satisfy existing pods anti-affinity rules",
  noNodes: 'no nodes available to schedule pods',
  preemptionNotHelpful: 'Preemption is not helpful for scheduling',
  noVictims: 'No preemption victims found for incoming pod',
  preemptNever: 'not eligible due to preemptionPolicy=Never.',
} as const;

/** Unresolvable failures cannot be fixed by preempting pods (kube's UnschedulableAndUnresolvable). */
interface Status {
  reasons: string[];
  unresolvable: boolean;
}

const unresolvable = (...reasons: string[]): Status => ({
  reasons,
  unresolvable: true,
});
const unschedulable = (...reasons: string[]): Status => ({
  reasons,
  unresolvable: false,
});

// ------------------------------------------------------------ resources

interface Resources {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  scalar: Record<string, number>;
}

const emptyResources = (): Resources => ({
  milliCpu: 0,
  memory: 0,
  ephemeralStorage: 0,
  scalar: {},
});

/** Extended resources (e.g. nvidia.com/gpu, hugepages-2Mi) the scheduler accounts for. */
function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-')) return true;
  if (name.startsWith('requests.')) return false;
  const slash = name.indexOf('/');
  return slash > 0 && !name.slice(0, slash).endsWith('kubernetes.io');
}

function addList(
  into: Resources,
  list: Record<string, string> | undefined,
  combine: (a: number, b: number) => number = (a, b) => a + b,
): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    if (name === 'cpu') into.milliCpu = combine(into.milliCpu, milliValue(q));
    else if (name === 'memory') into.memory = combine(into.memory, value(q));
    else if (name === 'ephemeral-storage')
      into.ephemeralStorage = combine(into.ephemeralStorage, value(q));
    else if (isScalarResource(name))
      into.scalar[name] = combine(into.scalar[name] ?? 0, value(q));
  }
}

function sumResources(a: Resources, b: Resources): Resources {
  const r = { ...a, scalar: { ...a.scalar } };
  r.milliCpu += b.milliCpu;
  r.memory += b.memory;
  r.ephemeralStorage += b.ephemeralStorage;
  for (const [k, v] of Object.entries(b.scalar))
    r.scalar[k] = (r.scalar[k] ?? 0) + v;
  return r;
}

function maxResources(a: Resources, b: Resources): Resources {
  const r = { ...a, scalar: { ...a.scalar } };
  r.milliCpu = Math.max(r.milliCpu, b.milliCpu);
  r.memory = Math.max(r.memory, b.memory);
  r.ephemeralStorage = Math.max(r.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of Object.entries(b.scalar))
    r.scalar[k] = Math.max(r.scalar[k] ?? 0, v);
  return r;
}

/** The scheduler's defaults for containers without requests (scoring only). */
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

/**
 * A container's requests after API defaulting (requests default to limits),
 * optionally with the scheduler's non-zero defaults for scoring.
 */
function containerRequests(c: V1Container, nonZero: boolean): Resources {
  const requests: Record<string, string> = {
    ...(c.resources?.limits as Record<string, string> | undefined),
    ...(c.resources?.requests as Record<string, string> | undefined),
  };
  const r = emptyResources();
  addList(r, requests);
  if (nonZero) {
    if (requests.cpu === undefined) r.milliCpu = DEFAULT_MILLI_CPU;
    if (requests.memory === undefined) r.memory = DEFAULT_MEMORY;
  }
  return r;
}

/**
 * resourcehelper.PodRequests: the sum of containers and sidecars, at least
 * the largest init container (plus the sidecars started before it), plus
 * pod overhead; pod-level requests win when set.
 */
const requestCache = new WeakMap<V1Pod, Resources>();
const nonZeroCache = new WeakMap<V1Pod, Resources>();

export function podRequests(pod: V1Pod, nonZero = false): Resources {
  const cache = nonZero ? nonZeroCache : requestCache;
  const cached = cache.get(pod);
  if (cached) return cached;
  const computed = computePodRequests(pod, nonZero);
  cache.set(pod, computed);
  return computed;
}

function computePodRequests(pod: V1Pod, nonZero: boolean): Resources {
  const spec = pod.spec;
  let reqs = emptyResources();
  for (const c of spec?.containers ?? [])
    reqs = sumResources(reqs, containerRequests(c, nonZero));
  let sidecars = emptyResources();
  let initMax = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      sidecars = sumResources(sidecars, r);
      initMax = maxResources(initMax, sidecars);
    } else {
      initMax = maxResources(initMax, sumResources(r, sidecars));
    }
  }
  reqs = maxResources(sumResources(reqs, sidecars), initMax);
  const podLevel = (
    spec as { resources?: { requests?: Record<string, string> } }
  )?.resources?.requests;
  if (podLevel && Object.keys(podLevel).length > 0) {
    const p = emptyResources();
    addList(p, podLevel);
    if (podLevel.cpu !== undefined) reqs.milliCpu = p.milliCpu;
    if (podLevel.memory !== undefined) reqs.memory = p.memory;
  }
  const overhead = emptyResources();
  addList(overhead, spec?.overhead as Record<string, string> | undefined);
  return sumResources(reqs, overhead);
}

// ------------------------------------------------------------ node state

interface NodeInfo {
  node: V1Node;
  name: string;
  labels: Record<string, string>;
  pods: V1Pod[];
  requested: Resources;
  nonZeroRequested: Resources;
  allocatable: Resources;
  allowedPods: number;
  usedPorts: Array<{ ip: string; protocol: string; port: number }>;
}

function podKey(p: V1Pod): string {
  return (
    p.metadata?.uid ?? `${p.metadata?.namespace ?? ''}/${p.metadata?.name}`
  );
}

function isTerminal(p: V1Pod): boolean {
  const phase = p.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function hostPorts(pod: V1Pod) {
  const ports: NodeInfo['usedPorts'] = [];
  const containers = [
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.containers ?? []),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort && p.hostPort > 0) {
        ports.push({
          ip: p.hostIP || '0.0.0.0',
          protocol: p.protocol || 'TCP',
          port: p.hostPort,
        });
      }
    }
  }
  return ports;
}

function buildNodeInfo(
  node: V1Node,
  assigned: V1Pod[] | undefined,
  self: string,
): NodeInfo {
  const pods = (assigned ?? []).filter(
    p => !isTerminal(p) && podKey(p) !== self,
  );
  let requested = emptyResources();
  let nonZeroRequested = emptyResources();
  const usedPorts: NodeInfo['usedPorts'] = [];
  for (const p of pods) {
    requested = sumResources(requested, podRequests(p));
    nonZeroRequested = sumResources(nonZeroRequested, podRequests(p, true));
    usedPorts.push(...hostPorts(p));
  }
  const list = (node.status?.allocatable ??
    node.status?.capacity ??
    {}) as Record<string, string>;
  const allocatable = emptyResources();
  addList(allocatable, list);
  return {
    node,
    name: node.metadata?.name ?? '',
    labels: node.metadata?.labels ?? {},
    pods,
    requested,
    nonZeroRequested,
    allocatable,
    allowedPods: list.pods !== undefined ? value(list.pods) : 110,
    usedPorts,
  };
}

// ------------------------------------------------------------ taints

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: V1Toleration, taint: V1Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

function tolerated(tolerations: V1Toleration[], taint: V1Taint): boolean {
  return tolerations.some(t => toleratesTaint(t, taint));
}

// ------------------------------------------------------------ affinity terms

interface Term {
  namespaces: Set<string>;
  /** undefined = no namespaceSelector. */
  namespaceSelector?: V1LabelSelector;
  selector: V1LabelSelector | undefined;
  topologyKey: string;
  weight: number;
}

/** matchLabelKeys / mismatchLabelKeys merge the incoming pod's values into the selector. */
function termSelector(
  term: V1PodAffinityTerm,
  owner: V1Pod,
): V1LabelSelector | undefined {
  const base = term.labelSelector;
  const t = term as V1PodAffinityTerm & {
    matchLabelKeys?: string[];
    mismatchLabelKeys?: string[];
  };
  if (!base || (!t.matchLabelKeys?.length && !t.mismatchLabelKeys?.length))
    return base;
  const labels = owner.metadata?.labels ?? {};
  const extra = [
    ...(t.matchLabelKeys ?? [])
      .filter(k => k in labels)
      .map(k => ({ key: k, operator: 'In', values: [labels[k]] })),
    ...(t.mismatchLabelKeys ?? [])
      .filter(k => k in labels)
      .map(k => ({ key: k, operator: 'NotIn', values: [labels[k]] })),
  ];
  return {
    ...base,
    matchExpressions: [...(base.matchExpressions ?? []), ...extra],
  };
}

function toTerm(term: V1PodAffinityTerm, owner: V1Pod, weight = 1): Term {
  const namespaces = new Set<string>(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) {
    namespaces.add(owner.metadata?.namespace ?? 'default');
  }
  return {
    namespaces,
    namespaceSelector: term.namespaceSelector,
    selector: termSelector(term, owner),
    topologyKey: term.topologyKey,
    weight,
  };
}

/** AffinityTerm.Matches: namespace (by list or by selector on the namespace's name label) and labels. */
function termMatches(term: Term, pod: V1Pod): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  const nsOk =
    term.namespaces.has(ns) ||
    (term.namespaceSelector !== undefined &&
      matchesLabelSelector(term.namespaceSelector, {
        'kubernetes.io/metadata.name': ns,
      }));
  return nsOk && matchesLabelSelector(term.selector, pod.metadata?.labels);
}

const requiredAffinity = (p: V1Pod) =>
  (
    p.spec?.affinity?.podAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution ?? []
  ).map(t => toTerm(t, p));
const requiredAntiAffinity = (p: V1Pod) =>
  (
    p.spec?.affinity?.podAntiAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution ?? []
  ).map(t => toTerm(t, p));
const preferredAffinity = (p: V1Pod) =>
  (
    p.spec?.affinity?.podAffinity
      ?.preferredDuringSchedulingIgnoredDuringExecution ?? []
  ).map(w => toTerm(w.podAffinityTerm, p, w.weight));
const preferredAntiAffinity = (p: V1Pod) =>
  (
    p.spec?.affinity?.podAntiAffinity
      ?.preferredDuringSchedulingIgnoredDuringExecution ?? []
  ).map(w => toTerm(w.podAffinityTerm, p, w.weight));

const pairKey = (key: string, v: string) => `${key}\u0000${v}`;

// ------------------------------------------------------------ the cycle

interface Cycle {
  pod: V1Pod;
  tolerations: V1Toleration[];
  request: Resources;
  ports: NodeInfo['usedPorts'];
  affinityTerms: Term[];
  antiAffinityTerms: Term[];
  affinityCounts: Map<string, number>;
  antiAffinityCounts: Map<string, number>;
  existingAntiAffinityCounts: Map<string, number>;
  spread: SpreadState[];
}

interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: V1LabelSelector | undefined;
  minDomains?: number;
}

interface SpreadState {
  constraint: SpreadConstraint;
  counts: Map<string, number>;
  min: number;
  selfMatch: number;
}

function nodeAffinityMatches(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return false;
  }
  const required =
    pod.spec?.affinity?.nodeAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some(t =>
    matchesNodeSelectorTerm(t, node),
  );
}

/**
 * NodeAffinity PreFilter: required terms that all pin `metadata.name In`
 * restrict the nodes evaluated at all.
 */
function nodeAffinityPreFilter(pod: V1Pod): {
  names?: Set<string>;
  conflict?: true;
} {
  const terms =
    pod.spec?.affinity?.nodeAffinity
      ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return {};
  let names: Set<string> | undefined;
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key === 'metadata.name' && r.operator === 'In') {
        const s = new Set(r.values ?? []);
        termNames = termNames
          ? new Set([...termNames].filter(n => s.has(n)))
          : s;
      }
    }
    if (!termNames) return {};
    names = new Set([...(names ?? []), ...termNames]);
  }
  if (names && names.size === 0) return { conflict: true };
  return { names };
}

function spreadConstraints(pod: V1Pod): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter(c => c.whenUnsatisfiable === 'DoNotSchedule')
    .map(c => {
      let selector = c.labelSelector;
      const keys = (c as { matchLabelKeys?: string[] }).matchLabelKeys ?? [];
      if (selector && keys.length) {
        selector = {
          ...selector,
          matchExpressions: [
            ...(selector.matchExpressions ?? []),
            ...keys
              .filter(k => k in labels)
              .map(k => ({ key: k, operator: 'In', values: [labels[k]] })),
          ],
        };
      }
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains,
      };
    });
}

function preFilter(pod: V1Pod, infos: NodeInfo[]): Cycle {
  const ns = pod.metadata?.namespace ?? 'default';
  const affinityTerms = requiredAffinity(pod);
  const antiAffinityTerms = requiredAntiAffinity(pod);
  const affinityCounts = new Map<string, number>();
  const antiAffinityCounts = new Map<string, number>();
  const existingAntiAffinityCounts = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) =>
    m.set(k, (m.get(k) ?? 0) + 1);

  for (const info of infos) {
    for (const existing of info.pods) {
      if (
        affinityTerms.length > 0 &&
        affinityTerms.every(t => termMatches(t, existing))
      ) {
        for (const t of affinityTerms) {
          const v = info.labels[t.topologyKey];
          if (v !== undefined) bump(affinityCounts, pairKey(t.topologyKey, v));
        }
      }
      for (const t of antiAffinityTerms) {
        const v = info.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, existing))
          bump(antiAffinityCounts, pairKey(t.topologyKey, v));
      }
      for (const t of requiredAntiAffinity(existing)) {
        const v = info.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod))
          bump(existingAntiAffinityCounts, pairKey(t.topologyKey, v));
      }
    }
  }

  // PodTopologySpread: counts per domain over nodes that pass the pod's node
  // affinity (nodeAffinityPolicy: Honor) and carry every constraint's key.
  const constraints = spreadConstraints(pod);
  const spread: SpreadState[] = constraints.map(c => ({
    constraint: c,
    counts: new Map<string, number>(),
    min: 0,
    selfMatch: matchesLabelSelector(c.selector, pod.metadata?.labels) ? 1 : 0,
  }));
  if (spread.length > 0) {
    for (const info of infos) {
      if (!nodeAffinityMatches(pod, info.node)) continue;
      if (constraints.some(c => info.labels[c.topologyKey] === undefined))
        continue;
      for (const s of spread) {
        const domain = info.labels[s.constraint.topologyKey];
        const matching = info.pods.filter(
          p =>
            !p.metadata?.deletionTimestamp &&
            (p.metadata?.namespace ?? 'default') === ns &&
            matchesLabelSelector(s.constraint.selector, p.metadata?.labels),
        ).length;
        s.counts.set(domain, (s.counts.get(domain) ?? 0) + matching);
      }
    }
    for (const s of spread) {
      const values = [...s.counts.values()];
      s.min = values.length ? Math.min(...values) : 0;
      if (s.constraint.minDomains && values.length < s.constraint.minDomains)
        s.min = 0;
    }
  }

  return {
    pod,
    tolerations: pod.spec?.tolerations ?? [],
    request: podRequests(pod),
    ports: hostPorts(pod),
    affinityTerms,
    antiAffinityTerms,
    affinityCounts,
    antiAffinityCounts,
    existingAntiAffinityCounts,
    spread,
  };
}

type Filter = (c: Cycle, n: NodeInfo) => Status | undefined;

const nodeUnschedulableFilter: Filter = (c, n) => {
  if (!n.node.spec?.unschedulable) return undefined;
  const taint: V1Taint = {
    key: 'node.kubernetes.io/unschedulable',
    effect: 'NoSchedule',
  };
  return tolerated(c.tolerations, taint)
    ? undefined
    : unresolvable(Reasons.unschedulable);
};

const taintTolerationFilter: Filter = (c, n) => {
  for (const taint of n.node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerated(c.tolerations, taint))
      return unresolvable(Reasons.untoleratedTaint(taint));
  }
  return undefined;
};

const nodeAffinityFilter: Filter = (c, n) =>
  nodeAffinityMatches(c.pod, n.node)
    ? undefined
    : unresolvable(Reasons.nodeAffinity);

const nodePortsFilter: Filter = (c, n) => {
  for (const want of c.ports) {
    const clash = n.usedPorts.some(
      used =>
        used.port === want.port &&
        used.protocol === want.protocol &&
        (used.ip === want.ip || used.ip === '0.0.0.0' || want.ip === '0.0.0.0'),
    );
    if (clash) return unschedulable(Reasons.nodePorts);
  }
  return undefined;
};

const nodeResourcesFitFilter: Filter = (c, n) => {
  const reasons: string[] = [];
  if (n.pods.length + 1 > n.allowedPods) reasons.push(Reasons.tooManyPods);
  const r = c.request;
  const a = n.allocatable;
  const used = n.requested;
  if (r.milliCpu > 0 && r.milliCpu > a.milliCpu - used.milliCpu)
    reasons.push(Reasons.insufficient('cpu'));
  if (r.memory > 0 && r.memory > a.memory - used.memory)
    reasons.push(Reasons.insufficient('memory'));
  if (
    r.ephemeralStorage > 0 &&
    r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage
  )
    reasons.push(Reasons.insufficient('ephemeral-storage'));
  for (const name of Object.keys(r.scalar).sort()) {
    const want = r.scalar[name];
    if (want > 0 && want > (a.scalar[name] ?? 0) - (used.scalar[name] ?? 0))
      reasons.push(Reasons.insufficient(name));
  }
  return reasons.length ? unschedulable(...reasons) : undefined;
};

const podTopologySpreadFilter: Filter = (c, n) => {
  for (const s of c.spread) {
    if (n.labels[s.constraint.topologyKey] === undefined)
      return unresolvable(Reasons.spreadMissingLabel);
  }
  for (const s of c.spread) {
    const domain = n.labels[s.constraint.topologyKey];
    const skew = (s.counts.get(domain) ?? 0) + s.selfMatch - s.min;
    if (skew > s.constraint.maxSkew) return unschedulable(Reasons.spread);
  }
  return undefined;
};

const interPodAffinityFilter: Filter = (c, n) => {
  // Required pod affinity: every term's topology must hold a matching pod,
  // unless no pod matches anywhere and the pod matches its own terms.
  if (c.affinityTerms.length > 0) {
    let podsExist = true;
    for (const t of c.affinityTerms) {
      const v = n.labels[t.topologyKey];
      if (v === undefined) return unresolvable(Reasons.podAffinity);
      if ((c.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0)
        podsExist = false;
    }
    if (
      !podsExist &&
      !(
        c.affinityCounts.size === 0 &&
        c.affinityTerms.every(t => termMatches(t, c.pod))
      )
    ) {
      return unresolvable(Reasons.podAffinity);
    }
  }
  for (const t of c.antiAffinityTerms) {
    const v = n.labels[t.topologyKey];
    if (
      v !== undefined &&
      (c.antiAffinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0
    )
      return unschedulable(Reasons.podAntiAffinity);
  }
  if (c.existingAntiAffinityCounts.size > 0) {
    for (const [k, v] of Object.entries(n.labels)) {
      if ((c.existingAntiAffinityCounts.get(pairKey(k, v)) ?? 0) > 0)
        return unschedulable(Reasons.existingAntiAffinity);
    }
  }
  return undefined;
};

/** The default profile's filter order. */
const FILTERS: Filter[] = [
  nodeUnschedulableFilter,
  taintTolerationFilter,
  nodeAffinityFilter,
  nodePortsFilter,
  nodeResourcesFitFilter,
  podTopologySpreadFilter,
  interPodAffinityFilter,
];

function runFilters(c: Cycle, n: NodeInfo): Status | undefined {
  for (const f of FILTERS) {
    const s = f(c, n);
    if (s) return s;
  }
  return undefined;
}

// ------------------------------------------------------------ scoring

const MAX_SCORE = 100;

/** framework.DefaultNormalizeScore. */
function normalize(scores: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...scores);
  if (max === 0) return scores.map(() => (reverse ? MAX_SCORE : 0));
  return scores.map(s => {
    const v = Math.trunc((MAX_SCORE * s) / max);
    return reverse ? MAX_SCORE - v : v;
  });
}

function taintTolerationScores(c: Cycle, nodes: NodeInfo[]): number[] {
  const prefer = c.tolerations.filter(
    t => !t.effect || t.effect === 'PreferNoSchedule',
  );
  const raw = nodes.map(
    n =>
      (n.node.spec?.taints ?? []).filter(
        t => t.effect === 'PreferNoSchedule' && !tolerated(prefer, t),
      ).length,
  );
  return normalize(raw, true);
}

function nodeAffinityScores(c: Cycle, nodes: NodeInfo[]): number[] {
  const terms =
    c.pod.spec?.affinity?.nodeAffinity
      ?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const raw = nodes.map(n =>
    terms.reduce(
      (sum, t) =>
        t.weight !== 0 && matchesNodeSelectorTerm(t.preference, n.node)
          ? sum + t.weight
          : sum,
      0,
    ),
  );
  return normalize(raw, false);
}

function leastAllocatedScores(c: Cycle, nodes: NodeInfo[]): number[] {
  const want = podRequests(c.pod, true);
  const score = (requested: number, capacity: number) =>
    capacity === 0 || requested > capacity
      ? 0
      : Math.trunc(((capacity - requested) * MAX_SCORE) / capacity);
  return nodes.map(n =>
    Math.trunc(
      (score(
        n.nonZeroRequested.milliCpu + want.milliCpu,
        n.allocatable.milliCpu,
      ) +
        score(n.nonZeroRequested.memory + want.memory, n.allocatable.memory)) /
        2,
    ),
  );
}

function balancedAllocationScores(c: Cycle, nodes: NodeInfo[]): number[] {
  const want = podRequests(c.pod, true);
  return nodes.map(n => {
    const fraction = (req: number, cap: number) =>
      cap === 0 ? 1 : Math.min(1, req / cap);
    const cpu = fraction(
      n.nonZeroRequested.milliCpu + want.milliCpu,
      n.allocatable.milliCpu,
    );
    const mem = fraction(
      n.nonZeroRequested.memory + want.memory,
      n.allocatable.memory,
    );
    const std = Math.abs(cpu - mem) / 2;
    return Math.trunc((1 - std) * MAX_SCORE);
  });
}

function interPodAffinityScores(
  c: Cycle,
  nodes: NodeInfo[],
  all: NodeInfo[],
): number[] {
  const pod = c.pod;
  const affinity = preferredAffinity(pod);
  const anti = preferredAntiAffinity(pod);
  const topo = new Map<string, number>();
  const add = (key: string, v: string | undefined, w: number) => {
    if (v === undefined || w === 0) return;
    const k = pairKey(key, v);
    topo.set(k, (topo.get(k) ?? 0) + w);
  };
  for (const info of all) {
    for (const existing of info.pods) {
      for (const t of affinity)
        if (termMatches(t, existing))
          add(t.topologyKey, info.labels[t.topologyKey], t.weight);
      for (const t of anti)
        if (termMatches(t, existing))
          add(t.topologyKey, info.labels[t.topologyKey], -t.weight);
      // Existing pods' terms that the incoming pod matches count too
      // (required affinity with hardPodAffinityWeight 1).
      for (const t of requiredAffinity(existing))
        if (termMatches(t, pod))
          add(t.topologyKey, info.labels[t.topologyKey], 1);
      for (const t of preferredAffinity(existing))
        if (termMatches(t, pod))
          add(t.topologyKey, info.labels[t.topologyKey], t.weight);
      for (const t of preferredAntiAffinity(existing))
        if (termMatches(t, pod))
          add(t.topologyKey, info.labels[t.topologyKey], -t.weight);
    }
  }
  const raw = nodes.map(n => {
    let s = 0;
    for (const [k, v] of Object.entries(n.labels))
      s += topo.get(pairKey(k, v)) ?? 0;
    return s;
  });
  const min = Math.min(...raw);
  const max = Math.max(...raw);
  return raw.map(s =>
    max - min > 0 ? Math.trunc((MAX_SCORE * (s - min)) / (max - min)) : 0,
  );
}

/**
 * PodTopologySpread scoring with the system default constraints
 * (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway), or the pod's own
 * ScheduleAnyway constraints. The default selector is approximated by the
 * pod's controller (pods of the same ReplicaSet/Job); kube-scheduler derives
 * it from the Services and ReplicaSets selecting the pod.
 */
function topologySpreadScores(
  c: Cycle,
  nodes: NodeInfo[],
  all: NodeInfo[],
): number[] {
  const pod = c.pod;
  const ns = pod.metadata?.namespace ?? 'default';
  const explicit = (pod.spec?.topologySpreadConstraints ?? []).filter(
    t => t.whenUnsatisfiable === 'ScheduleAnyway',
  );
  let constraints: Array<{
    key: string;
    maxSkew: number;
    matches: (p: V1Pod) => boolean;
  }>;
  if ((pod.spec?.topologySpreadConstraints ?? []).length > 0) {
    constraints = explicit.map(t => ({
      key: t.topologyKey,
      maxSkew: t.maxSkew,
      matches: (p: V1Pod) =>
        matchesLabelSelector(t.labelSelector, p.metadata?.labels),
    }));
  } else {
    const owner = pod.metadata?.ownerReferences?.find(o => o.controller);
    constraints = owner
      ? [
          { key: 'kubernetes.io/hostname', maxSkew: 3 },
          { key: 'topology.kubernetes.io/zone', maxSkew: 5 },
        ].map(d => ({
          ...d,
          matches: (p: V1Pod) =>
            !!p.metadata?.ownerReferences?.some(o => o.uid === owner.uid),
        }))
      : [];
  }
  if (constraints.length === 0) return nodes.map(() => 0);
  const counts = constraints.map(() => new Map<string, number>());
  constraints.forEach((con, i) => {
    for (const info of all) {
      const domain = info.labels[con.key];
      if (domain === undefined) continue;
      const n = info.pods.filter(
        p =>
          !p.metadata?.deletionTimestamp &&
          (p.metadata?.namespace ?? 'default') === ns &&
          con.matches(p),
      ).length;
      counts[i].set(domain, (counts[i].get(domain) ?? 0) + n);
    }
  });
  const raw = nodes.map(n => {
    let s = 0;
    let applicable = false;
    constraints.forEach((con, i) => {
      const domain = n.labels[con.key];
      if (domain === undefined) return;
      applicable = true;
      const weight = Math.log(counts[i].size + 2);
      s += (counts[i].get(domain) ?? 0) * weight + (con.maxSkew - 1);
    });
    return applicable ? Math.round(s) : undefined;
  });
  const defined = raw.filter((s): s is number => s !== undefined);
  if (defined.length === 0) return nodes.map(() => 0);
  const max = Math.max(...defined);
  const min = Math.min(...defined);
  return raw.map(s => {
    if (s === undefined) return 0;
    if (max === 0) return MAX_SCORE;
    return Math.trunc((MAX_SCORE * (max + min - s)) / max);
  });
}

/** Default profile score plugins with their weights. */
function totalScores(c: Cycle, feasible: NodeInfo[], all: NodeInfo[]) {
  const parts: Array<[number, number[]]> = [
    [3, taintTolerationScores(c, feasible)],
    [2, nodeAffinityScores(c, feasible)],
    [1, leastAllocatedScores(c, feasible)],
    [2, topologySpreadScores(c, feasible, all)],
    [2, interPodAffinityScores(c, feasible, all)],
    [1, balancedAllocationScores(c, feasible)],
  ];
  return feasible.map((n, i) => ({
    name: n.name,
    score: parts.reduce((sum, [w, s]) => sum + w * s[i], 0),
  }));
}

// ------------------------------------------------------------ messages

function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** FitError.Error(): "0/N nodes are available: <sorted histogram>." */
function fitError(
  numAllNodes: number,
  statuses: Status[],
  absent: { count: number; reason: string } | undefined,
  preFilterMsg?: string,
): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) {
    msg += ` ${preFilterMsg}.`;
    return msg;
  }
  const histogram = new Map<string, number>();
  for (const s of statuses)
    for (const r of s.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  if (absent && absent.count > 0)
    histogram.set(
      absent.reason,
      (histogram.get(absent.reason) ?? 0) + absent.count,
    );
  const parts = [...histogram].map(([r, n]) => `${n} ${r}`);
  // Go's sort.Strings: byte-wise, so "10 ..." sorts before "2 ...".
  parts.sort(byteOrder);
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}

const priority = (p: V1Pod) => p.spec?.priority ?? 0;

/**
 * DefaultPreemption's PostFilter message. Returns undefined when preemption
 * would find a victim (kube-scheduler then nominates a node and the event has
 * no preemption part; the simulator does not evict, so the pod stays Pending).
 */
function preemptionMessage(
  c: Cycle,
  all: NodeInfo[],
  statuses: Map<string, Status>,
): string | undefined {
  if (c.pod.spec?.preemptionPolicy === 'Never') {
    return `preemption: ${Reasons.preemptNever}`;
  }
  const dryRun: Status[] = [];
  let candidates = 0;
  for (const n of all) {
    const s = statuses.get(n.name);
    if (!s || s.unresolvable) continue;
    const victims = n.pods.filter(p => priority(p) < priority(c.pod));
    if (victims.length === 0) {
      dryRun.push(unresolvable(Reasons.noVictims));
      continue;
    }
    const without = buildNodeInfo(
      n.node,
      n.pods.filter(p => !victims.includes(p)),
      podKey(c.pod),
    );
    const after = runFilters(
      preFilter(
        c.pod,
        all.map(x => (x === n ? without : x)),
      ),
      without,
    );
    if (after) dryRun.push(after);
    else candidates++;
  }
  if (candidates > 0) return undefined;
  return `preemption: ${fitError(all.length, dryRun, {
    count: all.length - dryRun.length,
    reason: Reasons.preemptionNotHelpful,
  })}`;
}

// ------------------------------------------------------------ entry point

export const schedulePod: SchedulePod = (
  input: ScheduleInput,
): ScheduleResult => {
  const { pod, nodes, podsByNode } = input;
  if (pod.spec?.nodeName) {
    // Already bound: kube-scheduler never looks at it again.
    return { node: pod.spec.nodeName };
  }
  if (nodes.length === 0) {
    return { unschedulable: true, message: Reasons.noNodes };
  }
  const self = podKey(pod);
  const all = nodes.map(n =>
    buildNodeInfo(n, podsByNode.get(n.metadata?.name ?? ''), self),
  );

  const pre = nodeAffinityPreFilter(pod);
  if (pre.conflict) {
    const message = `${fitError(
      all.length,
      [],
      undefined,
      Reasons.nodeAffinityConflict,
    )} preemption: ${fitError(all.length, [], {
      count: all.length,
      reason: Reasons.preemptionNotHelpful,
    })}`;
    return { unschedulable: true, message };
  }
  const candidates = pre.names ? all.filter(n => pre.names!.has(n.name)) : all;

  const cycle = preFilter(pod, all);
  const statuses = new Map<string, Status>();
  const feasible: NodeInfo[] = [];
  for (const n of candidates) {
    const s = runFilters(cycle, n);
    if (s) statuses.set(n.name, s);
    else feasible.push(n);
  }

  if (feasible.length > 0) {
    if (feasible.length === 1) return { node: feasible[0].name };
    const scored = totalScores(cycle, feasible, all);
    scored.sort((a, b) => b.score - a.score || byteOrder(a.name, b.name));
    return { node: scored[0].name };
  }

  const absent = pre.names
    ? {
        count: all.length - candidates.length,
        reason: Reasons.prefilterAbsent(['NodeAffinity']),
      }
    : undefined;
  let message = fitError(all.length, [...statuses.values()], absent);
  const post = preemptionMessage(cycle, all, statuses);
  if (post) message += ` ${post}`;
  return { unschedulable: true, message };
};
