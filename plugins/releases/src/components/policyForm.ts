import { TrafficPolicy } from '@fincloud/plugin-releases-common';

/** The traffic policy editor's fields, as typed (strings until checked). */
export interface PolicyForm {
  subset: 'stable' | 'canary' | 'all';
  pool: {
    enabled: boolean;
    maxConnections: string;
    connectTimeout: string;
    http1MaxPendingRequests: string;
    http2MaxRequests: string;
    maxRequestsPerConnection: string;
    maxRetries: string;
  };
  outlier: {
    enabled: boolean;
    consecutive5xxErrors: string;
    interval: string;
    baseEjectionTime: string;
    maxEjectionPercent: string;
  };
  rateLimit: {
    enabled: boolean;
    maxTokens: string;
    tokensPerFill: string;
    fillIntervalSeconds: string;
    mode: 'shadow' | 'enforce';
  };
}

/** Field path (as the backend's lint names it) → what is wrong. */
export type PolicyFormErrors = Record<string, string>;

const text = (value: unknown) =>
  value === undefined || value === null ? '' : String(value);

function read(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (at, key) =>
      at && typeof at === 'object'
        ? (at as Record<string, unknown>)[key]
        : undefined,
    obj,
  );
}

export function policyToForm(policy: TrafficPolicy | undefined): PolicyForm {
  const pool = policy?.connectionPool;
  const outlier = policy?.outlierDetection;
  const rate = policy?.rateLimit;
  return {
    subset: policy?.subset ?? 'all',
    pool: {
      enabled: !!pool,
      maxConnections: text(read(pool, ['tcp', 'maxConnections'])),
      connectTimeout: text(read(pool, ['tcp', 'connectTimeout'])),
      http1MaxPendingRequests: text(
        read(pool, ['http', 'http1MaxPendingRequests']),
      ),
      http2MaxRequests: text(read(pool, ['http', 'http2MaxRequests'])),
      maxRequestsPerConnection: text(
        read(pool, ['http', 'maxRequestsPerConnection']),
      ),
      maxRetries: text(read(pool, ['http', 'maxRetries'])),
    },
    outlier: {
      enabled: !!outlier,
      consecutive5xxErrors: text(read(outlier, ['consecutive5xxErrors'])),
      interval: text(read(outlier, ['interval'])),
      baseEjectionTime: text(read(outlier, ['baseEjectionTime'])),
      maxEjectionPercent: text(read(outlier, ['maxEjectionPercent'])),
    },
    rateLimit: {
      enabled: !!rate,
      maxTokens: text(rate?.maxTokens),
      tokensPerFill: text(rate?.tokensPerFill),
      fillIntervalSeconds: text(rate?.fillIntervalSeconds),
      mode: rate?.mode ?? 'shadow',
    },
  };
}

const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;

/**
 * Turns the form into a `TrafficPolicy`, leaving out empty fields; errors are
 * keyed by the same paths the backend's lint uses, so both show on the field.
 */
export function formToPolicy(form: PolicyForm): {
  policy: TrafficPolicy;
  errors: PolicyFormErrors;
} {
  const errors: PolicyFormErrors = {};
  const int = (path: string, value: string, min: number, max = 2 ** 31 - 1) => {
    if (value.trim() === '') return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      errors[path] =
        max === 100
          ? `A whole number from ${min} to 100`
          : `A whole number, at least ${min}`;
      return undefined;
    }
    return n;
  };
  const duration = (path: string, value: string) => {
    if (value.trim() === '') return undefined;
    if (!DURATION.test(value.trim())) {
      errors[path] = 'A duration such as 500ms, 10s or 1m';
      return undefined;
    }
    return value.trim();
  };
  const compact = (obj: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (
        v !== undefined &&
        !(typeof v === 'object' && v !== null && Object.keys(v).length === 0)
      ) {
        out[k] = v;
      }
    }
    return out;
  };

  const policy: TrafficPolicy = { subset: form.subset };
  if (form.pool.enabled) {
    const p = form.pool;
    policy.connectionPool = compact({
      tcp: compact({
        maxConnections: int(
          'connectionPool.tcp.maxConnections',
          p.maxConnections,
          1,
        ),
        connectTimeout: duration(
          'connectionPool.tcp.connectTimeout',
          p.connectTimeout,
        ),
      }),
      http: compact({
        http1MaxPendingRequests: int(
          'connectionPool.http.http1MaxPendingRequests',
          p.http1MaxPendingRequests,
          1,
        ),
        http2MaxRequests: int(
          'connectionPool.http.http2MaxRequests',
          p.http2MaxRequests,
          1,
        ),
        maxRequestsPerConnection: int(
          'connectionPool.http.maxRequestsPerConnection',
          p.maxRequestsPerConnection,
          1,
        ),
        maxRetries: int('connectionPool.http.maxRetries', p.maxRetries, 0),
      }),
    });
  }
  if (form.outlier.enabled) {
    const o = form.outlier;
    policy.outlierDetection = compact({
      consecutive5xxErrors: int(
        'outlierDetection.consecutive5xxErrors',
        o.consecutive5xxErrors,
        1,
      ),
      interval: duration('outlierDetection.interval', o.interval),
      baseEjectionTime: duration(
        'outlierDetection.baseEjectionTime',
        o.baseEjectionTime,
      ),
      maxEjectionPercent: int(
        'outlierDetection.maxEjectionPercent',
        o.maxEjectionPercent,
        0,
        100,
      ),
    });
  }
  if (form.rateLimit.enabled) {
    const r = form.rateLimit;
    const required = (path: string, value: string) => {
      if (value.trim() === '') {
        errors[path] = 'Required for a rate limit';
        return 0;
      }
      return int(path, value, 1) ?? 0;
    };
    policy.rateLimit = {
      maxTokens: required('rateLimit.maxTokens', r.maxTokens),
      tokensPerFill: required('rateLimit.tokensPerFill', r.tokensPerFill),
      fillIntervalSeconds: required(
        'rateLimit.fillIntervalSeconds',
        r.fillIntervalSeconds,
      ),
      mode: r.mode,
    };
  }
  return { policy, errors };
}
