import { Release, Strategy } from '@fincloud/plugin-releases-common';
import { HttpRoute, SubsetName } from './routing';
import { SchedulingProfileSpec } from './scheduling';

/** Where a release is in its life, beyond the public state. */
export type ReleasePhase =
  /** Waiting for the start approval; nothing applied yet. */
  | 'start'
  /** Applying / verifying / pausing at `currentStep`, or waiting for its approval. */
  | 'step'
  /** Blue-green: switched; the old version is kept warm until `warmUntil`. */
  | 'warm'
  /** Making the new version the stable one (canary, blue-green). */
  | 'finalizing'
  /** Final state reached. */
  | 'done';

/** What the controller needs that the API does not show. Persisted with the release. */
export interface ReleaseInternal {
  /** The Deployment serving the stable version (the workload, or `<workload>-<version>` after earlier releases). */
  stableDeployment: string;
  /** Canary / blue-green: `<workload>-<version>` of the new version. */
  newDeployment?: string;
  /** The container whose image the release changes. */
  container: string;
  /** The image the stable Deployment ran before (restored by a rolling rollback). */
  previousImage: string;
  /** Replicas of the stable Deployment when the release started. */
  stableReplicas: number;
  /** The scheduling profile's pod settings, resolved at creation. */
  profile?: SchedulingProfileSpec;
  phase: ReleasePhase;
  /** The approval gate pending: the start, or a step index. */
  gate?: 'start' | number;
  /** Why the release is paused. */
  pausedBy?: 'person' | 'timer' | 'drift' | 'analysis';
  /** A timed pause ends at (epoch ms). */
  pauseUntil?: number;
  /** When the cluster reached the current step (epoch ms). */
  stepReadyAt?: number;
  /** When the metric gates of the current step started (epoch ms). */
  analysisStartedAt?: number;
  /** When they last ran (epoch ms). */
  lastAnalysisAt?: number;
  /** Where the release ended for the cluster: the new version kept, or the old one restored. */
  outcome?: 'promoted' | 'restored';
  /** Something of this release was applied (or is to be) to the cluster. */
  touched: boolean;
  /** Bumped to make the controller apply the same intent again (resume after drift). */
  reapply: number;
  /** Consecutive failed attempts to apply the current intent. */
  applyFailures: number;
  /** The last apply error, for the release's reason when it fails. */
  lastApplyError?: string;
}

/** A release as persisted: the API view and the controller's part. */
export interface ReleaseRecord {
  release: Release;
  internal: ReleaseInternal;
}

/** A Deployment as a release wants it. */
export interface DeploymentIntent {
  name: string;
  replicas: number;
  /** The container image to run (rolling; the new version). */
  image?: { container: string; image: string };
  /** Create it when missing, as a copy of `from` with the `version` label. */
  template?: {
    from: string;
    version: string;
    releaseId: string;
    profile?: SchedulingProfileSpec;
  };
}

/**
 * What the cluster must look like for a release right now. Derived purely
 * from the release (see `desiredState`), written with the release before it
 * is applied, and applied declaratively: applying it twice changes nothing.
 */
export interface ReleaseIntent {
  releaseId: string;
  strategy: Strategy;
  namespace: string;
  workload: string;
  /** The Service and VirtualService host. */
  host: string;
  reapply: number;
  deployments: DeploymentIntent[];
  /** DestinationRule subsets: subset name → `version` label. Absent for rolling. */
  subsets?: Partial<Record<SubsetName, string>>;
  /** VirtualService `spec.http`. Absent for rolling. */
  http?: HttpRoute[];
  /** Blue-green preview Service: present (selecting the new version) or removed (null). */
  previewService?: { name: string; version: string } | null;
}

/** Knobs of the state machine, from the configuration. */
export interface MachineConfig {
  approvalTtlMs: number;
  warmMs: number;
  /** Metric gates without data for this long pause the release. */
  analysisTimeoutMs: number;
}
