/**
 * The wire types of `/api/builds` (see README.md for every route). The
 * backend answers exactly these shapes; the UI reads exactly these.
 */

/** How the image is produced. @public */
export type BuildType =
  | 'generic'
  | 'compile-then-build'
  | 'in-repo-dockerfile'
  | 'custom-dockerfile';

/** Lifecycle of a build. @public */
export type BuildStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** The steps of a build pod, in order. `build` = build and push. @public */
export type StepName = 'clone' | 'scan' | 'build';

/** @public */
export interface BuildStep {
  name: StepName;
  status: BuildStatus | 'skipped';
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  message?: string;
}

/** One SARIF result of the pre-build scan. @public */
export interface ScanFinding {
  ruleId: string;
  level: 'error' | 'warning' | 'note';
  severity: 'critical' | 'high' | 'medium' | 'low';
  message: string;
  location?: string;
}

/** @public */
export interface ScanResult {
  status: 'passed' | 'failed' | 'waived' | 'skipped';
  counts: Record<'critical' | 'high' | 'medium' | 'low', number>;
  /** The severity at or above which a finding fails the build (`fincloud.builds.scan.failOn`). */
  threshold: string;
  findings: ScanFinding[];
  /** The approved waiver that let a failed scan pass. */
  waiverId?: string;
}

/** @public */
export interface Build {
  id: string;
  /** 1, 2, 3 … per entity. */
  number: number;
  entityRef: string;
  status: BuildStatus;
  buildType: BuildType;
  language?: string;
  branch: string;
  commit?: string;
  /** User entity ref of who triggered it. */
  triggeredBy: string;
  /** Id of the build this one re-runs. */
  rerunOf?: string;
  dockerfileRevision?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  queueMs?: number;
  runMs?: number;
  image?: { ref: string; digest?: string };
  scan?: ScanResult;
  steps: BuildStep[];
  cluster: string;
  namespace: string;
  jobName?: string;
  /** Why it failed or was cancelled, in words. */
  error?: string;
}

/** A page of history, newest first; pass `nextCursor` as `cursor` for the next. @public */
export interface BuildPage {
  items: Build[];
  nextCursor?: string;
}

/** @public */
export interface BuildStats {
  window: string;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** succeeded / (succeeded + failed); null without finished builds. */
  successRate: number | null;
  durationP50Ms: number | null;
  durationP90Ms: number | null;
  queueP50Ms: number | null;
  trend: Array<{
    day: string;
    succeeded: number;
    failed: number;
    durationP50Ms: number | null;
  }>;
}

/** A range of log lines. `complete` once the build finished and every line is stored. @public */
export interface LogChunk {
  fromLine: number;
  lines: string[];
  totalLines: number;
  complete: boolean;
}

/** @public */
export interface LogSearchResult {
  matches: Array<{ line: number; text: string }>;
  truncated: boolean;
}

/** A stored revision of a team's custom Dockerfile. @public */
export interface DockerfileRevision {
  revision: number;
  content: string;
  message: string;
  /** User entity ref. */
  author: string;
  createdAt: string;
}

/** A problem found in a Dockerfile; `line` is 1-based. @public */
export interface DockerfileDiagnostic {
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

/** @public */
export interface BuildConfigView {
  buildType: BuildType;
  language?: string;
  sourceRepo?: string;
  scanEnabled: boolean;
  scanThreshold: string;
  availableTypes: BuildType[];
}

/** A request to let a failed scan pass for some rule ids until it expires. @public */
export interface Waiver {
  id: string;
  entityRef: string;
  ruleIds: string[];
  reason: string;
  requestedBy: string;
  approvedBy?: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired';
  expiresAt: string;
  createdAt: string;
}

// Request bodies

/** `POST /entities/:kind/:namespace/:name/builds`. @public */
export interface TriggerBuildRequest {
  branch: string;
  commit?: string;
  buildType?: BuildType;
  dockerfileRevision?: number;
}

/** `POST /builds/:id/cancel`. @public */
export interface CancelBuildRequest {
  reason?: string;
}

/** `POST /entities/:kind/:namespace/:name/dockerfiles`. @public */
export interface CreateDockerfileRequest {
  content: string;
  message: string;
}

/** `POST /dockerfiles/validate` answer. @public */
export interface ValidateDockerfileResponse {
  diagnostics: DockerfileDiagnostic[];
}

/** `POST /entities/:kind/:namespace/:name/waivers`. @public */
export interface CreateWaiverRequest {
  ruleIds: string[];
  reason: string;
  /** ISO time, in the future. */
  expiresAt: string;
}

/** `POST /waivers/:id/approve` and `/reject`. @public */
export interface WaiverDecisionRequest {
  reason: string;
}

/** What the backend sends on `fincloud-builds:<entityRef>`. @public */
export interface BuildsSignal {
  buildId: string;
  status: BuildStatus;
}
