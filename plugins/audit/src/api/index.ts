export { auditApiRef } from './AuditApi';
export type { AuditApi, AuditExportFile } from './AuditApi';
export { AuditClient } from './AuditClient';
