import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { readPolicyOptions } from './config';
import { FincloudPermissionPolicy } from './policy';
import { TeamLeadDirectory } from './teamLeads';

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
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        userInfo: coreServices.userInfo,
        catalog: catalogServiceRef,
      },
      async init({ policy, config, logger, auth, userInfo, catalog }) {
        const options = readPolicyOptions(config);
        const teamLeads = new TeamLeadDirectory({
          catalog,
          auth,
          logger,
          cacheTtlMs: options.teamLeadCacheTtlMs,
        });
        policy.setPolicy(
          new FincloudPermissionPolicy({
            ...options,
            userInfo,
            teamLeads,
            logger,
          }),
        );
        logger.info(
          `fincloud policy: platform role ${options.platformGroup}, auditor role ${options.auditGroup}`,
        );
      },
    });
  },
});
