/**
 * Escaping for values placed inside PromQL (and Alertmanager matcher)
 * double-quoted string literals. Everything that goes into a query from an
 * entity, a request or a label passes through here: nothing is ever pasted
 * into PromQL as it is.
 */

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The body of a double-quoted PromQL string literal that reads back as
 * exactly `value`. Backslash and double quote are escaped, control characters
 * become `\n`, `\r`, `\t` or `\u00XX`; other Unicode stays as it is (UTF-8).
 * A string with a lone surrogate cannot be encoded as UTF-8 and is refused.
 */
export function escapePromQLString(value: string): string {
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError('value is not well-formed Unicode');
  }
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out;
}

/** A complete double-quoted PromQL string literal for `value`. */
export function promQLString(value: string): string {
  return `"${escapePromQLString(value)}"`;
}

/**
 * `value` as an RE2 regular expression matching exactly that text (Go's
 * `regexp.QuoteMeta`): every metacharacter gets a backslash. Prometheus
 * anchors label regexes, so the result matches the whole value only.
 */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, ch => `\\${ch}`);
}

/** Label names as Prometheus and Alertmanager accept them. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
