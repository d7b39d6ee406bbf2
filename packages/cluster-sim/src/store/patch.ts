import { StatusError } from './errors';

type Json = any;

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

// ---------------------------------------------------------------- JSON merge patch (RFC 7386)

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) {
    return clone(patch);
  }
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value);
    }
  }
  return result;
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

function patchFailed(message: string): never {
  throw new StatusError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    patchFailed(`invalid JSON pointer "${pointer}": must start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map(token => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: Json, tokens: string[], op: string): Json {
  let cur = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const index = Number(token);
      if (!/^\d+$/.test(token) || index >= cur.length) {
        patchFailed(
          `${op} operation does not apply: doc is missing path: "${token}"`,
        );
      }
      cur = cur[index];
    } else if (isObject(cur) && token in cur) {
      cur = cur[token];
    } else {
      patchFailed(
        `${op} operation does not apply: doc is missing path: "/${tokens.join(
          '/',
        )}": missing value`,
      );
    }
  }
  return cur;
}

function getAt(doc: Json, path: string, op: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = resolveParent(doc, tokens, op);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!/^\d+$/.test(last) || index >= parent.length) {
      patchFailed(
        `${op} operation does not apply: doc is missing path: "${path}"`,
      );
    }
    return parent[index];
  }
  if (!isObject(parent) || !(last in parent)) {
    patchFailed(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  return parent[last];
}

function removeAt(doc: Json, path: string, op: string): Json {
  const tokens = parsePointer(path);
  const parent = resolveParent(doc, tokens, op);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!/^\d+$/.test(last) || index >= parent.length) {
      patchFailed(
        `${op} operation does not apply: doc is missing path: "${path}"`,
      );
    }
    return parent.splice(index, 1)[0];
  }
  if (!isObject(parent) || !(last in parent)) {
    patchFailed(
      `${op} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  }
  const value = parent[last];
  delete parent[last];
  return value;
}

function addAt(doc: Json, path: string, value: Json, op: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = resolveParent(doc, tokens, op);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    if (last === '-') {
      parent.push(value);
    } else {
      const index = Number(last);
      if (!/^\d+$/.test(last) || index > parent.length) {
        patchFailed(
          `${op} operation does not apply: doc is missing path: "${path}"`,
        );
      }
      parent.splice(index, 0, value);
    }
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    patchFailed(
      `${op} operation does not apply: doc is missing path: "${path}"`,
    );
  }
  return doc;
}

/** Structural equality (object key order does not matter, list order does). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (
    typeof a !== typeof b ||
    a === null ||
    b === null ||
    typeof a !== 'object'
  )
    return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a).filter(k => a[k] !== undefined);
  const kb = Object.keys(b).filter(k => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k]))
      return false;
  }
  return true;
}

export function applyJsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) {
    throw StatusError.badRequest(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch (a JSON patch is an array of operations)',
    );
  }
  let doc = clone(target);
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation.op !== 'string') {
      throw StatusError.badRequest(
        'a JSON patch operation needs "op" and "path"',
      );
    }
    const { op, path, from, value } = operation;
    if (typeof path !== 'string') {
      throw StatusError.badRequest(
        `JSON patch operation "${op}" needs a "path"`,
      );
    }
    switch (op) {
      case 'add':
        doc = addAt(doc, path, clone(value), op);
        break;
      case 'remove':
        removeAt(doc, path, op);
        break;
      case 'replace':
        if (parsePointer(path).length === 0) {
          doc = clone(value);
        } else {
          getAt(doc, path, op);
          removeAt(doc, path, op);
          doc = addAt(doc, path, clone(value), op);
        }
        break;
      case 'move': {
        const moved = removeAt(doc, from, op);
        doc = addAt(doc, path, moved, op);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, clone(getAt(doc, from, op)), op);
        break;
      case 'test':
        if (!deepEqual(getAt(doc, path, op), value)) {
          patchFailed(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw StatusError.badRequest(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------- strategic merge patch

/** How a list merges, from the Kubernetes types' patchStrategy / patchMergeKey tags. */
type ListStrategy = { mergeKey: string } | 'set' | 'replace';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];

function listStrategy(path: string[]): ListStrategy {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (CONTAINER_LISTS.includes(parent)) {
    switch (last) {
      case 'env':
        return { mergeKey: 'name' };
      case 'ports':
        return { mergeKey: 'containerPort' };
      case 'volumeMounts':
        return { mergeKey: 'mountPath' };
      case 'volumeDevices':
        return { mergeKey: 'devicePath' };
      default:
        return 'replace';
    }
  }
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
    case 'schedulingGates':
    case 'resourceClaims':
      return { mergeKey: 'name' };
    case 'ownerReferences':
      return { mergeKey: 'uid' };
    case 'conditions':
      return { mergeKey: 'type' };
    case 'hostAliases':
      return { mergeKey: 'ip' };
    case 'topologySpreadConstraints':
      return { mergeKey: 'topologyKey' };
    case 'finalizers':
      return 'set';
    case 'ports':
      // ServiceSpec.ports merge by port; other `ports` lists are atomic.
      return parent === 'spec' && path.length === 2
        ? { mergeKey: 'port' }
        : 'replace';
    default:
      return 'replace';
  }
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) {
    return value
      .filter(
        item =>
          !(
            isObject(item) &&
            item.$patch !== undefined &&
            Object.keys(item).length === 1
          ),
      )
      .map(stripDirectives);
  }
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key.startsWith('$')) continue;
      if (v === null) continue;
      out[key] = stripDirectives(v);
    }
    return out;
  }
  return value;
}

function mergeList(original: Json, patch: Json[], path: string[]): Json[] {
  const strategy = listStrategy(path);
  if (patch.some(item => isObject(item) && item.$patch === 'replace')) {
    return stripDirectives(
      patch.filter(item => !(isObject(item) && item.$patch === 'replace')),
    );
  }
  const orig: Json[] = Array.isArray(original) ? clone(original) : [];
  if (strategy === 'replace') {
    return stripDirectives(patch);
  }
  if (strategy === 'set') {
    const out = [...orig];
    for (const item of patch) {
      if (!out.some(existing => deepEqual(existing, item))) out.push(item);
    }
    return out;
  }
  const key = strategy.mergeKey;
  const out = orig;
  for (const item of patch) {
    if (!isObject(item)) {
      throw StatusError.badRequest(
        `unable to find api field in struct for the list at ${path.join(
          '.',
        )}: items must be objects with "${key}"`,
      );
    }
    const index = out.findIndex(
      existing => isObject(existing) && deepEqual(existing[key], item[key]),
    );
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      out[index] = strategicMerge(out[index], item, path);
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function strategicMerge(original: Json, patch: Json, path: string[]): Json {
  if (!isObject(patch)) {
    return clone(patch);
  }
  if (patch.$patch === 'replace') {
    return stripDirectives(patch);
  }
  if (patch.$patch === 'delete') {
    return undefined;
  }
  const result: Record<string, Json> = isObject(original)
    ? clone(original)
    : {};
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(result)) {
      if (!patch.$retainKeys.includes(key)) delete result[key];
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (
      key === '$patch' ||
      key === '$retainKeys' ||
      key.startsWith('$setElementOrder/')
    ) {
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) {
        result[field] = result[field].filter((v: Json) => !value.includes(v));
      }
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, [...path, key]);
    } else if (isObject(value)) {
      const merged = strategicMerge(result[key], value, [...path, key]);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}

/**
 * Strategic merge patch for the built-in kinds, with the list merge keys of
 * the Kubernetes types (containers, env, volumes by name; container ports by
 * containerPort; Service ports by port; tolerations and args replaced) and the
 * `$patch`, `$retainKeys`, `$deleteFromPrimitiveList` directives.
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) {
    throw StatusError.badRequest(
      'a strategic merge patch must be a JSON object',
    );
  }
  return strategicMerge(target, patch, []);
}
