import { StatusError, StatusCause } from '../store/errors';
import type { K8sObject } from '../store/ObjectStore';
import type { ResourceType } from '../store/resources';
import {
  validateDestinationRule,
  validateEnvoyFilter,
  validatePrometheusRule,
  validateVirtualService,
} from './istio';
import {
  Causes,
  nameFormatOf,
  validateAnnotations,
  validateBuiltin,
  validateLabels,
} from './rules';
import { unknownBuiltinFields, validateSchema } from './schema';

export { defaultObject } from './defaults';
export { fqdn } from './istio';

export interface AdmissionRequest {
  resource: ResourceType;
  operation: 'CREATE' | 'UPDATE';
  /** The object as it would be stored (defaults applied). */
  object: K8sObject;
  oldObject?: K8sObject;
  /** `fieldValidation` of the request: Strict (the simulator's default) rejects unknown fields. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Reads other objects for cross-object rules. */
  list(group: string, plural: string, namespace?: string): K8sObject[];
}

/**
 * Validates an object before it is stored: the published schema of its
 * kind, unknown fields, names and labels, immutable fields and the rules
 * the suite relies on (Istio routes, PrometheusRule shape). Throws a 422
 * Invalid `StatusError` naming each field and what to change; returns
 * warnings for the `Warning` header.
 */
export function admit(request: AdmissionRequest): string[] {
  const { object, oldObject, resource } = request;
  const c = new Causes();
  const warnings: string[] = [];
  const name = object.metadata?.name;

  if (typeof name !== 'string' || name === '') {
    c.required('metadata.name', 'name or generateName is required');
  } else {
    for (const e of nameFormatOf(object.kind)(name))
      c.invalid('metadata.name', name, e);
  }
  validateLabels(object.metadata?.labels, 'metadata.labels', c);
  validateAnnotations(object.metadata?.annotations, 'metadata.annotations', c);

  c.list.push(...validateSchema(object, resource.versions[0]));

  const unknown: StatusCause[] = resource.custom
    ? []
    : unknownBuiltinFields(object);
  if (request.fieldValidation === 'Warn') {
    warnings.push(...unknown.map(u => `unknown field "${u.field}"`));
  } else if (request.fieldValidation !== 'Ignore') {
    c.list.push(...unknown);
  }

  validateBuiltin(object, oldObject, c);
  switch (object.kind) {
    case 'VirtualService':
      validateVirtualService(
        object,
        c,
        request.list(
          'networking.istio.io',
          'destinationrules',
          object.metadata.namespace,
        ),
      );
      break;
    case 'DestinationRule':
      validateDestinationRule(object, c);
      break;
    case 'EnvoyFilter':
      validateEnvoyFilter(object, c);
      break;
    case 'PrometheusRule':
      validatePrometheusRule(object, c);
      break;
    default:
      break;
  }

  if (c.list.length > 0) {
    throw StatusError.invalid(
      resource.group,
      object.kind,
      name ?? '',
      dedupe(c.list),
    );
  }
  return warnings;
}

function dedupe(causes: StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter(cause => {
    const key = `${cause.field}|${cause.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
