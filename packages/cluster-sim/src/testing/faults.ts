import { randomUUID } from 'node:crypto';
import { StatusError } from '../store/errors';

/** API verbs a fault can target (`exec` and `log` are the pod subresources). */
export type FaultVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'exec'
  | 'log';

export interface FaultRule {
  /** `error`: answer with `status` (default 500); `latency`: wait `latencyMs` first; `conflict`: 409 on writes. */
  kind: 'error' | 'latency' | 'conflict';
  /** Verbs it applies to; all when absent. */
  verbs?: FaultVerb[];
  /** Resources, as `pods`, `deployments.apps` or `virtualservices.networking.istio.io`; all when absent. */
  resources?: string[];
  namespace?: string;
  /** HTTP status of an `error` fault (default 500). */
  status?: number;
  message?: string;
  /** Fire this many times, then retire (default: unlimited). */
  count?: number;
  /** Fire with this probability (default 1). */
  ratio?: number;
  latencyMs?: number;
}

export interface ActiveFault extends FaultRule {
  id: string;
  fired: number;
}

export interface FaultDecision {
  latencyMs: number;
  error?: StatusError;
}

/**
 * Fault injection for reliability tests: per-verb / per-resource errors
 * (count or ratio), added latency, 409 storms, and dropping open watch
 * streams and exec sockets. Reachable in-process (`sim.faults`) and over
 * `POST /sim/faults` for the browser tests.
 */
export class FaultInjector {
  private readonly rules: ActiveFault[] = [];
  private readonly watchDroppers = new Set<
    (filter: string | undefined, graceful: boolean) => boolean
  >();
  private readonly execDroppers = new Set<() => void>();
  private random: () => number = Math.random;

  /** Deterministic ratios in tests. */
  seed(random: () => number) {
    this.random = random;
  }

  add(rule: FaultRule): string {
    const check = validateRule(rule);
    if (check) throw StatusError.badRequest(check);
    const id = randomUUID();
    this.rules.push({ ...rule, id, fired: 0 });
    return id;
  }

  /** Every request fails with `status` (default 500) for these verbs/resources. */
  failRequests(options: Omit<FaultRule, 'kind'> = {}): string {
    return this.add({ ...options, kind: 'error' });
  }

  /** Adds `latencyMs` to matching requests. */
  addLatency(
    latencyMs: number,
    options: Omit<FaultRule, 'kind' | 'latencyMs'> = {},
  ): string {
    return this.add({ ...options, kind: 'latency', latencyMs });
  }

  /** Updates and patches answer 409 Conflict (count times, or with a ratio). */
  conflictStorm(options: Omit<FaultRule, 'kind' | 'verbs'> = {}): string {
    return this.add({
      ...options,
      kind: 'conflict',
      verbs: ['update', 'patch'],
    });
  }

  remove(id: string): boolean {
    const index = this.rules.findIndex(r => r.id === id);
    if (index < 0) return false;
    this.rules.splice(index, 1);
    return true;
  }

  clear() {
    this.rules.splice(0, this.rules.length);
  }

  list(): ActiveFault[] {
    return this.rules.map(r => ({ ...r }));
  }

  /** What happens to a request: called by the API server before it acts. */
  decide(
    verb: FaultVerb,
    group: string,
    plural: string,
    namespace?: string,
    name = '',
  ): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    const names = [plural, group ? `${plural}.${group}` : plural];
    for (const rule of [...this.rules]) {
      if (rule.verbs && !rule.verbs.includes(verb)) continue;
      if (rule.resources && !rule.resources.some(r => names.includes(r)))
        continue;
      if (rule.namespace && rule.namespace !== namespace) continue;
      if (rule.ratio !== undefined && this.random() >= rule.ratio) continue;
      rule.fired++;
      if (rule.count !== undefined && rule.fired >= rule.count)
        this.remove(rule.id);
      if (rule.kind === 'latency') {
        decision.latencyMs += rule.latencyMs ?? 0;
      } else if (!decision.error) {
        if (rule.kind === 'conflict') {
          decision.error = StatusError.conflict(
            group,
            plural,
            name,
            rule.message ??
              'the object has been modified; please apply your changes to the latest version and try again',
          );
        } else {
          const status = rule.status ?? 500;
          const message =
            rule.message ??
            `injected fault: ${verb} ${plural} fails with ${status}`;
          if (status === 500) decision.error = StatusError.internal(message);
          else if (status === 429)
            decision.error = StatusError.tooManyRequests(message);
          else
            decision.error = new StatusError(
              status,
              reasonFor(status),
              message,
            );
        }
      }
    }
    return decision;
  }

  /** The server registers how to drop its watches / exec sockets. */
  registerWatchDropper(
    drop: (filter: string | undefined, graceful: boolean) => boolean,
  ): () => void {
    this.watchDroppers.add(drop);
    return () => this.watchDroppers.delete(drop);
  }

  registerExecDropper(drop: () => void): () => void {
    this.execDroppers.add(drop);
    return () => this.execDroppers.delete(drop);
  }

  /**
   * Cuts open watch streams (optionally only those of a resource plural);
   * returns how many. By default the connection is reset (the client sees
   * an error, as on a network failure); `graceful` ends the stream cleanly,
   * as the API server does when a watch times out.
   */
  dropWatches(resource?: string, options: { graceful?: boolean } = {}): number {
    let n = 0;
    for (const drop of [...this.watchDroppers])
      n += drop(resource, !!options.graceful) ? 1 : 0;
    return n;
  }

  /** Cuts open exec WebSockets without a status; returns how many. */
  dropExecSessions(): number {
    const n = this.execDroppers.size;
    for (const drop of [...this.execDroppers]) drop();
    return n;
  }
}

function reasonFor(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 422:
      return 'Invalid';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return 'InternalError';
  }
}

const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'exec',
  'log',
];

function validateRule(rule: any): string | undefined {
  if (!rule || typeof rule !== 'object') return 'a fault must be an object';
  if (!['error', 'latency', 'conflict'].includes(rule.kind))
    return 'fault kind must be "error", "latency" or "conflict"';
  if (
    rule.verbs !== undefined &&
    (!Array.isArray(rule.verbs) ||
      rule.verbs.some((v: any) => !VERBS.includes(v)))
  ) {
    return `fault verbs must be some of ${VERBS.join(', ')}`;
  }
  if (
    rule.resources !== undefined &&
    (!Array.isArray(rule.resources) ||
      rule.resources.some((r: any) => typeof r !== 'string'))
  ) {
    return 'fault resources must be a list of resource names such as "pods" or "deployments.apps"';
  }
  if (
    rule.status !== undefined &&
    (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599)
  ) {
    return 'fault status must be an HTTP error status (400-599)';
  }
  if (
    rule.count !== undefined &&
    (!Number.isInteger(rule.count) || rule.count < 1)
  )
    return 'fault count must be a positive integer';
  if (
    rule.ratio !== undefined &&
    (typeof rule.ratio !== 'number' || rule.ratio < 0 || rule.ratio > 1)
  )
    return 'fault ratio must be between 0 and 1';
  if (
    rule.kind === 'latency' &&
    (typeof rule.latencyMs !== 'number' ||
      rule.latencyMs < 0 ||
      rule.latencyMs > 600_000)
  ) {
    return 'a latency fault needs latencyMs between 0 and 600000';
  }
  return undefined;
}
