import { RE2JS } from 're2js';

/** What replaces a secret. @public */
export const MASK = '[MASKED]';

const KEY_WORDS =
  '(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|client[_-]?secret|[_-]key)';

/**
 * The built-in patterns (bounded quantifiers only: linear on any input).
 * Each keeps what names the secret and replaces the secret itself.
 */
const BUILT_IN: Array<[RegExp, string]> = [
  // Authorization: Bearer xyz / authorization=xyz
  [/(\bauthorization["']?\s{0,8}[:=]\s{0,8}["']?)[^\r\n"']{1,4096}/gi, `$1${MASK}`],
  // Bearer / Basic credentials anywhere
  [/\b(bearer|basic)(\s{1,8})[A-Za-z0-9._~+/=-]{8,4096}/gi, `$1$2${MASK}`],
  // JSON Web Tokens (a service-account token is one)
  [/\beyJ[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{0,4096}/g, MASK],
  // NAME=value, name: value, "name": "value" where the name says secret
  [
    new RegExp(
      `(\\b[A-Za-z0-9_.-]{0,64}${KEY_WORDS}[A-Za-z0-9_.-]{0,64}["']?\\s{0,8}[:=]\\s{0,8}["']?)([^\\s"',;}]{1,4096})`,
      'gi',
    ),
    `$1${MASK}`,
  ],
  // scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/]{1,256}:)[^\s@/]{1,1024}@/gi, `$1${MASK}@`],
  // cloud and payment provider keys
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, MASK],
  [/\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,256}/g, MASK],
];

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,64}PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]{0,64}PRIVATE KEY-----/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks a stream: holds back the unfinished last line (a secret split
 * across two chunks is still found), and masks every line of a PEM private
 * key block, however it is split.
 *
 * @public
 */
export class StreamingMasker {
  private pending = '';
  private inPem = false;

  constructor(
    private readonly masker: SecretMasker,
    private readonly maxPending: number,
  ) {}

  /** Returns what can be released now, masked. */
  push(text: string): string {
    this.pending += text;
    const cut = this.pending.lastIndexOf('\n');
    if (cut < 0) {
      return this.pending.length > this.maxPending ? this.flush() : '';
    }
    const complete = this.pending.slice(0, cut + 1);
    this.pending = this.pending.slice(cut + 1);
    return this.maskLines(complete);
  }

  /** Releases everything held back, masked. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest ? this.maskLines(rest) : '';
  }

  /** Characters held back. */
  get pendingLength(): number {
    return this.pending.length;
  }

  private maskLines(text: string): string {
    // The common case, no private key in sight: one pass over the whole text.
    if (!this.inPem && !text.includes('PRIVATE KEY-----')) {
      return this.masker.mask(text);
    }
    const parts = text.split(/(\n)/);
    let out = '';
    for (const part of parts) {
      if (part === '\n' || part === '') {
        out += part;
        continue;
      }
      if (this.inPem) {
        if (PEM_END.test(part)) {
          this.inPem = false;
          out += part.replace(/^[\s\S]*?(-----END)/, `${MASK}$1`);
        } else {
          out += part.endsWith('\r') ? `${MASK}\r` : MASK;
        }
        continue;
      }
      if (PEM_BEGIN.test(part) && !PEM_END.test(part)) {
        this.inPem = true;
        out += part.replace(
          /(-----BEGIN [A-Z0-9 ]{0,64}PRIVATE KEY-----)[\s\S]*$/,
          `$1${MASK}`,
        );
        continue;
      }
      out += this.masker.mask(part);
    }
    return out;
  }
}

/**
 * Masks secrets in text: the built-in patterns (Authorization headers,
 * Bearer/Basic credentials, JWTs such as the pod's service-account token,
 * `password=`/`token:`/`*_KEY=` style values, URL passwords, PEM private
 * keys, AWS and Stripe-style keys), the platform's extra patterns (RE2
 * syntax, whole match masked) and literal secret values (e.g. the values of
 * the Secrets a pod's environment references).
 *
 * @public
 */
export class SecretMasker {
  private readonly extra: RE2JS[];
  private literals: RegExp | undefined;
  private readonly literalValues = new Set<string>();

  constructor(options: { patterns?: string[]; literals?: string[] } = {}) {
    this.extra = (options.patterns ?? []).map(p => RE2JS.compile(p));
    this.addLiterals(options.literals ?? []);
  }

  /** Adds exact secret values (6 characters or more; shorter ones would mask ordinary words). */
  addLiterals(values: string[]) {
    for (const v of values) {
      if (typeof v === 'string' && v.length >= 6) {
        this.literalValues.add(v);
        // a multi-line secret is masked line by line too
        for (const line of v.split(/\r?\n/)) {
          if (line.trim().length >= 6) this.literalValues.add(line.trim());
        }
      }
    }
    const all = [...this.literalValues].sort((a, b) => b.length - a.length);
    this.literals = all.length
      ? new RegExp(all.map(escapeRegExp).join('|'), 'g')
      : undefined;
  }

  /** Masks one complete text (a line, an argument, a whole output). */
  mask(text: string): string {
    if (!text) return text;
    let out = text;
    if (this.literals) out = out.replace(this.literals, MASK);
    if (PEM_BEGIN.test(out)) {
      out = out.replace(
        /-----BEGIN ([A-Z0-9 ]{0,64})PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,64}PRIVATE KEY-----|$)/g,
        `-----BEGIN $1PRIVATE KEY-----${MASK}-----END $1PRIVATE KEY-----`,
      );
    }
    for (const [pattern, replacement] of BUILT_IN) {
      out = out.replace(pattern, replacement);
    }
    for (const re of this.extra) {
      out = re.matcher(out).replaceAll(MASK);
    }
    return out;
  }

  /** A line-buffered masker for a stream of output (recordings). */
  stream(maxPending = 16 * 1024): StreamingMasker {
    return new StreamingMasker(this, maxPending);
  }
}
