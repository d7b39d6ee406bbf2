import { CompoundEntityRef } from '@backstage/catalog-model';

/** The releases plugin id (the backend is mounted at `/api/releases`). @public */
export const RELEASES_PLUGIN_ID = 'releases';

function entityPath(entity: CompoundEntityRef): string {
  return `/entities/${encodeURIComponent(entity.kind)}/${encodeURIComponent(
    entity.namespace,
  )}/${encodeURIComponent(entity.name)}`;
}

/**
 * Paths of the releases backend, relative to its base URL
 * (`discovery.getBaseUrl('releases')`, i.e. `/api/releases`).
 *
 * @public
 */
export const RELEASES_ROUTES = {
  /** `GET` → `ReleaseOptions`. */
  options: (e: CompoundEntityRef) => `${entityPath(e)}/options`,
  /** `GET ?limit&cursor` → `ReleasePage`; `POST` `CreateReleaseRequest` → 201 `Release`. */
  releases: (e: CompoundEntityRef) => `${entityPath(e)}/releases`,
  /** `GET` → `Release` or 404. */
  current: (e: CompoundEntityRef) => `${entityPath(e)}/releases/current`,
  /** `GET` → `Release`. */
  release: (id: string) => `/releases/${encodeURIComponent(id)}`,
  /** `POST` to a release: approve, reject, promote, pause, resume, rollback, switch-back. */
  action: (
    id: string,
    action:
      | 'approve'
      | 'reject'
      | 'promote'
      | 'pause'
      | 'resume'
      | 'rollback'
      | 'switch-back',
  ) => `/releases/${encodeURIComponent(id)}/${action}`,
  /** `GET` → `TrafficPolicyView`; `POST` `TrafficPolicy` → 201 `TrafficPolicyProposal`. */
  trafficPolicy: (e: CompoundEntityRef) => `${entityPath(e)}/traffic-policy`,
  /** `POST` `TrafficPolicy` → `TrafficPolicyLintResult`. */
  trafficPolicyLint: (e: CompoundEntityRef) =>
    `${entityPath(e)}/traffic-policy/lint`,
  /** `POST` to a proposal: approve, revert. */
  trafficPolicyAction: (id: string, action: 'approve' | 'revert') =>
    `/traffic-policies/${encodeURIComponent(id)}/${action}`,
} as const;

/**
 * The signal channel carrying `ReleaseSignal` messages for one service
 * (`@backstage/plugin-signals`), e.g. `fincloud-releases:component:default/payment-gateway`.
 *
 * @public
 */
export function releasesSignalChannel(entityRef: string): string {
  return `fincloud-releases:${entityRef}`;
}
