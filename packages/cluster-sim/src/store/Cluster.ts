import { randomUUID } from 'node:crypto';
import type { SimClock } from '../contracts';
import { admit, defaultObject } from '../admission';
import { StatusError, StatusBody, successStatus } from './errors';
import { K8sObject, ObjectStore } from './ObjectStore';
import { LogStore } from './logs';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  clone,
  deepEqual,
} from './patch';
import {
  ResourceRegistry,
  ResourceType,
  apiVersionOf,
  resourceKey,
  storageApiVersion,
} from './resources';
import {
  FieldSelector,
  LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors';

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** `status`, `scale`, `ephemeralcontainers` ... */
  subresource?: string;
  /** Field manager of a server-side apply. */
  fieldManager?: string;
  force?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WriteResult {
  object: K8sObject;
  warnings: string[];
}

export interface DeleteResult {
  /** The object, when it still exists (graceful delete, finalizers) or the resource returns it. */
  object?: K8sObject;
  status?: StatusBody;
  warnings: string[];
}

/** Hooks the controllers give the API layer. */
export interface ClusterHooks {
  /** A pod was removed from storage (the kubelet forgets it). */
  onPodRemoved?(pod: K8sObject): void;
}

const RETURN_DELETED_OBJECT = new Set(['pods', 'services', 'namespaces']);

const FINALIZER_FOREGROUND = 'foregroundDeletion';
const FINALIZER_ORPHAN = 'orphan';

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const same = deepEqual;

export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out +=
      GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  }
  return out;
}

/**
 * The API semantics, independent of HTTP: create / update / patch / delete
 * with defaulting, admission, resourceVersion preconditions, generation,
 * status subresources, dry run, finalizers, graceful pod deletion and the
 * owner-reference cascade. The HTTP server and the controllers both write
 * through it, so every change passes the same rules and reaches watches.
 */
export class Cluster {
  readonly logs = new LogStore();
  hooks: ClusterHooks = {};
  private nextServiceIp = 10;

  constructor(
    readonly registry: ResourceRegistry,
    readonly store: ObjectStore,
    readonly clock: SimClock,
  ) {}

  resource(group: string, plural: string): ResourceType {
    return this.registry.get(group, plural);
  }

  key(resource: ResourceType): string {
    return resourceKey(resource);
  }

  /** The object as served in `version` (one storage, several served versions). */
  present(
    object: K8sObject,
    resource: ResourceType,
    version?: string,
  ): K8sObject {
    const apiVersion = apiVersionOf(
      resource.group,
      version ?? resource.versions[0],
    );
    if (object.apiVersion === apiVersion) return object;
    return { ...object, apiVersion };
  }

  // ---------------------------------------------------------------- reads

  get(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): K8sObject {
    const found = this.store.get(
      this.key(resource),
      resource.namespaced ? namespace : undefined,
      name,
    );
    if (!found)
      throw StatusError.notFound(resource.group, resource.plural, name);
    return found;
  }

  tryGet(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
  ): K8sObject | undefined {
    return this.store.get(
      this.key(resource),
      resource.namespaced ? namespace : undefined,
      name,
    );
  }

  /** Objects matching the selectors, with limit / continue paging. */
  list(
    resource: ResourceType,
    namespace: string | undefined,
    options: ListOptions = {},
  ): {
    items: K8sObject[];
    resourceVersion: string;
    continue?: string;
    remainingItemCount?: number;
  } {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(
      options.fieldSelector,
      this.fieldSelectorsOf(resource),
    );
    const key = this.key(resource);
    let listRv = this.store.currentRevision;
    let startAfter: string | undefined;
    if (options.continue) {
      let token: { rv: number; start: string };
      try {
        token = JSON.parse(
          Buffer.from(options.continue, 'base64').toString('utf8'),
        );
      } catch {
        throw StatusError.badRequest(
          'continue key is not valid: invalid continue token',
        );
      }
      if (typeof token?.rv !== 'number' || typeof token?.start !== 'string') {
        throw StatusError.badRequest(
          'continue key is not valid: invalid continue token',
        );
      }
      if (token.rv < this.store.compactedRevision(key)) {
        throw StatusError.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      listRv = token.rv;
      startAfter = token.start;
    }
    const all = this.store
      .list(key, resource.namespaced ? namespace : undefined)
      .filter(obj => this.matches(obj, labels, fields));
    let items = all;
    if (startAfter !== undefined) {
      const after = startAfter;
      items = items.filter(
        obj => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}` > after,
      );
    }
    const limit =
      options.limit && options.limit > 0 ? options.limit : undefined;
    if (limit !== undefined && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      const token = Buffer.from(
        JSON.stringify({
          rv: listRv,
          start: `${last.metadata.namespace ?? ''}/${last.metadata.name}`,
        }),
      ).toString('base64');
      return {
        items: page,
        resourceVersion: String(listRv),
        continue: token,
        remainingItemCount: items.length - limit,
      };
    }
    return { items, resourceVersion: String(listRv) };
  }

  fieldSelectorsOf(resource: ResourceType): string[] {
    return [
      'metadata.name',
      'metadata.namespace',
      ...(resource.fieldSelectors ?? []),
    ];
  }

  matches(
    obj: K8sObject,
    labels: LabelSelector,
    fields: FieldSelector,
  ): boolean {
    return (
      matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj)
    );
  }

  // ---------------------------------------------------------------- create

  create(
    resource: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    const object = this.checkBody(resource, namespace, body);
    if (object.metadata.resourceVersion) {
      throw StatusError.badRequest(
        'resourceVersion should not be set on objects to be created',
      );
    }
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomSuffix()}`;
    }
    if (resource.namespaced) {
      this.checkNamespaceWritable(object.metadata.namespace!);
    }
    const uid = randomUUID();
    delete object.metadata.deletionTimestamp;
    delete object.metadata.deletionGracePeriodSeconds;
    delete object.metadata.managedFields;
    object.metadata.uid = uid;
    object.metadata.creationTimestamp = isoSeconds(this.clock.now());
    if (resource.generation) object.metadata.generation = 1;
    else delete object.metadata.generation;
    if (
      resource.statusSubresource &&
      resource.kind !== 'Node' &&
      resource.kind !== 'Pod'
    ) {
      delete object.status;
    }
    if (resource.kind === 'Pod') {
      // A new pod starts Pending whatever status the client sent.
      delete object.status;
    }
    defaultObject(object, {
      uid,
      allocateClusterIP: () => this.allocateClusterIP(),
    });
    const warnings = admit({
      resource,
      operation: 'CREATE',
      object,
      fieldValidation: options.fieldValidation,
      list: (g, p, ns) => this.store.list(this.key(this.resource(g, p)), ns),
    });
    if (
      this.tryGet(resource, object.metadata.namespace, object.metadata.name)
    ) {
      throw StatusError.alreadyExists(
        resource.group,
        resource.plural,
        object.metadata.name,
      );
    }
    if (options.dryRun) {
      return { object, warnings };
    }
    return { object: this.store.put(this.key(resource), object), warnings };
  }

  private checkBody(
    resource: ResourceType,
    namespace: string | undefined,
    body: unknown,
  ): K8sObject {
    if (!isObject(body)) {
      throw StatusError.badRequest(
        'the body of the request must be a JSON object',
      );
    }
    const object = clone(body) as K8sObject;
    if (object.kind !== undefined && object.kind !== resource.kind) {
      throw StatusError.badRequest(
        `the kind in the data (${object.kind}) does not match the expected kind (${resource.kind})`,
      );
    }
    if (
      object.apiVersion !== undefined &&
      !resource.versions.some(
        v => apiVersionOf(resource.group, v) === object.apiVersion,
      )
    ) {
      throw StatusError.badRequest(
        `the API version in the data (${
          object.apiVersion
        }) does not match the expected API version (${storageApiVersion(
          resource,
        )})`,
      );
    }
    object.kind = resource.kind;
    object.apiVersion = storageApiVersion(resource);
    if (!isObject(object.metadata)) object.metadata = {} as any;
    if (resource.namespaced) {
      if (
        object.metadata.namespace &&
        namespace &&
        object.metadata.namespace !== namespace
      ) {
        throw StatusError.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      object.metadata.namespace = namespace ?? object.metadata.namespace;
      if (!object.metadata.namespace) {
        throw StatusError.badRequest(
          'a namespace is required for namespaced resources',
        );
      }
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }

  private checkNamespaceWritable(namespace: string) {
    const ns = this.store.get('core/namespaces', undefined, namespace);
    if (!ns) {
      throw StatusError.notFound('', 'namespaces', namespace);
    }
    if (ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') {
      throw new StatusError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: namespace,
          kind: 'namespaces',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  allocateClusterIP(): string {
    const n = this.nextServiceIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  // ---------------------------------------------------------------- update

  update(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    const existing = this.get(resource, namespace, name);
    const incoming = this.checkBody(resource, namespace, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw StatusError.badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    incoming.metadata.name = name;
    const rv = incoming.metadata.resourceVersion;
    if (rv) {
      if (rv !== existing.metadata.resourceVersion) {
        throw StatusError.conflict(resource.group, resource.plural, name);
      }
    } else if (resource.custom) {
      throw StatusError.invalid(resource.group, resource.kind, name, [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    return this.applyUpdate(resource, existing, incoming, options);
  }

  /** The shared second half of update and patch. */
  private applyUpdate(
    resource: ResourceType,
    existing: K8sObject,
    incoming: K8sObject,
    options: WriteOptions,
  ): WriteResult {
    const sub = options.subresource;
    let next: K8sObject;
    if (sub === 'status') {
      next = { ...clone(existing), status: incoming.status };
      if (incoming.status === undefined) delete next.status;
    } else if (sub === 'ephemeralcontainers') {
      next = clone(existing);
      next.spec = {
        ...next.spec,
        ephemeralContainers: incoming.spec?.ephemeralContainers ?? [],
      };
      this.checkEphemeralContainers(existing, next);
    } else {
      next = incoming;
      // Server-owned metadata is kept whatever the client sent.
      next.metadata = {
        ...next.metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        namespace: existing.metadata.namespace,
        name: existing.metadata.name,
      };
      if (existing.metadata.generation !== undefined) {
        next.metadata.generation = existing.metadata.generation;
      } else {
        delete next.metadata.generation;
      }
      for (const key of [
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
      ] as const) {
        if (existing.metadata[key] !== undefined)
          (next.metadata as any)[key] = existing.metadata[key];
        else delete next.metadata[key];
      }
      if (existing.metadata.deletionTimestamp) {
        // Finalizers may only be removed once deletion started.
        const added = (next.metadata.finalizers ?? []).filter(
          f => !(existing.metadata.finalizers ?? []).includes(f),
        );
        if (added.length > 0) {
          throw StatusError.invalid(
            resource.group,
            resource.kind,
            existing.metadata.name,
            [
              {
                reason: 'FieldValueForbidden',
                field: 'metadata.finalizers',
                message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(
                  added,
                )}`,
              },
            ],
          );
        }
      }
      if (resource.statusSubresource) {
        if (existing.status === undefined) delete next.status;
        else next.status = existing.status;
      }
      if (resource.kind === 'Pod' && sub !== 'binding') {
        // spec.ephemeralContainers only changes through its subresource.
        if (existing.spec?.ephemeralContainers) {
          next.spec = {
            ...next.spec,
            ephemeralContainers: existing.spec.ephemeralContainers,
          };
        } else if (next.spec) {
          delete next.spec.ephemeralContainers;
        }
      }
      defaultObject(next, {
        uid: existing.metadata.uid!,
        old: existing,
        allocateClusterIP: () => this.allocateClusterIP(),
      });
    }
    let warnings: string[] = [];
    if (sub !== 'status') {
      warnings = admit({
        resource,
        operation: 'UPDATE',
        object: next,
        oldObject: existing,
        fieldValidation: options.fieldValidation,
        list: (g, p, ns) => this.store.list(this.key(this.resource(g, p)), ns),
      });
    }
    if (
      resource.generation &&
      sub !== 'status' &&
      this.specChanged(existing, next)
    ) {
      next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (same(next, existing)) {
      // A no-op update stores nothing and keeps the resourceVersion.
      return { object: existing, warnings };
    }
    if (options.dryRun) {
      return { object: next, warnings };
    }
    const stored = this.store.put(this.key(resource), next);
    this.removeIfFinalized(resource, stored);
    return { object: stored, warnings };
  }

  private specChanged(a: K8sObject, b: K8sObject): boolean {
    const strip = (o: K8sObject) => {
      const { metadata: _m, status: _s, ...rest } = o;
      void _m;
      void _s;
      return rest;
    };
    return !same(strip(a), strip(b));
  }

  private checkEphemeralContainers(existing: K8sObject, next: K8sObject) {
    const before: any[] = existing.spec?.ephemeralContainers ?? [];
    const after: any[] = next.spec?.ephemeralContainers ?? [];
    const name = existing.metadata.name;
    for (const c of after) {
      if (!isObject(c)) continue;
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= 'IfNotPresent';
    }
    for (const old of before) {
      const kept = after.find(c => c?.name === old.name);
      if (!kept || !same(kept, old)) {
        throw StatusError.invalid('', 'Pod', name, [
          {
            reason: 'FieldValueForbidden',
            field: 'spec.ephemeralContainers',
            message:
              'Forbidden: existing ephemeral containers may not be removed or changed',
          },
        ]);
      }
    }
    const names = new Set<string>([
      ...(existing.spec?.containers ?? []).map((c: any) => c.name),
      ...(existing.spec?.initContainers ?? []).map((c: any) => c.name),
    ]);
    after.forEach((c, i) => {
      const field = `spec.ephemeralContainers[${i}]`;
      if (!isObject(c) || typeof c.name !== 'string' || !c.name) {
        throw StatusError.invalid('', 'Pod', name, [
          {
            reason: 'FieldValueRequired',
            field: `${field}.name`,
            message: 'Required value',
          },
        ]);
      }
      if (names.has(c.name)) {
        throw StatusError.invalid('', 'Pod', name, [
          {
            reason: 'FieldValueDuplicate',
            field: `${field}.name`,
            message: `Duplicate value: "${c.name}"`,
          },
        ]);
      }
      names.add(c.name);
      if (typeof c.image !== 'string' || !c.image) {
        throw StatusError.invalid('', 'Pod', name, [
          {
            reason: 'FieldValueRequired',
            field: `${field}.image`,
            message: 'Required value',
          },
        ]);
      }
      for (const forbidden of [
        'ports',
        'resources',
        'livenessProbe',
        'readinessProbe',
        'startupProbe',
        'lifecycle',
      ]) {
        if (c[forbidden] !== undefined) {
          throw StatusError.invalid('', 'Pod', name, [
            {
              reason: 'FieldValueForbidden',
              field: `${field}.${forbidden}`,
              message: 'Forbidden: cannot be set for an Ephemeral Container',
            },
          ]);
        }
      }
    });
  }

  // ---------------------------------------------------------------- patch

  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patchBody: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    if (type === 'strategic' && resource.custom) {
      throw StatusError.unsupportedMediaType(
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    }
    const existing = this.tryGet(resource, namespace, name);
    if (!existing) {
      if (type === 'apply' && !options.subresource) {
        if (!options.fieldManager) {
          throw StatusError.badRequest(
            'PATCH, application/apply-patch+yaml requires fieldManager to be set',
          );
        }
        const body: any = clone(patchBody);
        if (isObject(body)) {
          body.metadata = { ...body.metadata, name };
        }
        return this.create(resource, namespace, body, options);
      }
      throw StatusError.notFound(resource.group, resource.plural, name);
    }
    if (type === 'apply' && !options.fieldManager) {
      throw StatusError.badRequest(
        'PATCH, application/apply-patch+yaml requires fieldManager to be set',
      );
    }
    let source: any = clone(existing);
    if (options.subresource === 'scale') {
      source = this.scaleOf(resource, existing);
    }
    let patched: any;
    switch (type) {
      case 'merge':
        if (!isObject(patchBody))
          throw StatusError.badRequest('a merge patch must be a JSON object');
        patched = applyMergePatch(source, patchBody);
        break;
      case 'json':
        patched = applyJsonPatch(source, patchBody);
        break;
      case 'strategic':
        patched = applyStrategicMergePatch(source, patchBody);
        break;
      case 'apply':
        // Server-side apply, approximated: the applied configuration merges
        // over the object (no field ownership or removal of unlisted fields).
        if (!isObject(patchBody))
          throw StatusError.badRequest('an apply patch must be an object');
        patched = resource.custom
          ? applyMergePatch(source, patchBody)
          : applyStrategicMergePatch(source, patchBody);
        break;
      default:
        throw StatusError.unsupportedMediaType(
          `unsupported patch type ${String(type)}`,
        );
    }
    if (!isObject(patched)) {
      throw StatusError.badRequest('the patch did not produce an object');
    }
    if (options.subresource === 'scale') {
      return this.applyScale(resource, existing, patched, options);
    }
    if (
      patched.metadata?.resourceVersion !== undefined &&
      patched.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw StatusError.conflict(resource.group, resource.plural, name);
    }
    const incoming = this.checkBody(resource, namespace, patched);
    if (incoming.metadata.name !== name) {
      throw StatusError.badRequest('a patch may not change metadata.name');
    }
    return this.applyUpdate(resource, existing, incoming, options);
  }

  // ---------------------------------------------------------------- scale

  scaleOf(_resource: ResourceType, object: K8sObject): any {
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec: { replicas: object.spec?.replicas ?? 0 },
      status: {
        replicas: object.status?.replicas ?? 0,
        selector: selectorString(object.spec?.selector),
      },
    };
  }

  updateScale(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): WriteResult {
    const existing = this.get(resource, namespace, name);
    if (!isObject(body))
      throw StatusError.badRequest('the body must be a Scale object');
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata.resourceVersion) {
      throw StatusError.conflict(resource.group, resource.plural, name);
    }
    return this.applyScale(resource, existing, body, options);
  }

  private applyScale(
    resource: ResourceType,
    existing: K8sObject,
    scale: any,
    options: WriteOptions,
  ): WriteResult {
    const replicas = scale?.spec?.replicas;
    if (
      typeof replicas !== 'number' ||
      !Number.isInteger(replicas) ||
      replicas < 0
    ) {
      throw StatusError.invalid(
        'autoscaling',
        'Scale',
        existing.metadata.name,
        [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.replicas',
            message: `Invalid value: ${JSON.stringify(
              replicas,
            )}: must be greater than or equal to 0`,
          },
        ],
      );
    }
    const next = clone(existing);
    next.spec = { ...next.spec, replicas };
    const result = this.applyUpdate(resource, existing, next, {
      dryRun: options.dryRun,
    });
    return {
      object: this.scaleOf(resource, result.object),
      warnings: result.warnings,
    };
  }

  // ---------------------------------------------------------------- delete

  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): DeleteResult {
    const existing = this.get(resource, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw StatusError.conflict(
        resource.group,
        resource.plural,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (
      pre?.resourceVersion &&
      pre.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw StatusError.conflict(
        resource.group,
        resource.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${existing.metadata.resourceVersion}`,
      );
    }
    const warnings: string[] = [];
    let policy = options.propagationPolicy;
    if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
      throw StatusError.invalid(resource.group, 'DeleteOptions', '', [
        {
          reason: 'FieldValueNotSupported',
          field: 'propagationPolicy',
          message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        },
      ]);
    }
    if (!policy) {
      policy = resource.defaultPropagation ?? 'Background';
      if (resource.kind === 'Job' && this.dependentsOf(existing).length > 0) {
        warnings.push(
          'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning',
        );
      }
    }

    if (options.dryRun) {
      return this.deleteResponse(resource, existing, false, warnings);
    }

    if (resource.kind === 'Namespace') {
      return this.deleteNamespace(resource, existing, warnings);
    }

    // Graceful deletion of a pod the kubelet runs: mark it and let the kubelet finish.
    if (resource.kind === 'Pod') {
      const grace = this.podGracePeriod(existing, options.gracePeriodSeconds);
      if (grace > 0) {
        const deadline = this.clock.now() + grace * 1000;
        const current = existing.metadata.deletionTimestamp
          ? Date.parse(existing.metadata.deletionTimestamp)
          : Infinity;
        if (deadline < current || !existing.metadata.deletionTimestamp) {
          const next = clone(existing);
          next.metadata.deletionTimestamp = isoSeconds(deadline);
          next.metadata.deletionGracePeriodSeconds = grace;
          this.addPropagationFinalizer(next, policy);
          const stored = this.store.put(this.key(resource), next);
          return { object: stored, warnings };
        }
        return { object: existing, warnings };
      }
    }

    const finalizers = [...(existing.metadata.finalizers ?? [])];
    const needsFinalizer =
      (policy === 'Foreground' || policy === 'Orphan') &&
      this.dependentsOf(existing).length > 0;
    if (finalizers.length > 0 || needsFinalizer) {
      const next = clone(existing);
      next.metadata.deletionTimestamp ??= isoSeconds(this.clock.now());
      next.metadata.deletionGracePeriodSeconds ??= 0;
      if (needsFinalizer) this.addPropagationFinalizer(next, policy);
      const stored = same(next, existing)
        ? existing
        : this.store.put(this.key(resource), next);
      return { object: stored, warnings };
    }
    this.removeNow(resource, existing, policy);
    return this.deleteResponse(resource, existing, true, warnings);
  }

  private addPropagationFinalizer(
    object: K8sObject,
    policy: PropagationPolicy,
  ) {
    const finalizers = new Set(object.metadata.finalizers ?? []);
    if (policy === 'Foreground' && this.dependentsOf(object).length > 0) {
      finalizers.add(FINALIZER_FOREGROUND);
    }
    if (policy === 'Orphan' && this.dependentsOf(object).length > 0) {
      finalizers.add(FINALIZER_ORPHAN);
    }
    if (finalizers.size > 0) object.metadata.finalizers = [...finalizers];
  }

  private podGracePeriod(pod: K8sObject, requested?: number): number {
    if (!pod.spec?.nodeName) return 0;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  }

  private deleteResponse(
    resource: ResourceType,
    object: K8sObject,
    removed: boolean,
    warnings: string[],
  ): DeleteResult {
    if (RETURN_DELETED_OBJECT.has(resource.plural) || !removed) {
      return { object, warnings };
    }
    return {
      status: successStatus({
        name: object.metadata.name,
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.plural,
        uid: object.metadata.uid,
      }),
      warnings,
    };
  }

  private deleteNamespace(
    resource: ResourceType,
    existing: K8sObject,
    warnings: string[],
  ): DeleteResult {
    if (existing.metadata.deletionTimestamp) {
      return { object: existing, warnings };
    }
    const next = clone(existing);
    next.metadata.deletionTimestamp = isoSeconds(this.clock.now());
    next.metadata.deletionGracePeriodSeconds = 0;
    next.status = { ...next.status, phase: 'Terminating' };
    const stored = this.store.put(this.key(resource), next);
    return { object: stored, warnings };
  }

  /**
   * Removes an object from storage now (grace period over, finalizers gone)
   * and applies the owner-reference cascade to its dependents.
   */
  removeNow(
    resource: ResourceType,
    object: K8sObject,
    policy: PropagationPolicy = 'Background',
  ) {
    const removed = this.store.remove(
      this.key(resource),
      object.metadata.namespace,
      object.metadata.name,
    );
    if (!removed) return;
    if (resource.kind === 'Pod') {
      this.hooks.onPodRemoved?.(removed);
      this.logs.removePod(removed.metadata.uid!);
    }
    const dependents = this.dependentsOf(removed);
    for (const { resource: depResource, object: dep } of dependents) {
      const remainingOwners = (dep.metadata.ownerReferences ?? []).filter(
        ref => ref.uid !== removed.metadata.uid,
      );
      const liveOwner = remainingOwners.some(ref =>
        this.ownerExists(ref, dep.metadata.namespace),
      );
      if (policy === 'Orphan' || liveOwner) {
        this.dropOwnerReference(depResource, dep, removed.metadata.uid!);
      } else {
        const current = this.tryGet(
          depResource,
          dep.metadata.namespace,
          dep.metadata.name,
        );
        if (current && !current.metadata.deletionTimestamp) {
          this.delete(depResource, dep.metadata.namespace, dep.metadata.name, {
            propagationPolicy:
              policy === 'Foreground' ? 'Foreground' : 'Background',
          });
        }
      }
    }
  }

  private ownerExists(
    ref: { uid: string; kind: string; name: string },
    namespace?: string,
  ): boolean {
    for (const resource of this.registry.resources) {
      if (resource.kind !== ref.kind) continue;
      const owner = this.tryGet(resource, namespace, ref.name);
      if (owner && owner.metadata.uid === ref.uid) return true;
    }
    return false;
  }

  dropOwnerReference(
    resource: ResourceType,
    dependent: K8sObject,
    ownerUid: string,
  ) {
    const current = this.tryGet(
      resource,
      dependent.metadata.namespace,
      dependent.metadata.name,
    );
    if (!current) return;
    const next = clone(current);
    next.metadata.ownerReferences = (
      next.metadata.ownerReferences ?? []
    ).filter(ref => ref.uid !== ownerUid);
    if (next.metadata.ownerReferences.length === 0)
      delete next.metadata.ownerReferences;
    if (!same(next, current)) this.store.put(this.key(resource), next);
  }

  /** Objects whose ownerReferences name `owner` (same namespace, or any for cluster-scoped owners). */
  dependentsOf(
    owner: K8sObject,
  ): Array<{ resource: ResourceType; object: K8sObject }> {
    const uid = owner.metadata.uid;
    const out: Array<{ resource: ResourceType; object: K8sObject }> = [];
    for (const resource of this.registry.resources) {
      if (!resource.namespaced && owner.metadata.namespace) continue;
      const candidates = this.store.list(
        this.key(resource),
        owner.metadata.namespace && resource.namespaced
          ? owner.metadata.namespace
          : undefined,
      );
      for (const object of candidates) {
        if (object.metadata.ownerReferences?.some(ref => ref.uid === uid)) {
          out.push({ resource, object });
        }
      }
    }
    return out;
  }

  /** After an update: an object being deleted whose last finalizer went is removed. */
  private removeIfFinalized(resource: ResourceType, object: K8sObject) {
    if (!object.metadata.deletionTimestamp) return;
    if ((object.metadata.finalizers ?? []).length > 0) return;
    if (resource.kind === 'Namespace') return;
    if (resource.kind === 'Pod' && object.spec?.nodeName) {
      // The kubelet removes a running pod once its grace period is over.
      const phase = object.status?.phase;
      const due =
        Date.parse(object.metadata.deletionTimestamp) <= this.clock.now();
      if (!due && phase !== 'Succeeded' && phase !== 'Failed') return;
    }
    this.removeNow(resource, object);
  }

  /** Finalizer handling for controllers: remove `finalizer` from an object. */
  removeFinalizer(
    resource: ResourceType,
    object: K8sObject,
    finalizer: string,
  ) {
    const current = this.tryGet(
      resource,
      object.metadata.namespace,
      object.metadata.name,
    );
    if (!current || !(current.metadata.finalizers ?? []).includes(finalizer))
      return;
    const next = clone(current);
    next.metadata.finalizers = next.metadata.finalizers!.filter(
      f => f !== finalizer,
    );
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    const stored = this.store.put(this.key(resource), next);
    this.removeIfFinalized(resource, stored);
  }

  // ---------------------------------------------------------------- controller writes

  /**
   * Writes a controller-computed status (no admission, last writer wins on
   * the latest copy). A no-op when nothing changed.
   */
  writeStatus(
    resource: ResourceType,
    object: K8sObject,
    status: any,
  ): K8sObject | undefined {
    const current = this.tryGet(
      resource,
      object.metadata.namespace,
      object.metadata.name,
    );
    if (!current) return undefined;
    if (same(current.status, status)) return current;
    return this.store.put(this.key(resource), { ...current, status });
  }

  /** Read-modify-write of the latest copy, for controllers (no conflict on concurrent writers). */
  mutate(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (object: K8sObject) => K8sObject | void,
  ): K8sObject | undefined {
    const current = this.tryGet(resource, namespace, name);
    if (!current) return undefined;
    const draft = clone(current);
    const result = change(draft) ?? draft;
    if (same(result, current)) return current;
    const stored = this.store.put(this.key(resource), result);
    this.removeIfFinalized(resource, stored);
    return stored;
  }

  /** Deletes every object of a resource in a namespace matching the selectors (deletecollection). */
  deleteCollection(
    resource: ResourceType,
    namespace: string | undefined,
    listOptions: ListOptions,
    options: DeleteOptions,
  ): K8sObject[] {
    const { items } = this.list(resource, namespace, {
      labelSelector: listOptions.labelSelector,
      fieldSelector: listOptions.fieldSelector,
    });
    for (const item of items) {
      try {
        this.delete(
          resource,
          item.metadata.namespace,
          item.metadata.name,
          options,
        );
      } catch (error) {
        if (!(error instanceof StatusError && error.code === 404)) throw error;
      }
    }
    return items;
  }

  // ---------------------------------------------------------------- events

  /**
   * Records a core/v1 Event about `involved`, folding repeats (same reason
   * and message) into one Event with a count, as the event recorder does.
   */
  recordEvent(
    involved: K8sObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): K8sObject | undefined {
    const namespace = involved.metadata.namespace ?? 'default';
    const ns = this.store.get('core/namespaces', undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return undefined;
    const events = this.resource('', 'events');
    const now = isoSeconds(this.clock.now());
    const existing = this.store
      .list('core/events', namespace)
      .find(
        e =>
          e.involvedObject?.uid === involved.metadata.uid &&
          e.reason === reason &&
          e.message === message &&
          e.source?.component === component,
      );
    if (existing) {
      return this.store.put(this.key(events), {
        ...existing,
        count: (existing.count ?? 1) + 1,
        lastTimestamp: now,
      });
    }
    const event: K8sObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${involved.metadata.name}.${randomUUID()
          .replace(/-/g, '')
          .slice(0, 16)}`,
        namespace,
        uid: randomUUID(),
        creationTimestamp: now,
      },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component, ...(host ? { host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    };
    return this.store.put(this.key(events), event);
  }
}

export function selectorString(selector: any): string {
  if (!isObject(selector)) return '';
  const parts = Object.entries(selector.matchLabels ?? {}).map(
    ([k, v]) => `${k}=${v}`,
  );
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        break;
    }
  }
  return parts.join(',');
}
