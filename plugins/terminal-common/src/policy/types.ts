/**
 * What an argument (operand or option value) may be.
 *
 * - `path`: an absolute file path, normalised (`//`, `/./`, a trailing `/`);
 *   any `..` segment is refused; it must lie under one of the policy's
 *   `allowedPaths` and under none of its `deniedPaths`.
 * - `url`: an `http://` / `https://` URL (scheme optional, as curl reads
 *   it) without user info, whose host matches the policy's `allowedHosts`
 *   and none of `deniedHosts`; IP addresses are refused; no curl globbing
 *   characters.
 * - `pid`: a process id (1 to 7 digits).
 * - `text`: free text of printable characters, at most 256 (a grep
 *   pattern); `pattern` narrows it.
 * - `match`: must match `pattern` (anchored).
 *
 * Patterns are RE2 syntax (linear time: a pattern can never stall the
 * backend, whatever the input) and must match the whole argument.
 *
 * @public
 */
export type ArgumentRule =
  | { kind: 'path' }
  | { kind: 'url' }
  | { kind: 'pid' }
  | { kind: 'text'; pattern?: string }
  | { kind: 'match'; pattern: string };

/**
 * The allow-list entry of one binary.
 *
 * Arguments are read the getopt way unless `parseOptions` is false:
 * `--` ends the options; `--name` / `--name=value`; `-abc` is three flags,
 * and a value option takes the rest of the cluster or the next argument
 * (`-n5`, `-n 5`). With `wordOptions` (find) an option is a whole word
 * (`-name x`) and is never split into letters.
 *
 * @public
 */
export interface CommandRule {
  /** Shown in the hint panel. */
  description: string;
  /** Shown in the hint panel, e.g. `[-l] [-a] [-h] [path...]`. */
  usage?: string;
  /** Options without a value, e.g. `-l`, `--all`. */
  flags?: string[];
  /** Options with a value, and what the value may be (a string is a `match` pattern). */
  options?: Record<string, ArgumentRule | string>;
  /** Options are whole words (`-name x`), never letter clusters. */
  wordOptions?: boolean;
  /** False: no option parsing; every argument is an operand (jstat's `-gc`). Default true. */
  parseOptions?: boolean;
  /** Operands in order; the last one repeats up to `maxOperands`. Default: no operands. */
  operands?: Array<ArgumentRule | string>;
  /** Default 0. */
  minOperands?: number;
  /** Default: `operands.length`, or 16 when the last one repeats (`repeatLast`). */
  maxOperands?: number;
  /** Only these operand counts (jstat: `[2, 4]`, an interval always with a count). */
  operandCounts?: number[];
  /** The last operand rule repeats (`ls a b c`). */
  repeatLast?: boolean;
  /** Only these exact argument lists (after the binary) are allowed, e.g. top: `[["-b", "-n1"], ["-b", "-n", "1"]]`. */
  exact?: string[][];
  /**
   * Arguments refused with a rule of their own (`arg-denied:curl -o`), even
   * inside a letter cluster (`-so`), as `--name=value` or as an unambiguous
   * prefix of a long option (`--outp`).
   */
  deny?: string[];
  /** Mask secret-looking values in this command's live output too (env). */
  maskOutput?: boolean;
}

/**
 * A named allow-list policy (`fincloud.terminal.policies.<name>`), owned by
 * the platform team.
 *
 * @public
 */
export interface TerminalPolicy {
  name: string;
  description?: string;
  /** Path prefixes `path` arguments must lie under. */
  allowedPaths: string[];
  /** Path prefixes refused even under an allowed one. */
  deniedPaths: string[];
  /** Host patterns `url` arguments may name; `*` is one DNS label: `*.svc.cluster.local`, `*` (a short service name). */
  allowedHosts: string[];
  /** Host patterns refused even when allowed (`kubernetes.default.*`, `metadata`). */
  deniedHosts: string[];
  /** The binaries and what each may be given. */
  commands: Record<string, CommandRule>;
  /** Whether the catalog annotation `fincloud.io/terminal-policy` may select it (default true). */
  selectableByAnnotation?: boolean;
}

/** Parser limits. @public */
export interface ParseLimits {
  /** Longest line accepted, in UTF-16 code units (default 1024). */
  maxLineLength?: number;
  /** Most arguments (default 64). */
  maxArgs?: number;
}
