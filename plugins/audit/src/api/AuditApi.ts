import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  AuditExportFormat,
  AuditPage,
  AuditQuery,
  AuditVerifyResult,
} from '@fincloud/plugin-audit-common';

/** An exported file, ready to be saved. @public */
export interface AuditExportFile {
  blob: Blob;
  filename: string;
}

/**
 * The audit trail as the explorer sees it (`/api/audit`). The backend decides
 * who may call what; errors are `ResponseError`s carrying its message.
 *
 * @public
 */
export interface AuditApi {
  /** One page of events, newest first; pass `nextCursor` back as `cursor`. */
  listEvents(query: AuditQuery): Promise<AuditPage>;
  /** Walks the chain and the checkpoints. */
  verify(): Promise<AuditVerifyResult>;
  /** The events matching `query` (cursor and limit ignored) with the chain proof. */
  exportEvents(
    format: AuditExportFormat,
    query: AuditQuery,
  ): Promise<AuditExportFile>;
}

/** @public */
export const auditApiRef = createApiRef<AuditApi>({
  id: 'plugin.audit.service',
});
