import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { fincloudClustersServiceRef } from '@fincloud/plugin-fincloud-node';
import { releasesPermissions } from '@fincloud/plugin-releases-common';
import { ReleaseCluster } from './cluster/ReleaseCluster';
import { readReleasesConfig } from './config';
import { DatabaseReleaseStore } from './database/DatabaseReleaseStore';
import { releasesMetricsExtensionPoint } from './extensions';
import { MetricsProvider } from './metrics/MetricsProvider';
import { PrometheusMetricsProvider } from './metrics/PrometheusMetricsProvider';
import { createRouter } from './router';
import { AuthorizedReleaseService } from './service/AuthorizedReleaseService';
import { DefaultReleaseService } from './service/DefaultReleaseService';
import { ReleaseEngine } from './service/ReleaseEngine';
import { ReleaseController } from './tasks/ReleaseController';

/**
 * fincloud releases: `/api/releases` and the release controller.
 *
 * @public
 */
export const releasesPlugin = createBackendPlugin({
  pluginId: 'releases',
  register(env) {
    let metricsProvider: MetricsProvider | undefined;
    env.registerExtensionPoint(releasesMetricsExtensionPoint, {
      setMetricsProvider(provider) {
        if (metricsProvider) {
          throw new Error('a releases metrics provider is already set');
        }
        metricsProvider = provider;
      },
    });
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
        database: coreServices.database,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        clusters: fincloudClustersServiceRef,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const config = readReleasesConfig(deps.config);
        deps.permissionsRegistry.addPermissions(releasesPermissions);
        const store = await DatabaseReleaseStore.create({
          database: deps.database,
        });
        const metrics =
          metricsProvider ??
          (config.analysis.prometheusUrl ||
          Object.keys(config.analysis.prometheusByCluster).length
            ? new PrometheusMetricsProvider({
                default: config.analysis.prometheusUrl,
                byCluster: config.analysis.prometheusByCluster,
              })
            : undefined);
        if (!metrics) {
          deps.logger.warn(
            'No Prometheus for metric gates (fincloud.releases.analysis.prometheusUrl): steps with analysis will pause as inconclusive',
          );
        }
        const engine = new ReleaseEngine({
          store,
          cluster: new ReleaseCluster(name =>
            deps.clusters.getKubeConfig(name),
          ),
          config,
          logger: deps.logger,
          auditor: deps.auditor,
          signals: deps.signals,
          metrics,
          instanceId: `${hostname()}-${process.pid}-${randomUUID().slice(
            0,
            8,
          )}`,
        });
        const service = new AuthorizedReleaseService(
          new DefaultReleaseService({
            engine,
            clusters: deps.clusters,
            config,
            logger: deps.logger,
            metrics,
          }),
          deps.permissions,
          deps.catalog,
        );
        deps.httpRouter.use(
          await createRouter({
            service,
            httpAuth: deps.httpAuth,
            auditor: deps.auditor,
          }),
        );
        const controller = new ReleaseController(
          engine,
          deps.logger,
          config.controller.concurrency,
        );
        await deps.scheduler.scheduleTask({
          id: 'releases-controller',
          frequency: { seconds: config.controller.intervalSeconds },
          timeout: { minutes: 5 },
          scope: 'global',
          fn: async () => {
            const stats = await controller.tick();
            if (stats.releases > 0) {
              deps.logger.debug(
                `Release controller: ${stats.releases} releases, ${
                  stats.changed
                } changed, ${stats.errors} errors in ${Math.round(
                  stats.durationMs,
                )} ms`,
              );
            }
          },
        });
      },
    });
  },
});
