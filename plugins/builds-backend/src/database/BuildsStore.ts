import {
  BuildPage,
  BuildStats,
  DockerfileRevision,
  Waiver,
} from '@fincloud/plugin-builds-common';
import {
  BuildFilters,
  BuildPatch,
  BuildRecord,
  LogCursor,
  NewBuild,
} from './types';

/** Builds, logs, Dockerfile revisions and waivers, durably. */
export interface BuildsStore {
  createBuild(build: NewBuild): Promise<BuildRecord>;
  getBuild(id: string): Promise<BuildRecord | undefined>;
  /** Newest first; keyset pagination on the per-entity build number. */
  listBuilds(
    entityRef: string,
    filters: BuildFilters,
    options: { limit: number; cursor?: string },
  ): Promise<BuildPage>;
  /** Offset pagination, kept only for the benchmark's comparison. */
  listBuildsByOffset(
    entityRef: string,
    options: { limit: number; offset: number },
  ): Promise<BuildPage>;
  stats(
    entityRef: string,
    window: '7d' | '30d' | '90d',
    now?: number,
  ): Promise<BuildStats>;
  /** Builds the controller still has to act on (queued or running, or logs not complete). */
  listUnfinished(): Promise<BuildRecord[]>;
  /** Running or queued-with-a-Job builds on a cluster (concurrency limit). */
  countActiveJobs(cluster: string): Promise<number>;
  /**
   * Applies a patch only if the record still has `expectedVersion`; false
   * when another replica (or request) changed it first.
   */
  updateBuild(
    id: string,
    expectedVersion: number,
    patch: BuildPatch,
  ): Promise<boolean>;

  /**
   * Stores lines after the first `expectedLines` and moves the cursor, in
   * one transaction, only if exactly `expectedLines` are stored: two
   * followers can never store the same lines twice.
   */
  appendLog(
    id: string,
    expectedLines: number,
    lines: string[],
    cursor: LogCursor,
    options?: {
      /** Wait for the commit to be on disk (the last chunk of a step). Default false. */
      durable?: boolean;
    },
  ): Promise<boolean>;
  /** Moves the cursor without lines (a container finished with nothing more). */
  updateLogCursor(
    id: string,
    expectedLines: number,
    cursor: LogCursor,
  ): Promise<boolean>;
  readLog(id: string, fromLine: number, count: number): Promise<string[]>;
  searchLog(
    id: string,
    query: string,
    limit: number,
  ): Promise<{
    matches: Array<{ line: number; text: string }>;
    truncated: boolean;
  }>;
  streamLog(id: string): AsyncGenerator<string[]>;

  claimFollower(
    id: string,
    owner: string,
    leaseMs: number,
    now?: number,
  ): Promise<boolean>;
  releaseFollower(id: string, owner: string): Promise<void>;

  listDockerfiles(entityRef: string): Promise<DockerfileRevision[]>;
  getDockerfile(
    entityRef: string,
    revision?: number,
  ): Promise<DockerfileRevision | undefined>;
  addDockerfile(
    entityRef: string,
    input: { content: string; message: string; author: string },
  ): Promise<DockerfileRevision>;

  listWaivers(entityRef: string, now?: number): Promise<Waiver[]>;
  getWaiver(id: string, now?: number): Promise<Waiver | undefined>;
  createWaiver(input: {
    entityRef: string;
    ruleIds: string[];
    reason: string;
    requestedBy: string;
    expiresAt: number;
  }): Promise<Waiver>;
  /** pending → approved / rejected; false when it is no longer pending. */
  decideWaiver(
    id: string,
    decision: {
      status: 'approved' | 'rejected';
      by: string;
      reason: string;
    },
    now?: number,
  ): Promise<boolean>;
  /** An approved, unexpired waiver of the entity covering every rule id. */
  findCoveringWaiver(
    entityRef: string,
    ruleIds: string[],
    now?: number,
  ): Promise<Waiver | undefined>;
}
