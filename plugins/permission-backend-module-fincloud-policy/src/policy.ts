import { LoggerService, UserInfoService } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { FincloudPolicyOptions } from './config';
import { CATALOG_ENTITY, PERMISSION_RULES, PermissionRule } from './rules';

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

/** Which groups a user leads; see TeamLeadDirectory. @public */
export interface TeamLeadLookup {
  groupsLedBy(userEntityRef: string): Promise<string[]>;
}

/** @public */
export interface FincloudPermissionPolicyOptions extends FincloudPolicyOptions {
  userInfo: Pick<UserInfoService, 'getUserInfo'>;
  teamLeads: TeamLeadLookup;
  logger: LoggerService;
  /** The permission table; tests pass their own. Defaults to PERMISSION_RULES. */
  rules?: Readonly<Record<string, PermissionRule>>;
}

/**
 * Does the permission have the shape its row expects? A basic row never
 * decides a resource permission of the same name, and vice versa: a mismatch
 * means somebody defined a permission the table does not describe.
 */
function matchesRow(permission: Permission, rule: PermissionRule): boolean {
  if (rule.resourceType === undefined) {
    return permission.type === 'basic';
  }
  return isResourcePermission(permission, rule.resourceType);
}

/**
 * The fincloud policy: every decision comes from the permission table
 * (rules.ts) and the user's catalog roles. Deny by default: no user, no row,
 * or a row that does not match the permission's shape is DENY.
 *
 * Service-to-service calls never reach a policy: Backstage's permissions
 * service allows service principals (plugin tokens, external access tokens)
 * before asking the permission plugin.
 *
 * @public
 */
export class FincloudPermissionPolicy implements PermissionPolicy {
  private readonly options: FincloudPermissionPolicyOptions;
  private readonly rules: Readonly<Record<string, PermissionRule>>;

  constructor(options: FincloudPermissionPolicyOptions) {
    this.options = options;
    this.rules = options.rules ?? PERMISSION_RULES;
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const rule = Object.prototype.hasOwnProperty.call(
      this.rules,
      permission.name,
    )
      ? this.rules[permission.name]
      : undefined;
    if (!user || !rule || !matchesRow(permission, rule)) {
      return DENY;
    }

    let userEntityRef: string;
    let ownership: string[];
    try {
      const info = await this.options.userInfo.getUserInfo(user.credentials);
      userEntityRef = info.userEntityRef;
      ownership = info.ownershipEntityRefs;
    } catch (error) {
      this.options.logger.warn(
        `Denied ${permission.name}: the user's identity could not be read: ${error}`,
      );
      return DENY;
    }

    // Entity refs compare case-insensitively; the claims below keep the
    // catalog's spelling because ownedBy relations compare exactly.
    const memberOf = new Set(
      ownership.map(ref => ref.toLocaleLowerCase('en-US')),
    );
    const isPlatform = memberOf.has(this.options.platformGroup);
    const isAuditor = memberOf.has(this.options.auditGroup);
    if (
      rule.reader === 'allow' ||
      (isPlatform && rule.platform === 'allow') ||
      (isAuditor && rule.auditor === 'allow')
    ) {
      return ALLOW;
    }
    // Auditors are read-only everywhere: owning or leading something gives
    // them nothing the auditor column does not.
    if (isAuditor && !isPlatform) {
      return DENY;
    }
    if (
      rule.resourceType !== CATALOG_ENTITY ||
      !isResourcePermission(permission, CATALOG_ENTITY)
    ) {
      return DENY;
    }

    const conditions: PermissionCriteria<
      PermissionCondition<'catalog-entity'>
    >[] = [];
    if (rule.developer === 'owner' && ownership.length > 0) {
      conditions.push(catalogConditions.isEntityOwner({ claims: ownership }));
    }
    if (rule.teamLead === 'lead') {
      const led = await this.groupsLedBy(userEntityRef, permission.name);
      if (led.length > 0) {
        conditions.push(catalogConditions.isEntityOwner({ claims: led }));
      }
    }
    const [first, ...more] = conditions;
    if (!first) {
      return DENY;
    }
    return createCatalogConditionalDecision(
      permission,
      more.length === 0 ? first : { anyOf: [first, ...more] },
    );
  }

  private async groupsLedBy(userEntityRef: string, why: string) {
    try {
      return await this.options.teamLeads.groupsLedBy(userEntityRef);
    } catch (error) {
      this.options.logger.warn(
        `Team leads unknown while deciding ${why} for ${userEntityRef}; no lead rights: ${error}`,
      );
      return [];
    }
  }
}
