/**
 * The traffic and metrics model: simulated requests routed the way Istio
 * routes them (VirtualService matches and weights, DestinationRule subsets,
 * connection pools, outlier detection, local rate limits, faults, mirrors),
 * per-version behaviour from Deployment annotations, and the Prometheus
 * series Istio, cAdvisor and kube-state-metrics would export.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { RE2JS } from 're2js';
import type {
  RoutedResponse,
  TrafficSimulator,
  TrafficWorld,
} from '../contracts';
import { MetricStore, type IstioLabels } from './metrics';
import { Random } from './random';
import {
  SYSTEM_NAMESPACES,
  TRAFFIC_ANNOTATIONS as A,
  WorldIndex,
  duration,
  expandHost,
  fqdn,
  isReady,
  numberAnnotation,
  type Workload,
} from './world';

/** Increasing timestamps; counts those after a moment, dropping older ones. */
class TimeWindow {
  private items: number[] = [];
  private head = 0;

  push(t: number): void {
    this.items.push(t);
  }

  /** How many are later than `after` (older ones are forgotten). */
  count(after: number): number {
    while (this.head < this.items.length && this.items[this.head] <= after)
      this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items.length - this.head;
  }
}

/** A binary min-heap of end times: in-flight requests are those not yet ended. */
class MinHeap {
  private readonly a: number[] = [];

  get size(): number {
    return this.a.length;
  }

  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  /** Drops every end time at or before `t`. */
  popUntil(t: number): void {
    const a = this.a;
    while (a.length && a[0] <= t) {
      const last = a.pop()!;
      if (a.length === 0) break;
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
  }
}

export interface TrafficOptions {
  /** Seed for the deterministic random stream (same seed + same calls = same metrics). */
  seed?: string | number;
  /** Requests per second for a Service without a rate or annotation (default 20). */
  defaultRps?: number;
}

interface Req {
  path: string;
  method: string;
  headers: Record<string, string>;
}

/** Connection-pool and outlier settings in force for one Envoy cluster. */
interface Policy {
  connectionPool?: any;
  outlierDetection?: any;
  loadBalancer?: any;
}

interface Target {
  svc: V1Service;
  subset?: string;
  cluster: string;
  pods: V1Pod[];
  policy: Policy;
}

interface PodState {
  /** Start times of the last second's requests (a queue). */
  starts: TimeWindow;
  requestsThisTick: number;
  cpuSeconds: Record<string, number>;
  tokens?: number;
  lastFill?: number;
}

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejectedUntil: number;
  ejections: number;
}

interface ClusterState {
  /** End times of requests in flight (a min-heap). */
  active: MinHeap;
  overflows: number;
  ejectionsEnforced: number;
  rr: number;
}

const GATEWAY: Workload = {
  name: 'istio-ingressgateway',
  namespace: 'istio-system',
  app: 'istio-ingressgateway',
  version: 'unknown',
  canonicalService: 'istio-ingressgateway',
  canonicalRevision: 'latest',
  serviceAccount: 'istio-ingressgateway-service-account',
  annotations: {},
};

const BODIES: Record<string, string> = {
  UH: 'no healthy upstream',
  UO: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  RL: 'local_rate_limited',
  NR: '',
  FI: 'fault filter abort',
  UT: 'upstream request timeout',
};

class Simulator implements TrafficSimulator {
  private readonly rng: Random;
  private readonly defaultRps: number;
  private readonly rates = new Map<string, number>();
  private readonly carry = new Map<string, number>();
  private readonly pods = new Map<string, PodState>();
  private readonly hosts = new Map<string, HostState>();
  private readonly clusters = new Map<string, ClusterState>();
  private readonly metrics = new MetricStore();
  /** Simulated time (ms) the model has reached. */
  private now = 0;
  private index?: WorldIndex;
  private indexedWorld?: TrafficWorld;

  constructor(options: TrafficOptions) {
    this.rng = new Random(String(options.seed ?? 'fincloud'));
    this.defaultRps = options.defaultRps ?? 20;
  }

  setRate(namespace: string, service: string, rps: number): void {
    this.rates.set(`${namespace}/${service}`, Math.max(0, rps));
  }

  private indexFor(world: TrafficWorld): WorldIndex {
    if (this.indexedWorld !== world || !this.index) {
      this.index = new WorldIndex(world);
      this.indexedWorld = world;
    }
    return this.index;
  }

  private rateOf(svc: V1Service): number {
    const ns = svc.metadata?.namespace ?? 'default';
    const key = `${ns}/${svc.metadata?.name}`;
    const set = this.rates.get(key);
    if (set !== undefined) return set;
    const annotated = numberAnnotation(svc.metadata?.annotations, A.rps);
    if (annotated !== undefined) return Math.max(0, annotated);
    if (SYSTEM_NAMESPACES.has(ns) || !svc.spec?.selector) return 0;
    return this.defaultRps;
  }

  // ---------------------------------------------------------------- tick

  tick(world: TrafficWorld, dtMs: number): void {
    if (!(dtMs > 0)) return;
    const index = new WorldIndex(world);
    this.index = index;
    this.indexedWorld = world;
    const start = this.now;
    // Every request of this tick, interleaved in time across Services.
    const schedule: Array<{ t: number; svc: V1Service; order: number }> = [];
    const services = [...world.services].sort((a, b) =>
      `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
        `${b.metadata?.namespace}/${b.metadata?.name}`,
      ),
    );
    services.forEach((svc, order) => {
      const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      const exact =
        (this.rateOf(svc) * dtMs) / 1000 + (this.carry.get(key) ?? 0);
      const n = Math.floor(exact);
      this.carry.set(key, exact - n);
      for (let i = 0; i < n; i++)
        schedule.push({ t: start + ((i + 0.5) * dtMs) / n, svc, order });
    });
    schedule.sort((a, b) => a.t - b.t || a.order - b.order);
    for (const pod of world.pods) this.podState(pod).requestsThisTick = 0;
    for (const item of schedule) {
      this.now = item.t;
      this.handle(index, item.svc, this.generatedRequest(item.svc), GATEWAY);
    }
    this.now = start + dtMs;
    this.accountResources(index, dtMs);
    this.forgetGone(world);
  }

  /** What the load generator sends to a Service: paths and header shares from annotations. */
  private generatedRequest(svc: V1Service): Req {
    const ann = svc.metadata?.annotations ?? {};
    const headers: Record<string, string> = {};
    for (const spec of (ann[A.requestHeaders] ?? '')
      .split(',')
      .map(s => s.trim())
      .filter(Boolean)) {
      const m = /^([^=@]+)=([^@]*)(?:@([\d.]+))?$/.exec(spec);
      if (m && this.rng.next() * 100 < Number(m[3] ?? 100))
        headers[m[1].trim().toLowerCase()] = m[2].trim();
    }
    let path = '/';
    const paths = (ann[A.paths] ?? '')
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
    if (paths.length) {
      const weighted = paths.map(p => {
        const [pp, w] = p.split('=');
        return { path: pp, weight: Number(w ?? 1) || 0 };
      });
      const total = weighted.reduce((s, w) => s + w.weight, 0);
      let r = this.rng.next() * total;
      for (const w of weighted) {
        r -= w.weight;
        if (r <= 0) {
          path = w.path;
          break;
        }
      }
    }
    return { path, method: 'GET', headers };
  }

  // ---------------------------------------------------------------- one request

  request(
    world: TrafficWorld,
    request: { host: string; path: string; headers: Record<string, string> },
  ): RoutedResponse | undefined {
    const index = this.indexFor(world);
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    const [srcNs, srcPod] = (headers['x-sim-source'] ?? '').split('/');
    const svc = index.service(request.host, srcNs || 'default');
    if (!svc) return undefined;
    const pod = srcNs && srcPod ? index.podByName(srcNs, srcPod) : undefined;
    const source = pod
      ? index.workload(pod)
      : {
          ...GATEWAY,
          name: 'unknown',
          namespace: srcNs || 'unknown',
          app: 'unknown',
          canonicalService: 'unknown',
          serviceAccount: 'default',
        };
    return this.handle(
      index,
      svc,
      {
        path: request.path || '/',
        method: headers[':method'] ?? 'GET',
        headers,
      },
      source,
    );
  }

  private handle(
    index: WorldIndex,
    svc: V1Service,
    req: Req,
    source: Workload,
  ): RoutedResponse {
    const svcNs = svc.metadata?.namespace ?? 'default';
    const svcFqdn = fqdn(svc.metadata?.name ?? '', svcNs);
    const route = this.matchRoute(index, svcFqdn, req);

    // Fault injection (applied by the client sidecar before routing).
    const fault = route?.fault;
    let delay = 0;
    if (
      fault?.delay &&
      this.rng.next() * 100 <
        percent(fault.delay.percentage, fault.delay.percent)
    ) {
      delay = duration(fault.delay.fixedDelay ?? fault.delay.fixed_delay, 0);
    }
    if (
      fault?.abort &&
      this.rng.next() * 100 <
        percent(fault.abort.percentage, fault.abort.percent)
    ) {
      const code = Number(
        fault.abort.httpStatus ?? fault.abort.http_status ?? 503,
      );
      this.recordSource(source, svc, undefined, code, 'FI', delay);
      return { status: code, latencyMs: delay, body: BODIES.FI };
    }

    const destination = this.pickDestination(route, svc, svcFqdn);
    const target = destination
      ? this.target(
          index,
          destination.host,
          destination.subset,
          route?.ns ?? svcNs,
        )
      : undefined;
    if (!target) {
      this.recordSource(source, svc, undefined, 503, 'NR', delay);
      return { status: 503, latencyMs: delay, body: BODIES.NR };
    }

    // Mirroring: fire and forget; only the destination reports it.
    if (
      route?.mirror &&
      this.rng.next() * 100 <
        percent(route.mirrorPercentage ?? route.mirror_percent, 100)
    ) {
      const mirror = this.target(
        index,
        route.mirror.host,
        route.mirror.subset,
        route.ns,
      );
      if (mirror)
        this.serve(index, mirror, req, source, {
          mirrored: true,
          timeoutMs: Infinity,
          delay: 0,
        });
    }
    return this.serve(index, target, req, source, {
      mirrored: false,
      timeoutMs: duration(route?.timeout, Infinity),
      delay,
    });
  }

  /** Sends one request into an Envoy cluster and records what Istio would. */
  private serve(
    index: WorldIndex,
    target: Target,
    req: Req,
    source: Workload,
    o: { mirrored: boolean; timeoutMs: number; delay: number },
  ): RoutedResponse {
    const cluster = this.clusterState(target.cluster);
    const t = this.now;
    cluster.active.popUntil(t);

    // Circuit breaker: concurrent requests beyond the connection pool overflow (UO).
    const limit = connectionLimit(target.policy.connectionPool);
    if (cluster.active.size >= limit) {
      cluster.overflows++;
      if (!o.mirrored)
        this.recordSource(source, target.svc, undefined, 503, 'UO', o.delay);
      return { status: 503, latencyMs: o.delay, body: BODIES.UO };
    }

    // Healthy endpoints: ready pods minus those ejected by outlier detection.
    const od = target.policy.outlierDetection;
    const eligible = target.pods.filter(p => {
      const h = this.hosts.get(`${target.cluster}|${podKey(p)}`);
      return !h || h.ejectedUntil <= t;
    });
    if (eligible.length === 0) {
      if (!o.mirrored)
        this.recordSource(source, target.svc, undefined, 503, 'UH', o.delay);
      return { status: 503, latencyMs: o.delay, body: BODIES.UH };
    }
    const lb = target.policy.loadBalancer?.simple;
    const pod =
      lb === 'RANDOM'
        ? eligible[Math.floor(this.rng.next() * eligible.length)]
        : eligible[cluster.rr++ % eligible.length];
    const workload = index.workload(pod);
    const state = this.podState(pod);
    state.requestsThisTick++;

    // Local rate limit at the destination's sidecar (EnvoyFilter): 429 RL.
    const bucket = this.rateLimit(index, pod);
    if (bucket && !this.takeToken(state, bucket, t)) {
      const latency = o.delay + 0.3;
      this.recordDestination(
        source,
        workload,
        target.svc,
        429,
        'RL',
        0.3,
        o.mirrored,
      );
      if (!o.mirrored)
        this.recordSource(source, target.svc, workload, 429, '-', latency);
      return {
        status: 429,
        latencyMs: latency,
        workload: workload.name,
        version: workload.version,
        body: BODIES.RL,
      };
    }

    // The app's behaviour for this version (and how busy this pod is).
    state.starts.push(t);
    const recent = state.starts.count(t - 1000);
    const ann = workload.annotations;
    const median = numberAnnotation(ann, A.latencyMs) ?? 20;
    const p99 = Math.max(
      median,
      numberAnnotation(ann, A.latencyP99Ms) ?? median * 4,
    );
    const sigma = median > 0 ? Math.log(p99 / median) / 2.326 : 0;
    let latency = median * Math.exp(sigma * this.rng.normal());
    let status =
      this.rng.next() < clamp(numberAnnotation(ann, A.errorRatio) ?? 0, 0, 1)
        ? 500
        : 200;
    const capacity = numberAnnotation(ann, A.capacityRps);
    if (capacity !== undefined && capacity > 0 && recent > capacity) {
      const over = recent / capacity;
      latency *= 1 + 3 * (over - 1);
      if (status === 200 && this.rng.next() < 1 - 1 / over) status = 503;
    }
    const appStatus = status;
    const appLatency = latency;
    let flags = '-';
    let total = latency + o.delay;
    if (total > o.timeoutMs) {
      // The client gives up (504 UT); the app still finishes and reports its own status.
      status = 504;
      flags = 'UT';
      total = o.timeoutMs;
    }
    cluster.active.push(t + appLatency);

    // Outlier detection: consecutive 5xx (or gateway errors) eject the host.
    if (od && !o.mirrored) this.outlier(target, pod, status, od, t);

    this.recordDestination(
      source,
      workload,
      target.svc,
      appStatus,
      '-',
      appLatency,
      o.mirrored,
    );
    if (!o.mirrored)
      this.recordSource(source, target.svc, workload, status, flags, total);
    const body =
      flags === 'UT'
        ? BODIES.UT
        : JSON.stringify({
            workload: workload.name,
            version: workload.version,
            pod: pod.metadata?.name,
            status,
            path: req.path,
          });
    return {
      status,
      latencyMs: total,
      workload: workload.name,
      version: workload.version,
      body,
    };
  }

  // ---------------------------------------------------------------- routing

  private matchRoute(
    index: WorldIndex,
    svcFqdn: string,
    req: Req,
  ): (any & { ns: string }) | undefined {
    for (const vs of index.virtualServices(svcFqdn)) {
      const ns = vs.metadata?.namespace ?? 'default';
      for (const http of vs.spec?.http ?? []) {
        const matches: any[] = http.match ?? [];
        if (matches.length === 0 || matches.some(m => requestMatches(m, req)))
          return { ...http, ns };
      }
    }
    return undefined;
  }

  private pickDestination(
    route: any | undefined,
    svc: V1Service,
    svcFqdn: string,
  ): { host: string; subset?: string } | undefined {
    if (!route) return { host: svcFqdn };
    const dests: any[] = route.route ?? [];
    if (dests.length === 0) return undefined;
    if (dests.length === 1)
      return {
        host: dests[0].destination?.host,
        subset: dests[0].destination?.subset,
      };
    const total = dests.reduce((s, d) => s + (Number(d.weight) || 0), 0);
    if (total <= 0)
      return {
        host: dests[0].destination?.host,
        subset: dests[0].destination?.subset,
      };
    let r = this.rng.next() * total;
    for (const d of dests) {
      r -= Number(d.weight) || 0;
      if (r < 0)
        return { host: d.destination?.host, subset: d.destination?.subset };
    }
    void svc;
    const last = dests[dests.length - 1];
    return { host: last.destination?.host, subset: last.destination?.subset };
  }

  /** The Envoy cluster for host + subset: its pods and traffic policy. */
  private target(
    index: WorldIndex,
    host: string,
    subset: string | undefined,
    ns: string,
  ): Target | undefined {
    const hostFqdn = expandHost(host, ns);
    const svc = index.service(hostFqdn, ns);
    if (!svc) return undefined;
    const svcNs = svc.metadata?.namespace ?? 'default';
    const dr = index.destinationRule(hostFqdn, svcNs);
    const top: Policy = dr?.spec?.trafficPolicy ?? {};
    let labels: Record<string, string> | undefined;
    let policy: Policy = top;
    if (subset) {
      const s = (dr?.spec?.subsets ?? []).find((x: any) => x.name === subset);
      if (!s) return undefined;
      labels = s.labels ?? {};
      policy = { ...top, ...(s.trafficPolicy ?? {}) };
    }
    const port = svc.spec?.ports?.[0]?.port ?? 80;
    const pods = index
      .servicePods(svc)
      .filter(isReady)
      .filter(
        p =>
          !labels ||
          Object.entries(labels).every(
            ([k, v]) => p.metadata?.labels?.[k] === v,
          ),
      )
      .sort((a, b) =>
        (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
    return {
      svc,
      subset,
      cluster: `outbound|${port}|${subset ?? ''}|${hostFqdn}`,
      pods,
      policy,
    };
  }

  // ---------------------------------------------------------------- policies

  private outlier(
    target: Target,
    pod: V1Pod,
    status: number,
    od: any,
    t: number,
  ): void {
    const key = `${target.cluster}|${podKey(pod)}`;
    const h = this.hosts.get(key) ?? {
      consecutive5xx: 0,
      consecutiveGateway: 0,
      ejectedUntil: 0,
      ejections: 0,
    };
    this.hosts.set(key, h);
    const fiveXX = status >= 500;
    const gateway = status === 502 || status === 503 || status === 504;
    h.consecutive5xx = fiveXX ? h.consecutive5xx + 1 : 0;
    h.consecutiveGateway = gateway ? h.consecutiveGateway + 1 : 0;
    const threshold5xx =
      od.consecutive5xxErrors ??
      od.consecutiveErrors ??
      (od.consecutiveGatewayErrors === undefined ? 5 : undefined);
    const thresholdGw = od.consecutiveGatewayErrors;
    const tripped =
      (threshold5xx !== undefined &&
        threshold5xx > 0 &&
        h.consecutive5xx >= threshold5xx) ||
      (thresholdGw !== undefined &&
        thresholdGw > 0 &&
        h.consecutiveGateway >= thresholdGw);
    if (!tripped || h.ejectedUntil > t) return;
    const ejected = target.pods.filter(
      p =>
        (this.hosts.get(`${target.cluster}|${podKey(p)}`)?.ejectedUntil ?? 0) >
        t,
    ).length;
    const maxPct = Number(od.maxEjectionPercent ?? 10);
    const allowed = Math.max(
      1,
      Math.floor((target.pods.length * maxPct) / 100),
    );
    if (ejected >= allowed) return;
    h.ejections++;
    h.ejectedUntil = t + duration(od.baseEjectionTime, 30_000) * h.ejections;
    h.consecutive5xx = 0;
    h.consecutiveGateway = 0;
    this.clusterState(target.cluster).ejectionsEnforced++;
  }

  /** The local rate limit applying to a pod (EnvoyFilter selecting its labels). */
  private rateLimit(
    index: WorldIndex,
    pod: V1Pod,
  ):
    | { max: number; perFill: number; fillMs: number; enforced: boolean }
    | undefined {
    for (const ef of index.envoyFilters()) {
      const efNs = ef.metadata?.namespace ?? 'default';
      const podNs = pod.metadata?.namespace ?? 'default';
      if (efNs !== podNs && efNs !== 'istio-system') continue;
      const selector = ef.spec?.workloadSelector?.labels;
      if (
        selector &&
        !Object.entries(selector).every(
          ([k, v]) => pod.metadata?.labels?.[k] === v,
        )
      )
        continue;
      const json = JSON.stringify(ef.spec?.configPatches ?? []);
      if (!json.includes('envoy.filters.http.local_ratelimit')) continue;
      const bucket =
        findKey(ef.spec?.configPatches, 'token_bucket') ??
        findKey(ef.spec?.configPatches, 'tokenBucket');
      if (!bucket) continue;
      const enforced =
        findKey(ef.spec?.configPatches, 'filter_enforced') ??
        findKey(ef.spec?.configPatches, 'filterEnforced');
      const fraction = enforced?.default_value ?? enforced?.defaultValue;
      return {
        max: Number(bucket.max_tokens ?? bucket.maxTokens ?? 1),
        perFill: Number(bucket.tokens_per_fill ?? bucket.tokensPerFill ?? 1),
        fillMs: duration(bucket.fill_interval ?? bucket.fillInterval, 1000),
        enforced: !fraction || Number(fraction.numerator ?? 100) > 0,
      };
    }
    return undefined;
  }

  private takeToken(
    state: PodState,
    bucket: { max: number; perFill: number; fillMs: number; enforced: boolean },
    t: number,
  ): boolean {
    if (state.tokens === undefined || state.lastFill === undefined) {
      state.tokens = bucket.max;
      state.lastFill = t;
    }
    const fills = Math.floor((t - state.lastFill) / bucket.fillMs);
    if (fills > 0) {
      state.tokens = Math.min(
        bucket.max,
        state.tokens + fills * bucket.perFill,
      );
      state.lastFill += fills * bucket.fillMs;
    }
    if (state.tokens >= 1) {
      state.tokens--;
      return true;
    }
    return !bucket.enforced;
  }

  // ---------------------------------------------------------------- metrics

  private labels(
    reporter: 'source' | 'destination',
    source: Workload,
    dest: Workload | undefined,
    svc: V1Service,
    code: number,
    flags: string,
  ): IstioLabels {
    const svcNs = svc.metadata?.namespace ?? 'default';
    const unknown = 'unknown';
    return {
      reporter,
      source_workload: source.name,
      source_canonical_service: source.canonicalService,
      source_canonical_revision: source.canonicalRevision,
      source_workload_namespace: source.namespace,
      source_principal: `spiffe://cluster.local/ns/${source.namespace}/sa/${source.serviceAccount}`,
      source_app: source.app,
      source_version: source.version,
      source_cluster: 'Kubernetes',
      destination_workload: dest?.name ?? unknown,
      destination_workload_namespace: dest?.namespace ?? unknown,
      destination_principal: dest
        ? `spiffe://cluster.local/ns/${dest.namespace}/sa/${dest.serviceAccount}`
        : unknown,
      destination_app: dest?.app ?? unknown,
      destination_version: dest?.version ?? unknown,
      destination_service: fqdn(svc.metadata?.name ?? '', svcNs),
      destination_canonical_service: dest?.canonicalService ?? unknown,
      destination_canonical_revision: dest?.canonicalRevision ?? unknown,
      destination_service_name: svc.metadata?.name ?? unknown,
      destination_service_namespace: svcNs,
      destination_cluster: dest ? 'Kubernetes' : unknown,
      request_protocol: 'http',
      response_code: String(code),
      grpc_response_status: '',
      response_flags: flags,
      connection_security_policy:
        reporter === 'destination' ? 'mutual_tls' : 'unknown',
    };
  }

  private recordSource(
    source: Workload,
    svc: V1Service,
    dest: Workload | undefined,
    code: number,
    flags: string,
    latency: number,
  ): void {
    this.metrics.observe(
      this.labels('source', source, dest, svc, code, flags),
      latency,
    );
  }

  private recordDestination(
    source: Workload,
    dest: Workload,
    svc: V1Service,
    code: number,
    flags: string,
    latency: number,
    _mirrored: boolean,
  ): void {
    this.metrics.observe(
      this.labels('destination', source, dest, svc, code, flags),
      latency,
    );
  }

  // ---------------------------------------------------------------- resources

  private podState(pod: V1Pod): PodState {
    const key = podKey(pod);
    let s = this.pods.get(key);
    if (!s) {
      s = { starts: new TimeWindow(), requestsThisTick: 0, cpuSeconds: {} };
      this.pods.set(key, s);
    }
    return s;
  }

  private clusterState(name: string): ClusterState {
    let c = this.clusters.get(name);
    if (!c) {
      c = { active: new MinHeap(), overflows: 0, ejectionsEnforced: 0, rr: 0 };
      this.clusters.set(name, c);
    }
    return c;
  }

  /** CPU follows load: idle millicores plus a cost per request served this tick. */
  private accountResources(index: WorldIndex, dtMs: number): void {
    for (const pod of index.world.pods) {
      if (pod.status?.phase !== 'Running') continue;
      const s = this.podState(pod);
      const ann = {
        ...index.workload(pod).annotations,
        ...(pod.metadata?.annotations ?? {}),
      };
      const idle = (numberAnnotation(ann, A.cpuMillis) ?? 15) / 1000;
      for (const [i, c] of (pod.spec?.containers ?? []).entries()) {
        const sidecar = c.name === 'istio-proxy';
        const perRequest = sidecar ? 0.0004 : 0.002;
        const base = sidecar ? 0.005 : idle;
        s.cpuSeconds[c.name] =
          (s.cpuSeconds[c.name] ?? 0) +
          (dtMs / 1000) * base +
          s.requestsThisTick * perRequest * (i === 0 || sidecar ? 1 : 0.1);
      }
    }
  }

  private forgetGone(world: TrafficWorld): void {
    const live = new Set(world.pods.map(podKey));
    for (const key of [...this.pods.keys()])
      if (!live.has(key)) this.pods.delete(key);
    for (const key of [...this.hosts.keys()])
      if (!live.has(key.split('|').pop() ?? '')) this.hosts.delete(key);
  }

  renderMetrics(world: TrafficWorld): string {
    const index = this.indexFor(world);
    const workloads = new Set(
      world.deployments.map(
        d => `${d.metadata?.namespace}/${d.metadata?.name}`,
      ),
    );
    const lines: string[] = [
      this.metrics.render(
        l =>
          l.destination_workload === 'unknown' ||
          workloads.has(
            `${l.destination_workload_namespace}/${l.destination_workload}`,
          ),
      ),
    ];

    // Envoy outlier detection and circuit breaker stats (per cluster).
    const t = this.now;
    const active: string[] = [];
    const enforced: string[] = [];
    const overflow: string[] = [];
    for (const [name, c] of [...this.clusters].sort()) {
      const ejected = [...this.hosts].filter(
        ([k, h]) => k.startsWith(`${name}|`) && h.ejectedUntil > t,
      ).length;
      active.push(
        `envoy_cluster_outlier_detection_ejections_active{cluster_name="${esc(
          name,
        )}"} ${ejected}`,
      );
      enforced.push(
        `envoy_cluster_outlier_detection_ejections_enforced_total{cluster_name="${esc(
          name,
        )}"} ${c.ejectionsEnforced}`,
      );
      overflow.push(
        `envoy_cluster_upstream_rq_pending_overflow{cluster_name="${esc(
          name,
        )}"} ${c.overflows}`,
      );
    }
    lines.push(
      family(
        'envoy_cluster_outlier_detection_ejections_active',
        'gauge',
        'Hosts currently ejected by outlier detection.',
        active,
      ),
    );
    lines.push(
      family(
        'envoy_cluster_outlier_detection_ejections_enforced_total',
        'counter',
        'Ejections enforced by outlier detection.',
        enforced,
      ),
    );
    lines.push(
      family(
        'envoy_cluster_upstream_rq_pending_overflow',
        'counter',
        'Requests that overflowed the connection pool (circuit breaker).',
        overflow,
      ),
    );

    // cAdvisor.
    const cpu: string[] = [];
    const mem: string[] = [];
    const now = t / 1000;
    for (const pod of [...world.pods].sort((a, b) =>
      podKey(a).localeCompare(podKey(b)),
    )) {
      if (pod.status?.phase !== 'Running') continue;
      const s = this.podState(pod);
      const ann = {
        ...index.workload(pod).annotations,
        ...(pod.metadata?.annotations ?? {}),
      };
      const recentRps = s.starts.count(t - 1000);
      for (const c of pod.spec?.containers ?? []) {
        const labels = `container="${esc(c.name)}",cpu="total",image="${esc(
          c.image ?? '',
        )}",namespace="${esc(pod.metadata?.namespace ?? '')}",node="${esc(
          pod.spec?.nodeName ?? '',
        )}",pod="${esc(pod.metadata?.name ?? '')}"`;
        cpu.push(
          `container_cpu_usage_seconds_total{${labels}} ${round(
            s.cpuSeconds[c.name] ?? 0,
          )}`,
        );
        const baseMb =
          c.name === 'istio-proxy'
            ? 48
            : numberAnnotation(ann, A.memoryMb) ?? defaultMemory(c.image ?? '');
        const bytes =
          (baseMb + 0.2 * recentRps) *
          1024 *
          1024 *
          (1 + 0.03 * Math.sin(now / 20 + hash(pod.metadata?.name ?? '')));
        mem.push(
          `container_memory_working_set_bytes{${labels.replace(
            ',cpu="total"',
            '',
          )}} ${Math.round(bytes)}`,
        );
      }
    }
    lines.push(
      family(
        'container_cpu_usage_seconds_total',
        'counter',
        'Cumulative cpu time consumed in seconds.',
        cpu,
      ),
    );
    lines.push(
      family(
        'container_memory_working_set_bytes',
        'gauge',
        'Current working set in bytes.',
        mem,
      ),
    );

    // kube-state-metrics.
    const ready: string[] = [];
    const phase: string[] = [];
    const restarts: string[] = [];
    const podLabels: string[] = [];
    for (const pod of [...world.pods].sort((a, b) =>
      podKey(a).localeCompare(podKey(b)),
    )) {
      const id = `namespace="${esc(pod.metadata?.namespace ?? '')}",pod="${esc(
        pod.metadata?.name ?? '',
      )}",uid="${esc(pod.metadata?.uid ?? '')}"`;
      podLabels.push(
        `kube_pod_labels{${[
          id,
          ...kubeLabelsToPrometheus(pod.metadata?.labels ?? {}).map(
            ([k, v]) => `${k}="${esc(v)}"`,
          ),
        ].join(',')}} 1`,
      );
      const cond =
        pod.status?.conditions?.find(c => c.type === 'Ready')?.status ??
        'Unknown';
      for (const v of ['true', 'false', 'unknown'])
        ready.push(
          `kube_pod_status_ready{condition="${v}",${id}} ${
            cond.toLowerCase() === v ? 1 : 0
          }`,
        );
      for (const ph of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'])
        phase.push(
          `kube_pod_status_phase{${id},phase="${ph}"} ${
            (pod.status?.phase ?? 'Pending') === ph ? 1 : 0
          }`,
        );
      for (const c of pod.spec?.containers ?? []) {
        const st = pod.status?.containerStatuses?.find(x => x.name === c.name);
        restarts.push(
          `kube_pod_container_status_restarts_total{container="${esc(
            c.name,
          )}",${id}} ${st?.restartCount ?? 0}`,
        );
      }
    }
    lines.push(
      family(
        'kube_pod_labels',
        'gauge',
        'Kubernetes labels converted to Prometheus labels.',
        podLabels,
      ),
    );
    lines.push(
      family(
        'kube_pod_status_ready',
        'gauge',
        'Describes whether the pod is ready to serve requests.',
        ready,
      ),
    );
    lines.push(
      family(
        'kube_pod_status_phase',
        'gauge',
        'The pods current phase.',
        phase,
      ),
    );
    lines.push(
      family(
        'kube_pod_container_status_restarts_total',
        'counter',
        'The number of container restarts per container.',
        restarts,
      ),
    );
    const available: string[] = [];
    const spec: string[] = [];
    const updated: string[] = [];
    for (const d of [...world.deployments].sort((a, b) =>
      `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
        `${b.metadata?.namespace}/${b.metadata?.name}`,
      ),
    )) {
      const id = `deployment="${esc(d.metadata?.name ?? '')}",namespace="${esc(
        d.metadata?.namespace ?? '',
      )}"`;
      available.push(
        `kube_deployment_status_replicas_available{${id}} ${
          d.status?.availableReplicas ?? 0
        }`,
      );
      spec.push(
        `kube_deployment_spec_replicas{${id}} ${d.spec?.replicas ?? 1}`,
      );
      updated.push(
        `kube_deployment_status_replicas_updated{${id}} ${
          d.status?.updatedReplicas ?? 0
        }`,
      );
    }
    lines.push(
      family(
        'kube_deployment_status_replicas_available',
        'gauge',
        'The number of available replicas per deployment.',
        available,
      ),
    );
    lines.push(
      family(
        'kube_deployment_spec_replicas',
        'gauge',
        'Number of desired pods for a deployment.',
        spec,
      ),
    );
    lines.push(
      family(
        'kube_deployment_status_replicas_updated',
        'gauge',
        'The number of updated replicas per deployment.',
        updated,
      ),
    );
    return `${lines.filter(Boolean).join('')}`;
  }
}

// ---------------------------------------------------------------- helpers

function podKey(p: V1Pod): string {
  return `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;
}

function percent(p: any, legacy: any, fallback = 100): number {
  if (p && typeof p === 'object' && p.value !== undefined)
    return Number(p.value);
  if (typeof p === 'number') return p;
  if (typeof legacy === 'number') return legacy;
  return fallback;
}

const MAX = 2 ** 32 - 1;

/** Concurrent requests an Envoy cluster admits before overflowing (UO). */
function connectionLimit(cp: any): number {
  if (!cp) return MAX;
  const maxConnections = Number(cp.tcp?.maxConnections ?? MAX);
  const pending = Number(cp.http?.http1MaxPendingRequests ?? MAX);
  const maxRequests = Number(cp.http?.http2MaxRequests ?? MAX);
  return Math.min(maxConnections + pending, maxRequests, MAX);
}

function requestMatches(m: any, req: Req): boolean {
  const str = (cond: any, v: string | undefined): boolean => {
    if (!cond) return true;
    if (v === undefined) return false;
    if (cond.exact !== undefined) return v === cond.exact;
    if (cond.prefix !== undefined) return v.startsWith(cond.prefix);
    if (cond.regex !== undefined) {
      // RE2 syntax, as Envoy uses; linear time whatever the pattern.
      try {
        return RE2JS.compile(`^(?:${cond.regex})$`).test(v.slice(0, 4096));
      } catch {
        return false;
      }
    }
    return true;
  };
  if (m.uri && !str(m.uri, req.path.split('?')[0])) return false;
  if (m.method && !str(m.method, req.method)) return false;
  for (const [name, cond] of Object.entries(m.headers ?? {})) {
    if (!str(cond, req.headers[name.toLowerCase()])) return false;
  }
  for (const name of Object.keys(m.withoutHeaders ?? {})) {
    if (req.headers[name.toLowerCase()] !== undefined) return false;
  }
  return true;
}

function findKey(value: any, key: string): any {
  if (!value || typeof value !== 'object') return undefined;
  if (key in value) return value[key];
  for (const v of Object.values(value)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number): string {
  return String(Math.round(v * 1e6) / 1e6);
}

function defaultMemory(image: string): number {
  if (/java|jdk|jre|temurin|gateway|engine/.test(image)) return 512;
  if (/node|portal|web/.test(image)) return 128;
  return 64;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * A Kubernetes label set as kube-state-metrics exports it on `kube_pod_labels`
 * (here as with `--metric-labels-allowlist=pods=[*]`): keys sorted, each
 * `label_` + the key with every character outside `[a-zA-Z0-9_]` turned into
 * `_` and camelCase into snake_case; keys that end up the same get
 * `_conflict1`, `_conflict2`, ... in that order.
 */
function kubeLabelsToPrometheus(
  labels: Record<string, string>,
): Array<[string, string]> {
  const keys = Object.keys(labels).sort();
  const names = keys.map(
    k =>
      `label_${k
        .replace(/[^a-zA-Z0-9_]/g, '_')
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase()}`,
  );
  const total = new Map<string, number>();
  for (const n of names) total.set(n, (total.get(n) ?? 0) + 1);
  const seen = new Map<string, number>();
  return keys.map((k, i) => {
    const n = names[i];
    if (total.get(n)! === 1) return [n, labels[k]];
    const count = (seen.get(n) ?? 0) + 1;
    seen.set(n, count);
    return [`${n}_conflict${count}`, labels[k]];
  });
}

export function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function family(
  name: string,
  type: string,
  help: string,
  samples: string[],
): string {
  if (samples.length === 0)
    return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples.join(
    '\n',
  )}\n`;
}

export function createTrafficSimulator(
  options: TrafficOptions = {},
): TrafficSimulator {
  return new Simulator(options);
}
