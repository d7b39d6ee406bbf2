import { Entity } from '@backstage/catalog-model';
import {
  FINCLOUD_ANNOTATIONS,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import { BuildStatus, BuildType } from './types';

/** The builds plugin id: the backend is mounted at `/api/builds`. @public */
export const BUILDS_PLUGIN_ID = 'builds';

/** Every build type, in the order the UI offers them. @public */
export const BUILD_TYPES: readonly BuildType[] = [
  'generic',
  'compile-then-build',
  'in-repo-dockerfile',
  'custom-dockerfile',
];

/** Statuses after which a build never changes again. @public */
export const FINISHED_BUILD_STATUSES: readonly BuildStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
];

/** @public */
export function isBuildFinished(status: BuildStatus): boolean {
  return FINISHED_BUILD_STATUSES.includes(status);
}

/** @public */
export function isBuildType(value: unknown): value is BuildType {
  return typeof value === 'string' && BUILD_TYPES.includes(value as BuildType);
}

/**
 * The signal channel the backend publishes a service's build changes on:
 * `fincloud-builds:<entityRef>`, with a `BuildsSignal` message.
 *
 * @public
 */
export function buildsSignalChannel(entityRef: string): string {
  return `fincloud-builds:${entityRef}`;
}

/**
 * Whether an entity declares how it is built: a `fincloud.io/build-type`,
 * `fincloud.io/language` or `fincloud.io/source-repo` annotation. Without
 * one, the UI shows how to add `fincloud.io/build-type` (the backend's
 * `/config` answers 404). A `.fincloud/build.yaml` in the repository can
 * refine the choice, but the catalog annotation is what switches builds on.
 *
 * @public
 */
export function isBuildsAvailable(entity: Entity): boolean {
  return Boolean(
    readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.buildType) ??
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.language) ??
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.sourceRepo),
  );
}
