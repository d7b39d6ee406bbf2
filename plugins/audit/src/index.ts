/**
 * The fincloud audit explorer: the audit trail page (filters, verification
 * badge, export) and each entity's Audit tab and card. Legacy exports here;
 * the New Frontend System plugin is the default export of `./alpha`.
 *
 * @packageDocumentation
 */
export {
  auditPlugin,
  AuditPage,
  EntityAuditContent,
  EntityAuditCard,
} from './plugin';
export { rootRouteRef } from './routes';
export { auditApiRef, AuditClient } from './api';
export type { AuditApi, AuditExportFile } from './api';
export { isAuditableEntity } from './components/format';
