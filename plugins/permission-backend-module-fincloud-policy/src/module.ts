import { createBackendModule } from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { FincloudPermissionPolicy } from './policy';

/**
 * Installs the fincloud permission policy in the permission plugin.
 *
 * @public
 */
export const permissionModuleFincloudPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'fincloud-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new FincloudPermissionPolicy());
      },
    });
  },
});
