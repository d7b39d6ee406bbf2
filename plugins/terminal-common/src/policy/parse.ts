// The sub-path import keeps shell-quote's global `Array.join` type
// augmentation (in its index.d.ts) out of every program that imports us.
import parseShell from 'shell-quote/parse';
import type { CommandDecision } from '../types';
import type { ParseLimits } from './types';

/** The outcome of parsing one restricted-mode line. @public */
export type ParsedLine =
  | { ok: true; argv: string[] }
  | { ok: false; decision: CommandDecision };

const DEFAULT_MAX_LINE = 1024;
const DEFAULT_MAX_ARGS = 64;

function refuse(rule: string, message: string): ParsedLine {
  return { ok: false, decision: { allowed: false, rule, message } };
}

const PLAIN =
  'Restricted mode runs one plain command per line, as typed, never through a shell';

/** Characters NFKC folds to a shell metacharacter: named in the message. */
function lookalikeOf(ch: string): string | undefined {
  const folded = ch.normalize('NFKC');
  return folded !== ch && /^[\x20-\x7e]+$/.test(folded) ? folded : undefined;
}

function describe(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

// Invisible, formatting, private, unassigned, separator (other than the
// ASCII space) and combining characters: never acceptable, even quoted.
const SUSPICIOUS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Zs}\p{M}]/u;

/** A non-ASCII character inside quotes: only if NFKC-stable and visible. */
function checkQuotedUnicode(ch: string): ParsedLine | undefined {
  if (SUSPICIOUS.test(ch)) {
    return refuse(
      'unicode-lookalike',
      `The invisible or formatting character ${describe(
        ch,
      )} is not allowed, even in quotes.`,
    );
  }
  const look = lookalikeOf(ch);
  if (look !== undefined || ch.normalize('NFKC') !== ch) {
    return refuse(
      'unicode-lookalike',
      `"${ch}" (${describe(ch)}) looks like ${
        look !== undefined ? `"${look}"` : 'another character'
      }; type the plain character instead.`,
    );
  }
  return undefined;
}

/**
 * What an unquoted (or double-quoted) special character means to a shell,
 * as a refusal. Returns undefined for ordinary characters.
 */
function metacharacter(
  line: string,
  i: number,
  inDouble: boolean,
): ParsedLine | undefined {
  const c = line[i];
  const next = line[i + 1];
  if (c === '`') {
    return refuse(
      'no-substitution',
      `Command substitution (\`...\`) is not allowed. ${PLAIN}.`,
    );
  }
  if (c === '$') {
    if (next === '(') {
      return refuse(
        'no-substitution',
        `Command or arithmetic substitution ($(...)) is not allowed. ${PLAIN}.`,
      );
    }
    if (next === "'" && !inDouble) {
      return refuse(
        'no-ansi-c-quoting',
        `$'...' quoting (escape sequences) is not allowed; use plain '...' quotes.`,
      );
    }
    return refuse(
      'no-variables',
      `Variables and parameter expansion ($VAR, \${...}) are not allowed: type the value itself.`,
    );
  }
  if (c === '\\') {
    return refuse(
      'no-backslash',
      `Backslash escapes are not allowed outside single quotes; quote the argument with '...' instead.`,
    );
  }
  if (c === '!') {
    return refuse(
      'no-history-expansion',
      `"!" (history expansion, negation) is not allowed${
        inDouble ? ' in double quotes' : ''
      }; put it in single quotes if it is part of an argument.`,
    );
  }
  if (inDouble) return undefined;
  switch (c) {
    case '|':
      if (next === '|') {
        return refuse(
          'no-chaining',
          `Chaining commands (||) is not allowed: run one command at a time.`,
        );
      }
      return refuse(
        'no-pipes',
        `Pipes (|) are not allowed: run one command at a time.`,
      );
    case ';':
      return refuse(
        'no-chaining',
        `Chaining commands (;) is not allowed: run one command at a time.`,
      );
    case '&':
      if (next === '&') {
        return refuse(
          'no-chaining',
          `Chaining commands (&&) is not allowed: run one command at a time.`,
        );
      }
      if (next === '>') {
        return refuse(
          'no-redirection',
          `Redirections (&>) are not allowed: output comes back to this terminal.`,
        );
      }
      return refuse(
        'no-background',
        `Background jobs (&) are not allowed: each command runs in the foreground.`,
      );
    case '<':
      if (next === '<') {
        return refuse(
          'no-heredoc',
          `Here-documents and here-strings (<<, <<<) are not allowed.`,
        );
      }
      if (next === '(') {
        return refuse(
          'no-substitution',
          `Process substitution (<(...)) is not allowed. ${PLAIN}.`,
        );
      }
      return refuse(
        'no-redirection',
        `Redirections (<) are not allowed: commands take no input from files.`,
      );
    case '>':
      if (next === '(') {
        return refuse(
          'no-substitution',
          `Process substitution (>(...)) is not allowed. ${PLAIN}.`,
        );
      }
      return refuse(
        'no-redirection',
        `Redirections (>) are not allowed: output comes back to this terminal.`,
      );
    case '(':
    case ')':
      return refuse(
        'no-subshell',
        `Subshells and grouping ( ( ) ) are not allowed. ${PLAIN}.`,
      );
    case '*':
    case '?':
    case '[':
    case ']':
    case '{':
    case '}':
      return refuse(
        'no-globs',
        `Wildcards and brace expansion (${c}) are not allowed: name the file exactly, or quote the character if it is literal.`,
      );
    case '~':
      return refuse(
        'no-tilde',
        `"~" is not expanded: give the full path.`,
      );
    case '#':
      return refuse(
        'no-comments',
        `Comments (#) are not allowed: everything typed must be visible to the policy. Quote "#" if it is part of an argument.`,
      );
    default:
      return undefined;
  }
}

/**
 * The strict scanner: refuses every shell feature, and splits the line into
 * words with the quoting rules of a POSIX shell for what remains (single
 * quotes literal; double quotes without `$`, `` ` ``, `\`, `!`; adjacent
 * parts joined). Only a space separates words.
 */
function scan(line: string): ParsedLine {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  const chars = Array.from(line); // code points
  // Control characters first, wherever they are: an escaped newline is
  // reported as what it is, not as the backslash before it.
  for (const ch of chars) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      const names: Record<number, string> = {
        0x0a: 'a line break',
        0x0d: 'a line break',
        0x1b: 'an escape sequence (ESC)',
        0x09: 'a tab',
      };
      const name = names[code] ?? `the control character ${describe(ch)}`;
      return refuse(
        'control-character',
        `The line contains ${name}; control characters are not allowed.`,
      );
    }
  }
  // index into `line` (UTF-16) kept alongside, for lookahead
  let pos = 0;
  for (const ch of chars) {
    const i = pos;
    pos += ch.length;
    const code = ch.codePointAt(0)!;
    if (quote === "'") {
      if (ch === "'") {
        quote = undefined;
        continue;
      }
      if (code > 0x7e) {
        const bad = checkQuotedUnicode(ch);
        if (bad) return bad;
      }
      word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') {
        quote = undefined;
        continue;
      }
      if (code > 0x7e) {
        const bad = checkQuotedUnicode(ch);
        if (bad) return bad;
      } else {
        const bad = metacharacter(line, i, true);
        if (bad) return bad;
      }
      word += ch;
      continue;
    }
    // unquoted
    if (code > 0x7e) {
      const look = lookalikeOf(ch);
      return refuse(
        look !== undefined ? 'unicode-lookalike' : 'non-ascii',
        look !== undefined
          ? `"${ch}" (${describe(ch)}) looks like "${look}"; only plain ASCII is allowed outside quotes.`
          : `"${ch}" (${describe(
              ch,
            )}) is not plain ASCII; only plain ASCII is allowed outside quotes.`,
      );
    }
    if (ch === ' ') {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
      continue;
    }
    const bad = metacharacter(line, i, false);
    if (bad) return bad;
    word += ch;
    inWord = true;
  }
  if (quote) {
    return refuse(
      'unbalanced-quotes',
      `The line has an unclosed ${quote === "'" ? 'single' : 'double'} quote.`,
    );
  }
  if (inWord) words.push(word);
  return { ok: true, argv: words };
}

/**
 * Parses one restricted-mode command line into argv, or refuses it.
 *
 * Refused: pipes, redirections, `;` `&&` `||`, `$(...)`, backticks,
 * process substitution, `$VAR` / `${...}` / `$'...'`, globs and braces
 * (`* ? [ ] { }`), `~`, background `&`, here-documents, comments, `!`,
 * backslash escapes outside single quotes, control characters (anything
 * below 0x20, 0x7f, C1; so escaped newlines too), non-ASCII outside quotes,
 * invisible or NFKC-unstable characters inside quotes, over-long lines.
 *
 * Two parsers must agree: the strict scanner above and `shell-quote` (a
 * kept library). Any difference refuses the line (`parse-mismatch`), so a
 * quirk in either cannot turn into an argv nobody checked.
 *
 * @public
 */
export function parseCommandLine(
  line: string,
  limits: ParseLimits = {},
): ParsedLine {
  const maxLine = limits.maxLineLength ?? DEFAULT_MAX_LINE;
  const maxArgs = limits.maxArgs ?? DEFAULT_MAX_ARGS;
  if (typeof line !== 'string') {
    return refuse('empty', 'Type a command.');
  }
  if (line.length > maxLine) {
    return refuse(
      'line-too-long',
      `The line is ${line.length} characters long; at most ${maxLine} are allowed.`,
    );
  }
  const scanned = scan(line);
  if (!scanned.ok) return scanned;
  if (scanned.argv.length === 0) {
    return refuse('empty', 'Type a command.');
  }
  if (scanned.argv.length > maxArgs) {
    return refuse(
      'too-many-arguments',
      `The line has ${scanned.argv.length} arguments; at most ${maxArgs} are allowed.`,
    );
  }

  let expanded = false;
  let library: unknown[];
  try {
    library = parseShell(line, (_key: string) => {
      expanded = true;
      return undefined;
    });
  } catch {
    return refuse(
      'parse-mismatch',
      'The line could not be parsed unambiguously; simplify it.',
    );
  }
  const agree =
    !expanded &&
    library.length === scanned.argv.length &&
    library.every((entry, i) => entry === scanned.argv[i]);
  if (!agree) {
    return refuse(
      'parse-mismatch',
      'The line could not be parsed unambiguously; simplify it.',
    );
  }
  return scanned;
}
