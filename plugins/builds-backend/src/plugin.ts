import path from 'node:path';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { buildsPermissions } from '@fincloud/plugin-builds-common';
import { fincloudClustersServiceRef } from '@fincloud/plugin-fincloud-node';
import { readBuildsConfig } from './config';
import { BuildController } from './controller/BuildController';
import { SignalsBuildEvents } from './controller/BuildEvents';
import { DatabaseBuildsStore } from './database/DatabaseBuildsStore';
import { ClusterClientCache } from './kubernetes/clusterClients';
import { FilesystemLogObjectStore } from './logs/LogObjectStore';
import { buildsRepoReaderServiceRef } from './repo/BuildsRepoReader';
import { createRouter } from './router';
import { AuthorizedBuildsService } from './service/AuthorizedBuildsService';
import { DefaultBuildsService } from './service/DefaultBuildsService';

/**
 * The builds backend plugin: `/api/builds`, the build controller (a global
 * scheduled task) and the log followers.
 *
 * @public
 */
export const buildsPlugin = createBackendPlugin({
  pluginId: 'builds',
  register(env) {
    env.registerInit({
      deps: {
        rootConfig: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        signals: signalsServiceRef,
        clusters: fincloudClustersServiceRef,
        repoReader: buildsRepoReaderServiceRef,
      },
      async init(deps) {
        const { logger } = deps;
        const config = readBuildsConfig(deps.rootConfig);
        deps.permissionsRegistry.addPermissions(buildsPermissions);

        const store = await DatabaseBuildsStore.create({
          database: deps.database,
          objectStore:
            config.logs.store === 'filesystem'
              ? new FilesystemLogObjectStore(
                  path.resolve(config.logs.directory),
                )
              : undefined,
        });
        const events = new SignalsBuildEvents(deps.signals);
        const controller = new BuildController({
          store,
          clients: new ClusterClientCache(deps.clusters),
          config,
          logger,
          events,
          auditor: deps.auditor,
        });
        const service = new AuthorizedBuildsService(
          new DefaultBuildsService({
            store,
            config,
            catalog: deps.catalog,
            auth: deps.auth,
            clusters: deps.clusters,
            repoReader: deps.repoReader,
            controller,
            events,
            logger,
          }),
          deps.permissions,
        );

        deps.httpRouter.use(
          await createRouter({
            service,
            httpAuth: deps.httpAuth,
            auditor: deps.auditor,
            logger,
          }),
        );

        await deps.scheduler.scheduleTask({
          id: 'builds-controller',
          frequency: { milliseconds: config.controller.intervalMs },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 1 },
          scope: 'global',
          fn: () => controller.reconcileAll(),
        });
        deps.lifecycle.addShutdownHook(() => controller.stop());
        logger.info(
          `builds: Jobs in namespace ${config.namespace}, builder ${config.builder}, logs in the ${config.logs.store}`,
        );
      },
    });
  },
});
