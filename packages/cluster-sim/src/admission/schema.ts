import * as clientModels from '@kubernetes/client-node';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Event } from 'kubernetes-models/v1/Event';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { EnvoyFilter } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { StatusCause } from '../store/errors';
import type { K8sObject } from '../store/ObjectStore';

type ModelClass = new (data: any) => { validate(): void };

/**
 * The schema each stored kind is validated with. Istio objects are validated
 * with the v1beta1 schema whatever version they were written in: v1 has the
 * same shape, and @kubernetes-models/istio 2.3 has no v1 classes.
 */
const MODELS: Record<string, ModelClass> = {
  Namespace,
  Node,
  Pod,
  Service,
  ConfigMap,
  Secret,
  Event,
  ServiceAccount,
  LimitRange,
  ResourceQuota,
  PersistentVolumeClaim,
  PersistentVolume,
  Deployment,
  ReplicaSet,
  StatefulSet,
  DaemonSet,
  Job,
  CronJob,
  HorizontalPodAutoscaler,
  NetworkPolicy,
  Ingress,
  VirtualService,
  DestinationRule,
  EnvoyFilter,
  PrometheusRule,
};

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const token of pointer.split('/').filter(Boolean)) {
    if (/^\d+$/.test(token)) out += `[${token}]`;
    else out += out ? `.${token}` : token;
  }
  return out;
}

function valueAt(obj: any, pointer: string): any {
  let cur = obj;
  for (const token of pointer.split('/').filter(Boolean)) {
    if (cur === null || cur === undefined) return undefined;
    cur = cur[token];
  }
  return cur;
}

function show(value: any): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'null';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Validates against the published OpenAPI schema of the kind
 * (kubernetes-models, @kubernetes-models/istio, @kubernetes-models/prometheus-operator):
 * types, required fields and enums.
 */
export function validateSchema(
  object: K8sObject,
  version: string,
): StatusCause[] {
  const Model = MODELS[object.kind];
  if (!Model) return [];
  // The models check apiVersion against their own; validate the object as the model's version.
  const { apiVersion: _ignored, ...rest } = object;
  void _ignored;
  void version;
  try {
    new Model(rest).validate();
    return [];
  } catch (error: any) {
    const errors: any[] = error?.errors ?? [];
    if (errors.length === 0) {
      return [
        {
          reason: 'FieldValueInvalid',
          message: String(error?.message ?? error),
        },
      ];
    }
    const seen = new Set<string>();
    const causes: StatusCause[] = [];
    for (const e of errors) {
      let cause: StatusCause;
      if (e.keyword === 'required') {
        const field = fieldPath(
          `${e.instancePath}/${e.params.missingProperty}`,
        );
        cause = {
          reason: 'FieldValueRequired',
          field,
          message: 'Required value',
        };
      } else if (e.keyword === 'enum') {
        const field = fieldPath(e.instancePath);
        cause = {
          reason: 'FieldValueNotSupported',
          field,
          message: `Unsupported value: ${show(
            valueAt(object, e.instancePath),
          )}: supported values: ${(e.params.allowedValues ?? [])
            .map((v: any) => JSON.stringify(v))
            .join(', ')}`,
        };
      } else {
        const field = fieldPath(e.instancePath);
        cause = {
          reason: 'FieldValueInvalid',
          field,
          message: `Invalid value: ${show(valueAt(object, e.instancePath))}: ${
            e.message
          }`,
        };
      }
      if (!seen.has(cause.field ?? '')) {
        seen.add(cause.field ?? '');
        causes.push(cause);
      }
    }
    return causes;
  }
}

// ---------------------------------------------------------------- unknown fields

type AttributeTypeMap = Array<{ name: string; baseName: string; type: string }>;

function typeMapOf(typeName: string): AttributeTypeMap | undefined {
  const model = (clientModels as any)[typeName];
  return model?.attributeTypeMap;
}

/** client-node's model name for a built-in kind: V1Deployment, V2HorizontalPodAutoscaler, CoreV1Event. */
function rootTypeName(apiVersion: string, kind: string): string | undefined {
  const version = apiVersion.split('/').pop()!;
  const cap = version.charAt(0).toUpperCase() + version.slice(1);
  if (kind === 'Event' && apiVersion === 'v1') return 'CoreV1Event';
  const name = `${cap}${kind}`;
  return typeMapOf(name) ? name : undefined;
}

function walkUnknown(
  value: any,
  typeName: string,
  path: string,
  out: StatusCause[],
) {
  if (value === null || value === undefined || out.length >= 20) return;
  const array = /^Array<(.+)>$/.exec(typeName);
  if (array) {
    if (Array.isArray(value)) {
      value.forEach((item, i) =>
        walkUnknown(item, array[1], `${path}[${i}]`, out),
      );
    }
    return;
  }
  if (
    typeName.startsWith('{') ||
    typeName === 'any' ||
    typeName === 'IntOrString'
  )
    return;
  const map = typeMapOf(typeName);
  if (!map || typeof value !== 'object' || Array.isArray(value)) return;
  const known = new Map(map.map(a => [a.baseName, a.type]));
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const childType = known.get(key);
    if (!childType) {
      out.push({
        reason: 'FieldValueInvalid',
        field: childPath,
        message: `unknown field "${childPath}": not a field of ${typeName.replace(
          /^(Core)?V\d+(alpha\d+|beta\d+)?/,
          '',
        )}; check the spelling against the API reference`,
      });
      continue;
    }
    walkUnknown(child, childType, childPath, out);
  }
}

/** Fields a built-in kind does not have (typos such as `replica:` or `imagePullPolice:`). */
export function unknownBuiltinFields(object: K8sObject): StatusCause[] {
  const root = rootTypeName(object.apiVersion, object.kind);
  if (!root) return [];
  const out: StatusCause[] = [];
  walkUnknown(object, root, '', out);
  return out;
}

/** Fields of a custom resource's spec this simulator knows, checked level by level. */
export type FieldTree = { [field: string]: FieldTree | true };

export function unknownTreeFields(
  value: any,
  tree: FieldTree,
  path: string,
): StatusCause[] {
  const out: StatusCause[] = [];
  const walk = (v: any, t: FieldTree, p: string) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, t, `${p}[${i}]`));
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, child] of Object.entries(v)) {
      const childPath = `${p}.${key}`;
      const sub = t[key];
      if (!sub) {
        out.push({
          reason: 'FieldValueInvalid',
          field: childPath,
          message: `unknown field "${childPath}"; known fields here: ${Object.keys(
            t,
          ).join(', ')}`,
        });
      } else if (sub !== true) {
        walk(child, sub, childPath);
      }
    }
  };
  walk(value, tree, path);
  return out;
}
