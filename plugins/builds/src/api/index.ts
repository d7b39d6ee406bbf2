export { buildsApiRef } from './BuildsApi';
export type {
  BuildsApi,
  BuildHistoryQuery,
  BuildsDownload,
  StatsWindow,
} from './BuildsApi';
export { BuildsClient, DockerfileValidationError } from './BuildsClient';
