/**
 * The wire types of `/api/releases`, shared by the backend and the UI.
 * The contract is the table in `README.md` ("API").
 */

/** How the new version reaches users. @public */
export type Strategy = 'rolling' | 'canary' | 'blue-green';

/** Every strategy, in the order the UI offers them. @public */
export const STRATEGIES: readonly Strategy[] = [
  'rolling',
  'canary',
  'blue-green',
];

/**
 * Where a release stands.
 *
 * - `awaiting-approval`: before start, or at a step marked `approval`
 * - `progressing`: applying a step / waiting for pods
 * - `paused`: a timed pause, or paused by a person
 * - `analysing`: metric gates running for the current step
 * - `succeeded`: 100 % on the new version, old scaled down (blue-green: after the warm window)
 * - `rolled-back`: traffic back to stable 100 %, new scaled down (manual abort or failed gate)
 * - `rejected`: an approver rejected it
 * - `failed`: could not be applied (cluster error after retries), with reason
 *
 * @public
 */
export type ReleaseState =
  | 'awaiting-approval'
  | 'progressing'
  | 'paused'
  | 'analysing'
  | 'succeeded'
  | 'rolled-back'
  | 'rejected'
  | 'failed';

/** States a release never leaves. @public */
export const FINAL_RELEASE_STATES: readonly ReleaseState[] = [
  'succeeded',
  'rolled-back',
  'rejected',
  'failed',
];

/** True when the release is finished (succeeded, rolled back, rejected or failed). @public */
export function isReleaseFinished(state: ReleaseState): boolean {
  return FINAL_RELEASE_STATES.includes(state);
}

/** One step of a release plan. @public */
export interface ReleaseStep {
  index: number;
  /** % of traffic to the new version once this step is applied. */
  weight: number;
  /** Wait this long after the step is applied (and analysed) before the next. */
  pause?: { seconds: number };
  /** The step waits for team-lead approval before it is applied. */
  approval?: boolean;
  /** Metric gates run once the step is applied. */
  analysis?: boolean;
  status: 'pending' | 'active' | 'done' | 'skipped' | 'failed';
  startedAt?: string;
  finishedAt?: string;
}

/** A step as a plan gives it (the server fills index and status). @public */
export type ReleaseStepPlan = Omit<
  ReleaseStep,
  'index' | 'status' | 'startedAt' | 'finishedAt'
>;

/** A team lead's decision on a release or a traffic policy. @public */
export interface Approval {
  /** User entity ref. */
  by: string;
  decision: 'approved' | 'rejected';
  reason: string;
  at: string;
  expiresAt: string;
  /** The step approved; absent for the release's start approval. */
  step?: number;
}

/** One metric gate result, canary against stable. @public */
export interface MetricResult {
  name: string;
  query: string;
  canary: number | null;
  stable: number | null;
  /** Human-readable threshold, e.g. `>= 0.99` or `<= stable * 1.2`. */
  threshold: string;
  /** null: no data (not enough traffic yet). */
  pass: boolean | null;
}

/** The metric gates of one step. @public */
export interface Analysis {
  step: number;
  at: string;
  pass: boolean;
  results: MetricResult[];
}

/** A release of one service. @public */
export interface Release {
  id: string;
  entityRef: string;
  cluster: string;
  namespace: string;
  workload: string;
  strategy: Strategy;
  image: string;
  version: string;
  stableVersion?: string;
  state: ReleaseState;
  currentStep: number;
  steps: ReleaseStep[];
  /** Live, from the VirtualService. */
  weights: { stable: number; canary: number };
  requiredApprovals: number;
  approvals: Approval[];
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  analyses: Analysis[];
  /** Why it rolled back / failed / is paused by the controller. */
  reason?: string;
  breakGlass?: { by: string; justification: string };
  /** The cluster was edited by hand; shown, not overwritten. */
  drift?: { detectedAt: string; details: string };
  blueGreen?: {
    previewService: string;
    activeColor: 'blue' | 'green';
    warmUntil?: string;
  };
  schedulingProfile?: string;
  /** Optimistic lock. */
  revision: number;
  /** Extra canary routes (header / cookie match, mirroring), when asked for. */
  routing?: CanaryRouting;
  /** Every state change, oldest first (who, when, why). */
  history?: ReleaseTransition[];
}

/**
 * Optional canary routing on top of the weights: requests carrying the
 * header (or cookie) always go to the new version, and a share of the stable
 * traffic can be mirrored to it (answers discarded).
 *
 * @public
 */
export interface CanaryRouting {
  header?: { name: string; value: string };
  cookie?: { name: string; value: string };
  /** % of requests copied to the new version (0-100). */
  mirrorPercent?: number;
}

/** One state change of a release. @public */
export interface ReleaseTransition {
  at: string;
  from: ReleaseState | null;
  to: ReleaseState;
  /** What caused it: an action (`promote`, `approve`, ...) or the controller (`controller`). */
  cause: string;
  /** User entity ref, or absent for the controller. */
  by?: string;
  step: number;
  reason?: string;
}

/** A page of releases, newest first. @public */
export interface ReleasePage {
  items: Release[];
  nextCursor?: string;
}

/** Circuit breaking and local rate limiting of one service. @public */
export interface TrafficPolicy {
  /** Istio DestinationRule `trafficPolicy.connectionPool` (`tcp`, `http`). */
  connectionPool?: object;
  /** Istio DestinationRule `trafficPolicy.outlierDetection`. */
  outlierDetection?: object;
  /**
   * Envoy `envoy.filters.http.local_ratelimit` token bucket per pod, as an
   * EnvoyFilter; `shadow` counts without refusing (`filter_enforced` 0 %).
   */
  rateLimit?: {
    maxTokens: number;
    tokensPerFill: number;
    fillIntervalSeconds: number;
    mode: 'shadow' | 'enforce';
  };
  /** Which pods the policy applies to; default `all`. */
  subset?: 'stable' | 'canary' | 'all';
}

/** One lint finding on a traffic policy. @public */
export interface PolicyLint {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  /** JSON path into the policy, e.g. `connectionPool.tcp.maxConnections`. */
  path: string;
}

/** A proposed traffic policy change, applied once approved. @public */
export interface TrafficPolicyProposal {
  id: string;
  entityRef: string;
  policy: TrafficPolicy;
  lint: PolicyLint[];
  diff: string;
  state: 'awaiting-approval' | 'applied' | 'rejected' | 'reverted';
  requestedBy: string;
  approvals: Approval[];
  createdAt: string;
  appliedAt?: string;
}

/** Whether the cluster's nodes can satisfy a scheduling profile. @public */
export interface SchedulingCheck {
  profile: string;
  satisfiable: boolean;
  message: string;
  /** Nodes a pod of the profile may land on. */
  nodes: string[];
}

/** What the start dialog offers for one service. @public */
export interface ReleaseOptions {
  strategies: Strategy[];
  defaultStrategy: Strategy;
  defaultPlan: ReleaseStepPlan[];
  requiredApprovals: number;
  freeze?: { active: boolean; window?: string; until?: string };
  scheduling?: SchedulingCheck;
  currentImage?: string;
}

/** Body of `POST /entities/:kind/:namespace/:name/releases`. @public */
export interface CreateReleaseRequest {
  image: string;
  strategy: Strategy;
  steps?: ReleaseStepPlan[];
  breakGlass?: { justification: string };
  /** Canary only: header / cookie match route and mirroring. */
  routing?: CanaryRouting;
}

/** Body of approve / reject / rollback / switch-back and policy approve / revert. @public */
export interface ReasonRequest {
  reason: string;
}

/** Body of `POST /releases/:id/promote`. @public */
export interface PromoteRequest {
  /** Skip the remaining steps and go to 100 %. */
  full?: boolean;
}

/** Answer of `GET /entities/:kind/:namespace/:name/traffic-policy`. @public */
export interface TrafficPolicyView {
  current: TrafficPolicy;
  inCluster: object;
  proposals: TrafficPolicyProposal[];
}

/** Answer of `POST /entities/:kind/:namespace/:name/traffic-policy/lint`. @public */
export interface TrafficPolicyLintResult {
  lint: PolicyLint[];
  diff: string;
}

/** Payload of the signal sent on {@link releasesSignalChannel}. @public */
export interface ReleaseSignal {
  releaseId: string;
  state: ReleaseState;
  weights: { stable: number; canary: number };
}
