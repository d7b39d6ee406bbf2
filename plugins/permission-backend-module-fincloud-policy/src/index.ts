/**
 * The fincloud permission policy module: decides every permission from the
 * catalog roles and the permission table (rules.ts), deny by default.
 *
 * @packageDocumentation
 */
export { permissionModuleFincloudPolicy as default } from './module';
export { FincloudPermissionPolicy } from './policy';
export type { FincloudPermissionPolicyOptions, TeamLeadLookup } from './policy';
export { TeamLeadDirectory } from './teamLeads';
export type { TeamLeadDirectoryOptions } from './teamLeads';
export { readPolicyOptions } from './config';
export type { FincloudPolicyOptions } from './config';
export { PERMISSION_RULES, CATALOG_ENTITY } from './rules';
export type {
  PermissionRule,
  BasicPermissionRule,
  EntityPermissionRule,
} from './rules';
export { renderPermissionTable } from './permissionTable';
