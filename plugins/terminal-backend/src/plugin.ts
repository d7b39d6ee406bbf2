import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { fincloudClustersServiceRef } from '@fincloud/plugin-fincloud-node';
import { terminalPermissions } from '@fincloud/plugin-terminal-common';
import { readTerminalConfig } from './config';
import { DatabaseTerminalStore } from './database/DatabaseTerminalStore';
import { DatabaseRecordingStore } from './recording/RecordingStore';
import { createRouter } from './router';
import { AuthorizedTerminalService } from './service/AuthorizedTerminalService';
import { DefaultTerminalService } from './service/DefaultTerminalService';
import { KubeGateway } from './service/KubeGateway';
import { TerminalAccess } from './service/TerminalAccess';
import { scheduleReaper } from './tasks/reaper';
import { SessionRegistry } from './ws/SessionRegistry';
import { TerminalSocketServer } from './ws/TerminalSocketServer';

/**
 * The terminal backend: `/api/terminal` (pods, policy, dry check, sessions,
 * recordings, command logs, terminate) and the WebSocket `/api/terminal/ws`.
 *
 * @public
 */
export const terminalPlugin = createBackendPlugin({
  pluginId: 'terminal',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        discovery: coreServices.discovery,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        clusters: fincloudClustersServiceRef,
      },
      async init(deps) {
        const { logger, httpRouter, httpAuth, auditor, catalog, clusters } =
          deps;
        const config = readTerminalConfig(deps.config);
        deps.permissionsRegistry.addPermissions(terminalPermissions);
        const store = await DatabaseTerminalStore.create({
          database: deps.database,
        });
        const recordings = new DatabaseRecordingStore(store.knex);
        const gateway = new KubeGateway(clusters, logger);
        const access = new TerminalAccess(deps.permissions);
        const registry = new SessionRegistry(
          `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
          store,
          logger,
          config.heartbeatMs,
        );
        registry.start();
        const sessionDeps = {
          config,
          store,
          recordings,
          gateway,
          access,
          auditor,
          catalog,
          clusters,
          registry,
          logger,
        };
        const sockets = new TerminalSocketServer({
          ...sessionDeps,
          httpAuth,
          discovery: deps.discovery,
        });
        const service = new AuthorizedTerminalService(
          new DefaultTerminalService(sessionDeps),
          access,
        );
        httpRouter.use(
          await createRouter({
            service,
            httpAuth,
            auditor,
            logger,
            upgradeMiddleware: sockets.middleware(),
          }),
        );
        // The browser authenticates the WebSocket with its token in the
        // sub-protocol header, which Backstage's HTTP auth does not read:
        // the socket server checks it itself (close 4401 without one).
        httpRouter.addAuthPolicy({ path: '/ws', allow: 'unauthenticated' });
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        deps.lifecycle.addStartupHook(async () => {
          // The socket server learns the HTTP server from a request through
          // the router: make one now, before another plugin may add an
          // upgrade listener (after which upgrades bypass Express).
          try {
            const base = await deps.discovery.getBaseUrl('terminal');
            await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
          } catch (error) {
            logger.debug(`terminal: self-check request failed: ${error}`);
          }
        });
        deps.lifecycle.addShutdownHook(() => sockets.close());
        await scheduleReaper({
          scheduler: deps.scheduler,
          store,
          auditor,
          logger,
          staleAfterMs: registry.heartbeatMs * 12,
        });
      },
    });
  },
});
