import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AuditQuery,
  auditEntityEventsReadPermission,
  auditEventsReadPermission,
  auditExportPermission,
} from '@fincloud/plugin-audit-common';

/**
 * The authorization rules of the audit API, in one place.
 *
 * - Any query: `audit.events.read`.
 * - Otherwise a query naming an `entityRef`: `audit.entity.read` on that
 *   entity (a catalog-entity resource permission, so the policy can answer
 *   "owners of the entity").
 * - Export: `audit.events.export`. Verify: `audit.events.read`.
 */
export class AuditAccess {
  constructor(private readonly permissions: PermissionsService) {}

  async authorizeQuery(
    credentials: BackstageCredentials,
    query: Pick<AuditQuery, 'entityRef'>,
  ): Promise<'all' | 'entity'> {
    const [all] = await this.permissions.authorize(
      [{ permission: auditEventsReadPermission }],
      { credentials },
    );
    if (all.result === AuthorizeResult.ALLOW) return 'all';
    if (!query.entityRef) {
      throw new NotAllowedError(
        'Reading all audit events needs audit.events.read; name an entityRef to read the events of an entity you own',
      );
    }
    const [entity] = await this.permissions.authorize(
      [
        {
          permission: auditEntityEventsReadPermission,
          resourceRef: query.entityRef,
        },
      ],
      { credentials },
    );
    if (entity.result === AuthorizeResult.ALLOW) return 'entity';
    throw new NotAllowedError(
      `You may not read the audit events of ${query.entityRef}`,
    );
  }

  async authorizeVerify(credentials: BackstageCredentials): Promise<void> {
    const [d] = await this.permissions.authorize(
      [{ permission: auditEventsReadPermission }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'Verifying the audit chain needs audit.events.read',
      );
    }
  }

  async authorizeExport(credentials: BackstageCredentials): Promise<void> {
    const [d] = await this.permissions.authorize(
      [{ permission: auditExportPermission }],
      { credentials },
    );
    if (d.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'Exporting audit events needs audit.events.export',
      );
    }
  }
}
