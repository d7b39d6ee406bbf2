import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { auditPermissions } from '@fincloud/plugin-audit-common';
import { auditStoreServiceRef } from '@fincloud/plugin-audit-node';
import { createRouter } from './router';
import { AuditAccess } from './service/AuditAccess';
import { VerifyCache } from './service/VerifyCache';
import { scheduleAuditTasks } from './tasks/tasks';

/**
 * The audit backend plugin: `/api/audit/events`, `/events/export`,
 * `/verify`, and the retention, checkpoint and verify tasks.
 *
 * @public
 */
export const auditPlugin = createBackendPlugin({
  pluginId: 'audit',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        store: auditStoreServiceRef,
      },
      async init(deps) {
        const { config, logger, httpRouter, httpAuth, permissions } = deps;
        deps.permissionsRegistry.addPermissions(auditPermissions);
        const verifyCache = new VerifyCache(
          deps.store,
          (config.getOptionalNumber('fincloud.audit.verifyCacheSeconds') ??
            30) * 1000,
        );
        httpRouter.use(
          await createRouter({
            store: deps.store,
            access: new AuditAccess(permissions),
            httpAuth,
            auditor: deps.auditor,
            logger,
            verifyCache,
          }),
        );
        await scheduleAuditTasks({
          store: deps.store,
          config,
          auditor: deps.auditor,
          logger,
          scheduler: deps.scheduler,
        });
      },
    });
  },
});
