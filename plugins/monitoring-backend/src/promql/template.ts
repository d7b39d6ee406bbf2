import { escapePromQLString, escapeRegex } from './escape';

/**
 * PromQL templates: the platform team writes panel queries in config with
 * the variables `$namespace`, `$workload`, `$cluster`, `$version` and
 * `$__rate_interval`. A template is checked once, when the config is read,
 * and split into literal text and typed holes:
 *
 * - a variable inside a double-quoted string after `=` / `!=` is a *string*
 *   hole: its value is escaped for a PromQL string literal;
 * - after `=~` / `!~` it is a *regex* hole: the value is regex-escaped first
 *   (so `payment.gateway` matches only that text), then string-escaped;
 * - `$__rate_interval` stands alone inside `[...]` (a range or subquery) and
 *   becomes a duration computed by the backend, never from input;
 * - anything else (a variable outside a string, in a single-quoted or
 *   backtick string, after a function argument comma, an unknown `$name`)
 *   is refused at start, so no template can be written that would paste a
 *   value into PromQL unescaped.
 *
 * `$version` may only be used in regex holes: without a version asked for,
 * it matches every version (`.*`), not the empty string.
 */

export type TemplateVariable = 'namespace' | 'workload' | 'cluster' | 'version';

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  'namespace',
  'workload',
  'cluster',
  'version',
];

type Part =
  | { type: 'text'; text: string }
  | { type: 'string'; variable: TemplateVariable }
  | { type: 'regex'; variable: TemplateVariable }
  | { type: 'rateInterval' };

export interface CompiledTemplate {
  /** The template as configured. */
  source: string;
  parts: Part[];
  /** Variables it uses. */
  variables: Set<TemplateVariable>;
}

export interface TemplateValues {
  namespace: string;
  workload: string;
  cluster: string;
  /** Undefined: every version. */
  version?: string;
  /** A Prometheus duration, e.g. `60s`. */
  rateInterval: string;
}

export class TemplateError extends Error {}

const VARIABLE = /\$(__rate_interval|[A-Za-z_][A-Za-z0-9_]*)/y;

/** The operator just before position `quote` (skipping blanks), if it is a matcher operator. */
function matcherOperatorBefore(text: string, quote: number) {
  let i = quote - 1;
  while (i >= 0 && /\s/.test(text[i])) i--;
  const two = text.slice(Math.max(0, i - 1), i + 1);
  if (two === '=~' || two === '!~') return 'regex';
  if (two === '!=') return 'string';
  if (text[i] === '=' && !['=', '!', '<', '>'].includes(text[i - 1])) {
    return 'string';
  }
  return undefined;
}

/**
 * Splits a template into text and holes, or throws a TemplateError saying
 * what is wrong and where.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  const variables = new Set<TemplateVariable>();
  let text = '';
  let bracketDepth = 0;
  const flush = () => {
    if (text) parts.push({ type: 'text', text });
    text = '';
  };
  const fail = (message: string, at: number): never => {
    throw new TemplateError(
      `${message} at position ${at} of the template: ${source}`,
    );
  };

  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '"' || ch === "'" || ch === '`') {
      // A string literal: copy it, turning variables into holes.
      const quote = ch;
      const context =
        quote === '"' ? matcherOperatorBefore(source, i) : undefined;
      text += ch;
      i++;
      let closed = false;
      while (i < source.length) {
        const c = source[i];
        if (c === '\\' && quote !== '`') {
          text += source.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (c === quote) {
          text += c;
          i++;
          closed = true;
          break;
        }
        if (c === '$') {
          VARIABLE.lastIndex = i;
          const m = VARIABLE.exec(source);
          const name = m?.[1];
          if (name && (TEMPLATE_VARIABLES as string[]).includes(name)) {
            if (!context) {
              fail(
                `$${name} may only be used in a label matcher value ("..." after =, !=, =~ or !~)`,
                i,
              );
            }
            if (name === 'version' && context !== 'regex') {
              fail(
                '$version may only be used after =~ or !~ (it matches every version when none is asked for)',
                i,
              );
            }
            flush();
            parts.push({ type: context!, variable: name as TemplateVariable });
            variables.add(name as TemplateVariable);
            i += m![0].length;
            continue;
          }
          if (name === '__rate_interval') {
            fail('$__rate_interval belongs in [...], not in a string', i);
          }
          // Any other `$...` inside a string (e.g. "$1" of label_replace) is text.
        }
        if (c === '\n') fail('a string literal may not span lines', i);
        text += c;
        i++;
      }
      if (!closed) fail('unterminated string literal', i);
      continue;
    }
    if (ch === '[') bracketDepth++;
    if (ch === ']') bracketDepth = Math.max(0, bracketDepth - 1);
    if (ch === '#') {
      fail('comments are not allowed in templates', i);
    }
    if (ch === '$') {
      VARIABLE.lastIndex = i;
      const m = VARIABLE.exec(source);
      if (m?.[1] === '__rate_interval') {
        const before = source.slice(0, i).trimEnd();
        const after = source.slice(i + m[0].length).trimStart();
        const standsAlone =
          bracketDepth > 0 &&
          (before.endsWith('[') || before.endsWith(':')) &&
          (after.startsWith(']') || after.startsWith(':'));
        if (!standsAlone) {
          fail('$__rate_interval must stand alone inside [...]', i);
        }
        flush();
        parts.push({ type: 'rateInterval' });
        i += m[0].length;
        continue;
      }
      fail(
        `${
          m ? `$${m[1]}` : '$'
        } outside a string literal (variables go inside "..." after a label matcher operator)`,
        i,
      );
    }
    text += ch;
    i++;
  }
  flush();
  return { source, parts, variables };
}

/** The PromQL text of a compiled template for these values. */
export function renderTemplate(
  template: CompiledTemplate,
  values: TemplateValues,
): string {
  let out = '';
  for (const part of template.parts) {
    switch (part.type) {
      case 'text':
        out += part.text;
        break;
      case 'string':
        out += escapePromQLString(values[part.variable] ?? '');
        break;
      case 'regex': {
        const value = values[part.variable];
        out +=
          value === undefined ? '.*' : escapePromQLString(escapeRegex(value));
        break;
      }
      case 'rateInterval':
        out += values.rateInterval;
        break;
      default:
        throw new Error('unknown template part');
    }
  }
  return out;
}
