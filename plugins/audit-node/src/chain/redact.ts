import { isErrorLike } from './canonical';

/**
 * The redaction rule, applied to meta, error messages and request paths
 * before anything is hashed, spooled or stored.
 *
 * 1. A key whose name, lower-cased with everything but letters and digits
 *    removed, contains one of {@link REDACTED_KEY_PARTS} (or equals one of
 *    {@link REDACTED_KEYS}) has its whole value replaced by `"[REDACTED]"`,
 *    whatever the value is (string, object, array).
 * 2. Any string value that looks like a secret is replaced by
 *    `"[REDACTED]"`: a bearer or basic `Authorization` value, a JWT
 *    (three base64url parts, the first starting `eyJ`), a PEM private key,
 *    or a URL carrying a password (`scheme://user:password@host`).
 * 3. Query parameters of a request path whose name matches rule 1 get the
 *    value `[REDACTED]`; error messages get rule 2 applied to the parts that
 *    look like secrets.
 *
 * @public
 */
export const REDACTED = '[REDACTED]';

/** Parts of a normalised key name that make its value secret. @public */
export const REDACTED_KEY_PARTS: readonly string[] = [
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'authorization',
  'cookie',
  'apikey',
  'credential',
  'privatekey',
  'accesskey',
  'bearer',
  'signature',
];

/** Normalised key names that are secret as a whole (too short to match as parts). @public */
export const REDACTED_KEYS: readonly string[] = ['auth', 'pwd', 'jwt', 'pin'];

const SECRET_VALUE_PATTERNS: RegExp[] = [
  /\bbearer\s+[a-z0-9\-._~+/]{8,}=*/i,
  /\bbasic\s+[a-z0-9+/]{8,}={0,2}/i,
  /\beyJ[a-zA-Z0-9_-]{4,}\.[a-zA-Z0-9_-]{4,}\.[a-zA-Z0-9_-]*/,
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i,
];

const SECRET_VALUE_PATTERNS_GLOBAL: RegExp[] = [
  /\bbearer\s+[a-z0-9\-._~+/]{8,}=*/gi,
  /\bbasic\s+[a-z0-9+/]{8,}={0,2}/gi,
  /\beyJ[a-zA-Z0-9_-]{4,}\.[a-zA-Z0-9_-]{4,}\.[a-zA-Z0-9_-]*/g,
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^/\s@]+@/gi,
];

/** True when a key's value must be redacted. @public */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (REDACTED_KEYS.includes(k)) return true;
  return REDACTED_KEY_PARTS.some(part => k.includes(part));
}

/** True when a string value looks like a secret. @public */
export function looksLikeSecret(value: string): boolean {
  return SECRET_VALUE_PATTERNS.some(p => p.test(value));
}

/**
 * Returns a copy of `value` with the redaction rule applied (rules 1 and 2).
 *
 * @public
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new Set());
}

function redactValue(value: unknown, seen: Set<unknown>): unknown {
  if (typeof value === 'string') {
    return looksLikeSecret(value) ? REDACTED : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (isErrorLike(value)) return redactText(value.message);
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map(v => redactValue(v, seen));
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        isSecretKey(key) && v !== undefined ? REDACTED : redactValue(v, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * Replaces the secret-looking parts of a free text (an error message) with
 * `[REDACTED]`, keeping the rest readable.
 *
 * @public
 */
export function redactText(text: string): string {
  let out = text;
  for (const p of SECRET_VALUE_PATTERNS_GLOBAL) {
    out = out.replace(p, (_m, keep?: string) =>
      typeof keep === 'string' && keep.includes('://')
        ? `${keep}${REDACTED}@`
        : REDACTED,
    );
  }
  return out;
}

/**
 * Redacts the query parameters of a request path (`/x?token=abc` →
 * `/x?token=[REDACTED]`) and secret-looking values in it.
 *
 * @public
 */
export function redactPath(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return redactText(path);
  const base = redactText(path.slice(0, q));
  const parts = path
    .slice(q + 1)
    .split('&')
    .map(pair => {
      const eq = pair.indexOf('=');
      const rawKey = eq < 0 ? pair : pair.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {
        // keep the raw key
      }
      if (eq >= 0 && isSecretKey(key)) return `${rawKey}=${REDACTED}`;
      if (eq >= 0) {
        const rawValue = pair.slice(eq + 1);
        let decoded = rawValue;
        try {
          decoded = decodeURIComponent(rawValue.replace(/\+/g, ' '));
        } catch {
          // keep the raw value
        }
        if (looksLikeSecret(decoded)) return `${rawKey}=${REDACTED}`;
      }
      return pair;
    });
  return `${base}?${parts.join('&')}`;
}
