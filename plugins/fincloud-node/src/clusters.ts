import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  FINCLOUD_ANNOTATIONS,
  getWorkloadTarget,
} from '@fincloud/plugin-fincloud-common';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A configured cluster, as plugins may show it: never its credentials.
 *
 * @public
 */
export interface FincloudCluster {
  name: string;
  url: string;
  /** Namespaces fincloud may act in; undefined means all. */
  namespaces?: string[];
}

/**
 * Where a catalog entity's workload runs, resolved against the configuration.
 *
 * @public
 */
export interface ResolvedWorkload {
  cluster: FincloudCluster;
  namespace: string;
  /** Deployment name and `app` label value. */
  workload: string;
}

/**
 * The one way fincloud's backend plugins reach Kubernetes clusters.
 *
 * @public
 */
export interface FincloudClustersService {
  /** The configured clusters (no credentials). */
  listClusters(): FincloudCluster[];
  /** A client-node KubeConfig for a cluster; NotFoundError for a name that is not configured. */
  getKubeConfig(name: string): KubeConfig;
  /**
   * The entity's workload on one of its clusters (`options.cluster`, else the
   * first the `fincloud.io/cluster` annotation names). InputError when the
   * annotations are missing or name a cluster that is not configured;
   * NotAllowedError when the namespace is outside the cluster's allow-list.
   */
  resolveWorkload(
    entity: Entity,
    options?: { cluster?: string },
  ): ResolvedWorkload;
  /** The entity's workload on every cluster its annotation names. */
  resolveWorkloads(entity: Entity): ResolvedWorkload[];
}

interface ClusterConfig extends FincloudCluster {
  serviceAccountToken: string;
  caData?: string;
  skipTLSVerify: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads `fincloud.clusters` and hands out KubeConfigs. Configuration errors
 * stop the backend at start with the key at fault; tokens never appear in
 * errors or logs.
 *
 * @public
 */
export class ConfigFincloudClusters implements FincloudClustersService {
  private constructor(
    private readonly clusters: Map<string, ClusterConfig>,
    private readonly logger?: LoggerService,
  ) {}

  static fromConfig(
    config: Config,
    options: { logger?: LoggerService } = {},
  ): ConfigFincloudClusters {
    const clusters = new Map<string, ClusterConfig>();
    const entries = config.getOptionalConfigArray('fincloud.clusters') ?? [];
    entries.forEach((entry, index) => {
      const key = `fincloud.clusters[${index}]`;
      const name = entry.getString('name');
      if (!NAME.test(name)) {
        throw new InputError(
          `${key}.name "${name}" must be lowercase letters, digits and '-'`,
        );
      }
      if (clusters.has(name)) {
        throw new InputError(
          `${key}.name "${name}" is configured twice; cluster names must be unique`,
        );
      }
      const url = entry.getString('url');
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new InputError(`${key}.url is not a URL`);
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        throw new InputError(
          `${key}.url must be an https:// (or, for development, http://) URL`,
        );
      }
      const skipTLSVerify = entry.getOptionalBoolean('skipTLSVerify') ?? false;
      if (parsed.protocol === 'http:' && !skipTLSVerify) {
        throw new InputError(
          `${key}.url is plain http://; set ${key}.skipTLSVerify: true (development clusters such as the simulator only)`,
        );
      }
      const serviceAccountToken = entry.getString('serviceAccountToken');
      if (!serviceAccountToken.trim()) {
        throw new InputError(`${key}.serviceAccountToken is empty`);
      }
      const namespaces = entry.getOptionalStringArray('namespaces');
      clusters.set(name, {
        name,
        url: url.replace(/\/+$/, ''),
        serviceAccountToken,
        caData: entry.getOptionalString('caData'),
        skipTLSVerify,
        namespaces,
      });
    });
    options.logger?.info(
      `fincloud clusters: ${
        [...clusters.values()].map(c => `${c.name} (${c.url})`).join(', ') ||
        'none configured'
      }`,
    );
    return new ConfigFincloudClusters(clusters, options.logger);
  }

  listClusters(): FincloudCluster[] {
    return [...this.clusters.values()].map(({ name, url, namespaces }) => ({
      name,
      url,
      ...(namespaces ? { namespaces: [...namespaces] } : {}),
    }));
  }

  private cluster(name: string): ClusterConfig {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new NotFoundError(`No cluster "${name}" in fincloud.clusters`);
    }
    return cluster;
  }

  getKubeConfig(name: string): KubeConfig {
    const cluster = this.cluster(name);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: cluster.name,
          server: cluster.url,
          skipTLSVerify: cluster.skipTLSVerify,
          ...(cluster.caData ? { caData: cluster.caData } : {}),
        },
      ],
      users: [
        {
          name: `fincloud@${cluster.name}`,
          token: cluster.serviceAccountToken,
        },
      ],
      contexts: [
        {
          name: cluster.name,
          cluster: cluster.name,
          user: `fincloud@${cluster.name}`,
        },
      ],
      currentContext: cluster.name,
    });
    this.logger?.debug(`KubeConfig for cluster ${cluster.name}`);
    return kc;
  }

  resolveWorkloads(entity: Entity): ResolvedWorkload[] {
    const target = this.target(entity);
    return target.clusters.map(name => this.resolveOn(entity, target, name));
  }

  resolveWorkload(
    entity: Entity,
    options: { cluster?: string } = {},
  ): ResolvedWorkload {
    const target = this.target(entity);
    const name = options.cluster ?? target.clusters[0];
    if (!target.clusters.includes(name)) {
      throw new InputError(
        `${stringifyEntityRef(entity)} does not run in cluster "${name}"; its ${
          FINCLOUD_ANNOTATIONS.cluster
        } annotation names ${target.clusters.map(c => `"${c}"`).join(', ')}`,
      );
    }
    return this.resolveOn(entity, target, name);
  }

  private target(entity: Entity) {
    const target = getWorkloadTarget(entity);
    if (!target) {
      throw new InputError(
        `${stringifyEntityRef(entity)} needs the ${
          FINCLOUD_ANNOTATIONS.cluster
        } and ${FINCLOUD_ANNOTATIONS.namespace} annotations`,
      );
    }
    return target;
  }

  private resolveOn(
    entity: Entity,
    target: { namespace: string; workload: string },
    name: string,
  ): ResolvedWorkload {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      throw new InputError(
        `${stringifyEntityRef(entity)} names cluster "${name}" in ${
          FINCLOUD_ANNOTATIONS.cluster
        }, but fincloud.clusters has no such cluster (configured: ${
          [...this.clusters.keys()].map(c => `"${c}"`).join(', ') || 'none'
        })`,
      );
    }
    if (cluster.namespaces && !cluster.namespaces.includes(target.namespace)) {
      throw new NotAllowedError(
        `fincloud may not act in namespace "${
          target.namespace
        }" of cluster "${name}" (allowed: ${cluster.namespaces.join(', ')})`,
      );
    }
    const {
      serviceAccountToken: _t,
      caData: _c,
      skipTLSVerify: _s,
      ...visible
    } = cluster;
    return {
      cluster: visible,
      namespace: target.namespace,
      workload: target.workload,
    };
  }
}

/**
 * The configured clusters, as a root service: `deps: { clusters: fincloudClustersServiceRef }`.
 *
 * @public
 */
export const fincloudClustersServiceRef =
  createServiceRef<FincloudClustersService>({
    id: 'fincloud.clusters',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {
          config: coreServices.rootConfig,
          logger: coreServices.rootLogger,
        },
        factory: ({ config, logger }) =>
          ConfigFincloudClusters.fromConfig(config, { logger }),
      }),
  });
