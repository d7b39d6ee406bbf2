import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  CreateReleaseRequest,
  Release,
  ReleaseOptions,
  ReleasePage,
  TrafficPolicy,
  TrafficPolicyLintResult,
  TrafficPolicyProposal,
  TrafficPolicyView,
} from '@fincloud/plugin-releases-common';

/** The image of a service's latest successful build, when the builds plugin answers. @public */
export interface LatestBuildImage {
  image: string;
  buildNumber?: number;
  finishedAt?: string;
}

/**
 * Releases as the UI sees them (`/api/releases`). The backend decides who may
 * call what; errors are `ResponseError`s carrying its message and status.
 *
 * @public
 */
export interface ReleasesApi {
  /** What the start dialog offers for the service. */
  getOptions(entityRef: string): Promise<ReleaseOptions>;
  /** One page of the service's releases, newest first. */
  listReleases(
    entityRef: string,
    page?: { limit?: number; cursor?: string },
  ): Promise<ReleasePage>;
  /** The active release, or undefined when none is running. */
  getCurrentRelease(entityRef: string): Promise<Release | undefined>;
  getRelease(id: string): Promise<Release>;
  createRelease(
    entityRef: string,
    request: CreateReleaseRequest,
  ): Promise<Release>;
  approve(id: string, reason: string): Promise<Release>;
  reject(id: string, reason: string): Promise<Release>;
  promote(id: string, options?: { full?: boolean }): Promise<Release>;
  pause(id: string): Promise<Release>;
  resume(id: string): Promise<Release>;
  rollback(id: string, reason: string): Promise<Release>;
  switchBack(id: string, reason: string): Promise<Release>;
  getTrafficPolicy(entityRef: string): Promise<TrafficPolicyView>;
  lintTrafficPolicy(
    entityRef: string,
    policy: TrafficPolicy,
  ): Promise<TrafficPolicyLintResult>;
  proposeTrafficPolicy(
    entityRef: string,
    policy: TrafficPolicy,
  ): Promise<TrafficPolicyProposal>;
  approveTrafficPolicy(
    id: string,
    reason: string,
  ): Promise<TrafficPolicyProposal>;
  revertTrafficPolicy(
    id: string,
    reason: string,
  ): Promise<TrafficPolicyProposal>;
  /**
   * The image of the service's latest successful build, from the builds
   * plugin (`/api/builds`); undefined when that plugin is not installed, the
   * user may not read builds, or there is none.
   */
  getLatestBuildImage(entityRef: string): Promise<LatestBuildImage | undefined>;
}

/** @public */
export const releasesApiRef = createApiRef<ReleasesApi>({
  id: 'plugin.releases.service',
});
