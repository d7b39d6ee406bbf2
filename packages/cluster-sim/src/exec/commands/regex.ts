/**
 * Every pattern a user types (grep, sed, awk, find -name, shell globs) runs
 * on RE2JS, a linear-time engine: a backtracking engine would let one
 * pattern like `(a|aa)+$` stall the whole simulator (its event loop is
 * shared). The escape suite has such patterns in its corpus.
 */
import { RE2JS } from 're2js';

export interface UserRegex {
  /** Matches anywhere in the input. */
  test(input: string): boolean;
  /** Every match (for grep -o). */
  all(input: string): string[];
  /** sed-style substitution: `&` is the match, `\1`..`\9` the groups. */
  replace(input: string, replacement: string, global: boolean): string;
}

export class RegexError extends Error {}

function compile(source: string, ignoreCase: boolean): RE2JS {
  try {
    return RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw new RegexError(
      (e as Error).message.replace(/^error parsing regexp: /, ''),
    );
  }
}

export function userRegex(source: string, ignoreCase = false): UserRegex {
  const re = compile(source, ignoreCase);
  const groups = re.groupCount();
  return {
    test: input => re.test(input),
    all: input => [...re.matchAll(input)].map(m => m[0]).filter(Boolean),
    replace(input, replacement, global) {
      const replacer = (match: string, ...rest: unknown[]) => {
        const captured = rest
          .slice(0, groups)
          .map(g => (typeof g === 'string' ? g : ''));
        return replacement.replace(
          /\\([0-9&\\n])|&/g,
          (_token, esc: string | undefined) => {
            if (esc === undefined) return match;
            if (esc === '&') return '&';
            if (esc === '\\') return '\\';
            if (esc === 'n') return '\n';
            return esc === '0' ? match : captured[Number(esc) - 1] ?? '';
          },
        );
      };
      const m = re.matcher(input);
      return global ? m.replaceAll(replacer) : m.replaceFirst(replacer);
    },
  };
}

/** A shell glob (`*`, `?`, `[...]`, `\x`) as an anchored linear-time matcher. */
export function globMatcher(
  glob: string,
  ignoreCase = false,
): { test(name: string): boolean; source: string } {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '(?s:.*)';
    else if (c === '?') re += '(?s:.)';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        const negate = cls.startsWith('!') || cls.startsWith('^');
        if (negate) cls = cls.slice(1);
        re += `[${negate ? '^' : ''}${cls.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += RE2JS.quote(glob[++i]);
    else re += RE2JS.quote(c);
  }
  const compiled = compile(`^(?:${re})$`, ignoreCase);
  return { test: name => compiled.test(name), source: re };
}

/** Anchored match of a glob body built by globMatcher (for ${v#pat} and friends). */
export function wholeMatch(body: string): (s: string) => boolean {
  const compiled = compile(`^(?:${body})$`, false);
  return s => compiled.test(s);
}
