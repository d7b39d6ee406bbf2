import { spawnSync } from 'node:child_process';
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { TrafficWorld } from '../contracts';
import { createTrafficSimulator } from './simulator';
import { ISTIO_BUCKETS } from './metrics';

// ---------------------------------------------------------------- fixtures

const NS = 'payments';

function service(
  name: string,
  annotations: Record<string, string> = {},
  selector: Record<string, string> = { app: name },
): V1Service {
  return {
    metadata: { name, namespace: NS, annotations },
    spec: { selector, ports: [{ port: 8080 }], clusterIP: '10.96.1.10' },
  };
}

function deployment(
  name: string,
  app: string,
  version: string,
  annotations: Record<string, string> = {},
  replicas = 1,
): V1Deployment {
  return {
    metadata: { name, namespace: NS, annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app, version } },
      template: {
        metadata: { labels: { app, version } },
        spec: { containers: [] },
      },
    },
    status: { availableReplicas: replicas, updatedReplicas: replicas },
  };
}

function pod(
  name: string,
  app: string,
  version: string,
  ready = true,
  restarts = 0,
): V1Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      labels: { app, version },
    },
    spec: {
      nodeName: 'general-1',
      containers: [
        {
          name: 'app',
          image: `registry.fincloud.example/payments/${app}:${version}`,
        },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.23.2' },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'app', restartCount: restarts, ready, image: '', imageID: '' },
        {
          name: 'istio-proxy',
          restartCount: 0,
          ready: true,
          image: '',
          imageID: '',
        },
      ] as V1Pod['status'] extends infer S
        ? S extends { containerStatuses?: infer C }
          ? C
          : never
        : never,
    },
  };
}

const subsets = (...versions: string[]) =>
  versions.map(v => ({ name: v, labels: { version: v } }));

function destinationRule(
  host: string,
  spec: Record<string, unknown> = {},
  versions = ['v1', 'v2'],
) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: { name: host, namespace: NS },
    spec: { host, subsets: subsets(...versions), ...spec },
  };
}

function virtualService(host: string, http: unknown[]) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: host, namespace: NS },
    spec: { hosts: [host], http },
  };
}

function canaryWorld(
  opts: {
    v1?: Record<string, string>;
    v2?: Record<string, string>;
    http?: unknown[];
    dr?: Record<string, unknown>;
    rps?: number;
    svc?: Record<string, string>;
  } = {},
): TrafficWorld {
  return {
    services: [
      service('payment-gateway', {
        'sim.fincloud.io/rps': String(opts.rps ?? 100),
        ...opts.svc,
      }),
    ],
    deployments: [
      deployment('payment-gateway-v1', 'payment-gateway', 'v1', opts.v1),
      deployment('payment-gateway-v2', 'payment-gateway', 'v2', opts.v2),
    ],
    pods: [
      pod('payment-gateway-v1-abc12', 'payment-gateway', 'v1'),
      pod('payment-gateway-v1-def34', 'payment-gateway', 'v1'),
      pod('payment-gateway-v2-ghi56', 'payment-gateway', 'v2'),
    ],
    nodes: [],
    virtualServices: opts.http
      ? [virtualService('payment-gateway', opts.http)]
      : [],
    destinationRules: [destinationRule('payment-gateway', opts.dr)],
    envoyFilters: [],
  };
}

const weighted = (v1: number, v2: number) => [
  {
    route: [
      { destination: { host: 'payment-gateway', subset: 'v1' }, weight: v1 },
      { destination: { host: 'payment-gateway', subset: 'v2' }, weight: v2 },
    ],
  },
];

// ---------------------------------------------------------------- metrics parsing

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function sum(
  samples: Sample[],
  name: string,
  where: Record<string, string> = {},
): number {
  return samples
    .filter(
      s =>
        s.name === name &&
        Object.entries(where).every(([k, v]) => s.labels[k] === v),
    )
    .reduce((a, s) => a + s.value, 0);
}

/** histogram_quantile over the destination-reported buckets matching `where`. */
function quantile(
  samples: Sample[],
  q: number,
  where: Record<string, string>,
): number {
  const buckets = ISTIO_BUCKETS.map(le =>
    sum(samples, 'istio_request_duration_milliseconds_bucket', {
      ...where,
      le: String(le),
    }),
  );
  const total = sum(samples, 'istio_request_duration_milliseconds_bucket', {
    ...where,
    le: '+Inf',
  });
  const rank = q * total;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] >= rank) {
      const lo = i === 0 ? 0 : ISTIO_BUCKETS[i - 1];
      const below = i === 0 ? 0 : buckets[i - 1];
      return (
        lo +
        ((ISTIO_BUCKETS[i] - lo) * (rank - below)) /
          Math.max(1, buckets[i] - below)
      );
    }
  }
  return Infinity;
}

function run(world: TrafficWorld, seconds: number, seed = 'test') {
  const sim = createTrafficSimulator({ seed });
  for (let i = 0; i < seconds; i++) sim.tick(world, 1000);
  return { sim, samples: parseMetrics(sim.renderMetrics(world)) };
}

const DEST = {
  reporter: 'destination',
  destination_service_name: 'payment-gateway',
};

// ---------------------------------------------------------------- tests

describe('routing', () => {
  it('splits traffic by VirtualService weights (90/10 within 1.5 points over 20 000 requests)', () => {
    const { samples } = run(
      canaryWorld({ http: weighted(90, 10), rps: 1000 }),
      20,
    );
    const v1 = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v1',
    });
    const v2 = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
    });
    expect(v1 + v2).toBe(20000);
    expect((v2 / (v1 + v2)) * 100).toBeGreaterThan(8.5);
    expect((v2 / (v1 + v2)) * 100).toBeLessThan(11.5);
    // both v1 pods share v1's traffic (round robin)
    expect(v1).toBeGreaterThan(0);
  });

  it('without a VirtualService, round-robins over the ready pods of the Service selector', () => {
    const world = canaryWorld({ rps: 30 });
    world.pods[1] = pod(
      'payment-gateway-v1-def34',
      'payment-gateway',
      'v1',
      false,
    );
    const sim = createTrafficSimulator({ seed: 'rr' });
    const answered = Array.from(
      { length: 6 },
      () =>
        sim.request(world, {
          host: 'payment-gateway.payments',
          path: '/',
          headers: {},
        })!,
    );
    expect(answered.map(r => JSON.parse(r.body).pod)).toEqual([
      'payment-gateway-v1-abc12',
      'payment-gateway-v2-ghi56',
      'payment-gateway-v1-abc12',
      'payment-gateway-v2-ghi56',
      'payment-gateway-v1-abc12',
      'payment-gateway-v2-ghi56',
    ]);
  });

  it('routes on a header match first, falling through to the weighted route', () => {
    const http = [
      {
        match: [{ headers: { 'x-user-group': { exact: 'internal' } } }],
        route: [{ destination: { host: 'payment-gateway', subset: 'v2' } }],
      },
      { route: [{ destination: { host: 'payment-gateway', subset: 'v1' } }] },
    ];
    const world = canaryWorld({
      http,
      rps: 200,
      svc: { 'sim.fincloud.io/request-headers': 'x-user-group=internal@25' },
    });
    const sim = createTrafficSimulator({ seed: 'hdr' });
    expect(
      sim.request(world, {
        host: 'payment-gateway.payments.svc.cluster.local',
        path: '/',
        headers: { 'X-User-Group': 'internal' },
      })?.version,
    ).toBe('v2');
    expect(
      sim.request(world, {
        host: 'payment-gateway.payments',
        path: '/',
        headers: { 'x-user-group': 'external' },
      })?.version,
    ).toBe('v1');
    for (let i = 0; i < 10; i++) sim.tick(world, 1000);
    const samples = parseMetrics(sim.renderMetrics(world));
    const v2 = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
    });
    const total = sum(samples, 'istio_requests_total', DEST);
    expect(v2 / total).toBeGreaterThan(0.2);
    expect(v2 / total).toBeLessThan(0.3);
  });

  it('matches uri prefixes and exact paths in order', () => {
    const http = [
      {
        match: [{ uri: { exact: '/api/v2/health' } }],
        route: [{ destination: { host: 'payment-gateway', subset: 'v2' } }],
      },
      {
        match: [{ uri: { prefix: '/api/v2' } }],
        route: [{ destination: { host: 'payment-gateway', subset: 'v1' } }],
      },
      { route: [{ destination: { host: 'payment-gateway', subset: 'v2' } }] },
    ];
    const world = canaryWorld({ http });
    const sim = createTrafficSimulator();
    const v = (path: string) =>
      sim.request(world, {
        host: 'payment-gateway.payments',
        path,
        headers: {},
      })?.version;
    expect([v('/api/v2/health'), v('/api/v2/payments'), v('/other')]).toEqual([
      'v2',
      'v1',
      'v2',
    ]);
  });

  it('mirrors a copy that only the destination reports; the client sees the primary answer', () => {
    const http = [
      {
        route: [{ destination: { host: 'payment-gateway', subset: 'v1' } }],
        mirror: { host: 'payment-gateway', subset: 'v2' },
        mirrorPercentage: { value: 100 },
      },
    ];
    const { samples } = run(
      canaryWorld({
        http,
        rps: 100,
        v2: { 'sim.fincloud.io/error-ratio': '1' },
      }),
      5,
    );
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'destination',
        destination_version: 'v2',
      }),
    ).toBe(500);
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'source',
        destination_version: 'v2',
      }),
    ).toBe(0);
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'source',
        destination_version: 'v1',
        response_code: '200',
      }),
    ).toBe(500);
  });

  it('resolves subsets through DestinationRule labels: pods of another version never answer', () => {
    const http = [
      { route: [{ destination: { host: 'payment-gateway', subset: 'v2' } }] },
    ];
    const world = canaryWorld({ http, rps: 50 });
    world.pods.push(pod('payment-gateway-v3-zzz99', 'payment-gateway', 'v3'));
    const { samples } = run(world, 4);
    expect(
      sum(samples, 'istio_requests_total', {
        ...DEST,
        destination_version: 'v2',
      }),
    ).toBe(200);
    expect(
      sum(samples, 'istio_requests_total', {
        ...DEST,
        destination_version: 'v3',
      }),
    ).toBe(0);
  });

  it('answers 503 UH (no healthy upstream) when no pod is ready', () => {
    const world = canaryWorld({ http: weighted(0, 100), rps: 10 });
    world.pods = world.pods.map(p => ({
      ...p,
      status: { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] },
    }));
    const sim = createTrafficSimulator();
    const r = sim.request(world, {
      host: 'payment-gateway.payments',
      path: '/',
      headers: {},
    });
    expect(r).toMatchObject({ status: 503, body: 'no healthy upstream' });
    sim.tick(world, 1000);
    const samples = parseMetrics(sim.renderMetrics(world));
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'source',
        response_code: '503',
        response_flags: 'UH',
        destination_workload: 'unknown',
      }),
    ).toBe(11);
    expect(
      sum(samples, 'istio_requests_total', { reporter: 'destination' }),
    ).toBe(0);
  });

  it('returns undefined for a host that is no Service', () => {
    expect(
      createTrafficSimulator().request(canaryWorld(), {
        host: 'nope.payments',
        path: '/',
        headers: {},
      }),
    ).toBeUndefined();
  });
});

describe('behaviour per version', () => {
  it("shows each version's error ratio in istio_requests_total by response_code", () => {
    const { samples } = run(
      canaryWorld({
        http: weighted(50, 50),
        rps: 1000,
        v2: { 'sim.fincloud.io/error-ratio': '0.2' },
      }),
      10,
    );
    const v2Total = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
    });
    const v2Errors = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
      response_code: '500',
    });
    const v1Errors = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v1',
      response_code: '500',
    });
    expect(v2Errors / v2Total).toBeGreaterThan(0.18);
    expect(v2Errors / v2Total).toBeLessThan(0.22);
    expect(v1Errors).toBe(0);
  });

  it("puts latencies in Istio's buckets around the annotated median and p99", () => {
    const { samples } = run(
      canaryWorld({
        http: weighted(50, 50),
        rps: 1000,
        v1: {
          'sim.fincloud.io/latency-ms': '40',
          'sim.fincloud.io/latency-p99-ms': '200',
        },
        v2: {
          'sim.fincloud.io/latency-ms': '300',
          'sim.fincloud.io/latency-p99-ms': '900',
        },
      }),
      10,
    );
    const v1 = { ...DEST, destination_version: 'v1' };
    const v2 = { ...DEST, destination_version: 'v2' };
    expect(quantile(samples, 0.5, v1)).toBeGreaterThan(25);
    expect(quantile(samples, 0.5, v1)).toBeLessThan(50);
    expect(quantile(samples, 0.99, v1)).toBeGreaterThan(100);
    expect(quantile(samples, 0.99, v1)).toBeLessThan(250);
    expect(quantile(samples, 0.5, v2)).toBeGreaterThan(250);
    expect(quantile(samples, 0.5, v2)).toBeLessThan(500);
    const count = sum(samples, 'istio_request_duration_milliseconds_count', v1);
    const mean =
      sum(samples, 'istio_request_duration_milliseconds_sum', v1) / count;
    expect(mean).toBeGreaterThan(35);
    expect(mean).toBeLessThan(70);
  });

  it('degrades beyond capacity-rps per pod: slower and 503s', () => {
    const { samples } = run(
      canaryWorld({
        http: weighted(0, 100),
        rps: 300,
        v2: { 'sim.fincloud.io/capacity-rps': '100' },
      }),
      5,
    );
    const errors = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
      response_code: '503',
    });
    const total = sum(samples, 'istio_requests_total', {
      ...DEST,
      destination_version: 'v2',
    });
    expect(errors / total).toBeGreaterThan(0.4);
    expect(
      quantile(samples, 0.5, { ...DEST, destination_version: 'v2' }),
    ).toBeGreaterThan(25);
  });

  it('injects faults from the VirtualService (abort FI)', () => {
    const http = [
      {
        fault: { abort: { httpStatus: 503, percentage: { value: 50 } } },
        route: [{ destination: { host: 'payment-gateway', subset: 'v1' } }],
      },
    ];
    const { samples } = run(canaryWorld({ http, rps: 1000 }), 2);
    const fi = sum(samples, 'istio_requests_total', {
      reporter: 'source',
      response_flags: 'FI',
      response_code: '503',
    });
    expect(fi / 2000).toBeGreaterThan(0.45);
    expect(fi / 2000).toBeLessThan(0.55);
  });

  it('answers the request with a small JSON body naming workload and version', () => {
    const r = createTrafficSimulator().request(
      canaryWorld({ http: weighted(0, 100) }),
      { host: 'payment-gateway.payments', path: '/api/payments', headers: {} },
    );
    expect(r).toMatchObject({
      status: 200,
      workload: 'payment-gateway-v2',
      version: 'v2',
    });
    expect(JSON.parse(r!.body)).toEqual({
      workload: 'payment-gateway-v2',
      version: 'v2',
      pod: 'payment-gateway-v2-ghi56',
      status: 200,
      path: '/api/payments',
    });
    expect(r!.latencyMs).toBeGreaterThan(0);
  });
});

describe('resilience policies', () => {
  it('circuit breaker: requests beyond the connection pool get 503 UO', () => {
    // 200 rps x 100 ms = 20 in flight; the pool admits 1 connection + 4 pending.
    const dr = {
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 1 },
          http: { http1MaxPendingRequests: 4, maxRequestsPerConnection: 1 },
        },
      },
    };
    const { samples } = run(
      canaryWorld({
        http: weighted(0, 100),
        rps: 200,
        dr,
        v2: {
          'sim.fincloud.io/latency-ms': '100',
          'sim.fincloud.io/latency-p99-ms': '100',
        },
      }),
      5,
    );
    const uo = sum(samples, 'istio_requests_total', {
      reporter: 'source',
      response_code: '503',
      response_flags: 'UO',
    });
    const ok = sum(samples, 'istio_requests_total', {
      reporter: 'source',
      response_code: '200',
    });
    expect(uo / (uo + ok)).toBeGreaterThan(0.65);
    expect(uo / (uo + ok)).toBeLessThan(0.85);
    expect(sum(samples, 'envoy_cluster_upstream_rq_pending_overflow')).toBe(uo);
    // the destination never saw them
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'destination',
        response_flags: 'UO',
      }),
    ).toBe(0);
  });

  it('without a pool limit the same load passes', () => {
    const { samples } = run(
      canaryWorld({
        http: weighted(0, 100),
        rps: 200,
        v2: { 'sim.fincloud.io/latency-ms': '100' },
      }),
      5,
    );
    expect(sum(samples, 'istio_requests_total', { response_flags: 'UO' })).toBe(
      0,
    );
  });

  it('subset-level trafficPolicy overrides the top-level one', () => {
    const dr = {
      trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1 } } },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: {
            connectionPool: { http: { http2MaxRequests: 1000 } },
          },
        },
      ],
    };
    const { samples } = run(
      canaryWorld({
        http: weighted(50, 50),
        rps: 400,
        dr,
        v1: { 'sim.fincloud.io/latency-ms': '50' },
        v2: { 'sim.fincloud.io/latency-ms': '50' },
      }),
      3,
    );
    expect(
      sum(samples, 'envoy_cluster_upstream_rq_pending_overflow', {
        cluster_name:
          'outbound|8080|v1|payment-gateway.payments.svc.cluster.local',
      }),
    ).toBeGreaterThan(100);
    expect(
      sum(samples, 'envoy_cluster_upstream_rq_pending_overflow', {
        cluster_name:
          'outbound|8080|v2|payment-gateway.payments.svc.cluster.local',
      }),
    ).toBe(0);
  });

  it('outlier detection ejects the failing pod and its traffic moves to the healthy one', () => {
    const world: TrafficWorld = {
      services: [service('risk-engine', { 'sim.fincloud.io/rps': '100' })],
      deployments: [
        deployment('risk-engine', 'risk-engine', 'v1'),
        deployment('risk-engine-bad', 'risk-engine', 'bad', {
          'sim.fincloud.io/error-ratio': '1',
        }),
      ],
      pods: [
        pod('risk-engine-good-1', 'risk-engine', 'v1'),
        pod('risk-engine-bad-1', 'risk-engine', 'bad'),
      ],
      nodes: [],
      virtualServices: [],
      destinationRules: [
        {
          metadata: { name: 'risk-engine', namespace: NS },
          spec: {
            host: 'risk-engine',
            trafficPolicy: {
              outlierDetection: {
                consecutive5xxErrors: 3,
                interval: '1s',
                baseEjectionTime: '30s',
                maxEjectionPercent: 50,
              },
            },
          },
        },
      ],
      envoyFilters: [],
    };
    const sim = createTrafficSimulator({ seed: 'od' });
    sim.tick(world, 1000);
    let samples = parseMetrics(sim.renderMetrics(world));
    expect(
      sum(samples, 'envoy_cluster_outlier_detection_ejections_active', {
        cluster_name: 'outbound|8080||risk-engine.payments.svc.cluster.local',
      }),
    ).toBe(1);
    const badFirst = sum(samples, 'istio_requests_total', {
      reporter: 'destination',
      destination_version: 'bad',
    });
    expect(badFirst).toBe(3);
    for (let i = 0; i < 10; i++) sim.tick(world, 1000);
    samples = parseMetrics(sim.renderMetrics(world));
    // ejected for 30 s: no new requests reached it, everything else succeeded
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'destination',
        destination_version: 'bad',
      }),
    ).toBe(3);
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'destination',
        destination_version: 'v1',
        response_code: '200',
      }),
    ).toBe(1100 - 3);
    // after the ejection time it is tried again, and ejected again (for longer)
    for (let i = 0; i < 25; i++) sim.tick(world, 1000);
    samples = parseMetrics(sim.renderMetrics(world));
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'destination',
        destination_version: 'bad',
      }),
    ).toBe(6);
    expect(
      sum(samples, 'envoy_cluster_outlier_detection_ejections_enforced_total'),
    ).toBe(2);
  });

  it('a local rate limit EnvoyFilter answers 429 RL above its token bucket', () => {
    const world = canaryWorld({ http: weighted(0, 100), rps: 50 });
    world.envoyFilters = [
      {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        metadata: { name: 'payment-gateway-ratelimit', namespace: NS },
        spec: {
          workloadSelector: { labels: { app: 'payment-gateway' } },
          configPatches: [
            {
              applyTo: 'HTTP_FILTER',
              match: {
                context: 'SIDECAR_INBOUND',
                listener: {
                  filterChain: {
                    filter: {
                      name: 'envoy.filters.network.http_connection_manager',
                    },
                  },
                },
              },
              patch: {
                operation: 'INSERT_BEFORE',
                value: {
                  name: 'envoy.filters.http.local_ratelimit',
                  typed_config: {
                    '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
                    type_url:
                      'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
                    value: {
                      stat_prefix: 'http_local_rate_limiter',
                      token_bucket: {
                        max_tokens: 10,
                        tokens_per_fill: 10,
                        fill_interval: '1s',
                      },
                      filter_enabled: {
                        runtime_key: 'local_rate_limit_enabled',
                        default_value: {
                          numerator: 100,
                          denominator: 'HUNDRED',
                        },
                      },
                      filter_enforced: {
                        runtime_key: 'local_rate_limit_enforced',
                        default_value: {
                          numerator: 100,
                          denominator: 'HUNDRED',
                        },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    ];
    const { samples } = run(world, 10);
    const rl = sum(samples, 'istio_requests_total', {
      reporter: 'destination',
      response_code: '429',
      response_flags: 'RL',
    });
    const ok = sum(samples, 'istio_requests_total', {
      reporter: 'destination',
      response_code: '200',
    });
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(ok).toBeLessThanOrEqual(110);
    expect(rl).toBe(500 - ok);
    expect(
      sum(samples, 'istio_requests_total', {
        reporter: 'source',
        response_code: '429',
        response_flags: '-',
      }),
    ).toBe(rl);
  });

  it('a route timeout turns slow answers into 504 UT at the client', () => {
    const http = [
      {
        timeout: '0.1s',
        route: [{ destination: { host: 'payment-gateway', subset: 'v2' } }],
      },
    ];
    const { samples } = run(
      canaryWorld({
        http,
        rps: 100,
        v2: {
          'sim.fincloud.io/latency-ms': '100',
          'sim.fincloud.io/latency-p99-ms': '400',
        },
      }),
      5,
    );
    const ut = sum(samples, 'istio_requests_total', {
      reporter: 'source',
      response_code: '504',
      response_flags: 'UT',
    });
    expect(ut / 500).toBeGreaterThan(0.4);
    expect(ut / 500).toBeLessThan(0.6);
  });
});

describe('metrics', () => {
  it('exports Istio, cAdvisor and kube-state-metrics series with the labels PromQL expects', () => {
    const world = canaryWorld({ http: weighted(90, 10), rps: 100 });
    world.pods[0] = pod(
      'payment-gateway-v1-abc12',
      'payment-gateway',
      'v1',
      true,
      3,
    );
    const { samples, sim } = run(world, 3);
    const text = sim.renderMetrics(world);
    const istio = samples.find(
      s =>
        s.name === 'istio_requests_total' &&
        s.labels.reporter === 'destination',
    )!;
    expect(Object.keys(istio.labels).sort()).toEqual(
      [
        'connection_security_policy',
        'destination_app',
        'destination_canonical_revision',
        'destination_canonical_service',
        'destination_cluster',
        'destination_principal',
        'destination_service',
        'destination_service_name',
        'destination_service_namespace',
        'destination_version',
        'destination_workload',
        'destination_workload_namespace',
        'grpc_response_status',
        'reporter',
        'request_protocol',
        'response_code',
        'response_flags',
        'source_app',
        'source_canonical_revision',
        'source_canonical_service',
        'source_cluster',
        'source_principal',
        'source_version',
        'source_workload',
        'source_workload_namespace',
      ].sort(),
    );
    expect(istio.labels).toMatchObject({
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
      destination_service: 'payment-gateway.payments.svc.cluster.local',
      destination_workload_namespace: 'payments',
      request_protocol: 'http',
      connection_security_policy: 'mutual_tls',
    });
    expect(text).toContain(
      '# TYPE istio_request_duration_milliseconds histogram',
    );
    expect(
      sum(samples, 'kube_pod_status_ready', {
        pod: 'payment-gateway-v2-ghi56',
        condition: 'true',
      }),
    ).toBe(1);
    expect(
      sum(samples, 'kube_pod_status_ready', {
        pod: 'payment-gateway-v2-ghi56',
        condition: 'false',
      }),
    ).toBe(0);
    expect(
      sum(samples, 'kube_pod_container_status_restarts_total', {
        pod: 'payment-gateway-v1-abc12',
        container: 'app',
      }),
    ).toBe(3);
    expect(
      sum(samples, 'kube_deployment_spec_replicas', {
        deployment: 'payment-gateway-v1',
      }),
    ).toBe(1);
    expect(
      sum(samples, 'kube_deployment_status_replicas_available', {
        deployment: 'payment-gateway-v2',
      }),
    ).toBe(1);
    const cpu = samples.find(
      s =>
        s.name === 'container_cpu_usage_seconds_total' &&
        s.labels.pod === 'payment-gateway-v2-ghi56' &&
        s.labels.container === 'app',
    )!;
    expect(cpu.labels).toEqual({
      container: 'app',
      cpu: 'total',
      image: 'registry.fincloud.example/payments/payment-gateway:v2',
      namespace: 'payments',
      node: 'general-1',
      pod: 'payment-gateway-v2-ghi56',
    });
    expect(
      sum(samples, 'container_memory_working_set_bytes', {
        pod: 'payment-gateway-v2-ghi56',
        container: 'app',
      }),
    ).toBeGreaterThan(100 * 1024 * 1024);
  });

  it("exports every pod's labels on kube_pod_labels, named as kube-state-metrics names them", () => {
    const world = canaryWorld({ http: weighted(90, 10), rps: 10 });
    world.pods[2].metadata!.labels = {
      ...world.pods[2].metadata!.labels,
      'app.kubernetes.io/name': 'payment-gateway',
      'pod-template-hash': '7d4b9c8f6',
      teamName: 'payments',
      'a.b': 'x',
      a_b: 'y',
      quoted: 'say "hi"',
    };
    const { samples, sim } = run(world, 1);
    const labelsOf = (podName: string) =>
      samples.filter(
        s => s.name === 'kube_pod_labels' && s.labels.pod === podName,
      );
    expect(labelsOf('payment-gateway-v1-abc12')).toEqual([
      {
        name: 'kube_pod_labels',
        labels: {
          namespace: NS,
          pod: 'payment-gateway-v1-abc12',
          uid: 'uid-payment-gateway-v1-abc12',
          label_app: 'payment-gateway',
          label_version: 'v1',
        },
        value: 1,
      },
    ]);
    const [v2] = labelsOf('payment-gateway-v2-ghi56');
    expect(v2.labels).toEqual({
      namespace: NS,
      pod: 'payment-gateway-v2-ghi56',
      uid: 'uid-payment-gateway-v2-ghi56',
      label_app: 'payment-gateway',
      label_version: 'v2',
      label_app_kubernetes_io_name: 'payment-gateway',
      label_pod_template_hash: '7d4b9c8f6',
      label_team_name: 'payments',
      // `a.b` and `a_b` both become label_a_b: suffixed in key order.
      label_a_b_conflict1: 'x',
      label_a_b_conflict2: 'y',
      label_quoted: 'say \\"hi\\"',
    });
    expect(sim.renderMetrics(world)).toContain('# TYPE kube_pod_labels gauge');
  });

  it('counters stay monotonic across ticks and the series of deleted pods disappear', () => {
    const world = canaryWorld({ http: weighted(50, 50), rps: 100 });
    const sim = createTrafficSimulator({ seed: 'mono' });
    let last = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      sim.tick(world, 1000);
      const now = new Map(
        parseMetrics(sim.renderMetrics(world))
          .filter(s => /_total$|_count$|_bucket$|_sum$/.test(s.name))
          .map(s => [`${s.name}${JSON.stringify(s.labels)}`, s.value]),
      );
      for (const [k, v] of last)
        expect(now.get(k) ?? Infinity).toBeGreaterThanOrEqual(v);
      last = now;
    }
    const gone = {
      ...world,
      pods: world.pods.filter(
        p => p.metadata?.name !== 'payment-gateway-v2-ghi56',
      ),
      deployments: world.deployments.filter(
        d => d.metadata?.name !== 'payment-gateway-v2',
      ),
    };
    sim.tick(gone, 1000);
    const text = sim.renderMetrics(gone);
    expect(text).not.toContain('pod="payment-gateway-v2-ghi56"');
    expect(text).not.toContain('destination_workload="payment-gateway-v2"');
    expect(text).toContain('destination_workload="payment-gateway-v1"');
  });

  it('CPU follows load and the cpu-millis annotation', () => {
    const busy = canaryWorld({ http: weighted(0, 100), rps: 500 });
    const quiet = canaryWorld({
      http: weighted(0, 100),
      rps: 10,
      v1: { 'sim.fincloud.io/cpu-millis': '400' },
    });
    const a = run(busy, 10).samples;
    const b = run(quiet, 10).samples;
    const cpu = (s: Sample[], podName: string) =>
      sum(s, 'container_cpu_usage_seconds_total', {
        pod: podName,
        container: 'app',
      });
    expect(cpu(a, 'payment-gateway-v2-ghi56')).toBeGreaterThan(
      cpu(b, 'payment-gateway-v2-ghi56') * 5,
    );
    // idle v1 pods: 400 millicores for 10 s = 4 cpu-seconds
    expect(cpu(b, 'payment-gateway-v1-abc12')).toBeCloseTo(4, 1);
  });

  it('is deterministic for a seed', () => {
    const world = canaryWorld({
      http: weighted(70, 30),
      rps: 333,
      v2: { 'sim.fincloud.io/error-ratio': '0.1' },
    });
    expect(run(world, 3, 'same').sim.renderMetrics(world)).toBe(
      run(world, 3, 'same').sim.renderMetrics(world),
    );
    expect(run(world, 3, 'same').sim.renderMetrics(world)).not.toBe(
      run(world, 3, 'other').sim.renderMetrics(world),
    );
  });

  it('setRate overrides the annotation, 0 stops the load', () => {
    const world = canaryWorld({ rps: 100 });
    const sim = createTrafficSimulator();
    sim.setRate(NS, 'payment-gateway', 0);
    sim.tick(world, 5000);
    expect(
      sum(parseMetrics(sim.renderMetrics(world)), 'istio_requests_total'),
    ).toBe(0);
    sim.setRate(NS, 'payment-gateway', 7);
    sim.tick(world, 1000);
    expect(
      sum(parseMetrics(sim.renderMetrics(world)), 'istio_requests_total', {
        reporter: 'destination',
      }),
    ).toBe(7);
  });

  it('passes promtool check metrics', () => {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      if (process.env.FINCLOUD_CI)
        throw new Error(
          'promtool is required in CI (Debian package prometheus)',
        );
      // eslint-disable-next-line no-console
      console.warn(
        'Skipping the promtool check: promtool is not installed (apt-get install prometheus).',
      );
      return;
    }
    const world = canaryWorld({
      http: weighted(90, 10),
      rps: 100,
      v2: { 'sim.fincloud.io/error-ratio': '0.3' },
    });
    world.destinationRules[0].spec.trafficPolicy = {
      outlierDetection: { consecutive5xxErrors: 2 },
    };
    const { sim } = run(world, 5);
    const result = spawnSync('promtool', ['check', 'metrics'], {
      input: sim.renderMetrics(world),
      encoding: 'utf8',
    });
    // The text parses (a parse error exits 1 with "error while linting"). The only
    // lint findings are the upstream names PromQL depends on: Istio's histogram is in
    // milliseconds and Envoy's counters carry no _total suffix.
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.stderr.trim().split('\n').sort()).toEqual([
      'envoy_cluster_upstream_rq_pending_overflow counter metrics should have "_total" suffix',
      'istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"',
    ]);
    expect(result.status).toBe(3);
    const broken = spawnSync('promtool', ['check', 'metrics'], {
      input: 'not metrics {\n',
      encoding: 'utf8',
    });
    expect(broken.status).toBe(1);
  });
});
