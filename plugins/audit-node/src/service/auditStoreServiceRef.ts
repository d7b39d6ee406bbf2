import {
  LifecycleService,
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { AuditStore } from '../store/types';
import { DatabaseAuditStore } from '../store/DatabaseAuditStore';
import { readAuditStoreOptions } from './config';

/**
 * The audit store, one per backend process: the auditor of every plugin
 * writes to it, the audit backend reads, verifies and exports from it. It
 * uses the `audit` plugin's database (`backstage_plugin_audit` on
 * Postgres), through its own connection pool.
 *
 * @public
 */
export const auditStoreServiceRef = createServiceRef<AuditStore>({
  id: 'fincloud.audit.store',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        rootLogger: coreServices.rootLogger,
        rootLifecycle: coreServices.rootLifecycle,
      },
      async factory({ config, rootLogger, rootLifecycle }) {
        const logger = rootLogger.child({
          plugin: 'audit',
          service: 'audit-store',
        });
        const lifecycle: LifecycleService = {
          addStartupHook: (hook, options) =>
            rootLifecycle.addStartupHook(hook, options),
          // The store closes the pool itself, after its last flush.
          addShutdownHook: () => {},
        };
        const database = DatabaseManager.fromConfig(config, {
          rootLogger,
        }).forPlugin('audit', { logger, lifecycle });
        const store = await DatabaseAuditStore.create({
          database,
          logger,
          ...readAuditStoreOptions(config),
        });
        rootLifecycle.addShutdownHook(async () => {
          await store.stop();
          const knex = await database.getClient();
          await knex.destroy().catch(() => {});
        });
        return store;
      },
    }),
});
