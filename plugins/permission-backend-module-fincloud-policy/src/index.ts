/**
 * The fincloud permission policy module.
 *
 * @packageDocumentation
 */
export { permissionModuleFincloudPolicy as default } from './module';
export { FincloudPermissionPolicy } from './policy';
