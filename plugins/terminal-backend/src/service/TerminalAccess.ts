import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { terminalSessionsReadPermission } from '@fincloud/plugin-terminal-common';

/**
 * The permission checks of the terminal, in one place. Every permission is
 * a resource permission on `catalog-entity`, authorized with the entity ref
 * as resource ref, so the policy can answer "owners of the entity" (and the
 * catalog resolves that condition).
 */
export class TerminalAccess {
  constructor(private readonly permissions: PermissionsService) {}

  async can(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<boolean> {
    const [decision] = await this.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }

  async require(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
    what: string,
  ): Promise<void> {
    if (!(await this.can(permission, entityRef, credentials))) {
      throw new NotAllowedError(
        `You may not ${what} of ${entityRef} (${permission.name})`,
      );
    }
  }

  /**
   * Which entities' sessions the caller may read: all (platform, auditors,
   * services); those of the candidates the policy allows one by one when
   * its answer is conditional (owners and leads: possibly none of them); or
   * none at all (denied).
   */
  async readableEntities(
    credentials: BackstageCredentials,
    candidates: () => Promise<string[]>,
  ): Promise<'all' | 'none' | string[]> {
    const [overall] = await this.permissions.authorizeConditional(
      [{ permission: terminalSessionsReadPermission }],
      { credentials },
    );
    if (overall.result === AuthorizeResult.ALLOW) return 'all';
    if (overall.result === AuthorizeResult.DENY) return 'none';
    const refs = await candidates();
    if (refs.length === 0) return [];
    const decisions = await this.permissions.authorize(
      refs.map(resourceRef => ({
        permission: terminalSessionsReadPermission,
        resourceRef,
      })),
      { credentials },
    );
    return refs.filter(
      (_ref, i) => decisions[i].result === AuthorizeResult.ALLOW,
    );
  }
}
