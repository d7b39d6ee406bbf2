import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Cluster } from '../store/Cluster';
import { StatusError } from '../store/errors';
import type { K8sObject } from '../store/ObjectStore';

/** Objects from YAML text (one or many documents; `List` kinds are unpacked). */
export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`invalid YAML: ${doc.errors[0].message}`);
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error('every YAML document must be a Kubernetes object');
    }
    if (
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
    ) {
      out.push(...value.items);
    } else {
      out.push(value);
    }
  }
  return out;
}

export function readManifests(path: string): K8sObject[] {
  return parseManifests(readFileSync(path, 'utf8'));
}

/** Apply order: what others depend on first (namespaces, nodes, config, DestinationRules before VirtualServices). */
const ORDER = [
  'Namespace',
  'Node',
  'ServiceAccount',
  'ConfigMap',
  'Secret',
  'LimitRange',
  'ResourceQuota',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'DestinationRule',
  'VirtualService',
  'EnvoyFilter',
  'NetworkPolicy',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'PrometheusRule',
];

function rank(kind: string) {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

/** A node as the kubelet registers it: capacity, Ready, addresses, node info. */
export function withNodeDefaults(node: K8sObject, index: number): K8sObject {
  const capacity = {
    cpu: '4',
    memory: '16Gi',
    pods: '110',
    'ephemeral-storage': '100Gi',
    ...(node.status?.capacity ?? {}),
  };
  const allocatable = { ...capacity, ...(node.status?.allocatable ?? {}) };
  const labels = {
    'kubernetes.io/hostname': node.metadata.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...(node.metadata.labels ?? {}),
  };
  const now = '2026-01-01T00:00:00Z';
  return {
    ...node,
    metadata: { ...node.metadata, labels },
    spec: {
      ...(node.spec ?? {}),
      podCIDR: node.spec?.podCIDR ?? `10.244.${index}.0/24`,
    },
    status: {
      capacity,
      allocatable,
      conditions: node.status?.conditions ?? [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: node.status?.addresses ?? [
        { type: 'InternalIP', address: `192.168.49.${10 + index}` },
        { type: 'Hostname', address: node.metadata.name },
      ],
      nodeInfo: node.status?.nodeInfo ?? {
        kubeletVersion: 'v1.31.4',
        kubeProxyVersion: 'v1.31.4',
        containerRuntimeVersion: 'containerd://1.7.24',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-28-amd64',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
      ...(node.status ?? {}),
    },
  };
}

export const DEFAULT_OBJECTS: K8sObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
  ...['node-1', 'node-2', 'node-3'].map(name => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'topology.kubernetes.io/zone': `zone-${name.slice(-1)}` },
    },
  })),
];

/**
 * Creates or replaces objects through the API semantics (so a seed passes
 * admission like anything else). Returns the stored objects.
 */
export function applyObjects(
  cluster: Cluster,
  objects: K8sObject[],
): K8sObject[] {
  const sorted = objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map(x => x.o);
  const out: K8sObject[] = [];
  let nodeIndex = cluster.store.count('core/nodes');
  for (const raw of sorted) {
    if (
      !raw ||
      typeof raw !== 'object' ||
      typeof raw.kind !== 'string' ||
      typeof raw.apiVersion !== 'string'
    ) {
      throw StatusError.badRequest('every object needs apiVersion and kind');
    }
    const resource = cluster.registry.forKind(raw.apiVersion, raw.kind);
    if (!resource) {
      throw StatusError.badRequest(
        `no resource serves ${raw.apiVersion} ${raw.kind}`,
      );
    }
    let object = raw;
    if (raw.kind === 'Node') object = withNodeDefaults(raw, nodeIndex++);
    const namespace = resource.namespaced
      ? raw.metadata?.namespace ?? 'default'
      : undefined;
    const existing = raw.metadata?.name
      ? cluster.tryGet(resource, namespace, raw.metadata.name)
      : undefined;
    if (existing) {
      const body = {
        ...object,
        metadata: {
          ...object.metadata,
          resourceVersion: existing.metadata.resourceVersion,
        },
      };
      out.push(
        cluster.update(resource, namespace, raw.metadata.name, body).object,
      );
    } else {
      out.push(cluster.create(resource, namespace, object).object);
    }
  }
  return out;
}
