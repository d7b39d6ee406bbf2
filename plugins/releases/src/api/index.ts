export { releasesApiRef } from './ReleasesApi';
export type { ReleasesApi, LatestBuildImage } from './ReleasesApi';
export { ReleasesClient, entityPath } from './ReleasesClient';
