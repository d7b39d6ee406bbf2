/**
 * fincloud builds: each service's Builds tab (statistics, history, new build,
 * build detail with steps, scan findings, waivers and the live log) and its
 * Latest build card. Legacy exports here; the New Frontend System plugin is
 * the default export of `./alpha`.
 *
 * @packageDocumentation
 */
export {
  buildsPlugin,
  EntityBuildsContent,
  EntityLatestBuildCard,
} from './plugin';
export { buildsApiRef, BuildsClient, DockerfileValidationError } from './api';
export type {
  BuildsApi,
  BuildHistoryQuery,
  BuildsDownload,
  StatsWindow,
} from './api';
export { hasBuildsTab } from './components/filters';
