import { PrometheusServerConfig } from '../config/types';
import { callUpstream, FetchLike, UpstreamRequestError } from './http';

/** One series of a `query_range` answer. */
export interface RangeSeries {
  metric: Record<string, string>;
  /** [unix seconds, value as Prometheus formats it] */
  values: Array<[number, string]>;
}

/** One sample of an instant query. */
export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An alert as Prometheus' `/api/v1/alerts` returns it. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value?: string;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

/**
 * Prometheus' HTTP API v1, what monitoring needs of it. Queries are POSTed
 * as forms, so long PromQL never meets a URL length limit.
 */
export class PrometheusClient {
  constructor(
    readonly server: PrometheusServerConfig,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  private async api<T>(
    path: string,
    form: Record<string, string> | undefined,
    tenant: string | undefined,
  ): Promise<T> {
    const { text } = await callUpstream(
      this.fetchImpl,
      this.server,
      'Prometheus',
      path,
      form
        ? {
            method: 'POST',
            body: new URLSearchParams(form).toString(),
            contentType: 'application/x-www-form-urlencoded',
            tenant,
          }
        : { tenant },
    );
    let answer: ApiAnswer<T>;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new UpstreamRequestError(
        this.server.name,
        200,
        'Prometheus answered something that is not JSON',
      );
    }
    if (answer.status !== 'success') {
      throw new UpstreamRequestError(
        this.server.name,
        200,
        answer.error ?? 'Prometheus reported an error',
      );
    }
    return answer.data;
  }

  /** `query_range`; start, end in unix seconds, step in seconds. */
  async queryRange(
    query: string,
    start: number,
    end: number,
    step: number,
    tenant?: string,
  ): Promise<RangeSeries[]> {
    const data = await this.api<{ resultType: string; result: RangeSeries[] }>(
      '/api/v1/query_range',
      { query, start: String(start), end: String(end), step: String(step) },
      tenant,
    );
    return data.result;
  }

  /** An instant query at `time` (unix seconds; default now). */
  async query(
    query: string,
    time?: number,
    tenant?: string,
  ): Promise<{ resultType: string; result: unknown }> {
    return this.api(
      '/api/v1/query',
      { query, ...(time !== undefined ? { time: String(time) } : {}) },
      tenant,
    );
  }

  /** Alerts Prometheus evaluates now: pending and firing. */
  async alerts(tenant?: string): Promise<PrometheusAlert[]> {
    const data = await this.api<{ alerts: PrometheusAlert[] }>(
      '/api/v1/alerts',
      undefined,
      tenant,
    );
    return data.alerts ?? [];
  }

  /** Asks Prometheus to read its configuration and rule files again (`--web.enable-lifecycle`). */
  async reload(): Promise<void> {
    await callUpstream(this.fetchImpl, this.server, 'Prometheus', '/-/reload', {
      method: 'POST',
    });
  }
}
