import type { K8sObject } from '../store/ObjectStore';

/**
 * What the API server fills in on create (defaulting and mutating admission),
 * so objects read back look like a real cluster's.
 */

function defaultContainer(c: any) {
  if (!c || typeof c !== 'object') return;
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const tag = c.image.includes('@')
      ? 'digest'
      : c.image.split('/').pop()!.split(':')[1];
    c.imagePullPolicy = !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const port of c.ports ?? []) {
    if (port && typeof port === 'object') port.protocol ??= 'TCP';
  }
}

export function defaultPodSpec(spec: any) {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  for (const list of ['containers', 'initContainers']) {
    if (Array.isArray(spec[list])) spec[list].forEach(defaultContainer);
  }
}

function defaultPod(pod: any) {
  defaultPodSpec(pod.spec);
  if (pod.spec && typeof pod.spec === 'object') {
    pod.spec.priority ??= 0;
    pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
    // DefaultTolerationSeconds admission plugin.
    const tolerations: any[] = Array.isArray(pod.spec.tolerations)
      ? pod.spec.tolerations
      : [];
    for (const key of [
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
    ]) {
      if (!tolerations.some(t => t?.key === key)) {
        tolerations.push({
          key,
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        });
      }
    }
    pod.spec.tolerations = tolerations;
  }
  pod.status ??= {};
  pod.status.phase ??= 'Pending';
  pod.status.qosClass ??= qosClass(pod.spec);
}

function qosClass(spec: any): string {
  const containers: any[] = [
    ...(spec?.containers ?? []),
    ...(spec?.initContainers ?? []),
  ];
  let anySet = false;
  let allGuaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c?.resources?.requests ?? {};
    const lim = c?.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r]))
        allGuaranteed = false;
    }
  }
  if (allGuaranteed) return 'Guaranteed';
  return anySet ? 'Burstable' : 'BestEffort';
}

export function defaultObject(
  object: K8sObject,
  helpers: { allocateClusterIP(): string; uid: string; old?: K8sObject },
) {
  const o: any = object;
  const old: any = helpers.old;
  if (
    object.kind === 'Service' &&
    old?.spec &&
    o.spec &&
    typeof o.spec === 'object'
  ) {
    // Allocated values survive an update that leaves them out.
    o.spec.clusterIP ??= old.spec.clusterIP;
    o.spec.clusterIPs ??= old.spec.clusterIPs;
  }
  switch (object.kind) {
    case 'Namespace':
      o.spec ??= {};
      o.spec.finalizers ??= ['kubernetes'];
      o.status ??= { phase: 'Active' };
      o.metadata.labels = {
        ...o.metadata.labels,
        'kubernetes.io/metadata.name': object.metadata.name,
      };
      break;
    case 'Pod':
      defaultPod(o);
      break;
    case 'Deployment':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      o.spec.revisionHistoryLimit ??= 10;
      o.spec.progressDeadlineSeconds ??= 600;
      o.spec.strategy ??= { type: 'RollingUpdate' };
      o.spec.strategy.type ??= 'RollingUpdate';
      if (o.spec.strategy.type === 'RollingUpdate') {
        o.spec.strategy.rollingUpdate ??= {};
        o.spec.strategy.rollingUpdate.maxSurge ??= '25%';
        o.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      }
      defaultPodSpec(o.spec.template?.spec);
      break;
    case 'ReplicaSet':
      o.spec ??= {};
      o.spec.replicas ??= 1;
      defaultPodSpec(o.spec.template?.spec);
      break;
    case 'Job': {
      o.spec ??= {};
      o.spec.parallelism ??= 1;
      if (
        o.spec.completions === undefined &&
        o.spec.parallelism !== undefined
      ) {
        o.spec.completions = 1;
      }
      o.spec.backoffLimit ??= 6;
      o.spec.completionMode ??= 'NonIndexed';
      o.spec.suspend ??= false;
      o.spec.manualSelector ??= undefined;
      o.spec.podReplacementPolicy ??= 'TerminatingOrFailed';
      if (!o.spec.manualSelector) {
        // The Job controller's labels tie its pods to this Job only.
        const labels = {
          'batch.kubernetes.io/controller-uid': helpers.uid,
          'batch.kubernetes.io/job-name': object.metadata.name,
          'controller-uid': helpers.uid,
          'job-name': object.metadata.name,
        };
        o.spec.selector ??= {
          matchLabels: { 'batch.kubernetes.io/controller-uid': helpers.uid },
        };
        o.spec.template ??= {};
        o.spec.template.metadata ??= {};
        o.spec.template.metadata.labels = {
          ...o.spec.template.metadata.labels,
          ...labels,
        };
      }
      defaultPodSpec(o.spec.template?.spec);
      if (o.spec.manualSelector === undefined) delete o.spec.manualSelector;
      break;
    }
    case 'Service': {
      o.spec ??= {};
      o.spec.type ??= 'ClusterIP';
      o.spec.sessionAffinity ??= 'None';
      o.spec.internalTrafficPolicy ??= 'Cluster';
      if (o.spec.type !== 'ExternalName' && o.spec.clusterIP === undefined) {
        o.spec.clusterIP = helpers.allocateClusterIP();
      }
      if (o.spec.clusterIP && o.spec.clusterIP !== 'None') {
        o.spec.clusterIPs ??= [o.spec.clusterIP];
      }
      o.spec.ipFamilies ??= ['IPv4'];
      o.spec.ipFamilyPolicy ??= 'SingleStack';
      for (const port of o.spec.ports ?? []) {
        if (port && typeof port === 'object') {
          port.protocol ??= 'TCP';
          port.targetPort ??= port.port;
        }
      }
      o.status ??= { loadBalancer: {} };
      break;
    }
    case 'Secret':
      o.type ??= 'Opaque';
      if (o.stringData && typeof o.stringData === 'object') {
        o.data = { ...o.data };
        for (const [key, value] of Object.entries(o.stringData)) {
          o.data[key] = Buffer.from(String(value)).toString('base64');
        }
        delete o.stringData;
      }
      break;
    case 'Event':
      o.count ??= 1;
      o.type ??= 'Normal';
      break;
    default:
      break;
  }
}
