/*
 * Deterministic metrics for the tests, backfilled into a real Prometheus:
 * an hour of linear counters whose rates, ratios and histogram quantiles are
 * known exactly, for every default panel, plus series whose label values
 * are injection attempts and an ALERTS history for the noise report.
 *
 * payment-gateway runs as a release leaves it mid-canary: v1 in the
 * Deployment `payment-gateway`, v2 in a second Deployment
 * `payment-gateway-v2`, the pods of both labelled `app: payment-gateway`
 * and `version: v1|v2`. A service is selected by that `app` label, so both
 * versions count; Deployments whose names merely start the same do not.
 */
import { Entity } from '@backstage/catalog-model';

export const SCRAPE_SECONDS = 15;
/** End of the data: ten minutes ago, on a minute. */
export const T_END = Math.floor(Date.now() / 60_000) * 60 - 600;
export const T_START = T_END - 3600;

export const NS = 'payments';
export const WL = 'payment-gateway';
/** The Deployment a release created for v2 (`<workload>-<version>`). */
export const CANARY_DEPLOYMENT = `${WL}-v2`;
const POD = (i: number) => `${WL}-7d4b9c8f6-${['abcde', 'fghjk', 'lmnpq'][i]}`;
const CANARY_POD = `${CANARY_DEPLOYMENT}-5c6d7e8f9-rstuv`;

/** Label values that try to break out of a PromQL string or regex. */
export const EVIL_VALUES = [
  '"} or vector(1) #',
  'payment-gateway"} or vector(1) or x{a="',
  'a\\"b',
  'line1\nline2',
  'ünïcödé-☃-𝔘',
  '.*',
  'payment-gateway|risk-engine',
  'trailing\\',
  'tab\there',
];
/** The request rate of the series whose destination_app is EVIL_VALUES[i]. */
export const evilRate = (i: number) => 100 + i;
/** The memory of the pod whose `app` label (label_app) is EVIL_VALUES[i]. */
export const evilMemory = (i: number) => 1000 + i;
/** The request rate of the series whose namespace is EVIL_VALUES[0]. */
export const EVIL_NAMESPACE_RATE = 555;

interface SeriesDef {
  name: string;
  labels: Record<string, string>;
  /** value at `t` seconds after T_START; undefined = no sample */
  value: (t: number) => number | undefined;
}

function escapeLabel(value: string) {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

function renderOpenMetrics(
  series: SeriesDef[],
  start: number,
  end: number,
): string {
  const byName = new Map<string, SeriesDef[]>();
  for (const s of series) {
    if (!byName.has(s.name)) byName.set(s.name, []);
    byName.get(s.name)!.push(s);
  }
  const lines: string[] = [];
  for (const [name, list] of byName) {
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      for (let t = 0; t <= end - start; t += SCRAPE_SECONDS) {
        const v = s.value(t);
        if (v !== undefined) lines.push(`${name}{${labels}} ${v} ${start + t}`);
      }
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

const istio = (labels: Record<string, string>) => ({
  reporter: 'destination',
  destination_workload_namespace: NS,
  destination_workload: WL,
  destination_app: WL,
  ...labels,
});

/** Request rates and latencies of payment-gateway, per version. */
export const EXPECTED = {
  /** requests/s per version */
  requestRate: { v1: 10, v2: 3 },
  /** % of 5xx per version */
  errorRatio: { v1: 10, v2: 0 },
  /** v1 answers in (25, 50] ms, v2 in (50, 100] ms: linear interpolation in the bucket */
  latency: {
    p50: { v1: 37.5, v2: 75 },
    p95: { v1: 48.75, v2: 97.5 },
    p99: { v1: 49.75, v2: 99.5 },
  },
  /** cores per version: three v1 pods at 0.25, one v2 pod at 0.1 */
  cpuCores: { v1: 0.75, v2: 0.1 },
  memoryBytes: { v1: 3 * 512 * 1024 * 1024, v2: 256 * 1024 * 1024 },
  /** three v1 pods and one v2 pod, all ready */
  readyPods: 4,
};

/** Firing episodes (minutes after T_START, [on, off)) of the ALERTS history. */
export const ALERT_HISTORY: Array<{
  labels: Record<string, string>;
  episodes: number[][];
}> = [
  {
    labels: {
      alertname: 'HighErrorRatio',
      namespace: NS,
      workload: WL,
      severity: 'warning',
    },
    episodes: [
      [5, 10],
      [25, 30],
      [45, 50],
    ],
  },
  {
    labels: {
      alertname: 'PodRestarts',
      namespace: 'risk',
      workload: 'risk-engine',
      severity: 'info',
    },
    episodes: [[10, 40]],
  },
  {
    labels: {
      alertname: 'DiskFull',
      namespace: 'infra',
      instance: 'node-1',
      severity: 'critical',
    },
    episodes: [[20, 30]],
  },
];

/**
 * The fixture as OpenMetrics, an hour from `start` (unix seconds) by
 * default ending ten minutes ago; a range around now serves tests that
 * evaluate "now" (rule previews).
 */
export function fixtureOpenMetrics(start = T_START, end = T_END): string {
  const series: SeriesDef[] = [];
  const counter = (
    name: string,
    labels: Record<string, string>,
    perSecond: number,
  ) => series.push({ name, labels, value: t => perSecond * t });

  // RED: destination reports of payment-gateway.
  counter(
    'istio_requests_total',
    istio({ destination_version: 'v1', response_code: '200' }),
    9,
  );
  counter(
    'istio_requests_total',
    istio({ destination_version: 'v1', response_code: '500' }),
    1,
  );
  counter(
    'istio_requests_total',
    istio({
      destination_workload: CANARY_DEPLOYMENT,
      destination_version: 'v2',
      response_code: '200',
    }),
    3,
  );
  // What the filters must leave out: the client side's reports, another
  // service whose name starts the same, another namespace.
  counter(
    'istio_requests_total',
    istio({
      reporter: 'source',
      destination_version: 'v1',
      response_code: '200',
    }),
    1000,
  );
  counter(
    'istio_requests_total',
    istio({
      destination_workload: `${WL}-worker`,
      destination_app: `${WL}-worker`,
      destination_version: 'v1',
      response_code: '200',
    }),
    500,
  );
  counter(
    'istio_requests_total',
    istio({
      destination_workload_namespace: 'web',
      destination_version: 'v1',
      response_code: '200',
    }),
    700,
  );
  const bucket = (version: string, le: string, perSecond: number) =>
    counter(
      'istio_request_duration_milliseconds_bucket',
      istio({
        ...(version === 'v2'
          ? { destination_workload: CANARY_DEPLOYMENT }
          : {}),
        destination_version: version,
        response_code: '200',
        le,
      }),
      perSecond,
    );
  for (const [le, v1, v2] of [
    ['25', 0, 0],
    ['50', 10, 0],
    ['100', 10, 3],
    ['+Inf', 10, 3],
  ] as const) {
    bucket('v1', le, v1);
    bucket('v2', le, v2);
  }

  // USE: three v1 pods of payment-gateway and the v2 pod of the canary
  // Deployment; a worker (another service, its name starting the same) whose
  // pods must not count, and a pod of the same name in another namespace.
  const podLabels = (
    pod: { namespace: string; pod: string },
    uid: string,
    labels: Record<string, string>,
    extra: Record<string, string> = {},
  ) =>
    series.push({
      name: 'kube_pod_labels',
      labels: {
        ...pod,
        uid,
        ...Object.fromEntries(
          Object.entries(labels).map(([k, v]) => [`label_${k}`, v]),
        ),
        ...extra,
      },
      value: () => 1,
    });
  const servicePods = [
    ...[0, 1, 2].map(i => ({
      pod: POD(i),
      version: 'v1',
      cpu: 0.25,
      memoryMb: 512,
    })),
    { pod: CANARY_POD, version: 'v2', cpu: 0.1, memoryMb: 256 },
  ];
  servicePods.forEach(({ pod: name, version, cpu, memoryMb }, i) => {
    const pod = { namespace: NS, pod: name };
    podLabels(pod, `uid-${i}`, {
      app: WL,
      version,
      pod_template_hash: name.split('-').slice(-2)[0],
    });
    counter(
      'container_cpu_usage_seconds_total',
      { ...pod, container: 'app', cpu: 'total' },
      cpu,
    );
    series.push({
      name: 'container_memory_working_set_bytes',
      labels: { ...pod, container: 'app' },
      value: () => memoryMb * 1024 * 1024,
    });
    series.push({
      name: 'kube_pod_status_ready',
      labels: { ...pod, uid: `uid-${i}`, condition: 'true' },
      value: () => 1,
    });
    series.push({
      name: 'kube_pod_status_ready',
      labels: { ...pod, uid: `uid-${i}`, condition: 'false' },
      value: () => 0,
    });
    // Pod 0 restarts twice five minutes before the end.
    series.push({
      name: 'kube_pod_container_status_restarts_total',
      labels: { ...pod, uid: `uid-${i}`, container: 'app' },
      value: t => (i === 0 && t >= end - start - 300 ? 2 : 0),
    });
  });
  // A second kube-state-metrics replica reporting the same pod: still one pod.
  podLabels(
    { namespace: NS, pod: POD(0) },
    'uid-0',
    { app: WL, version: 'v1' },
    { instance: 'kube-state-metrics-2' },
  );
  const worker = { namespace: NS, pod: `${WL}-worker-5f6d7c8b9-zzzzz` };
  podLabels(worker, 'uid-worker', { app: `${WL}-worker`, version: 'v1' });
  counter(
    'container_cpu_usage_seconds_total',
    { ...worker, container: 'app', cpu: 'total' },
    2,
  );
  series.push({
    name: 'container_memory_working_set_bytes',
    labels: { ...worker, container: 'app' },
    value: () => 999,
  });
  const elsewhere = { namespace: 'web', pod: POD(0) };
  podLabels(elsewhere, 'uid-web', { app: WL, version: 'v1' });
  counter(
    'container_cpu_usage_seconds_total',
    { ...elsewhere, container: 'app', cpu: 'total' },
    3,
  );

  // Injection attempts as label values.
  EVIL_VALUES.forEach((evil, i) => {
    counter(
      'istio_requests_total',
      istio({
        destination_workload: evil,
        destination_app: evil,
        destination_version: 'v1',
        response_code: '200',
      }),
      evilRate(i),
    );
    const pod = { namespace: NS, pod: `evil-${i}-7d4b9c8f6-abcde` };
    podLabels(pod, `uid-evil-${i}`, { app: evil, version: 'v1' });
    series.push({
      name: 'container_memory_working_set_bytes',
      labels: { ...pod, container: 'app' },
      value: () => evilMemory(i),
    });
  });
  counter(
    'istio_requests_total',
    istio({
      destination_workload_namespace: EVIL_VALUES[0],
      destination_version: 'v1',
      response_code: '200',
    }),
    EVIL_NAMESPACE_RATE,
  );
  series.push({
    name: 'container_memory_working_set_bytes',
    labels: { namespace: NS, pod: '.*-12345-abcde', container: 'app' },
    value: () => 4242,
  });

  // ALERTS history for the noise report.
  for (const alert of ALERT_HISTORY) {
    series.push({
      name: 'ALERTS',
      labels: { ...alert.labels, alertstate: 'firing' },
      value: t =>
        alert.episodes.some(([on, off]) => t >= on * 60 && t < off * 60)
          ? 1
          : undefined,
    });
  }
  return renderOpenMetrics(series, start, end);
}

export function component(
  name: string,
  annotations: Record<string, string>,
  spec: Record<string, unknown> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', ...spec },
  };
}

/** The sample services, as the catalog serves them (relations included). */
export function sampleEntities(): Entity[] {
  const withRelations = (e: Entity, owner: string): Entity => ({
    ...e,
    relations: [
      { type: 'ownedBy', targetRef: owner },
      { type: 'partOf', targetRef: 'system:default/core-banking' },
    ],
  });
  return [
    withRelations(
      component(
        'payment-gateway',
        {
          'fincloud.io/cluster': 'sim',
          'fincloud.io/namespace': NS,
          'fincloud.io/workload': WL,
        },
        { owner: 'team-payments', system: 'core-banking' },
      ),
      'group:default/team-payments',
    ),
    withRelations(
      component(
        'risk-engine',
        {
          'fincloud.io/cluster': 'sim',
          'fincloud.io/namespace': 'risk',
          'fincloud.io/workload': 'risk-engine',
        },
        { owner: 'team-risk', system: 'core-banking' },
      ),
      'group:default/team-risk',
    ),
  ];
}
