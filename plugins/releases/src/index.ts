/**
 * The fincloud releases UI: each service's Releases tab (live traffic bar,
 * step plan, approvals, metric gates, controls, history, traffic policies)
 * and its overview card. Legacy exports here; the New Frontend System plugin
 * is the default export of `./alpha`.
 *
 * @packageDocumentation
 */
export {
  releasesPlugin,
  EntityReleasesContent,
  EntityReleaseCard,
} from './plugin';
export { releasesApiRef, ReleasesClient } from './api';
export type { ReleasesApi, LatestBuildImage } from './api';
