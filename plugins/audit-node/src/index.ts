/**
 * The fincloud audit store and the `coreServices.auditor` override that
 * persists every event to it.
 *
 * @packageDocumentation
 */
export * from './chain/canonical';
export * from './chain/redact';
export * from './chain/signer';
export * from './store/types';
export { prepareRecord, AUDIT_MAX_META_CHARS } from './store/prepare';
export {
  DatabaseAuditStore,
  AUDIT_UNAVAILABLE_MESSAGE,
  encodeCursor,
  decodeCursor,
} from './store/DatabaseAuditStore';
export type { DatabaseAuditStoreOptions } from './store/DatabaseAuditStore';
export {
  verifyAuditTrail,
  verifyChain,
  AUDIT_PARALLEL_VERIFY_MIN_RECORDS,
} from './store/verify';
export type { VerifyRow } from './store/verify';
export { auditStoreServiceRef } from './service/auditStoreServiceRef';
export {
  fincloudAuditorServiceFactory,
  FincloudAuditorService,
} from './service/fincloudAuditorServiceFactory';
export {
  readAuditStoreOptions,
  readCheckpointSigner,
  DEVELOPMENT_AUDIT_HMAC_KEY,
} from './service/config';
export {
  AUDIT_CSV_COLUMNS,
  auditCsvHeader,
  auditItemToCsv,
  auditItemToJsonl,
  readAuditExportFile,
  verifyAuditExport,
} from './export/format';
export type { AuditExportVerifyResult } from './export/format';
