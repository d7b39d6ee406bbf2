import { MetricsProvider } from './MetricsProvider';

/**
 * Metric gates over Prometheus's HTTP API (`GET /api/v1/query`, an instant
 * query). One Prometheus per cluster, or one for all (`default`).
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  constructor(
    private readonly urls: {
      default?: string;
      byCluster?: Record<string, string>;
    },
    private readonly timeoutMs = 10_000,
  ) {}

  private urlFor(cluster: string): string {
    const url = this.urls.byCluster?.[cluster] ?? this.urls.default;
    if (!url) {
      throw new Error(
        `no Prometheus configured for cluster "${cluster}" (fincloud.releases.analysis.prometheus)`,
      );
    }
    return url.replace(/\/+$/, '');
  }

  async query(cluster: string, promql: string): Promise<number | null> {
    const url = `${this.urlFor(cluster)}/api/v1/query?${new URLSearchParams({
      query: promql,
    })}`;
    const res = await fetch(url, {
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body: any = await res.json().catch(() => undefined);
    if (!res.ok || body?.status !== 'success') {
      throw new Error(
        `Prometheus answered ${res.status}: ${body?.error ?? res.statusText}`,
      );
    }
    const data = body.data;
    let raw: string | undefined;
    if (data?.resultType === 'scalar') raw = data.result?.[1];
    else if (data?.resultType === 'vector') {
      if (data.result.length === 0) return null;
      if (data.result.length > 1) {
        throw new Error(
          `the query returned ${data.result.length} series; a gate query must aggregate to one value (wrap it in sum(...))`,
        );
      }
      raw = data.result[0].value?.[1];
    } else {
      throw new Error(`unsupported result type ${data?.resultType}`);
    }
    const value = Number(raw);
    return Number.isFinite(value) ? value : null;
  }
}
