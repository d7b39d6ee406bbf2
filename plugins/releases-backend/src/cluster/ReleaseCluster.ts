import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  KubeConfig,
  V1Deployment,
  V1Node,
  V1Service,
} from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { TrafficPolicy } from '@fincloud/plugin-releases-common';
import {
  PolicyInCluster,
  policyToCluster,
  rateLimitFilterName,
} from '../domain/trafficPolicy';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { applyProfile } from '../domain/scheduling';
import {
  HttpRoute,
  assertValidRoutes,
  weightsOfRoutes,
} from '../domain/routing';
import { DeploymentIntent, ReleaseIntent } from '../domain/types';
import {
  ENVOY_FILTER_VERSION,
  ISTIO_GROUP,
  ISTIO_VERSION,
  KubeClients,
  MANAGED_BY,
  RELEASE_ID_LABEL,
  canonical,
  makeClients,
  mergePatch,
  readOrUndefined,
  statusOf,
  strategicPatch,
} from './kube';

/** What one namespace of a cluster looks like to the controller, read once per tick. */
export interface NamespaceSnapshot {
  deployments: Map<string, V1Deployment>;
  virtualServices: Map<string, any>;
  destinationRules: Map<string, any>;
}

/** The VirtualService is not what fincloud last applied: somebody edited it. */
export class DriftError extends Error {
  constructor(readonly details: string) {
    super(details);
    this.name = 'DriftError';
  }
}

/** The result of applying an intent. */
export interface ApplyResult {
  /** Everything is applied; false while the controller waits for pods before moving traffic. */
  complete: boolean;
  waitingFor?: string;
  /** The VirtualService `spec.http` now in the cluster (for drift detection). */
  http?: HttpRoute[];
}

/** The stable Deployment of a workload, as a release starts from it. */
export interface StableWorkload {
  deployment: string;
  version: string;
  container: string;
  image: string;
  replicas: number;
  tolerations: any[];
}

const PLURAL_VS = 'virtualservices';
const PLURAL_DR = 'destinationrules';

/** Pods of a Deployment that can take traffic now (a scale-up keeps the ones it had). */
function available(d: V1Deployment | undefined): number {
  return d?.status?.availableReplicas ?? 0;
}

/** All replicas of the intent are updated and available. */
export function deploymentReady(
  d: V1Deployment | undefined,
  replicas: number,
): boolean {
  if (!d) return replicas === 0;
  const status = d.status ?? {};
  const observed =
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  if (!observed) return false;
  if ((d.spec?.replicas ?? 1) !== replicas) return false;
  if (replicas === 0) return true;
  return (
    (status.updatedReplicas ?? 0) >= replicas &&
    (status.availableReplicas ?? 0) >= replicas &&
    (status.replicas ?? 0) === replicas
  );
}

/** The rollout failure Kubernetes reports (`ProgressDeadlineExceeded`), if any. */
export function rolloutFailure(
  d: V1Deployment | undefined,
): string | undefined {
  const condition = d?.status?.conditions?.find(
    c => c.type === 'Progressing' && c.status === 'False',
  );
  if (condition?.reason === 'ProgressDeadlineExceeded') {
    return `${d!.metadata?.name}: ${condition.message ?? condition.reason}`;
  }
  return undefined;
}

function mainContainer(d: V1Deployment, workload: string) {
  const containers = d.spec?.template?.spec?.containers ?? [];
  return containers.find(c => c.name === workload) ?? containers[0];
}

/**
 * Everything fincloud releases does to a cluster, through the real
 * Kubernetes client: read the stable workload, apply an intent
 * declaratively (create what is missing, patch what differs, with the
 * resourceVersion of what it read), and read namespaces for the controller.
 */
export class ReleaseCluster {
  private readonly clients = new Map<string, KubeClients>();

  constructor(private readonly kubeConfig: (cluster: string) => KubeConfig) {}

  clientsFor(cluster: string): KubeClients {
    let c = this.clients.get(cluster);
    if (!c) {
      c = makeClients(this.kubeConfig(cluster));
      this.clients.set(cluster, c);
    }
    return c;
  }

  /**
   * The Deployment serving a workload now: `preferred` when it exists with
   * replicas, else the Deployment labelled `app=<workload>` with the most
   * replicas.
   */
  async readStable(
    cluster: string,
    namespace: string,
    workload: string,
    preferred?: string,
  ): Promise<StableWorkload> {
    const { apps } = this.clientsFor(cluster);
    let d: V1Deployment | undefined;
    for (const name of [preferred, workload].filter(Boolean) as string[]) {
      d = await readOrUndefined(() =>
        apps.readNamespacedDeployment({ name, namespace }),
      );
      if (d && (d.spec?.replicas ?? 1) > 0) break;
      d = undefined;
    }
    if (!d) {
      const list = await apps.listNamespacedDeployment({
        namespace,
        labelSelector: `app=${workload}`,
      });
      d = [...list.items]
        .filter(x => (x.spec?.replicas ?? 1) > 0)
        .sort((a, b) => (b.spec?.replicas ?? 1) - (a.spec?.replicas ?? 1))[0];
    }
    if (!d) {
      throw new NotFoundError(
        `no running Deployment of workload "${workload}" in namespace "${namespace}"`,
      );
    }
    const container = mainContainer(d, workload);
    if (!container?.image) {
      throw new InputError(
        `Deployment ${d.metadata?.name} has no container image`,
      );
    }
    const version =
      d.spec?.template?.metadata?.labels?.version ??
      d.metadata?.labels?.version;
    return {
      deployment: d.metadata!.name!,
      version: version ?? 'unversioned',
      container: container.name,
      image: container.image,
      replicas: d.spec?.replicas ?? 1,
      tolerations: d.spec?.template?.spec?.tolerations ?? [],
    };
  }

  async listNodes(cluster: string): Promise<V1Node[]> {
    const { core } = this.clientsFor(cluster);
    return (await core.listNode()).items;
  }

  /** Refuses a VirtualService or DestinationRule fincloud did not create (it is somebody else's). */
  async assertRoutingIsOurs(cluster: string, namespace: string, name: string) {
    const { custom } = this.clientsFor(cluster);
    for (const plural of [PLURAL_VS, PLURAL_DR]) {
      const existing: any = await readOrUndefined(() =>
        custom.getNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural,
          name,
        }),
      );
      if (
        existing &&
        existing.metadata?.labels?.['app.kubernetes.io/managed-by'] !==
          MANAGED_BY['app.kubernetes.io/managed-by']
      ) {
        throw new ConflictError(
          `${
            plural === PLURAL_VS ? 'VirtualService' : 'DestinationRule'
          } ${namespace}/${name} exists and is not managed by fincloud releases; label it app.kubernetes.io/managed-by=fincloud-releases to hand it over`,
        );
      }
    }
  }

  async readVirtualService(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<any> {
    return readOrUndefined(() =>
      this.clientsFor(cluster).custom.getNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ISTIO_VERSION,
        namespace,
        plural: PLURAL_VS,
        name,
      }),
    );
  }

  async snapshot(
    cluster: string,
    namespace: string,
  ): Promise<NamespaceSnapshot> {
    const { apps, custom } = this.clientsFor(cluster);
    const listIstio = (plural: string) =>
      custom.listNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ISTIO_VERSION,
        namespace,
        plural,
      });
    const [deployments, vs, dr] = await Promise.all([
      apps.listNamespacedDeployment({ namespace }),
      listIstio(PLURAL_VS),
      listIstio(PLURAL_DR),
    ]);
    const byName = (list: any) =>
      new Map(
        ((list as any).items as any[]).map(v => [v.metadata.name, v] as const),
      );
    return {
      deployments: new Map(
        deployments.items.map(d => [d.metadata!.name!, d] as const),
      ),
      virtualServices: byName(vs),
      destinationRules: byName(dr),
    };
  }

  /**
   * Applies an intent. Order keeps traffic safe: Deployments scale up first;
   * traffic moves only to a subset whose pods are available (all of them
   * when it gets 100 %, at least one for a share); DestinationRule subsets
   * are added before the VirtualService routes to them and removed after;
   * Deployments scale down last.
   *
   * With `snapshot` (the controller's read of the namespace this tick) the
   * objects are taken from it instead of read one by one; every write still
   * carries the resourceVersion it was based on, so a stale snapshot ends in
   * a 409 and a retry, never in a lost update.
   */
  async apply(
    cluster: string,
    intent: ReleaseIntent,
    options: { expectedHttp?: HttpRoute[]; snapshot?: NamespaceSnapshot } = {},
  ): Promise<ApplyResult> {
    const clients = this.clientsFor(cluster);
    const { namespace } = intent;
    const { snapshot } = options;
    const live = new Map<string, V1Deployment | undefined>();
    const downs: DeploymentIntent[] = [];
    for (const d of intent.deployments) {
      const current = snapshot
        ? snapshot.deployments.get(d.name)
        : await readOrUndefined(() =>
            clients.apps.readNamespacedDeployment({ name: d.name, namespace }),
          );
      if (current && (current.spec?.replicas ?? 1) > d.replicas) {
        downs.push(d);
        live.set(d.name, current);
        continue;
      }
      live.set(
        d.name,
        await this.ensureDeployment(clients, namespace, d, current),
      );
    }

    if (intent.http && intent.subsets) {
      // Traffic moves only to pods that can take it.
      const weightTo = (subset: 'stable' | 'canary') =>
        Math.max(
          0,
          ...intent.http!.flatMap(r =>
            r.route
              .filter(x => x.destination.subset === subset)
              .map(x => x.weight),
          ),
        );
      const deploymentOf = (subset: 'stable' | 'canary') => {
        const version = intent.subsets![subset];
        return intent.deployments.find(d =>
          d.template
            ? d.template.version === version
            : intent.subsets!.stable === version && subset === 'stable',
        );
      };
      for (const subset of ['stable', 'canary'] as const) {
        const weight = weightTo(subset);
        const d = deploymentOf(subset);
        if (!d || weight === 0) continue;
        const need = weight >= 100 ? d.replicas : Math.min(1, d.replicas);
        const have = available(live.get(d.name));
        if (have < need) {
          return {
            complete: false,
            waitingFor: `${d.name}: ${have} of ${need} pod(s) available before ${weight} % of traffic moves to it`,
          };
        }
      }
      await this.ensurePreview(clients, intent);
      const drName = intent.host;
      const dr = await this.writeDestinationRule(
        clients,
        intent,
        drName,
        'union',
        snapshot
          ? { object: snapshot.destinationRules.get(drName) }
          : undefined,
      );
      const http = await this.writeVirtualService(
        clients,
        intent,
        options.expectedHttp,
        snapshot
          ? { object: snapshot.virtualServices.get(intent.host) }
          : undefined,
      );
      await this.writeDestinationRule(clients, intent, drName, 'exact', dr);
      for (const d of downs) {
        await this.ensureDeployment(clients, namespace, d, live.get(d.name));
      }
      return { complete: true, http };
    }
    for (const d of downs) {
      await this.ensureDeployment(clients, namespace, d, live.get(d.name));
    }
    return { complete: true };
  }

  private async ensureDeployment(
    clients: KubeClients,
    namespace: string,
    d: DeploymentIntent,
    found: V1Deployment | undefined,
  ): Promise<V1Deployment | undefined> {
    let current = found;
    if (!current) {
      if (!d.template) {
        if (d.replicas === 0) return undefined;
        throw new NotFoundError(`Deployment ${namespace}/${d.name} is missing`);
      }
      if (d.replicas === 0) return undefined; // nothing to scale down
      const source = await clients.apps.readNamespacedDeployment({
        name: d.template.from,
        namespace,
      });
      const body = versionDeployment(source, d, namespace);
      try {
        return await clients.apps.createNamespacedDeployment({
          namespace,
          body,
        });
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        current = await clients.apps.readNamespacedDeployment({
          name: d.name,
          namespace,
        });
      }
    }
    const patch: any = {};
    if ((current.spec?.replicas ?? 1) !== d.replicas) {
      patch.spec = { replicas: d.replicas };
    }
    const podSpec = current.spec?.template?.spec;
    if (d.image) {
      const container = podSpec?.containers.find(
        c => c.name === d.image!.container,
      );
      if (container && container.image !== d.image.image) {
        patch.spec = {
          ...(patch.spec ?? {}),
          template: {
            spec: {
              containers: [{ name: d.image.container, image: d.image.image }],
            },
          },
        };
      }
    }
    if (!patch.spec) return current;
    return clients.apps.patchNamespacedDeployment(
      { name: d.name, namespace, body: patch },
      strategicPatch(),
    );
  }

  private async ensurePreview(clients: KubeClients, intent: ReleaseIntent) {
    if (intent.previewService === undefined) return;
    const { namespace } = intent;
    if (intent.previewService === null) {
      const name = `${intent.host}-preview`;
      try {
        await clients.core.deleteNamespacedService({ name, namespace });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      return;
    }
    const { name, version } = intent.previewService;
    const existing = await readOrUndefined(() =>
      clients.core.readNamespacedService({ name, namespace }),
    );
    if (existing?.spec?.selector?.version === version) return;
    const main: V1Service = await clients.core.readNamespacedService({
      name: intent.host,
      namespace,
    });
    const selector = {
      ...(main.spec?.selector ?? {}),
      app: intent.workload,
      version,
    };
    if (existing) {
      await clients.core.patchNamespacedService(
        { name, namespace, body: { spec: { selector } } },
        mergePatch(),
      );
      return;
    }
    const body = new Service({
      metadata: {
        name,
        namespace,
        labels: {
          ...MANAGED_BY,
          app: intent.workload,
          [RELEASE_ID_LABEL]: intent.releaseId,
        },
        annotations: { 'fincloud.io/preview-of': intent.host },
      },
      spec: {
        selector,
        ports: (main.spec?.ports ?? []).map(p => ({
          ...(p.name ? { name: p.name } : {}),
          port: p.port,
          ...(p.targetPort !== undefined
            ? { targetPort: p.targetPort as any }
            : {}),
          ...(p.protocol ? { protocol: p.protocol as any } : {}),
        })),
      },
    });
    body.validate();
    try {
      await clients.core.createNamespacedService({
        namespace,
        body: body.toJSON() as any,
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
  }

  /** Writes the subsets (`union`: add, keep the others; `exact`: only the intent's); returns the object now in the cluster. */
  private async writeDestinationRule(
    clients: KubeClients,
    intent: ReleaseIntent,
    name: string,
    mode: 'union' | 'exact',
    known?: { object: any },
  ): Promise<{ object: any }> {
    const { namespace } = intent;
    const current: any = known
      ? known.object
      : await readOrUndefined(() =>
          clients.custom.getNamespacedCustomObject({
            group: ISTIO_GROUP,
            version: ISTIO_VERSION,
            namespace,
            plural: PLURAL_DR,
            name,
          }),
        );
    const liveSubsets: any[] = current?.spec?.subsets ?? [];
    const wanted = Object.entries(intent.subsets!).map(([subset, version]) => {
      const previous = liveSubsets.find(s => s.name === subset);
      return {
        name: subset,
        labels: { version: version! },
        // Traffic policies (circuit breaking) stay with their subset.
        ...(previous?.trafficPolicy
          ? { trafficPolicy: previous.trafficPolicy }
          : {}),
      };
    });
    const subsets =
      mode === 'exact'
        ? wanted
        : [
            ...wanted,
            ...liveSubsets.filter(s => !wanted.some(w => w.name === s.name)),
          ];
    const spec = {
      ...(current?.spec ?? {}),
      host: intent.host,
      subsets,
    };
    if (current && canonical(current.spec) === canonical(spec))
      return { object: current };
    const body = new DestinationRule({
      metadata: {
        name,
        namespace,
        labels: { ...(current?.metadata?.labels ?? {}), ...MANAGED_BY },
        ...(current
          ? { resourceVersion: current.metadata.resourceVersion }
          : {}),
      },
      spec,
    });
    body.validate();
    if (!current) {
      return {
        object: await clients.custom.createNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_DR,
          body: body.toJSON(),
        }),
      };
    }
    return {
      object: await clients.custom.replaceNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ISTIO_VERSION,
        namespace,
        plural: PLURAL_DR,
        name,
        body: body.toJSON(),
      }),
    };
  }

  private async writeVirtualService(
    clients: KubeClients,
    intent: ReleaseIntent,
    expectedHttp?: HttpRoute[],
    known?: { object: any },
  ): Promise<HttpRoute[]> {
    const { namespace, host } = intent;
    const http = intent.http!;
    assertValidRoutes(http, Object.keys(intent.subsets!));
    const read = () =>
      readOrUndefined<any>(() =>
        clients.custom.getNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_VS,
          name: host,
        }),
      );
    let current: any = known ? known.object : await read();
    if (
      known &&
      current &&
      expectedHttp &&
      canonical(current.spec?.http) !== canonical(expectedHttp)
    ) {
      // The snapshot may predate a write by another backend: read again
      // before calling it drift.
      current = await read();
    }
    if (
      current &&
      expectedHttp &&
      canonical(current.spec?.http) !== canonical(expectedHttp)
    ) {
      throw new DriftError(
        describeDrift(namespace, host, current.spec?.http, expectedHttp),
      );
    }
    const spec = { ...(current?.spec ?? {}), hosts: [host], http };
    if (current && canonical(current.spec) === canonical(spec))
      return current.spec.http;
    const body = new VirtualService({
      metadata: {
        name: host,
        namespace,
        labels: {
          ...(current?.metadata?.labels ?? {}),
          ...MANAGED_BY,
          [RELEASE_ID_LABEL]: intent.releaseId,
        },
        ...(current
          ? { resourceVersion: current.metadata.resourceVersion }
          : {}),
      },
      spec: spec as any,
    });
    body.validate();
    const written: any = current
      ? await clients.custom.replaceNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_VS,
          name: host,
          body: body.toJSON(),
        })
      : await clients.custom.createNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_VS,
          body: body.toJSON(),
        });
    return written.spec.http;
  }

  /** What the cluster holds of a workload's traffic policy, its subsets and ready replicas. */
  async readPolicy(
    cluster: string,
    namespace: string,
    workload: string,
  ): Promise<{
    inCluster: PolicyInCluster;
    subsetVersions: Record<string, string>;
    readyBySubset: Record<string, number>;
    ready: number;
  }> {
    const { custom, apps } = this.clientsFor(cluster);
    const [dr, ef, deployments] = await Promise.all([
      readOrUndefined<any>(() =>
        custom.getNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_DR,
          name: workload,
        }),
      ),
      readOrUndefined<any>(() =>
        custom.getNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ENVOY_FILTER_VERSION,
          namespace,
          plural: 'envoyfilters',
          name: rateLimitFilterName(workload),
        }),
      ),
      apps.listNamespacedDeployment({
        namespace,
        labelSelector: `app=${workload}`,
      }),
    ]);
    const subsetVersions: Record<string, string> = {};
    for (const sub of dr?.spec?.subsets ?? []) {
      if (sub.labels?.version) subsetVersions[sub.name] = sub.labels.version;
    }
    const readyOf = (version?: string) =>
      deployments.items
        .filter(
          d =>
            !version || d.spec?.template?.metadata?.labels?.version === version,
        )
        .reduce((n, d) => n + (d.status?.readyReplicas ?? 0), 0);
    const readyBySubset: Record<string, number> = {};
    for (const [name, version] of Object.entries(subsetVersions)) {
      readyBySubset[name] = readyOf(version);
    }
    return {
      inCluster: {
        destinationRule: {
          ...(dr?.spec?.trafficPolicy
            ? { trafficPolicy: dr.spec.trafficPolicy }
            : {}),
          subsets: [...(dr?.spec?.subsets ?? [])]
            .map((sub: any) => ({
              name: sub.name,
              ...(sub.trafficPolicy
                ? { trafficPolicy: sub.trafficPolicy }
                : {}),
            }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        },
        envoyFilter: ef?.spec ?? null,
      },
      subsetVersions,
      readyBySubset,
      ready: readyOf(),
    };
  }

  /**
   * Writes a traffic policy: the DestinationRule's `trafficPolicy` (top
   * level for `all`, else on the subset; subsets and routes untouched) and
   * the rate-limit EnvoyFilter (created, replaced or deleted).
   */
  async applyPolicy(
    cluster: string,
    namespace: string,
    workload: string,
    policy: TrafficPolicy,
  ): Promise<void> {
    const { custom } = this.clientsFor(cluster);
    const current: any = await readOrUndefined(() =>
      custom.getNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ISTIO_VERSION,
        namespace,
        plural: PLURAL_DR,
        name: workload,
      }),
    );
    const subsetVersions: Record<string, string> = {};
    for (const sub of current?.spec?.subsets ?? []) {
      if (sub.labels?.version) subsetVersions[sub.name] = sub.labels.version;
    }
    const wanted = policyToCluster(policy, workload, subsetVersions);
    const spec: any = { ...(current?.spec ?? {}), host: workload };
    if (wanted.destinationRule?.trafficPolicy) {
      spec.trafficPolicy = wanted.destinationRule.trafficPolicy;
    } else {
      delete spec.trafficPolicy;
    }
    spec.subsets = (current?.spec?.subsets ?? []).map((sub: any) => {
      const w = wanted.destinationRule?.subsets?.find(x => x.name === sub.name);
      const { trafficPolicy: _old, ...rest } = sub;
      return w?.trafficPolicy
        ? { ...rest, trafficPolicy: w.trafficPolicy }
        : rest;
    });
    if (spec.subsets.length === 0) delete spec.subsets;
    if (!current || canonical(current.spec) !== canonical(spec)) {
      const body = new DestinationRule({
        metadata: {
          name: workload,
          namespace,
          labels: { ...(current?.metadata?.labels ?? {}), ...MANAGED_BY },
          ...(current
            ? { resourceVersion: current.metadata.resourceVersion }
            : {}),
        },
        spec,
      });
      body.validate();
      if (current) {
        await custom.replaceNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_DR,
          name: workload,
          body: body.toJSON(),
        });
      } else {
        await custom.createNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ISTIO_VERSION,
          namespace,
          plural: PLURAL_DR,
          body: body.toJSON(),
        });
      }
    }
    const efName = rateLimitFilterName(workload);
    const ef: any = await readOrUndefined(() =>
      custom.getNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ENVOY_FILTER_VERSION,
        namespace,
        plural: 'envoyfilters',
        name: efName,
      }),
    );
    if (!wanted.envoyFilter) {
      if (ef) {
        await custom.deleteNamespacedCustomObject({
          group: ISTIO_GROUP,
          version: ENVOY_FILTER_VERSION,
          namespace,
          plural: 'envoyfilters',
          name: efName,
        });
      }
      return;
    }
    if (ef && canonical(ef.spec) === canonical(wanted.envoyFilter)) return;
    const body = new EnvoyFilter({
      metadata: {
        name: efName,
        namespace,
        labels: { ...MANAGED_BY, app: workload },
        ...(ef ? { resourceVersion: ef.metadata.resourceVersion } : {}),
      },
      spec: wanted.envoyFilter as any,
    });
    body.validate();
    if (ef) {
      await custom.replaceNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ENVOY_FILTER_VERSION,
        namespace,
        plural: 'envoyfilters',
        name: efName,
        body: body.toJSON(),
      });
    } else {
      await custom.createNamespacedCustomObject({
        group: ISTIO_GROUP,
        version: ENVOY_FILTER_VERSION,
        namespace,
        plural: 'envoyfilters',
        body: body.toJSON(),
      });
    }
  }
}

/** A person-readable account of a VirtualService that differs from what was applied. */
export function describeDrift(
  namespace: string,
  name: string,
  live: unknown,
  applied: unknown,
): string {
  if (live === undefined) {
    return `VirtualService ${namespace}/${name} was deleted outside fincloud`;
  }
  const l = weightsOfRoutes(live);
  const a = weightsOfRoutes(applied);
  const weights =
    l.stable !== a.stable || l.canary !== a.canary
      ? `weights stable ${l.stable} / canary ${l.canary}, fincloud applied ${a.stable} / ${a.canary}`
      : 'its routes differ from what fincloud applied (same weights)';
  return `VirtualService ${namespace}/${name} was edited outside fincloud: ${weights}`;
}

/** The Deployment of a new version: a copy of the stable one, labelled with its version. */
export function versionDeployment(
  source: V1Deployment,
  d: DeploymentIntent,
  namespace: string,
): any {
  const t = d.template!;
  const app =
    source.spec?.template?.metadata?.labels?.app ??
    source.metadata?.labels?.app ??
    source.metadata!.name!;
  const podLabels = {
    ...(source.spec?.template?.metadata?.labels ?? {}),
    app,
    version: t.version,
  };
  const podSpec = JSON.parse(JSON.stringify(source.spec?.template?.spec ?? {}));
  if (d.image) {
    for (const c of podSpec.containers ?? []) {
      if (c.name === d.image.container) c.image = d.image.image;
    }
  }
  const labels: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(source.metadata?.labels ?? {}).filter(
        ([k]) => k !== RELEASE_ID_LABEL,
      ),
    ),
    app,
    version: t.version,
    ...MANAGED_BY,
    [RELEASE_ID_LABEL]: t.releaseId,
  };
  const model = new Deployment({
    metadata: {
      name: d.name,
      namespace,
      labels,
      annotations: {
        'fincloud.io/release-id': t.releaseId,
        'fincloud.io/copied-from': t.from,
      },
    },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: { app, version: t.version } },
      ...(source.spec?.strategy
        ? { strategy: source.spec.strategy as any }
        : {}),
      ...(source.spec?.minReadySeconds !== undefined
        ? { minReadySeconds: source.spec.minReadySeconds }
        : {}),
      ...(source.spec?.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: source.spec.progressDeadlineSeconds }
        : {}),
      template: {
        metadata: {
          labels: podLabels,
          ...(source.spec?.template?.metadata?.annotations
            ? { annotations: { ...source.spec.template.metadata.annotations } }
            : {}),
        },
        spec: applyProfile(podSpec, t.profile, { app, version: t.version }),
      },
    },
  });
  model.validate();
  return model.toJSON();
}
