import {
  Build,
  BuildStatus,
  BuildStep,
  BuildType,
  ScanResult,
} from '@fincloud/plugin-builds-common';
import type { Severity } from '../config';
import type { LogFacts } from '../kubernetes/logFacts';

/** One Job run for a build: the first, or the continuation after a waived scan. */
export interface BuildAttempt {
  jobName: string;
  /** The continuation skips the scan (its findings were waived). */
  skipScan: boolean;
  createdAt?: number;
  /** The attempt's pod, once seen (to find its eviction events after it is gone). */
  podName?: string;
}

/** What to build, resolved when the build is triggered (never changes afterwards). */
export interface BuildSpec {
  sourceRepo: string;
  /** Generated (template) or custom Dockerfile content, for those build types. */
  dockerfile?: { origin: 'template' | 'custom'; content: string };
  /** Path and context of the repository's own Dockerfile (in-repo-dockerfile). */
  inRepo?: { dockerfile: string; context: string };
  /** Image repository (no tag) and tag pushed to. */
  imageRepository: string;
  tag: string;
  cacheRepository?: string;
  scan: { enabled: boolean; failOn: Severity };
  attempts: BuildAttempt[];
  /** Who cancelled, when cancelled while the Job was being created. */
  cancelRequested?: { by: string; reason?: string };
}

/** Where the log follower stopped: enough to resume with no gap and no duplicate. */
export interface LogCursor {
  /** `<pod>/<container>` fully stored, in order. */
  done: string[];
  /** The container being followed. */
  pod?: string;
  container?: string;
  /** Lines of that container stored so far. */
  lines: number;
  /** RFC 3339 (nanoseconds) timestamp of its last stored line. */
  lastTs?: string;
  /** How many stored lines carry exactly lastTs (to skip on resume). */
  atLastTs: number;
  /** What the lines stored so far say (commit, scan result, pushed image). */
  facts?: LogFacts;
}

/** A build as stored, with what the controller needs beyond the API shape. */
export interface BuildRecord extends Build {
  spec: BuildSpec;
  version: number;
  logLines: number;
  logComplete: boolean;
  logCursor?: LogCursor;
  follower?: string;
  followerUntil?: number;
}

export interface NewBuild {
  entityRef: string;
  buildType: BuildType;
  language?: string;
  branch: string;
  commit?: string;
  triggeredBy: string;
  rerunOf?: string;
  dockerfileRevision?: number;
  cluster: string;
  namespace: string;
  steps: BuildStep[];
  spec: BuildSpec;
  createdAt?: number;
}

/** Fields the controller changes, under the optimistic lock. */
export interface BuildPatch {
  status?: BuildStatus;
  commit?: string;
  startedAt?: number | null;
  finishedAt?: number | null;
  image?: { ref: string; digest?: string } | null;
  scan?: ScanResult | null;
  steps?: BuildStep[];
  jobName?: string;
  error?: string | null;
  spec?: BuildSpec;
  logComplete?: boolean;
}

export interface BuildFilters {
  status?: BuildStatus[];
  branch?: string;
  triggeredBy?: string;
  buildType?: BuildType[];
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}
