/**
 * Every rule id a `CommandDecision.rule` can start with (the part before the
 * first `:`; after it come the command and the argument concerned, e.g.
 * `arg-denied:curl -o`), with what it means.
 *
 * @public
 */
export const TERMINAL_RULES: Record<string, string> = {
  allowed: 'on the allow-list: runs as argv, never through a shell',
  empty: 'nothing typed',
  'line-too-long': 'the line is longer than the limit',
  'too-many-arguments': 'more arguments than the limit',
  'control-character': 'control characters (line breaks, tabs, ESC, NUL, C1 ...)',
  'non-ascii': 'non-ASCII characters outside quotes',
  'unicode-lookalike': 'characters that look like others (fullwidth ；, ｜ ...), invisible or formatting characters',
  'unbalanced-quotes': 'an unclosed quote',
  'no-pipes': 'pipes (|)',
  'no-chaining': 'command lists (;, &&, ||)',
  'no-background': 'background jobs (&)',
  'no-redirection': 'redirections (<, >, >>, &>)',
  'no-heredoc': 'here-documents and here-strings (<<, <<<)',
  'no-subshell': 'subshells and grouping ( ( ) )',
  'no-substitution': 'command, arithmetic and process substitution ($(...), `...`, <(...))',
  'no-variables': 'variables and parameter expansion ($VAR, ${...})',
  'no-ansi-c-quoting': "$'...' quoting",
  'no-globs': 'wildcards and brace expansion (* ? [ ] { })',
  'no-tilde': '~ expansion',
  'no-comments': '# comments',
  'no-history-expansion': '! (history expansion, negation)',
  'no-backslash': 'backslash escapes outside single quotes',
  'no-env-assignment': 'NAME=value before the command',
  'parse-mismatch': 'the two parsers read the line differently',
  'command-path': 'a path instead of a command name',
  'binary-not-allowed': 'the program is not on the allow-list',
  'arg-denied': 'an argument the policy names as never allowed',
  'arg-not-allowed': 'an argument the program does not accept here',
  'args-not-allowed': 'the program runs only with the exact arguments listed',
  'option-value': 'an option value that is not allowed',
  'operand-count': 'too few or too many operands',
  'path-not-absolute': 'a relative path',
  'path-traversal': 'a path with ..',
  'path-not-allowed': 'a path outside the allowed paths (or under a denied one)',
  'url-not-allowed': 'not a plain http(s) URL',
  'host-not-allowed': 'a host that is not cluster-internal (or an IP address)',
};
