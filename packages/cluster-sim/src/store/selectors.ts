import { StatusError } from './errors';

/** One requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type LabelSelector = LabelRequirement[];

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function bad(selector: string, why: string): never {
  throw StatusError.badRequest(
    `unable to parse requirement: ${why} (in label selector "${selector}")`,
  );
}

/**
 * Parses the label selector syntax of the API (`a=b,c!=d,e in (f,g),!h,i`).
 */
export function parseLabelSelector(
  selector: string | undefined,
): LabelSelector {
  if (!selector || !selector.trim()) {
    return [];
  }
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map(raw => {
    const part = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (m) {
      const values = m[3]
        .split(',')
        .map(v => v.trim())
        .filter(v => v !== '');
      checkKey(selector, m[1]);
      values.forEach(v => checkValue(selector, v));
      return { key: m[1], op: m[2] as 'in' | 'notin', values };
    }
    m = /^!\s*([^=!\s]+)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      return { key: m[1], op: 'notexists' as const };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      checkValue(selector, m[3]);
      return {
        key: m[1],
        op: m[2] === '!=' ? ('neq' as const) : ('eq' as const),
        value: m[3],
      };
    }
    m = /^([^=!\s()]+)$/.exec(part);
    if (m) {
      checkKey(selector, m[1]);
      return { key: m[1], op: 'exists' as const };
    }
    return bad(
      selector,
      `found '${part}', expected: key, !key, key=value, key!=value, key in (v1,v2) or key notin (v1,v2)`,
    );
  });
}

function checkKey(selector: string, key: string) {
  const name = key.includes('/') ? key.split('/')[1] : key;
  if (!KEY.test(key) || name.length > 63) {
    bad(selector, `invalid label key "${key}"`);
  }
}

function checkValue(selector: string, value: string) {
  if (!VALUE.test(value) || value.length > 63) {
    bad(selector, `invalid label value: "${value}"`);
  }
}

export function matchesLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const req of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    switch (req.op) {
      case 'eq':
        if (!has || l[req.key] !== req.value) return false;
        break;
      case 'neq':
        if (has && l[req.key] === req.value) return false;
        break;
      case 'in':
        if (!has || !req.values.includes(l[req.key])) return false;
        break;
      case 'notin':
        if (has && req.values.includes(l[req.key])) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function fromLabelSelectorObject(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{
          key: string;
          operator: string;
          values?: string[];
        }>;
      }
    | undefined
    | null,
): LabelSelector {
  if (!selector) return [];
  const reqs: LabelSelector = Object.entries(selector.matchLabels ?? {}).map(
    ([key, value]) => ({ key, op: 'eq' as const, value }),
  );
  for (const expr of selector.matchExpressions ?? []) {
    switch (expr.operator) {
      case 'In':
        reqs.push({ key: expr.key, op: 'in', values: expr.values ?? [] });
        break;
      case 'NotIn':
        reqs.push({ key: expr.key, op: 'notin', values: expr.values ?? [] });
        break;
      case 'Exists':
        reqs.push({ key: expr.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        reqs.push({ key: expr.key, op: 'notexists' });
        break;
      default:
        break;
    }
  }
  return reqs;
}

export type FieldSelector = Array<{
  field: string;
  op: 'eq' | 'neq';
  value: string;
}>;

/**
 * Parses a field selector (`a=b,c!=d`), rejecting fields the resource does
 * not index, with the API server's message.
 */
export function parseFieldSelector(
  selector: string | undefined,
  supported: string[],
): FieldSelector {
  if (!selector || !selector.trim()) return [];
  return selector.split(',').map(raw => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) {
      throw StatusError.badRequest(
        `invalid selector: '${selector}'; can't understand '${raw}'`,
      );
    }
    if (!supported.includes(m[1])) {
      throw StatusError.badRequest(`field label not supported: ${m[1]}`);
    }
    return {
      field: m[1],
      op: m[2] === '!=' ? ('neq' as const) : ('eq' as const),
      value: m[3],
    };
  });
}

export function fieldValue(obj: any, path: string): string {
  if (path === 'source') {
    return String(obj.source?.component ?? obj.reportingComponent ?? '');
  }
  let cur: any = obj;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return '';
    cur = cur[part];
  }
  if (cur === null || cur === undefined) return '';
  return String(cur);
}

export function matchesFields(selector: FieldSelector, obj: any): boolean {
  for (const req of selector) {
    const value = fieldValue(obj, req.field);
    if (req.op === 'eq' ? value !== req.value : value === req.value) {
      return false;
    }
  }
  return true;
}
