/**
 * Label and node selectors with the semantics of apimachinery's
 * `LabelSelectorAsSelector` and component-helpers' node affinity matching.
 */
import type {
  V1LabelSelector,
  V1Node,
  V1NodeSelectorRequirement,
  V1NodeSelectorTerm,
} from '@kubernetes/client-node';

export type Labels = Record<string, string> | undefined;

/**
 * A metav1.LabelSelector: `undefined`/null selects nothing, `{}` selects
 * everything; matchLabels and matchExpressions are ANDed.
 */
export function matchesLabelSelector(
  selector: V1LabelSelector | undefined | null,
  labels: Labels,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An invalid operator makes the selector invalid: it selects nothing.
        return false;
    }
  }
  return true;
}

/** Strict integer parse as Go's strconv.ParseInt(s, 10, 64). */
function parseIntStrict(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return Number(s);
}

function matchesNodeRequirement(
  r: V1NodeSelectorRequirement,
  labels: Record<string, string>,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const label = parseIntStrict(labels[r.key]);
      const bound = parseIntStrict(values[0]);
      if (label === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? label > bound : label < bound;
    }
    default:
      return false;
  }
}

function matchesFieldRequirement(
  r: V1NodeSelectorRequirement,
  nodeName: string,
): boolean {
  // Only metadata.name is a supported node field; anything else makes the
  // term invalid, and an invalid term matches no node.
  if (r.key !== 'metadata.name') return false;
  const values = r.values ?? [];
  if (r.operator === 'In') return values.includes(nodeName);
  if (r.operator === 'NotIn') return !values.includes(nodeName);
  return false;
}

/** One NodeSelectorTerm: its requirements are ANDed; an empty term matches nothing. */
export function matchesNodeSelectorTerm(
  term: V1NodeSelectorTerm | undefined,
  node: V1Node,
): boolean {
  const exprs = term?.matchExpressions ?? [];
  const fields = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  const name = node.metadata?.name ?? '';
  return (
    exprs.every(r => matchesNodeRequirement(r, labels)) &&
    fields.every(r => matchesFieldRequirement(r, name))
  );
}
