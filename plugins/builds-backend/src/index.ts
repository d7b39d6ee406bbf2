/**
 * fincloud builds backend: each build a Kubernetes Job, every log kept.
 *
 * @packageDocumentation
 */
export { buildsPlugin as default } from './plugin';
export {
  buildsRepoReaderServiceRef,
  StaticBuildsRepoReader,
  UrlReaderBuildsRepoReader,
} from './repo/BuildsRepoReader';
export type { BuildsRepoReader } from './repo/BuildsRepoReader';
export { FilesystemLogObjectStore } from './logs/LogObjectStore';
export type { LogObjectStore } from './logs/LogObjectStore';
