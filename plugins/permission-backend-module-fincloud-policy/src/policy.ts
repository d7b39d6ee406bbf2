import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';

/**
 * Permissions any signed-in user holds: reading the catalog and the cluster
 * views of Backstage's own plugins. Everything else is denied until a rule
 * names it: deny by default.
 */
export const READ_FOR_SIGNED_IN_USERS: ReadonlySet<string> = new Set([
  'catalog.entity.read',
  'catalog.location.read',
  'kubernetes.clusters.read',
  'kubernetes.resources.read',
]);

/**
 * The fincloud policy. Deny by default: a permission it does not name is
 * refused, and so is any request without a signed-in user.
 *
 * @public
 */
export class FincloudPermissionPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (user && READ_FOR_SIGNED_IN_USERS.has(request.permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}
