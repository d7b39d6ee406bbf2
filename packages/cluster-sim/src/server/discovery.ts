import {
  ResourceRegistry,
  ResourceType,
  apiVersionOf,
} from '../store/resources';

export const SERVER_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.4-fincloud-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.22.10',
  compiler: 'gc',
  platform: 'linux/amd64',
};

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

function resourceEntries(resource: ResourceType) {
  const entries: any[] = [
    {
      name: resource.plural,
      singularName: resource.singular,
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: VERBS,
      ...(resource.shortNames ? { shortNames: resource.shortNames } : {}),
      ...(resource.categories ? { categories: resource.categories } : {}),
      storageVersionHash: Buffer.from(`${resource.group}/${resource.plural}`)
        .toString('base64')
        .slice(0, 11),
    },
  ];
  for (const sub of resource.subresources) {
    switch (sub) {
      case 'status':
        entries.push({
          name: `${resource.plural}/status`,
          singularName: '',
          namespaced: resource.namespaced,
          kind: resource.kind,
          verbs: ['get', 'patch', 'update'],
        });
        break;
      case 'scale':
        entries.push({
          name: `${resource.plural}/scale`,
          singularName: '',
          namespaced: resource.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
        break;
      case 'log':
        entries.push({
          name: 'pods/log',
          singularName: '',
          namespaced: true,
          kind: 'Pod',
          verbs: ['get'],
        });
        break;
      case 'exec':
        entries.push({
          name: 'pods/exec',
          singularName: '',
          namespaced: true,
          kind: 'PodExecOptions',
          verbs: ['create', 'get'],
        });
        break;
      case 'ephemeralcontainers':
        entries.push({
          name: 'pods/ephemeralcontainers',
          singularName: '',
          namespaced: true,
          kind: 'Pod',
          verbs: ['get', 'patch', 'update'],
        });
        break;
      case 'eviction':
        entries.push({
          name: 'pods/eviction',
          singularName: '',
          namespaced: true,
          group: 'policy',
          version: 'v1',
          kind: 'Eviction',
          verbs: ['create'],
        });
        break;
      case 'binding':
        entries.push({
          name: 'pods/binding',
          singularName: '',
          namespaced: true,
          kind: 'Binding',
          verbs: ['create'],
        });
        break;
      case 'finalize':
        entries.push({
          name: 'namespaces/finalize',
          singularName: '',
          namespaced: false,
          kind: 'Namespace',
          verbs: ['update'],
        });
        break;
      default:
        break;
    }
  }
  return entries;
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
) {
  const resources = registry.resourcesIn(group, version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: resources.flatMap(resourceEntries),
  };
}

function groupEntry(g: {
  name: string;
  versions: string[];
  preferredVersion: string;
}) {
  return {
    name: g.name,
    versions: g.versions.map(v => ({
      groupVersion: `${g.name}/${v}`,
      version: v,
    })),
    preferredVersion: {
      groupVersion: `${g.name}/${g.preferredVersion}`,
      version: g.preferredVersion,
    },
  };
}

export function apiGroupList(registry: ResourceRegistry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().map(groupEntry),
  };
}

export function apiGroup(registry: ResourceRegistry, name: string) {
  const g = registry.groups().find(x => x.name === name);
  return g
    ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g) }
    : undefined;
}
