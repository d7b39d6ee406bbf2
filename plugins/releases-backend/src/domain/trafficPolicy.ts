import { InputError } from '@backstage/errors';
import { PolicyLint, TrafficPolicy } from '@fincloud/plugin-releases-common';
import { stringify } from 'yaml';
import { z } from 'zod';

/**
 * Traffic policies without code changes: circuit breaking through the
 * DestinationRule (`trafficPolicy.connectionPool`, `outlierDetection`) and
 * local rate limiting through an EnvoyFilter inserting Envoy's
 * `envoy.filters.http.local_ratelimit` HTTP filter into the sidecars of the
 * selected pods (one token bucket per pod). Shadow mode keeps the filter
 * enabled (`filter_enabled` 100 %) but enforces 0 % (`filter_enforced`):
 * Envoy counts what it would refuse without refusing it.
 */

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'a duration like 100ms, 30s, 5m or 1h');
const count = (max: number) => z.number().int().min(0).max(max);

export const trafficPolicySchema = z
  .object({
    connectionPool: z
      .object({
        tcp: z
          .object({
            maxConnections: count(1_000_000).min(1).optional(),
            connectTimeout: duration.optional(),
          })
          .strict()
          .optional(),
        http: z
          .object({
            http1MaxPendingRequests: count(1_000_000).min(1).optional(),
            http2MaxRequests: count(1_000_000).min(1).optional(),
            maxRequestsPerConnection: count(1_000_000).optional(),
            maxRetries: count(1000).optional(),
            idleTimeout: duration.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    outlierDetection: z
      .object({
        consecutive5xxErrors: count(10_000).optional(),
        consecutiveGatewayErrors: count(10_000).optional(),
        interval: duration.optional(),
        baseEjectionTime: duration.optional(),
        maxEjectionPercent: count(100).optional(),
        minHealthPercent: count(100).optional(),
      })
      .strict()
      .optional(),
    rateLimit: z
      .object({
        maxTokens: z.number().int().min(1).max(1_000_000),
        tokensPerFill: z.number().int().min(1).max(1_000_000),
        fillIntervalSeconds: z.number().min(0.05).max(3600),
        mode: z.enum(['shadow', 'enforce']),
      })
      .strict()
      .optional(),
    subset: z.enum(['stable', 'canary', 'all']).optional(),
  })
  .strict();

/** Parses a policy from a request body; InputError (400) naming the field at fault. */
export function parseTrafficPolicy(body: unknown): TrafficPolicy {
  const result = trafficPolicySchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `invalid traffic policy at ${issue.path.join('.') || '(root)'}: ${
        issue.message
      }`,
    );
  }
  return result.data as TrafficPolicy;
}

/** What the lint rules look at besides the policy. */
export interface LintContext {
  /** Ready replicas of the subset the policy applies to. */
  replicas: number;
  /** Requests per second the service receives now (undefined: unknown). */
  requestRate?: number;
  /** Subsets the DestinationRule defines now. */
  subsets: string[];
}

/**
 * Known pitfalls, as lint findings. `error` findings block a proposal;
 * `warning`s are shown and left to the approver.
 */
export function lintTrafficPolicy(
  policy: TrafficPolicy,
  ctx: LintContext,
): PolicyLint[] {
  const lint: PolicyLint[] = [];
  const pool = policy.connectionPool as any;
  const outlier = policy.outlierDetection as any;
  const subset = policy.subset ?? 'all';
  if (subset !== 'all' && !ctx.subsets.includes(subset)) {
    lint.push({
      rule: 'subset-exists',
      severity: 'error',
      message: `subset "${subset}" does not exist now (the DestinationRule defines: ${
        ctx.subsets.join(', ') || 'none'
      }); a canary subset exists only while a release runs`,
      path: 'subset',
    });
  }
  if (
    pool?.tcp?.maxConnections !== undefined &&
    pool?.http?.http1MaxPendingRequests === undefined
  ) {
    lint.push({
      rule: 'pending-requests-unbounded',
      severity: 'warning',
      message:
        'maxConnections without http1MaxPendingRequests: requests queue without limit (Envoy default 2^32-1) instead of failing fast; set http1MaxPendingRequests',
      path: 'connectionPool.tcp.maxConnections',
    });
  }
  if (outlier?.maxEjectionPercent === 100 && ctx.replicas < 3) {
    lint.push({
      rule: 'eject-every-host',
      severity: 'warning',
      message: `maxEjectionPercent 100 with ${ctx.replicas} replica(s): one bad moment can eject every pod and leave no healthy upstream (503 UH); keep it below 100 or run 3+ replicas`,
      path: 'outlierDetection.maxEjectionPercent',
    });
  }
  if (
    outlier?.consecutive5xxErrors === 1 ||
    outlier?.consecutiveGatewayErrors === 1
  ) {
    lint.push({
      rule: 'eject-on-first-error',
      severity: 'warning',
      message:
        'a single 5xx ejects a pod: ordinary errors will keep pods ejected; 5 (the default) is a common choice',
      path:
        outlier?.consecutive5xxErrors === 1
          ? 'outlierDetection.consecutive5xxErrors'
          : 'outlierDetection.consecutiveGatewayErrors',
    });
  }
  if (
    outlier?.consecutive5xxErrors === 0 &&
    !outlier?.consecutiveGatewayErrors
  ) {
    lint.push({
      rule: 'outlier-detection-off',
      severity: 'warning',
      message:
        'consecutive5xxErrors 0 (and no consecutiveGatewayErrors) switches outlier detection off: nothing will ever be ejected',
      path: 'outlierDetection.consecutive5xxErrors',
    });
  }
  if (policy.rateLimit) {
    const { maxTokens, tokensPerFill, fillIntervalSeconds, mode } =
      policy.rateLimit;
    if (maxTokens < tokensPerFill) {
      lint.push({
        rule: 'bucket-smaller-than-fill',
        severity: 'warning',
        message: `maxTokens ${maxTokens} is below tokensPerFill ${tokensPerFill}: the bucket never holds a full fill`,
        path: 'rateLimit.maxTokens',
      });
    }
    const perPod = tokensPerFill / fillIntervalSeconds;
    const capacity = perPod * Math.max(1, ctx.replicas);
    if (ctx.requestRate !== undefined && ctx.requestRate > capacity) {
      lint.push({
        rule: 'rate-limit-below-traffic',
        severity: 'warning',
        message: `the limit admits about ${round(capacity)} req/s (${round(
          perPod,
        )} per pod × ${ctx.replicas}) but the service receives ${round(
          ctx.requestRate,
        )} req/s now: ${
          mode === 'enforce'
            ? `about ${round(ctx.requestRate - capacity)} req/s would get 429`
            : 'shadow mode will report it without refusing'
        }`,
        path: 'rateLimit.tokensPerFill',
      });
    }
    if (ctx.requestRate === undefined) {
      lint.push({
        rule: 'request-rate-unknown',
        severity: 'warning',
        message:
          'the current request rate could not be read (no metrics): the limit was not compared with real traffic',
        path: 'rateLimit',
      });
    }
    if (mode === 'enforce') {
      lint.push({
        rule: 'enforce-without-shadow',
        severity: 'warning',
        message:
          'enforce refuses requests at once; run the same limit in shadow mode first and check what it would refuse',
        path: 'rateLimit.mode',
      });
    }
  }
  return lint;
}

function round(n: number) {
  return Math.round(n * 10) / 10;
}

/** The EnvoyFilter name of a workload's local rate limit. */
export function rateLimitFilterName(workload: string) {
  return `${workload}-local-ratelimit`;
}

/** The EnvoyFilter `spec` for a rate limit (Envoy's local_ratelimit HTTP filter, per pod). */
export function rateLimitFilterSpec(
  rateLimit: NonNullable<TrafficPolicy['rateLimit']>,
  selector: Record<string, string>,
): any {
  const percent = (numerator: number) => ({
    numerator,
    denominator: 'HUNDRED',
  });
  return {
    workloadSelector: { labels: selector },
    configPatches: [
      {
        applyTo: 'HTTP_FILTER',
        match: {
          context: 'SIDECAR_INBOUND',
          listener: {
            filterChain: {
              filter: { name: 'envoy.filters.network.http_connection_manager' },
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
                  max_tokens: rateLimit.maxTokens,
                  tokens_per_fill: rateLimit.tokensPerFill,
                  fill_interval: `${Math.round(
                    rateLimit.fillIntervalSeconds * 1000,
                  )}ms`,
                },
                filter_enabled: {
                  runtime_key: 'local_rate_limit_enabled',
                  default_value: percent(100),
                },
                // Shadow: evaluated and counted, never enforced.
                filter_enforced: {
                  runtime_key: 'local_rate_limit_enforced',
                  default_value: percent(
                    rateLimit.mode === 'enforce' ? 100 : 0,
                  ),
                },
                response_headers_to_add: [
                  {
                    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
                    header: { key: 'x-local-rate-limit', value: 'true' },
                  },
                ],
              },
            },
          },
        },
      },
    ],
  };
}

/** What the cluster holds of a policy, in the shape `diffText` compares. */
export interface PolicyInCluster {
  destinationRule?: {
    trafficPolicy?: object;
    subsets?: Array<{ name: string; trafficPolicy?: object }>;
  };
  envoyFilter?: object | null;
}

/** The cluster objects a policy becomes (for the diff and the apply). */
export function policyToCluster(
  policy: TrafficPolicy,
  workload: string,
  subsetVersions: Record<string, string>,
): PolicyInCluster {
  const subset = policy.subset ?? 'all';
  const trafficPolicy: Record<string, object> = {};
  if (policy.connectionPool)
    trafficPolicy.connectionPool = policy.connectionPool;
  if (policy.outlierDetection)
    trafficPolicy.outlierDetection = policy.outlierDetection;
  const tp = Object.keys(trafficPolicy).length ? trafficPolicy : undefined;
  const selector: Record<string, string> = { app: workload };
  if (subset !== 'all' && subsetVersions[subset]) {
    selector.version = subsetVersions[subset];
  }
  return {
    destinationRule: {
      ...(subset === 'all' && tp ? { trafficPolicy: tp } : {}),
      subsets: Object.keys(subsetVersions)
        .sort()
        .map(name => ({
          name,
          ...(subset === name && tp ? { trafficPolicy: tp } : {}),
        })),
    },
    envoyFilter: policy.rateLimit
      ? rateLimitFilterSpec(policy.rateLimit, selector)
      : null,
  };
}

/**
 * A unified line diff of two YAML renderings (`-` in the cluster now, `+`
 * proposed), with two lines of context; empty when equal.
 */
export function diffText(current: unknown, proposed: unknown): string {
  const a = stringify(current ?? {}, { sortMapEntries: true }).split('\n');
  const b = stringify(proposed ?? {}, { sortMapEntries: true }).split('\n');
  if (a.join('\n') === b.join('\n')) return '';
  // Longest common subsequence, fine for the few hundred lines of a policy.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () =>
    new Array<number>(m + 1).fill(0),
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const lines: Array<{ op: ' ' | '-' | '+'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      lines.push({ op: ' ', text: a[i] });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      lines.push({ op: '-', text: a[i] });
      i++;
    } else {
      lines.push({ op: '+', text: b[j] });
      j++;
    }
  }
  const keep = new Set<number>();
  lines.forEach((l, k) => {
    if (l.op !== ' ') {
      for (
        let c = Math.max(0, k - 2);
        c <= Math.min(lines.length - 1, k + 2);
        c++
      ) {
        keep.add(c);
      }
    }
  });
  const out = ['--- in cluster', '+++ proposed'];
  let last = -1;
  lines.forEach((l, k) => {
    if (!keep.has(k)) return;
    if (last !== -1 && k !== last + 1) out.push('@@');
    out.push(`${l.op}${l.text}`);
    last = k;
  });
  return out.join('\n');
}
