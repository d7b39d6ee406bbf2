/**
 * A POSIX-sh subset parser: lists (`;`, `&`, newlines), `&&`/`||`,
 * pipelines, `!`, redirections, `if`/`for`/`while`/`until`, `{ }` and `( )`,
 * single/double quotes, backslashes, `$VAR`, `${VAR...}`, `$(...)`, backticks,
 * `$((...))`, `~`, comments and line continuations. Everything it produces is
 * interpreted by the emulator; nothing is ever handed to a real shell.
 */

export type WordPart =
  | { t: 'lit'; v: string; q: boolean }
  | { t: 'param'; name: string; op?: string; arg?: string; q: boolean }
  | { t: 'cmd'; src: string; q: boolean }
  | { t: 'arith'; src: string; q: boolean }
  | { t: 'tilde'; user: string };

export type Word = WordPart[];

export interface Redir {
  fd: number;
  op: '>' | '>>' | '<' | '>&' | '<&' | '&>' | '>|' | '<>';
  target: Word;
}

export type Command =
  | {
      t: 'simple';
      assigns: Array<{ name: string; value: Word }>;
      words: Word[];
      redirs: Redir[];
    }
  | {
      t: 'if';
      clauses: Array<{ cond: List; body: List }>;
      otherwise?: List;
      redirs: Redir[];
    }
  | { t: 'for'; name: string; items?: Word[]; body: List; redirs: Redir[] }
  | { t: 'while'; until: boolean; cond: List; body: List; redirs: Redir[] }
  | { t: 'group'; subshell: boolean; body: List; redirs: Redir[] };

export interface Pipeline {
  negate: boolean;
  cmds: Command[];
}

export interface AndOr {
  first: Pipeline;
  rest: Array<{ op: '&&' | '||'; p: Pipeline }>;
  background: boolean;
}

export type List = AndOr[];

/** The input ends in the middle of a construct (interactive shells ask for more with PS2). */
export class IncompleteInput extends Error {
  readonly name = 'IncompleteInput';
}

export class SyntaxError extends Error {
  constructor(readonly token: string) {
    super(`syntax error: unexpected "${token}"`);
  }
}

interface Token {
  k: 'word' | 'op' | 'redir' | 'nl' | 'eof';
  w?: Word;
  raw?: string;
  v?: string;
  fd?: number;
}

const META = new Set([' ', '\t', '\n', '|', '&', ';', '<', '>', '(', ')']);
const MAX_DEPTH = 64;

/** Finds the end of `$(`...`)` / `$((...))` starting after the opening, honouring quotes and nesting. */
function scanParens(
  src: string,
  start: number,
  depthLimit = MAX_DEPTH,
): number {
  let depth = 1;
  let i = start;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new IncompleteInput("'");
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      i = scanDouble(src, i + 1) + 1;
      continue;
    }
    if (ch === '`') {
      i = scanBacktick(src, i + 1) + 1;
      continue;
    }
    if (ch === '(') {
      depth++;
      if (depth > depthLimit) throw new SyntaxError('(');
    } else if (ch === ')') {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  throw new IncompleteInput('$(');
}

/** Index of the closing `"` for a double-quoted string starting at `start`. */
function scanDouble(src: string, start: number): number {
  let i = start;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '"') return i;
    if (ch === '$' && src[i + 1] === '(') {
      i = scanParens(src, i + 2) + 1;
      continue;
    }
    if (ch === '`') {
      i = scanBacktick(src, i + 1) + 1;
      continue;
    }
    i++;
  }
  throw new IncompleteInput('"');
}

function scanBacktick(src: string, start: number): number {
  let i = start;
  while (i < src.length) {
    if (src[i] === '\\') {
      i += 2;
      continue;
    }
    if (src[i] === '`') return i;
    i++;
  }
  throw new IncompleteInput('`');
}

function scanBrace(src: string, start: number): number {
  let depth = 1;
  let i = start;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new IncompleteInput("'");
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      i = scanDouble(src, i + 1) + 1;
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}' && --depth === 0) return i;
    i++;
  }
  throw new IncompleteInput('${');
}

const PARAM_OPS = [
  ':-',
  ':=',
  ':+',
  ':?',
  '-',
  '=',
  '+',
  '?',
  '##',
  '#',
  '%%',
  '%',
];

/** `${...}` contents → a param part. */
function braceParam(body: string, q: boolean): WordPart {
  if (
    body.startsWith('#') &&
    body.length > 1 &&
    /^#[A-Za-z_]\w*$|^#[0-9?#@*$!-]$/.test(body)
  ) {
    return { t: 'param', name: body.slice(1), op: 'len', q };
  }
  const m = /^([A-Za-z_]\w*|[0-9]+|[?#@*$!-])/.exec(body);
  if (!m) throw new SyntaxError(`\${${body}}`);
  const name = m[1];
  const rest = body.slice(name.length);
  if (rest === '') return { t: 'param', name, q };
  const op = PARAM_OPS.find(o => rest.startsWith(o));
  if (!op) throw new SyntaxError(`\${${body}}`);
  return { t: 'param', name, op, arg: rest.slice(op.length), q };
}

/** Reads a `$` expansion at src[i] (the `$`); returns the part and the next index. */
function dollar(src: string, i: number, q: boolean): [WordPart, number] {
  const next = src[i + 1];
  if (next === '(' && src[i + 2] === '(') {
    // $(( arithmetic ))
    const end = scanParens(src, i + 3);
    if (src[end + 1] !== ')') throw new SyntaxError('))');
    return [{ t: 'arith', src: src.slice(i + 3, end), q }, end + 2];
  }
  if (next === '(') {
    const end = scanParens(src, i + 2);
    return [{ t: 'cmd', src: src.slice(i + 2, end), q }, end + 1];
  }
  if (next === '{') {
    const end = scanBrace(src, i + 2);
    return [braceParam(src.slice(i + 2, end), q), end + 1];
  }
  const m = /^([A-Za-z_]\w*|[0-9]|[?#@*$!-])/.exec(src.slice(i + 1, i + 256));
  if (m) return [{ t: 'param', name: m[1], q }, i + 1 + m[1].length];
  return [{ t: 'lit', v: '$', q }, i + 1];
}

/** The inside of double quotes → parts (all quoted). */
function doubleQuoted(body: string): Word {
  const parts: Word = [];
  let lit = '';
  const flush = () => {
    if (lit) parts.push({ t: 'lit', v: lit, q: true });
    lit = '';
  };
  for (let i = 0; i < body.length; ) {
    const ch = body[i];
    if (ch === '\\' && i + 1 < body.length && '$`"\\\n'.includes(body[i + 1])) {
      if (body[i + 1] !== '\n') lit += body[i + 1];
      i += 2;
    } else if (ch === '$') {
      flush();
      const [part, next] = dollar(body, i, true);
      parts.push(part);
      i = next;
    } else if (ch === '`') {
      flush();
      const end = scanBacktick(body, i + 1);
      parts.push({
        t: 'cmd',
        src: unescapeBacktick(body.slice(i + 1, end)),
        q: true,
      });
      i = end + 1;
    } else {
      lit += ch;
      i++;
    }
  }
  flush();
  if (parts.length === 0) parts.push({ t: 'lit', v: '', q: true });
  return parts;
}

function unescapeBacktick(s: string): string {
  return s.replace(/\\([`$\\])/g, '$1');
}

export class Lexer {
  private i = 0;

  constructor(private readonly src: string) {}

  next(): Token {
    const src = this.src;
    // blanks, comments, continuations
    for (;;) {
      const ch = src[this.i];
      if (ch === ' ' || ch === '\t' || ch === '\r') this.i++;
      else if (ch === '\\' && src[this.i + 1] === '\n') this.i += 2;
      else if (ch === '#') {
        while (this.i < src.length && src[this.i] !== '\n') this.i++;
      } else break;
    }
    if (this.i >= src.length) return { k: 'eof' };
    const ch = src[this.i];
    if (ch === '\n') {
      this.i++;
      return { k: 'nl' };
    }
    const two = src.slice(this.i, this.i + 2);
    if (two === '&&' || two === '||' || two === ';;') {
      this.i += 2;
      return { k: 'op', v: two };
    }
    if (ch === '|' || ch === ';' || ch === '(' || ch === ')') {
      this.i++;
      return { k: 'op', v: ch };
    }
    if (two === '&>') {
      this.i += 2;
      if (src[this.i] === '>') this.i++;
      return { k: 'redir', v: '&>' };
    }
    if (ch === '&') {
      this.i++;
      return { k: 'op', v: '&' };
    }
    if (ch === '<' || ch === '>') return this.redir(undefined);
    // an fd number directly before a redirection
    const fd = /^(\d{1,2})[<>]/.exec(src.slice(this.i, this.i + 3));
    if (fd) {
      this.i += fd[1].length;
      return this.redir(Number(fd[1]));
    }
    return this.word();
  }

  private redir(fd: number | undefined): Token {
    const src = this.src;
    const three = src.slice(this.i, this.i + 3);
    const two = src.slice(this.i, this.i + 2);
    if (three === '<<<' || two === '<<') {
      throw new SyntaxError(
        three === '<<<' ? '<<<' : '<< (here-documents are not supported)',
      );
    }
    for (const op of ['>>', '>&', '<&', '>|', '<>', '>', '<']) {
      if (src.startsWith(op, this.i)) {
        this.i += op.length;
        return { k: 'redir', fd, v: op };
      }
    }
    throw new SyntaxError(src[this.i]);
  }

  private word(): Token {
    const src = this.src;
    const start = this.i;
    const parts: Word = [];
    let lit = '';
    let litQuoted = false;
    const flush = () => {
      if (lit) parts.push({ t: 'lit', v: lit, q: litQuoted });
      lit = '';
      litQuoted = false;
    };
    const addLit = (s: string, q: boolean) => {
      if (lit && litQuoted !== q) flush();
      litQuoted = q;
      lit += s;
    };
    if (src[this.i] === '~') {
      const m = /^~([A-Za-z0-9_.-]*)(?=\/|$|[\s|&;<>()])/.exec(
        src.slice(this.i, this.i + 64),
      );
      if (m) {
        parts.push({ t: 'tilde', user: m[1] });
        this.i += m[0].length;
      }
    }
    while (this.i < src.length) {
      const ch = src[this.i];
      if (META.has(ch)) break;
      if (ch === '\\') {
        const n = src[this.i + 1];
        if (n === undefined) throw new IncompleteInput('\\');
        if (n === '\n') {
          this.i += 2;
          continue;
        }
        addLit(n, true);
        this.i += 2;
      } else if (ch === "'") {
        const end = src.indexOf("'", this.i + 1);
        if (end < 0) throw new IncompleteInput("'");
        flush();
        parts.push({ t: 'lit', v: src.slice(this.i + 1, end), q: true });
        this.i = end + 1;
      } else if (ch === '"') {
        const end = scanDouble(src, this.i + 1);
        flush();
        parts.push(...doubleQuoted(src.slice(this.i + 1, end)));
        this.i = end + 1;
      } else if (ch === '$') {
        flush();
        const [part, next] = dollar(src, this.i, false);
        parts.push(part);
        this.i = next;
      } else if (ch === '`') {
        const end = scanBacktick(src, this.i + 1);
        flush();
        parts.push({
          t: 'cmd',
          src: unescapeBacktick(src.slice(this.i + 1, end)),
          q: false,
        });
        this.i = end + 1;
      } else {
        addLit(ch, false);
        this.i++;
      }
    }
    flush();
    return { k: 'word', w: parts, raw: src.slice(start, this.i) };
  }
}

/** The literal text of a word when it has no expansions or quotes (for reserved words and names). */
export function plainText(w: Word): string | undefined {
  if (w.length === 1 && w[0].t === 'lit' && !w[0].q) return w[0].v;
  return undefined;
}

const RESERVED_END = new Set([
  'then',
  'elif',
  'else',
  'fi',
  'do',
  'done',
  '}',
  'esac',
]);

export class Parser {
  private tokValue: Token;
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(src: string) {
    this.lexer = new Lexer(src);
    this.tokValue = this.lexer.next();
  }

  private cur(): Token {
    return this.tokValue;
  }

  static parse(src: string): List {
    const p = new Parser(src);
    const list = p.list(new Set());
    if (p.cur().k !== 'eof') throw new SyntaxError(p.describe(p.cur()));
    return list;
  }

  private advance(): Token {
    const t = this.tokValue;
    this.tokValue = this.lexer.next();
    return t;
  }

  private describe(t: Token): string {
    switch (t.k) {
      case 'word':
        return t.raw ?? '';
      case 'op':
      case 'redir':
        return t.v ?? '';
      case 'nl':
        return 'newline';
      default:
        return 'end of file';
    }
  }

  private reserved(): string | undefined {
    return this.cur().k === 'word' ? plainText(this.cur().w!) : undefined;
  }

  private skipNewlines(): void {
    while (this.cur().k === 'nl') this.advance();
  }

  /** A list up to one of `terminators` (reserved words) or `)` / EOF. */
  private list(terminators: Set<string>): List {
    if (++this.depth > MAX_DEPTH) throw new SyntaxError('(nesting too deep)');
    const items: List = [];
    this.skipNewlines();
    for (;;) {
      if (this.cur().k === 'eof') break;
      if (this.cur().k === 'op' && this.cur().v === ')') break;
      const r = this.reserved();
      if (r && terminators.has(r)) break;
      if (r && RESERVED_END.has(r)) throw new SyntaxError(r);
      const ao = this.andOr();
      items.push(ao);
      if (
        this.cur().k === 'op' &&
        (this.cur().v === ';' || this.cur().v === '&')
      ) {
        if (this.cur().v === '&') ao.background = true;
        this.advance();
      } else if (this.cur().k === 'nl') {
        // separator
      } else if (
        this.cur().k !== 'eof' &&
        !(this.cur().k === 'op' && this.cur().v === ')')
      ) {
        const rr = this.reserved();
        if (!(rr && terminators.has(rr)))
          throw new SyntaxError(this.describe(this.cur()));
      }
      this.skipNewlines();
    }
    this.depth--;
    return items;
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr['rest'] = [];
    while (
      this.cur().k === 'op' &&
      (this.cur().v === '&&' || this.cur().v === '||')
    ) {
      const op = this.cur().v as '&&' | '||';
      this.advance();
      this.skipNewlines();
      if (this.cur().k === 'eof') throw new IncompleteInput(op);
      rest.push({ op, p: this.pipeline() });
    }
    return { first, rest, background: false };
  }

  private pipeline(): Pipeline {
    let negate = false;
    if (this.reserved() === '!') {
      negate = true;
      this.advance();
    }
    const cmds = [this.command()];
    while (this.cur().k === 'op' && this.cur().v === '|') {
      this.advance();
      this.skipNewlines();
      if (this.cur().k === 'eof') throw new IncompleteInput('|');
      cmds.push(this.command());
    }
    return { negate, cmds };
  }

  private expectReserved(word: string): void {
    if (this.cur().k === 'eof') throw new IncompleteInput(word);
    if (this.reserved() !== word)
      throw new SyntaxError(this.describe(this.cur()));
    this.advance();
  }

  private command(): Command {
    const r = this.reserved();
    let cmd: Command;
    if (this.cur().k === 'eof') throw new IncompleteInput('command');
    if (r === 'if') {
      this.advance();
      const clauses: Array<{ cond: List; body: List }> = [];
      let otherwise: List | undefined;
      const cond = this.list(new Set(['then']));
      this.expectReserved('then');
      clauses.push({ cond, body: this.list(new Set(['elif', 'else', 'fi'])) });
      for (;;) {
        const w = this.reserved();
        if (w === 'elif') {
          this.advance();
          const c = this.list(new Set(['then']));
          this.expectReserved('then');
          clauses.push({
            cond: c,
            body: this.list(new Set(['elif', 'else', 'fi'])),
          });
        } else if (w === 'else') {
          this.advance();
          otherwise = this.list(new Set(['fi']));
        } else {
          this.expectReserved('fi');
          break;
        }
      }
      cmd = { t: 'if', clauses, otherwise, redirs: [] };
    } else if (r === 'for') {
      this.advance();
      if (this.cur().k !== 'word')
        throw this.cur().k === 'eof'
          ? new IncompleteInput('for')
          : new SyntaxError(this.describe(this.cur()));
      const name = plainText(this.cur().w!);
      if (!name || !/^[A-Za-z_]\w*$/.test(name))
        throw new SyntaxError(this.cur().raw ?? '');
      this.advance();
      this.skipNewlines();
      let items: Word[] | undefined;
      if (this.reserved() === 'in') {
        this.advance();
        items = [];
        while (this.cur().k === 'word') {
          items.push(this.cur().w!);
          this.advance();
        }
      }
      if (this.cur().k === 'op' && this.cur().v === ';') this.advance();
      this.skipNewlines();
      this.expectReserved('do');
      const body = this.list(new Set(['done']));
      this.expectReserved('done');
      cmd = { t: 'for', name, items, body, redirs: [] };
    } else if (r === 'while' || r === 'until') {
      this.advance();
      const cond = this.list(new Set(['do']));
      this.expectReserved('do');
      const body = this.list(new Set(['done']));
      this.expectReserved('done');
      cmd = { t: 'while', until: r === 'until', cond, body, redirs: [] };
    } else if (r === '{') {
      this.advance();
      const body = this.list(new Set(['}']));
      this.expectReserved('}');
      cmd = { t: 'group', subshell: false, body, redirs: [] };
    } else if (this.cur().k === 'op' && this.cur().v === '(') {
      this.advance();
      const body = this.list(new Set());
      if (this.cur().k === 'eof') throw new IncompleteInput('(');
      if (!(this.cur().k === 'op' && this.cur().v === ')'))
        throw new SyntaxError(this.describe(this.cur()));
      this.advance();
      cmd = { t: 'group', subshell: true, body, redirs: [] };
    } else if (
      r === 'case' ||
      r === 'function' ||
      r === 'select' ||
      r === '[['
    ) {
      throw new SyntaxError(`${r} (not supported by this shell)`);
    } else {
      return this.simple();
    }
    while (this.cur().k === 'redir') cmd.redirs.push(this.redirection());
    return cmd;
  }

  private redirection(): Redir {
    const t = this.advance();
    if (this.cur().k !== 'word') {
      throw this.cur().k === 'eof'
        ? new SyntaxError('newline')
        : new SyntaxError(this.describe(this.cur()));
    }
    const target = this.cur().w!;
    this.advance();
    const op = t.v as Redir['op'];
    const fd = t.fd ?? (op.startsWith('<') ? 0 : 1);
    return { fd, op, target };
  }

  private simple(): Command {
    const assigns: Array<{ name: string; value: Word }> = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      if (this.cur().k === 'redir') {
        redirs.push(this.redirection());
        continue;
      }
      if (this.cur().k !== 'word') break;
      const w = this.cur().w!;
      if (words.length === 0) {
        const first = w[0];
        const m =
          first?.t === 'lit' && !first.q
            ? /^([A-Za-z_]\w*)=/.exec(first.v)
            : null;
        if (m && first.t === 'lit') {
          const rest = first.v.slice(m[0].length);
          const value: Word = rest
            ? [{ t: 'lit', v: rest, q: false }, ...w.slice(1)]
            : w.slice(1);
          assigns.push({ name: m[1], value });
          this.advance();
          continue;
        }
      }
      words.push(w);
      this.advance();
    }
    if (words.length === 0 && assigns.length === 0 && redirs.length === 0) {
      throw new SyntaxError(this.describe(this.cur()));
    }
    return { t: 'simple', assigns, words, redirs };
  }
}
