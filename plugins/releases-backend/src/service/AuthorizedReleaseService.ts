import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  CreateReleaseRequest,
  Release,
  ReleaseOptions,
  ReleasePage,
  TrafficPolicy,
  TrafficPolicyLintResult,
  TrafficPolicyProposal,
  TrafficPolicyView,
  releasesApprovePermission,
  releasesBreakGlassPermission,
  releasesCreatePermission,
  releasesPolicyWritePermission,
  releasesPromotePermission,
  releasesReadPermission,
  releasesRollbackPermission,
} from '@fincloud/plugin-releases-common';
import { ReleaseAction } from '../domain/machine';
import { Actor, DefaultReleaseService } from './DefaultReleaseService';

/** The permission each person action needs. */
const ACTION_PERMISSION: Record<
  ReleaseAction['type'],
  ResourcePermission<'catalog-entity'>
> = {
  approve: releasesApprovePermission,
  reject: releasesApprovePermission,
  promote: releasesPromotePermission,
  pause: releasesPromotePermission,
  resume: releasesPromotePermission,
  rollback: releasesRollbackPermission,
  'switch-back': releasesRollbackPermission,
};

/** Who the credentials stand for, as a release records it. */
export function actorOf(credentials: BackstageCredentials): Actor {
  const principal = credentials.principal as
    | { type: 'user'; userEntityRef: string }
    | { type: 'service'; subject: string };
  return {
    ref:
      principal.type === 'user'
        ? principal.userEntityRef
        : `service:${principal.subject}`,
  };
}

/**
 * The permission decorator: every call is authorized with the service's
 * entity ref as resource ref (the fincloud policy decides by ownership and
 * team leadership), then handed to the logic. Deny → NotAllowedError (403).
 */
export class AuthorizedReleaseService {
  constructor(
    private readonly inner: DefaultReleaseService,
    private readonly permissions: PermissionsService,
    private readonly catalog: CatalogService,
  ) {}

  private async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await this.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `${permission.name} is not allowed on ${entityRef}`,
      );
    }
  }

  /** The entity as the caller may see it (404 when it cannot). */
  async entity(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Entity> {
    const entity = await this.catalog.getEntityByRef(ref, { credentials });
    if (!entity) {
      throw new NotFoundError(
        `no entity ${ref.kind}:${ref.namespace}/${ref.name} in the catalog`,
      );
    }
    return entity;
  }

  async getOptions(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<ReleaseOptions> {
    await this.authorize(
      releasesReadPermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.getOptions(entity);
  }

  async list(
    entity: Entity,
    options: { limit: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<ReleasePage> {
    await this.authorize(
      releasesReadPermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.list(entity, options);
  }

  async current(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<Release> {
    await this.authorize(
      releasesReadPermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.current(entity);
  }

  async get(id: string, credentials: BackstageCredentials): Promise<Release> {
    const stored = await this.inner.getStored(id);
    await this.authorize(
      releasesReadPermission,
      stored.record.release.entityRef,
      credentials,
    );
    return stored.record.release;
  }

  /** The entity ref of a release (for audit events before the action); 404 when there is none. */
  async releaseEntityRef(id: string): Promise<string> {
    return (await this.inner.getStored(id)).record.release.entityRef;
  }

  async create(
    entity: Entity,
    request: CreateReleaseRequest,
    credentials: BackstageCredentials,
  ): Promise<Release> {
    const entityRef = this.inner.entityRef(entity);
    await this.authorize(releasesCreatePermission, entityRef, credentials);
    if (request.breakGlass) {
      await this.authorize(
        releasesBreakGlassPermission,
        entityRef,
        credentials,
      );
    }
    return this.inner.create(entity, request, actorOf(credentials));
  }

  async act(
    id: string,
    action: ReleaseAction,
    credentials: BackstageCredentials,
  ): Promise<Release> {
    const stored = await this.inner.getStored(id);
    await this.authorize(
      ACTION_PERMISSION[action.type],
      stored.record.release.entityRef,
      credentials,
    );
    return this.inner.act(id, action);
  }

  async trafficPolicy(
    entity: Entity,
    credentials: BackstageCredentials,
  ): Promise<TrafficPolicyView> {
    await this.authorize(
      releasesReadPermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.trafficPolicy(entity);
  }

  async lintPolicy(
    entity: Entity,
    policy: TrafficPolicy,
    credentials: BackstageCredentials,
  ): Promise<TrafficPolicyLintResult> {
    await this.authorize(
      releasesReadPermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.lintPolicy(entity, policy);
  }

  async proposePolicy(
    entity: Entity,
    policy: TrafficPolicy,
    credentials: BackstageCredentials,
  ): Promise<TrafficPolicyProposal> {
    await this.authorize(
      releasesPolicyWritePermission,
      this.inner.entityRef(entity),
      credentials,
    );
    return this.inner.proposePolicy(entity, policy, actorOf(credentials));
  }

  /** The entity ref of a traffic policy proposal (for audit events); 404 when there is none. */
  async policyEntityRef(id: string): Promise<string> {
    return (await this.inner.getPolicyStored(id)).proposal.entityRef;
  }

  async approvePolicy(
    id: string,
    reason: string,
    credentials: BackstageCredentials,
    entityOf: (entityRef: string) => Promise<Entity>,
  ): Promise<TrafficPolicyProposal> {
    const stored = await this.inner.getPolicyStored(id);
    const entityRef = stored.proposal.entityRef;
    await this.authorize(releasesApprovePermission, entityRef, credentials);
    const entity = await entityOf(entityRef);
    return this.inner.approvePolicy(
      id,
      actorOf(credentials),
      reason,
      this.inner.policyApprovals(entity),
    );
  }

  async revertPolicy(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<TrafficPolicyProposal> {
    const stored = await this.inner.getPolicyStored(id);
    await this.authorize(
      releasesPolicyWritePermission,
      stored.proposal.entityRef,
      credentials,
    );
    return this.inner.revertPolicy(id);
  }
}
