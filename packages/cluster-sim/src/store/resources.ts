/**
 * The resources the simulator serves: one entry per storage (an Istio kind
 * served in several versions has one storage and one entry).
 */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  /** Served versions; the first is the version objects are stored in. */
  versions: string[];
  /** The version discovery names as preferred. */
  preferredVersion: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources with their own path (status, scale, log, exec ...). */
  subresources: string[];
  /** A custom resource (CRD): no strategic merge patch, like a real API server. */
  custom?: boolean;
  /** metadata.generation counts spec changes. */
  generation?: boolean;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
  categories?: string[];
  /** Controllers own this kind's status: writes to the main resource keep the stored status. */
  statusSubresource?: boolean;
  /** Default propagation policy when a delete names none. */
  defaultPropagation?: 'Background' | 'Orphan';
}

const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function r(
  group: string,
  versions: string[],
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    versions,
    preferredVersion: versions[versions.length - 1],
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    subresources: [],
    ...extra,
  };
}

export const RESOURCES: ResourceType[] = [
  // core/v1
  r('', ['v1'], 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    statusSubresource: true,
    fieldSelectors: ['status.phase'],
  }),
  r('', ['v1'], 'Node', 'nodes', false, {
    shortNames: ['no'],
    subresources: ['status'],
    statusSubresource: true,
    fieldSelectors: ['spec.unschedulable'],
  }),
  r('', ['v1'], 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      'status',
      'log',
      'exec',
      'ephemeralcontainers',
      'eviction',
      'binding',
    ],
    statusSubresource: true,
    generation: true,
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  r('', ['v1'], 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  r('', ['v1'], 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  r('', ['v1'], 'Secret', 'secrets', true, { fieldSelectors: ['type'] }),
  r('', ['v1'], 'Event', 'events', true, {
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  }),
  r('', ['v1'], 'ServiceAccount', 'serviceaccounts', true, {
    shortNames: ['sa'],
  }),
  r('', ['v1'], 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  r('', ['v1'], 'ResourceQuota', 'resourcequotas', true, {
    shortNames: ['quota'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  r('', ['v1'], 'PersistentVolumeClaim', 'persistentvolumeclaims', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  r('', ['v1'], 'PersistentVolume', 'persistentvolumes', false, {
    shortNames: ['pv'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  // apps/v1
  r('apps', ['v1'], 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    statusSubresource: true,
    generation: true,
  }),
  r('apps', ['v1'], 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    statusSubresource: true,
    generation: true,
  }),
  r('apps', ['v1'], 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    statusSubresource: true,
    generation: true,
  }),
  r('apps', ['v1'], 'DaemonSet', 'daemonsets', true, {
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
    generation: true,
  }),
  // batch/v1
  r('batch', ['v1'], 'Job', 'jobs', true, {
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
    generation: true,
    // batch/v1 Jobs keep their pods unless the delete asks otherwise.
    defaultPropagation: 'Orphan',
    fieldSelectors: ['status.successful'],
  }),
  r('batch', ['v1'], 'CronJob', 'cronjobs', true, {
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
    generation: true,
  }),
  // autoscaling/v2
  r(
    'autoscaling',
    ['v2'],
    'HorizontalPodAutoscaler',
    'horizontalpodautoscalers',
    true,
    {
      shortNames: ['hpa'],
      categories: ['all'],
      subresources: ['status'],
      statusSubresource: true,
      generation: true,
    },
  ),
  // networking.k8s.io/v1
  r('networking.k8s.io', ['v1'], 'NetworkPolicy', 'networkpolicies', true, {
    shortNames: ['netpol'],
    generation: true,
  }),
  r('networking.k8s.io', ['v1'], 'Ingress', 'ingresses', true, {
    shortNames: ['ing'],
    subresources: ['status'],
    statusSubresource: true,
    generation: true,
  }),
  // Istio: one storage per kind, every version Istio serves for it.
  r(
    'networking.istio.io',
    ['v1beta1', 'v1alpha3', 'v1'],
    'VirtualService',
    'virtualservices',
    true,
    {
      preferredVersion: 'v1',
      shortNames: ['vs'],
      categories: ['istio-io', 'networking-istio-io'],
      custom: true,
      generation: true,
      subresources: ['status'],
    },
  ),
  r(
    'networking.istio.io',
    ['v1beta1', 'v1alpha3', 'v1'],
    'DestinationRule',
    'destinationrules',
    true,
    {
      preferredVersion: 'v1',
      shortNames: ['dr'],
      categories: ['istio-io', 'networking-istio-io'],
      custom: true,
      generation: true,
      subresources: ['status'],
    },
  ),
  // Istio serves EnvoyFilter in v1alpha3 only.
  r('networking.istio.io', ['v1alpha3'], 'EnvoyFilter', 'envoyfilters', true, {
    categories: ['istio-io', 'networking-istio-io'],
    custom: true,
    generation: true,
    subresources: ['status'],
  }),
  // monitoring.coreos.com/v1
  r(
    'monitoring.coreos.com',
    ['v1'],
    'PrometheusRule',
    'prometheusrules',
    true,
    {
      shortNames: ['promrule'],
      custom: true,
      generation: true,
    },
  ),
];

export function resourceKey(resource: ResourceType): string {
  return `${resource.group || 'core'}/${resource.plural}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The apiVersion objects of this resource are stored with. */
export function storageApiVersion(resource: ResourceType): string {
  return apiVersionOf(resource.group, resource.versions[0]);
}

export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();

  constructor(readonly resources: ResourceType[] = RESOURCES) {
    for (const resource of resources) {
      for (const version of resource.versions) {
        this.byPath.set(
          `${resource.group}/${version}/${resource.plural}`,
          resource,
        );
        this.byKind.set(
          `${apiVersionOf(resource.group, version)}/${resource.kind}`,
          resource,
        );
      }
    }
  }

  /** The resource served at /api(s)/<group>/<version>/<plural>. */
  find(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  forKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** By plural in the storage version's group, e.g. get('apps', 'deployments'). */
  get(group: string, plural: string): ResourceType {
    const found = this.resources.find(
      res => res.group === group && res.plural === plural,
    );
    if (!found) {
      throw new Error(`No resource ${group}/${plural}`);
    }
    return found;
  }

  groups(): Array<{
    name: string;
    versions: string[];
    preferredVersion: string;
  }> {
    const groups = new Map<
      string,
      { versions: Set<string>; preferred: string }
    >();
    for (const resource of this.resources) {
      if (!resource.group) continue;
      const entry = groups.get(resource.group) ?? {
        versions: new Set<string>(),
        preferred: resource.preferredVersion,
      };
      resource.versions.forEach(v => entry.versions.add(v));
      if (compareVersions(resource.preferredVersion, entry.preferred) > 0) {
        entry.preferred = resource.preferredVersion;
      }
      groups.set(resource.group, entry);
    }
    return [...groups.entries()].map(([name, entry]) => ({
      name,
      versions: [...entry.versions].sort((a, b) => compareVersions(b, a)),
      preferredVersion: entry.preferred,
    }));
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.resources.filter(
      res => res.group === group && res.versions.includes(version),
    );
  }

  static verbs(): string[] {
    return VERBS;
  }
}

/** Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    let stage = 3;
    if (m[2] === 'alpha') stage = 1;
    else if (m[2] === 'beta') stage = 2;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  return sa - sb || ma - mb || na - nb;
}
