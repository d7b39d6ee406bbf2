import { resolve } from 'node:path';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { auditStoreServiceRef } from '@fincloud/plugin-audit-node';
import { fincloudClustersServiceRef } from '@fincloud/plugin-fincloud-node';
import { monitoringPermissions } from '@fincloud/plugin-monitoring-common';
import { PrometheusClient } from './clients/PrometheusClient';
import { readMonitoringConfig } from './config/readConfig';
import { createRouter } from './router';
import { AuthorizedMonitoringService } from './service/AuthorizedMonitoringService';
import { DefaultMonitoringService } from './service/DefaultMonitoringService';
import { PrometheusRuleStore } from './service/PrometheusRuleStore';
import { syncRules } from './tasks/ruleSync';

/**
 * The monitoring backend plugin: `/api/monitoring` (dashboards, alerts,
 * silences, alert rules, the alert center, the noise report) and, in
 * development, the rule-file sync for the simulator's Prometheus.
 *
 * @public
 */
export const monitoringPlugin = createBackendPlugin({
  pluginId: 'monitoring',
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
        catalog: catalogServiceRef,
        clusters: fincloudClustersServiceRef,
        auditStore: auditStoreServiceRef,
      },
      async init(deps) {
        const { config, logger, clusters } = deps;
        const monitoring = readMonitoringConfig(config);
        deps.permissionsRegistry.addPermissions(monitoringPermissions);
        if (monitoring.prometheus.length === 0) {
          logger.warn(
            'fincloud.monitoring.prometheus is empty: dashboards will say that no Prometheus is configured',
          );
        }
        const service = new DefaultMonitoringService({
          config: monitoring,
          catalog: deps.catalog,
          clusters,
          auditStore: deps.auditStore,
          logger,
        });
        deps.httpRouter.use(
          await createRouter({
            service: new AuthorizedMonitoringService(service, deps.permissions),
            httpAuth: deps.httpAuth,
            auditor: deps.auditor,
          }),
        );

        const sync = monitoring.ruleSync;
        if (sync) {
          const prometheus = new PrometheusClient(
            monitoring.prometheus.find(p => p.name === sync.prometheus)!,
          );
          const directory = resolve(sync.directory);
          const store = new PrometheusRuleStore(clusters);
          const state = { reloadPending: false };
          // Say it once when the sync starts failing (simulator or
          // Prometheus not running), not every few seconds.
          let lastError: string | undefined;
          logger.info(
            `Development rule sync on: PrometheusRules → ${directory} every ${sync.intervalSeconds} s`,
          );
          await deps.scheduler.scheduleTask({
            id: 'monitoring-rule-sync',
            frequency: { seconds: sync.intervalSeconds },
            timeout: { seconds: 60 },
            initialDelay: { seconds: 1 },
            scope: 'global',
            fn: async () => {
              try {
                await syncRules({
                  store,
                  clusters:
                    sync.clusters ?? clusters.listClusters().map(c => c.name),
                  directory,
                  prometheus,
                  logger,
                  state,
                  quiet: lastError !== undefined,
                });
                if (lastError && !state.reloadPending) {
                  logger.info('Rule sync works again');
                  lastError = undefined;
                } else if (state.reloadPending) {
                  lastError ??= 'reload';
                }
              } catch (error) {
                const message = (error as Error).message;
                if (message !== lastError) {
                  logger.warn(`Rule sync failed: ${message}`);
                }
                lastError = message;
              }
            },
          });
        }
      },
    });
  },
});
