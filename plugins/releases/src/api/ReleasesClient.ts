import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  CreateReleaseRequest,
  RELEASES_PLUGIN_ID,
  RELEASES_ROUTES,
  Release,
  ReleaseOptions,
  ReleasePage,
  TrafficPolicy,
  TrafficPolicyLintResult,
  TrafficPolicyProposal,
  TrafficPolicyView,
} from '@fincloud/plugin-releases-common';
import { LatestBuildImage, ReleasesApi } from './ReleasesApi';

function entity(entityRef: string) {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return { kind: kind.toLocaleLowerCase('en-US'), namespace, name };
}

/**
 * `/entities/component/default/payment-gateway` for
 * `component:default/payment-gateway`: the builds plugin's entity routes have
 * the same shape as ours.
 */
export function entityPath(entityRef: string): string {
  const { kind, namespace, name } = entity(entityRef);
  return `/entities/${[kind, namespace, name]
    .map(encodeURIComponent)
    .join('/')}`;
}

/**
 * The releases API client: `discoveryApi` finds `/api/releases`, `fetchApi`
 * adds the user's token. No cluster credential ever passes through here: the
 * backend talks to the cluster.
 *
 * @public
 */
export class ReleasesClient implements ReleasesApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  getOptions(entityRef: string): Promise<ReleaseOptions> {
    return this.call('GET', RELEASES_ROUTES.options(entity(entityRef)));
  }

  listReleases(
    entityRef: string,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<ReleasePage> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.cursor) query.set('cursor', page.cursor);
    const qs = query.toString();
    return this.call(
      'GET',
      `${RELEASES_ROUTES.releases(entity(entityRef))}${qs ? `?${qs}` : ''}`,
    );
  }

  async getCurrentRelease(entityRef: string): Promise<Release | undefined> {
    try {
      return await this.call<Release>(
        'GET',
        RELEASES_ROUTES.current(entity(entityRef)),
      );
    } catch (error) {
      if ((error as ResponseError).statusCode === 404) return undefined;
      throw error;
    }
  }

  getRelease(id: string): Promise<Release> {
    return this.call('GET', RELEASES_ROUTES.release(id));
  }

  createRelease(
    entityRef: string,
    request: CreateReleaseRequest,
  ): Promise<Release> {
    return this.call(
      'POST',
      RELEASES_ROUTES.releases(entity(entityRef)),
      request,
    );
  }

  approve(id: string, reason: string): Promise<Release> {
    return this.action(id, 'approve', { reason });
  }

  reject(id: string, reason: string): Promise<Release> {
    return this.action(id, 'reject', { reason });
  }

  promote(id: string, options: { full?: boolean } = {}): Promise<Release> {
    return this.action(id, 'promote', options.full ? { full: true } : {});
  }

  pause(id: string): Promise<Release> {
    return this.action(id, 'pause', {});
  }

  resume(id: string): Promise<Release> {
    return this.action(id, 'resume', {});
  }

  rollback(id: string, reason: string): Promise<Release> {
    return this.action(id, 'rollback', { reason });
  }

  switchBack(id: string, reason: string): Promise<Release> {
    return this.action(id, 'switch-back', { reason });
  }

  getTrafficPolicy(entityRef: string): Promise<TrafficPolicyView> {
    return this.call('GET', RELEASES_ROUTES.trafficPolicy(entity(entityRef)));
  }

  lintTrafficPolicy(
    entityRef: string,
    policy: TrafficPolicy,
  ): Promise<TrafficPolicyLintResult> {
    return this.call(
      'POST',
      RELEASES_ROUTES.trafficPolicyLint(entity(entityRef)),
      policy,
    );
  }

  proposeTrafficPolicy(
    entityRef: string,
    policy: TrafficPolicy,
  ): Promise<TrafficPolicyProposal> {
    return this.call(
      'POST',
      RELEASES_ROUTES.trafficPolicy(entity(entityRef)),
      policy,
    );
  }

  approveTrafficPolicy(
    id: string,
    reason: string,
  ): Promise<TrafficPolicyProposal> {
    return this.call(
      'POST',
      RELEASES_ROUTES.trafficPolicyAction(id, 'approve'),
      { reason },
    );
  }

  revertTrafficPolicy(
    id: string,
    reason: string,
  ): Promise<TrafficPolicyProposal> {
    return this.call(
      'POST',
      RELEASES_ROUTES.trafficPolicyAction(id, 'revert'),
      { reason },
    );
  }

  async getLatestBuildImage(
    entityRef: string,
  ): Promise<LatestBuildImage | undefined> {
    // The builds plugin is optional: any failure (not installed, not allowed,
    // unreachable) means "type a tag instead", never an error on the dialog.
    try {
      const base = await this.discoveryApi.getBaseUrl('builds');
      const response = await this.fetchApi.fetch(
        `${base}${entityPath(entityRef)}/builds?status=succeeded&limit=1`,
      );
      if (!response.ok) return undefined;
      const page = (await response.json()) as {
        items?: Array<{
          number?: number;
          finishedAt?: string;
          image?: { ref?: string };
        }>;
      };
      const build = page.items?.[0];
      if (!build?.image?.ref) return undefined;
      return {
        image: build.image.ref,
        buildNumber: build.number,
        finishedAt: build.finishedAt,
      };
    } catch {
      return undefined;
    }
  }

  private action(
    id: string,
    verb: Parameters<typeof RELEASES_ROUTES.action>[1],
    body: object,
  ): Promise<Release> {
    return this.call('POST', RELEASES_ROUTES.action(id, verb), body);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl(RELEASES_PLUGIN_ID);
    const response = await this.fetchApi.fetch(`${base}${path}`, {
      method,
      headers:
        body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
