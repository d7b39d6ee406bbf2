import { RE2JS } from 're2js';
import type { CommandDecision } from '../types';
import { parseCommandLine } from './parse';
import type {
  ArgumentRule,
  CommandRule,
  ParseLimits,
  TerminalPolicy,
} from './types';

/**
 * What the caller knows beyond the policy. The backend passes
 * `isKnownHost`, answering from the cluster's Services, so a URL must name
 * a Service that exists (or `localhost` when the policy lists it) on top of
 * matching the host patterns.
 *
 * @public
 */
export interface EvaluationContext {
  isKnownHost?: (host: string) => boolean;
}

/** The verdict on a line, with the argv to run when allowed. @public */
export interface LineEvaluation {
  decision: CommandDecision;
  /**
   * What runs, exactly, as argv (never through a shell): the parsed words
   * with path arguments in their normalised form (what was checked is what
   * runs). Empty when the parser refused the line.
   */
  argv: string[];
  /** The policy rule of the binary, when it is on the allow-list. */
  command?: CommandRule;
}

const COMMAND_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}$/;
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
// Scheme, host, port, path and query, conservatively: a URL that two URL
// parsers (ours and curl's) could read differently is refused, not guessed.
const URL_SHAPE =
  /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/?#:@]*)(?::([0-9]{1,5}))?([/?][A-Za-z0-9._~%/=&:@+,?-]*)?$/;

const patternCache = new Map<string, RE2JS>();
function re2(pattern: string): RE2JS {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    compiled = RE2JS.compile(pattern);
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

/** `^...$` anchors are implied (the whole argument must match); strip them so both spellings work. */
function wholeMatch(pattern: string, value: string): boolean {
  const body = pattern.replace(/^\^/, '').replace(/\$$/, '');
  return re2(body).matches(value);
}

function allow(cmd: string, message: string): CommandDecision {
  return { allowed: true, rule: `allowed:${cmd}`, message };
}

function refused(rule: string, message: string): CommandDecision {
  return { allowed: false, rule, message };
}

function argumentRule(rule: ArgumentRule | string): ArgumentRule {
  return typeof rule === 'string' ? { kind: 'match', pattern: rule } : rule;
}

/** Normalises an absolute path: `//` and `/./` collapse, the trailing `/` goes. Undefined when it has a `..` segment. */
export function normalisePath(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.includes('..')) return undefined;
  return `/${segments.filter(s => s !== '' && s !== '.').join('/')}`;
}

function under(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

function hostMatches(host: string, pattern: string): boolean {
  const regex = pattern
    .toLowerCase()
    .split('.')
    .map(part =>
      part === '*' ? LABEL : part.replace(/[^a-z0-9-]/g, c => `\\${c}`),
    )
    .join('\\.');
  return new RegExp(`^${regex}$`).test(host);
}

function looksLikeAddress(host: string): boolean {
  // Dotted, decimal, octal or hex IPv4 forms; IPv6 never passes URL_SHAPE.
  return host
    .split('.')
    .some(label => /^(0x[0-9a-f]*|[0-9]+)$/.test(label));
}

type Checked = { ok: true; value: string } | { ok: false; decision: CommandDecision };

function checkPath(
  cmd: string,
  arg: string,
  policy: TerminalPolicy,
): Checked {
  if (!arg.startsWith('/')) {
    return {
      ok: false,
      decision: refused(
        `path-not-absolute:${cmd} ${arg}`,
        `"${arg}" is not an absolute path: give the full path (allowed under ${policy.allowedPaths.join(
          ', ',
        )}).`,
      ),
    };
  }
  const normal = normalisePath(arg);
  if (normal === undefined) {
    return {
      ok: false,
      decision: refused(
        `path-traversal:${cmd} ${arg}`,
        `"${arg}" contains "..": give the path without parent-directory steps.`,
      ),
    };
  }
  const allowedPaths = policy.allowedPaths
    .map(p => normalisePath(p))
    .filter((p): p is string => !!p);
  const deniedPaths = policy.deniedPaths
    .map(p => normalisePath(p))
    .filter((p): p is string => !!p);
  const denied = deniedPaths.find(p => under(normal, p));
  if (denied || !allowedPaths.some(p => under(normal, p))) {
    return {
      ok: false,
      decision: refused(
        `path-not-allowed:${cmd} ${normal}`,
        denied
          ? `${normal} is under ${denied}, which this policy never shows.`
          : `${normal} is outside the allowed paths (${allowedPaths.join(
              ', ',
            )}).`,
      ),
    };
  }
  return { ok: true, value: normal };
}

function checkUrl(
  cmd: string,
  arg: string,
  policy: TerminalPolicy,
  ctx: EvaluationContext,
): Checked {
  const shape = URL_SHAPE.exec(arg);
  if (!shape) {
    return {
      ok: false,
      decision: refused(
        `url-not-allowed:${cmd} ${arg}`,
        `"${arg}" is not a plain http(s) URL (no user info, no globbing characters, no fragments).`,
      ),
    };
  }
  const [, scheme, rawHost, port] = shape;
  if (scheme !== undefined && !/^https?$/i.test(scheme)) {
    return {
      ok: false,
      decision: refused(
        `url-not-allowed:${cmd} ${scheme}://`,
        `Only http:// and https:// URLs are allowed, not ${scheme}://.`,
      ),
    };
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return {
      ok: false,
      decision: refused(
        `url-not-allowed:${cmd} ${arg}`,
        `Port ${port} is not a valid port.`,
      ),
    };
  }
  const host = rawHost.toLowerCase();
  const hostOk =
    host.length > 0 &&
    host.length <= 253 &&
    new RegExp(`^${LABEL}(?:\\.${LABEL})*$`).test(host) &&
    !looksLikeAddress(host) &&
    policy.allowedHosts.some(p => hostMatches(host, p)) &&
    !policy.deniedHosts.some(p => hostMatches(host, p));
  if (hostOk && ctx.isKnownHost && !ctx.isKnownHost(host)) {
    return {
      ok: false,
      decision: refused(
        `host-not-allowed:${cmd} ${host}`,
        `${host} is not a Service of this cluster.`,
      ),
    };
  }
  if (!hostOk) {
    return {
      ok: false,
      decision: refused(
        `host-not-allowed:${cmd} ${host || arg}`,
        `${
          host || arg
        } is not a cluster-internal host this policy allows (${policy.allowedHosts.join(
          ', ',
        )}${
          policy.deniedHosts.length
            ? `; never ${policy.deniedHosts.join(', ')}`
            : ''
        }). IP addresses are never allowed.`,
      ),
    };
  }
  // curl guesses the protocol of a URL without a scheme from its host
  // (`ftp.x` → FTP); what runs names the scheme that was checked.
  return { ok: true, value: scheme === undefined ? `http://${arg}` : arg };
}

function checkArgument(
  cmd: string,
  arg: string,
  rule: ArgumentRule,
  policy: TerminalPolicy,
  what: string,
  ctx: EvaluationContext,
): Checked {
  switch (rule.kind) {
    case 'path':
      return checkPath(cmd, arg, policy);
    case 'url':
      return checkUrl(cmd, arg, policy, ctx);
    case 'pid':
      if (/^[1-9][0-9]{0,6}$/.test(arg)) return { ok: true, value: arg };
      break;
    case 'text':
      if (
        arg.length <= 256 &&
        // eslint-disable-next-line no-control-regex
        !/[\x00-\x1f\x7f]/.test(arg) &&
        (!rule.pattern || wholeMatch(rule.pattern, arg))
      ) {
        return { ok: true, value: arg };
      }
      break;
    case 'match':
      if (wholeMatch(rule.pattern, arg)) return { ok: true, value: arg };
      break;
    default:
      break;
  }
  return {
    ok: false,
    decision: refused(
      `${what}:${cmd} ${arg}`,
      `"${arg}" is not a value ${cmd} accepts here.`,
    ),
  };
}

/** The deny entry an option name hits: exact, or an unambiguous long prefix (`--outp` → `--output`). */
function deniedOption(name: string, deny: string[]): string | undefined {
  if (deny.includes(name)) return name;
  if (name.startsWith('--') && name.length >= 4) {
    return deny.find(d => d.startsWith('--') && d.startsWith(name));
  }
  return undefined;
}

/** For arguments that are not parsed as options: `-J-Dx` hits `-J`, `--config=x` hits `--config`. */
function deniedWord(arg: string, deny: string[]): string | undefined {
  return deny.find(d => {
    if (arg === d) return true;
    if (d.startsWith('--')) return arg.startsWith(`${d}=`);
    if (/^-[^-]$/.test(d)) return arg.startsWith(d);
    return false;
  });
}

function deniedDecision(cmd: string, denied: string): CommandDecision {
  return refused(
    `arg-denied:${cmd} ${denied}`,
    `${cmd} ${denied} is never allowed in restricted mode.`,
  );
}

function notAllowedArg(cmd: string, arg: string): CommandDecision {
  return refused(
    `arg-not-allowed:${cmd} ${arg}`,
    `${cmd} does not accept ${arg} in restricted mode.`,
  );
}

function evaluateArgs(
  cmd: string,
  args: string[],
  rule: CommandRule,
  policy: TerminalPolicy,
  ctx: EvaluationContext,
): { decision: CommandDecision; args: string[] } {
  const deny = rule.deny ?? [];
  if (rule.exact) {
    for (const arg of args) {
      const d = deniedWord(arg, deny);
      if (d) return { decision: deniedDecision(cmd, d), args };
    }
    const match = rule.exact.some(
      e => e.length === args.length && e.every((a, i) => a === args[i]),
    );
    if (!match) {
      return {
        decision: refused(
          `args-not-allowed:${cmd}`,
          `${cmd} runs here only as: ${rule.exact
            .map(e => [cmd, ...e].join(' '))
            .join(' | ')}.`,
        ),
        args,
      };
    }
    return { decision: allow(cmd, `${cmd} is allowed.`), args };
  }

  const flags = new Set(rule.flags ?? []);
  const options = new Map(
    Object.entries(rule.options ?? {}).map(([k, v]) => [k, argumentRule(v)]),
  );
  const parseOptions = rule.parseOptions !== false;
  const out: string[] = [];
  const operands: number[] = [];
  let endOfOptions = false;

  const fail = (decision: CommandDecision) => ({ decision, args });

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!parseOptions || endOfOptions || arg === '-' || !arg.startsWith('-')) {
      if (!endOfOptions) {
        const d = deniedWord(arg, deny);
        if (d) return fail(deniedDecision(cmd, d));
      }
      operands.push(out.length);
      out.push(arg);
      continue;
    }
    if (arg === '--') {
      endOfOptions = true;
      out.push(arg);
      continue;
    }
    if (arg.startsWith('--') || rule.wordOptions) {
      const eq = rule.wordOptions ? -1 : arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      const d = deniedOption(name, deny);
      if (d) return fail(deniedDecision(cmd, d));
      if (flags.has(name) && inline === undefined) {
        out.push(arg);
        continue;
      }
      const valueRule = options.get(name);
      if (!valueRule) return fail(notAllowedArg(cmd, name));
      const value = inline ?? args[i + 1];
      if (value === undefined) {
        return fail(
          refused(`option-value:${cmd} ${name}`, `${name} needs a value.`),
        );
      }
      const checked = checkArgument(
        cmd,
        value,
        valueRule,
        policy,
        'option-value',
        ctx,
      );
      if (!checked.ok) return fail(checked.decision);
      if (inline === undefined) {
        out.push(name, checked.value);
        i++;
      } else {
        out.push(`${name}=${checked.value}`);
      }
      continue;
    }
    // -abc: a cluster of single-letter options
    let rebuilt = '-';
    let consumedNext = false;
    let valuePart: string | undefined;
    for (let j = 1; j < arg.length; j++) {
      const opt = `-${arg[j]}`;
      const d = deniedOption(opt, deny);
      if (d) return fail(deniedDecision(cmd, d));
      if (flags.has(opt)) {
        rebuilt += arg[j];
        continue;
      }
      const valueRule = options.get(opt);
      if (!valueRule) return fail(notAllowedArg(cmd, opt));
      const rest = arg.slice(j + 1);
      const value = rest !== '' ? rest : args[i + 1];
      if (value === undefined) {
        return fail(
          refused(`option-value:${cmd} ${opt}`, `${opt} needs a value.`),
        );
      }
      const checked = checkArgument(
        cmd,
        value,
        valueRule,
        policy,
        'option-value',
        ctx,
      );
      if (!checked.ok) return fail(checked.decision);
      rebuilt += arg[j];
      valuePart = checked.value;
      consumedNext = rest === '';
      break;
    }
    if (valuePart === undefined) {
      out.push(rebuilt);
    } else if (consumedNext) {
      out.push(rebuilt, valuePart);
      i++;
    } else {
      out.push(`${rebuilt}${valuePart}`);
    }
  }

  const operandRules = (rule.operands ?? []).map(argumentRule);
  const min = rule.minOperands ?? 0;
  const max =
    rule.maxOperands ??
    (rule.repeatLast ? 16 : operandRules.length);
  if (
    operands.length < min ||
    operands.length > max ||
    (rule.operandCounts && !rule.operandCounts.includes(operands.length))
  ) {
    let range = `${min} to ${max}`;
    if (rule.operandCounts) range = rule.operandCounts.join(' or ');
    else if (max === 0) range = 'no';
    else if (min === max) range = `${min}`;
    return fail(
      refused(
        `operand-count:${cmd}`,
        `${cmd} takes ${range} operand${max === 1 ? '' : 's'} here${
          rule.usage ? ` (usage: ${cmd} ${rule.usage})` : ''
        }.`,
      ),
    );
  }
  for (let k = 0; k < operands.length; k++) {
    const operandRule =
      operandRules[Math.min(k, operandRules.length - 1)] ?? undefined;
    if (!operandRule) return fail(notAllowedArg(cmd, out[operands[k]]));
    const checked = checkArgument(
      cmd,
      out[operands[k]],
      operandRule,
      policy,
      'arg-not-allowed',
      ctx,
    );
    if (!checked.ok) return fail(checked.decision);
    out[operands[k]] = checked.value;
  }
  return { decision: allow(cmd, `${cmd} is allowed.`), args: out };
}

/**
 * Checks an argv against an allow-list policy. Deny by default: a binary
 * not on the list, an option it does not list, an operand that is not what
 * it accepts are all refused with the rule that refused them.
 *
 * @public
 */
export function evaluateArgv(
  argv: string[],
  policy: TerminalPolicy,
  ctx: EvaluationContext = {},
): LineEvaluation {
  const [cmd, ...args] = argv;
  if (cmd === undefined) {
    return { decision: refused('empty', 'Type a command.'), argv };
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(cmd)) {
    return {
      decision: refused(
        'no-env-assignment',
        'Setting environment variables (NAME=value command) is not allowed.',
      ),
      argv,
    };
  }
  if (/^[A-Za-z0-9._+-]*\/[A-Za-z0-9._/+-]*$/.test(cmd)) {
    return {
      decision: refused(
        `command-path:${cmd}`,
        `Give the command's name, not a path: restricted mode runs the allow-listed programs by name.`,
      ),
      argv,
    };
  }
  const rule = Object.prototype.hasOwnProperty.call(policy.commands, cmd)
    ? policy.commands[cmd]
    : undefined;
  if (!COMMAND_NAME.test(cmd) || !rule) {
    const shown = COMMAND_NAME.test(cmd) ? cmd : JSON.stringify(cmd);
    return {
      decision: refused(
        `binary-not-allowed:${shown}`,
        `${shown} is not on the allow-list of policy "${
          policy.name
        }". Allowed: ${Object.keys(policy.commands).sort().join(', ')}.`,
      ),
      argv,
    };
  }
  const { decision, args: checked } = evaluateArgs(
    cmd,
    args,
    rule,
    policy,
    ctx,
  );
  return {
    decision,
    argv: decision.allowed ? [cmd, ...checked] : argv,
    command: rule,
  };
}

/**
 * Parses a restricted-mode line and checks it against a policy: the one
 * function the backend calls before anything runs.
 *
 * @public
 */
export function evaluateCommandLine(
  line: string,
  policy: TerminalPolicy,
  options: { limits?: ParseLimits } & EvaluationContext = {},
): LineEvaluation {
  const parsed = parseCommandLine(line, options.limits);
  if (!parsed.ok) return { decision: parsed.decision, argv: [] };
  return evaluateArgv(parsed.argv, policy, options);
}
