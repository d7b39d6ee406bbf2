/** istio_requests_total and istio_request_duration_milliseconds, kept as Istio's sidecars would. */

export interface IstioLabels {
  reporter: string;
  source_workload: string;
  source_canonical_service: string;
  source_canonical_revision: string;
  source_workload_namespace: string;
  source_principal: string;
  source_app: string;
  source_version: string;
  source_cluster: string;
  destination_workload: string;
  destination_workload_namespace: string;
  destination_principal: string;
  destination_app: string;
  destination_version: string;
  destination_service: string;
  destination_canonical_service: string;
  destination_canonical_revision: string;
  destination_service_name: string;
  destination_service_namespace: string;
  destination_cluster: string;
  request_protocol: string;
  response_code: string;
  grpc_response_status: string;
  response_flags: string;
  connection_security_policy: string;
}

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
  300000, 600000, 1800000, 3600000,
];

interface Series {
  labels: IstioLabels;
  text: string;
  count: number;
  sum: number;
  buckets: number[];
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class MetricStore {
  private readonly series = new Map<string, Series>();

  observe(labels: IstioLabels, latencyMs: number): void {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escape(v)}"`)
      .join(',');
    let s = this.series.get(text);
    if (!s) {
      s = {
        labels,
        text,
        count: 0,
        sum: 0,
        buckets: ISTIO_BUCKETS.map(() => 0),
      };
      this.series.set(text, s);
    }
    s.count++;
    s.sum += latencyMs;
    for (let i = 0; i < ISTIO_BUCKETS.length; i++)
      if (latencyMs <= ISTIO_BUCKETS[i]) s.buckets[i]++;
  }

  render(keep: (labels: IstioLabels) => boolean): string {
    const kept = [...this.series.values()]
      .filter(s => keep(s.labels))
      .sort((a, b) => a.text.localeCompare(b.text));
    let out =
      '# HELP istio_requests_total Total requests handled by an Istio proxy.\n# TYPE istio_requests_total counter\n';
    for (const s of kept) out += `istio_requests_total{${s.text}} ${s.count}\n`;
    out +=
      '# HELP istio_request_duration_milliseconds Duration of requests handled by an Istio proxy.\n# TYPE istio_request_duration_milliseconds histogram\n';
    for (const s of kept) {
      const rows = ISTIO_BUCKETS.map(
        (le, i) =>
          `istio_request_duration_milliseconds_bucket{${s.text},le="${le}"} ${s.buckets[i]}\n`,
      );
      out += rows.join('');
      out += `istio_request_duration_milliseconds_bucket{${s.text},le="+Inf"} ${s.count}\n`;
      out += `istio_request_duration_milliseconds_sum{${s.text}} ${
        Math.round(s.sum * 1000) / 1000
      }\n`;
      out += `istio_request_duration_milliseconds_count{${s.text}} ${s.count}\n`;
    }
    return out;
  }
}
