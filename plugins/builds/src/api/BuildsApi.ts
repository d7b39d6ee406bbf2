import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  Build,
  BuildConfigView,
  BuildPage,
  BuildStats,
  BuildStatus,
  BuildType,
  CreateWaiverRequest,
  DockerfileDiagnostic,
  DockerfileRevision,
  LogChunk,
  LogSearchResult,
  TriggerBuildRequest,
  Waiver,
} from '@fincloud/plugin-builds-common';

/** The history filters the backend understands (`GET …/builds`). @public */
export interface BuildHistoryQuery {
  status?: BuildStatus;
  branch?: string;
  /** User entity ref. */
  triggeredBy?: string;
  buildType?: BuildType;
  /** ISO time, inclusive. */
  from?: string;
  /** ISO time, exclusive. */
  to?: string;
  /** At most 100; the backend's default is 20. */
  limit?: number;
  cursor?: string;
}

/** @public */
export type StatsWindow = '7d' | '30d' | '90d';

/** A downloaded file, ready to be saved. @public */
export interface BuildsDownload {
  blob: Blob;
  filename: string;
}

/**
 * `/api/builds` as the UI sees it. Entity routes take the entity ref
 * (`component:default/user-portal`); the backend decides who may call what,
 * and every error is a `ResponseError` carrying its message and status.
 *
 * @public
 */
export interface BuildsApi {
  listBuilds(entityRef: string, query?: BuildHistoryQuery): Promise<BuildPage>;
  getStats(entityRef: string, window: StatsWindow): Promise<BuildStats>;
  getConfig(entityRef: string): Promise<BuildConfigView>;
  triggerBuild(entityRef: string, request: TriggerBuildRequest): Promise<Build>;
  getBuild(id: string): Promise<Build>;
  rerunBuild(id: string): Promise<Build>;
  cancelBuild(id: string, reason?: string): Promise<Build>;
  /** `fromLine` < 0 reads the last `-fromLine` lines. */
  readLog(id: string, fromLine: number, lines: number): Promise<LogChunk>;
  searchLog(id: string, q: string, limit?: number): Promise<LogSearchResult>;
  downloadLog(id: string): Promise<BuildsDownload>;
  listDockerfiles(entityRef: string): Promise<DockerfileRevision[]>;
  /**
   * Saves a new revision. An invalid Dockerfile is refused (422) with a
   * `DockerfileValidationError` carrying the diagnostics.
   */
  saveDockerfile(
    entityRef: string,
    content: string,
    message: string,
  ): Promise<DockerfileRevision>;
  validateDockerfile(content: string): Promise<DockerfileDiagnostic[]>;
  listWaivers(entityRef: string): Promise<Waiver[]>;
  requestWaiver(
    entityRef: string,
    request: CreateWaiverRequest,
  ): Promise<Waiver>;
  decideWaiver(
    id: string,
    decision: 'approve' | 'reject',
    reason: string,
  ): Promise<Waiver>;
}

/** @public */
export const buildsApiRef = createApiRef<BuildsApi>({
  id: 'plugin.builds.service',
});
