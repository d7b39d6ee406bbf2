import type { StatusCause } from '../store/errors';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors';
import { deepEqual } from '../store/patch';
import {
  configMapKey,
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  envVarName,
  labelValue,
  portName,
  qualifiedName,
} from './names';

export class Causes {
  readonly list: StatusCause[] = [];

  invalid(field: string, value: unknown, message: string) {
    this.list.push({
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${show(value)}: ${message}`,
    });
  }

  required(field: string, message?: string) {
    this.list.push({
      reason: 'FieldValueRequired',
      field,
      message: message ? `Required value: ${message}` : 'Required value',
    });
  }

  duplicate(field: string, value: unknown) {
    this.list.push({
      reason: 'FieldValueDuplicate',
      field,
      message: `Duplicate value: ${show(value)}`,
    });
  }

  notSupported(field: string, value: unknown, supported: string[]) {
    this.list.push({
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${show(value)}: supported values: ${supported
        .map(s => JSON.stringify(s))
        .join(', ')}`,
    });
  }

  forbidden(field: string, message: string) {
    this.list.push({
      reason: 'FieldValueForbidden',
      field,
      message: `Forbidden: ${message}`,
    });
  }

  immutable(field: string, value: unknown) {
    this.invalid(field, value, 'field is immutable');
  }
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'null';
  if (typeof value === 'object' && value !== null) {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  }
  return String(value);
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const same = deepEqual;

// ---------------------------------------------------------------- metadata

export function validateLabels(labels: unknown, field: string, c: Causes) {
  if (labels === undefined || labels === null) return;
  if (!isObject(labels)) {
    c.invalid(field, labels, 'must be a map of strings');
    return;
  }
  for (const [key, value] of Object.entries(labels)) {
    for (const e of qualifiedName(key)) c.invalid(field, key, e);
    if (typeof value !== 'string') {
      c.invalid(
        `${field}`,
        value,
        `the value of label "${key}" must be a string`,
      );
      continue;
    }
    for (const e of labelValue(value)) c.invalid(field, value, e);
  }
}

export function validateAnnotations(
  annotations: unknown,
  field: string,
  c: Causes,
) {
  if (annotations === undefined || annotations === null) return;
  if (!isObject(annotations)) {
    c.invalid(field, annotations, 'must be a map of strings');
    return;
  }
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const e of qualifiedName(key.toLowerCase())) c.invalid(field, key, e);
    if (typeof value !== 'string') {
      c.invalid(
        field,
        value,
        `the value of annotation "${key}" must be a string`,
      );
    }
    size += key.length + String(value).length;
  }
  if (size > 256 * 1024) {
    c.list.push({
      reason: 'FieldValueTooLong',
      field,
      message: `Too long: must have at most 262144 bytes`,
    });
  }
}

// ---------------------------------------------------------------- pods

function validateContainers(
  list: unknown,
  field: string,
  c: Causes,
  required: boolean,
) {
  if (list === undefined || list === null) {
    if (required) c.required(field);
    return;
  }
  if (!Array.isArray(list)) return;
  if (required && list.length === 0) c.required(field);
  const names = new Set<string>();
  list.forEach((container: any, i: number) => {
    const f = `${field}[${i}]`;
    if (!isObject(container)) return;
    if (typeof container.name !== 'string' || container.name === '') {
      c.required(`${f}.name`);
    } else {
      for (const e of dns1123Label(container.name))
        c.invalid(`${f}.name`, container.name, e);
      if (names.has(container.name)) c.duplicate(`${f}.name`, container.name);
      names.add(container.name);
    }
    if (typeof container.image !== 'string' || container.image.trim() === '') {
      c.required(
        `${f}.image`,
        'set the container image, e.g. "registry.example/team/app:1.2.3"',
      );
    }
    const portNames = new Set<string>();
    (Array.isArray(container.ports) ? container.ports : []).forEach(
      (port: any, j: number) => {
        if (!isObject(port)) return;
        const pf = `${f}.ports[${j}]`;
        if (
          typeof port.containerPort === 'number' &&
          (port.containerPort < 1 || port.containerPort > 65535)
        ) {
          c.invalid(
            `${pf}.containerPort`,
            port.containerPort,
            'must be between 1 and 65535, inclusive',
          );
        }
        if (typeof port.name === 'string') {
          for (const e of portName(port.name))
            c.invalid(`${pf}.name`, port.name, e);
          if (portNames.has(port.name)) c.duplicate(`${pf}.name`, port.name);
          portNames.add(port.name);
        }
      },
    );
    (Array.isArray(container.env) ? container.env : []).forEach(
      (env: any, j: number) => {
        if (!isObject(env)) return;
        if (typeof env.name !== 'string' || env.name === '') {
          c.required(`${f}.env[${j}].name`);
        } else {
          for (const e of envVarName(env.name))
            c.invalid(`${f}.env[${j}].name`, env.name, e);
        }
        if (env.value !== undefined && env.valueFrom !== undefined) {
          c.invalid(
            `${f}.env[${j}].valueFrom`,
            '',
            'may not be specified when `value` is not empty',
          );
        }
      },
    );
  });
}

export function validatePodSpec(
  spec: unknown,
  field: string,
  c: Causes,
  restartPolicies?: string[],
) {
  if (!isObject(spec)) {
    c.required(field);
    return;
  }
  validateContainers(spec.containers, `${field}.containers`, c, true);
  validateContainers(spec.initContainers, `${field}.initContainers`, c, false);
  const all = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
  ].filter(isObject);
  const seen = new Set<string>();
  all.forEach(container => {
    if (typeof container.name === 'string' && seen.has(container.name)) {
      c.duplicate(`${field}.initContainers`, container.name);
    }
    seen.add(container.name);
  });
  const policies = restartPolicies ?? ['Always', 'OnFailure', 'Never'];
  if (
    spec.restartPolicy !== undefined &&
    !policies.includes(spec.restartPolicy)
  ) {
    c.notSupported(`${field}.restartPolicy`, spec.restartPolicy, policies);
  }
  const volumeNames = new Set<string>();
  (Array.isArray(spec.volumes) ? spec.volumes : []).forEach(
    (v: any, i: number) => {
      if (!isObject(v)) return;
      if (typeof v.name !== 'string') c.required(`${field}.volumes[${i}].name`);
      else {
        for (const e of dns1123Label(v.name))
          c.invalid(`${field}.volumes[${i}].name`, v.name, e);
        if (volumeNames.has(v.name))
          c.duplicate(`${field}.volumes[${i}].name`, v.name);
        volumeNames.add(v.name);
      }
    },
  );
  (Array.isArray(spec.tolerations) ? spec.tolerations : []).forEach(
    (t: any, i: number) => {
      if (!isObject(t)) return;
      const tf = `${field}.tolerations[${i}]`;
      if (t.operator === 'Exists' && t.value) {
        c.invalid(
          `${tf}.operator`,
          t.value,
          "value must be empty when `operator` is 'Exists'",
        );
      }
      if (
        t.operator !== undefined &&
        !['Exists', 'Equal'].includes(t.operator)
      ) {
        c.notSupported(`${tf}.operator`, t.operator, ['Equal', 'Exists']);
      }
      if (
        t.effect !== undefined &&
        t.effect !== '' &&
        !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)
      ) {
        c.notSupported(`${tf}.effect`, t.effect, [
          'NoSchedule',
          'PreferNoSchedule',
          'NoExecute',
        ]);
      }
    },
  );
  if (isObject(spec.nodeSelector))
    validateLabels(spec.nodeSelector, `${field}.nodeSelector`, c);
}

/** Only these pod spec fields may change after creation (the API server's list). */
function validatePodUpdate(obj: any, old: any, c: Causes) {
  const strip = (spec: any) => {
    const copy = JSON.parse(JSON.stringify(spec ?? {}));
    for (const list of ['containers', 'initContainers']) {
      for (const container of copy[list] ?? []) delete container.image;
    }
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    delete copy.ephemeralContainers;
    delete copy.schedulingGates;
    delete copy.nodeName;
    return copy;
  };
  if (!same(strip(obj.spec), strip(old.spec))) {
    c.forbidden(
      'spec',
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
  }
  if (old.spec?.nodeName && obj.spec?.nodeName !== old.spec.nodeName) {
    c.immutable('spec.nodeName', obj.spec?.nodeName);
  }
  const oldTolerations: any[] = old.spec?.tolerations ?? [];
  const newTolerations: any[] = obj.spec?.tolerations ?? [];
  for (const t of oldTolerations) {
    if (!newTolerations.some(n => same(n, t))) {
      c.forbidden(
        'spec.tolerations',
        'existing toleration can not be modified except its tolerationSeconds',
      );
      break;
    }
  }
}

// ---------------------------------------------------------------- workloads

function validateSelectorMatchesTemplate(spec: any, field: string, c: Causes) {
  if (!isObject(spec)) return;
  if (!isObject(spec.selector)) {
    c.required(`${field}.selector`);
    return;
  }
  const reqs = fromLabelSelectorObject(spec.selector);
  if (reqs.length === 0) {
    c.invalid(
      `${field}.selector`,
      spec.selector,
      'empty selector is invalid for deployment',
    );
    return;
  }
  validateLabels(spec.selector.matchLabels, `${field}.selector.matchLabels`, c);
  const labels = spec.template?.metadata?.labels;
  if (!matchesLabels(reqs, labels)) {
    c.invalid(
      `${field}.template.metadata.labels`,
      labels ?? {},
      '`selector` does not match template `labels`',
    );
  }
}

function intOrPercent(
  value: unknown,
  replicas: number,
  roundUp: boolean,
): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (!m) return undefined;
    const raw = (Number(m[1]) * replicas) / 100;
    return roundUp ? Math.ceil(raw) : Math.floor(raw);
  }
  return 0;
}

function validateDeploymentSpec(spec: any, c: Causes) {
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    c.invalid(
      'spec.replicas',
      spec.replicas,
      'must be greater than or equal to 0',
    );
  }
  validateSelectorMatchesTemplate(spec, 'spec', c);
  validateLabels(
    spec.template?.metadata?.labels,
    'spec.template.metadata.labels',
    c,
  );
  validatePodSpec(spec.template?.spec, 'spec.template.spec', c, ['Always']);
  const strategy = spec.strategy;
  if (isObject(strategy)) {
    if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
      c.forbidden(
        'spec.strategy.rollingUpdate',
        "may not be specified when strategy `type` is 'Recreate'",
      );
    }
    const ru = strategy.rollingUpdate;
    if (isObject(ru)) {
      for (const key of ['maxSurge', 'maxUnavailable']) {
        const v = ru[key];
        if (v === undefined) continue;
        if (typeof v === 'string' && !/^\d+%$/.test(v)) {
          c.invalid(
            `spec.strategy.rollingUpdate.${key}`,
            v,
            "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
          );
        }
        if (typeof v === 'number' && v < 0) {
          c.invalid(
            `spec.strategy.rollingUpdate.${key}`,
            v,
            'must be greater than or equal to 0',
          );
        }
        if (
          typeof v === 'string' &&
          key === 'maxUnavailable' &&
          Number(v.slice(0, -1)) > 100
        ) {
          c.invalid(
            `spec.strategy.rollingUpdate.${key}`,
            v,
            'must not be greater than 100%',
          );
        }
      }
      const surge = intOrPercent(ru.maxSurge, 100, true);
      const unavailable = intOrPercent(ru.maxUnavailable, 100, false);
      if (surge === 0 && unavailable === 0) {
        c.invalid(
          'spec.strategy.rollingUpdate.maxUnavailable',
          ru.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        );
      }
    }
  }
}

function validateJobSpec(spec: any, c: Causes) {
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  for (const key of [
    'parallelism',
    'completions',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    if (typeof spec[key] === 'number' && spec[key] < 0) {
      c.invalid(`spec.${key}`, spec[key], 'must be greater than or equal to 0');
    }
  }
  if (
    typeof spec.activeDeadlineSeconds === 'number' &&
    spec.activeDeadlineSeconds <= 0
  ) {
    c.invalid(
      'spec.activeDeadlineSeconds',
      spec.activeDeadlineSeconds,
      'must be greater than 0',
    );
  }
  const policy = spec.template?.spec?.restartPolicy;
  if (policy === undefined || policy === 'Always') {
    if (policy === undefined) {
      c.required(
        'spec.template.spec.restartPolicy',
        'valid values: "OnFailure", "Never"',
      );
    } else {
      c.notSupported('spec.template.spec.restartPolicy', policy, [
        'OnFailure',
        'Never',
      ]);
    }
  }
  validateLabels(
    spec.template?.metadata?.labels,
    'spec.template.metadata.labels',
    c,
  );
  validatePodSpec(spec.template?.spec, 'spec.template.spec', c, [
    'Always',
    'OnFailure',
    'Never',
  ]);
  if (isObject(spec.selector)) {
    const reqs = fromLabelSelectorObject(spec.selector);
    if (!matchesLabels(reqs, spec.template?.metadata?.labels)) {
      c.invalid(
        'spec.template.metadata.labels',
        spec.template?.metadata?.labels ?? {},
        '`selector` does not match template `labels`',
      );
    }
  }
}

function validateService(obj: any, old: any | undefined, c: Causes) {
  const spec = obj.spec;
  if (!isObject(spec)) {
    c.required('spec');
    return;
  }
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (!types.includes(spec.type)) c.notSupported('spec.type', spec.type, types);
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (
    spec.type !== 'ExternalName' &&
    spec.clusterIP !== 'None' &&
    ports.length === 0
  ) {
    c.required('spec.ports');
  }
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((port, i) => {
    if (!isObject(port)) return;
    const f = `spec.ports[${i}]`;
    if (
      ports.length > 1 &&
      (typeof port.name !== 'string' || port.name === '')
    ) {
      c.required(
        `${f}.name`,
        'a name is required when a Service has more than one port',
      );
    }
    if (typeof port.name === 'string' && port.name !== '') {
      for (const e of dns1123Label(port.name))
        c.invalid(`${f}.name`, port.name, e);
      if (names.has(port.name)) c.duplicate(`${f}.name`, port.name);
      names.add(port.name);
    }
    if (typeof port.port === 'number' && (port.port < 1 || port.port > 65535)) {
      c.invalid(
        `${f}.port`,
        port.port,
        'must be between 1 and 65535, inclusive',
      );
    }
    const id = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (numbers.has(id))
      c.duplicate(f, { port: port.port, protocol: port.protocol ?? 'TCP' });
    numbers.add(id);
    if (typeof port.targetPort === 'string') {
      for (const e of portName(port.targetPort))
        c.invalid(`${f}.targetPort`, port.targetPort, e);
    }
  });
  validateLabels(spec.selector, 'spec.selector', c);
  if (old && old.spec?.clusterIP && old.spec.clusterIP !== spec.clusterIP) {
    c.immutable('spec.clusterIP', spec.clusterIP);
  }
}

function validateData(obj: any, c: Causes) {
  for (const field of ['data', 'binaryData', 'stringData']) {
    if (!isObject(obj[field])) continue;
    for (const key of Object.keys(obj[field])) {
      for (const e of configMapKey(key)) c.invalid(`${field}[${key}]`, key, e);
    }
  }
  if (obj.kind === 'Secret' && isObject(obj.data)) {
    for (const [key, value] of Object.entries(obj.data)) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        c.invalid(
          `data[${key}]`,
          '<secret contents redacted>',
          'must be base64 encoded (use stringData for plain text)',
        );
      }
    }
  }
}

function validateImmutableData(obj: any, old: any, c: Causes) {
  if (old.immutable === true) {
    if (!same(obj.data, old.data) || !same(obj.binaryData, old.binaryData)) {
      c.forbidden('data', 'field is immutable when `immutable` is set');
    }
    if (obj.immutable !== true) {
      c.forbidden('immutable', 'field is immutable when `immutable` is set');
    }
  }
}

/** Rules for built-in kinds beyond the schema. */
export function validateBuiltin(obj: any, old: any | undefined, c: Causes) {
  switch (obj.kind) {
    case 'Pod':
      validatePodSpec(obj.spec, 'spec', c);
      if (old) validatePodUpdate(obj, old, c);
      break;
    case 'Deployment':
      validateDeploymentSpec(obj.spec, c);
      if (old && !same(obj.spec?.selector, old.spec?.selector)) {
        c.immutable('spec.selector', obj.spec?.selector);
      }
      break;
    case 'ReplicaSet':
      validateSelectorMatchesTemplate(obj.spec, 'spec', c);
      validatePodSpec(obj.spec?.template?.spec, 'spec.template.spec', c, [
        'Always',
      ]);
      if (old && !same(obj.spec?.selector, old.spec?.selector)) {
        c.immutable('spec.selector', obj.spec?.selector);
      }
      break;
    case 'Job':
      validateJobSpec(obj.spec, c);
      if (old) {
        if (!same(obj.spec?.template, old.spec?.template)) {
          c.immutable('spec.template', obj.spec?.template);
        }
        if (!same(obj.spec?.selector, old.spec?.selector)) {
          c.immutable('spec.selector', obj.spec?.selector);
        }
        if (
          old.spec?.completions !== obj.spec?.completions &&
          old.spec?.completionMode !== 'Indexed'
        ) {
          c.immutable('spec.completions', obj.spec?.completions);
        }
      }
      break;
    case 'Service':
      validateService(obj, old, c);
      break;
    case 'ConfigMap':
    case 'Secret':
      validateData(obj, c);
      if (old) validateImmutableData(obj, old, c);
      break;
    case 'Node':
      (Array.isArray(obj.spec?.taints) ? obj.spec.taints : []).forEach(
        (t: any, i: number) => {
          if (!isObject(t)) return;
          for (const e of qualifiedName(String(t.key ?? '')))
            c.invalid(`spec.taints[${i}].key`, t.key, e);
        },
      );
      break;
    default:
      break;
  }
}

export const nameFormatOf = (kind: string) => {
  switch (kind) {
    case 'Namespace':
      return dns1123Label;
    case 'Service':
      return dns1035Label;
    default:
      return dns1123Subdomain;
  }
};
