import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  CommandRule,
  DEFAULT_TERMINAL_POLICIES,
  DEFAULT_TERMINAL_POLICY_NAME,
  TerminalPolicy,
} from '@fincloud/plugin-terminal-common';
import { RE2JS } from 're2js';
import { z } from 'zod';

/** Everything the terminal reads from `fincloud.terminal`, with defaults. */
export interface TerminalConfig {
  heartbeatMs: number;
  defaultPolicy: string;
  policies: Map<string, TerminalPolicy>;
  entityPolicies: Map<string, string>;
  limits: {
    idleMs: number;
    maxSessionsPerUser: number;
    maxSessionsPerEntity: number;
    commandTimeoutMs: number;
    maxOutputBytesPerCommand: number;
    maxLineLength: number;
    backpressureBytes: number;
    bufferBudgetBytes: number;
  };
  restricted: { maxMs: number; record: boolean };
  shell: {
    maxMs: number;
    minJustificationLength: number;
    command: string[];
    approvalNamespaces: string[];
  };
  debug: {
    image: string;
    command?: string[];
    startTimeoutMs: number;
    networkPolicy: { enabled: boolean; egress: any[] };
  };
  masking: { patterns: string[]; podSecrets: boolean };
  recording: { chunkBytes: number; flushMillis: number; maxBacklogBytes: number };
}

const argumentRule = z.union([
  z.string(),
  z.object({ kind: z.literal('path') }).strict(),
  z.object({ kind: z.literal('url') }).strict(),
  z.object({ kind: z.literal('pid') }).strict(),
  z.object({ kind: z.literal('text'), pattern: z.string().optional() }).strict(),
  z.object({ kind: z.literal('match'), pattern: z.string() }).strict(),
]);

const commandRule = z
  .object({
    description: z.string(),
    usage: z.string().optional(),
    flags: z.array(z.string().regex(/^--?[A-Za-z0-9][A-Za-z0-9-]*$/)).optional(),
    options: z.record(z.string(), argumentRule).optional(),
    wordOptions: z.boolean().optional(),
    parseOptions: z.boolean().optional(),
    operands: z.array(argumentRule).optional(),
    minOperands: z.number().int().min(0).optional(),
    maxOperands: z.number().int().min(0).optional(),
    operandCounts: z.array(z.number().int().min(0)).optional(),
    repeatLast: z.boolean().optional(),
    exact: z.array(z.array(z.string())).optional(),
    deny: z.array(z.string()).optional(),
    maskOutput: z.boolean().optional(),
  })
  .strict();

function patternsOf(rule: CommandRule): string[] {
  const all = [
    ...(rule.operands ?? []),
    ...Object.values(rule.options ?? {}),
  ];
  return all.flatMap(a => {
    if (typeof a === 'string') return [a];
    if (a.kind === 'match') return [a.pattern];
    if (a.kind === 'text' && a.pattern) return [a.pattern];
    return [];
  });
}

function readPolicies(config: Config): Map<string, TerminalPolicy> {
  const policies = new Map<string, TerminalPolicy>(
    Object.entries(DEFAULT_TERMINAL_POLICIES),
  );
  const section = config.getOptionalConfig('fincloud.terminal.policies');
  if (!section) return policies;
  const pending = new Map(section.keys().map(k => [k, section.getConfig(k)]));
  const build = (name: string, trail: string[]): TerminalPolicy => {
    const key = `fincloud.terminal.policies.${name}`;
    const c = pending.get(name);
    if (!c) {
      const known = policies.get(name);
      if (!known) {
        throw new InputError(
          `${key}: no policy "${name}" (known: ${[
            ...new Set([...policies.keys(), ...pending.keys()]),
          ].join(', ')})`,
        );
      }
      return known;
    }
    if (trail.includes(name)) {
      throw new InputError(
        `${key}.extends: the policies extend each other in a circle (${[
          ...trail,
          name,
        ].join(' → ')})`,
      );
    }
    const parentName = c.getOptionalString('extends');
    const parent = parentName
      ? build(parentName, [...trail, name])
      : undefined;
    const commands: Record<string, CommandRule> = { ...(parent?.commands ?? {}) };
    const rawCommands = c.getOptional<Record<string, unknown>>('commands') ?? {};
    for (const [cmd, raw] of Object.entries(rawCommands)) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}$/.test(cmd)) {
        throw new InputError(`${key}.commands.${cmd}: not a command name`);
      }
      if (raw === null || raw === false) {
        delete commands[cmd];
        continue;
      }
      const parsed = commandRule.safeParse(raw);
      if (!parsed.success) {
        throw new InputError(
          `${key}.commands.${cmd}: ${parsed.error.issues
            .map(i => `${i.path.join('.') || '(rule)'}: ${i.message}`)
            .join('; ')}`,
        );
      }
      for (const pattern of patternsOf(parsed.data as CommandRule)) {
        try {
          RE2JS.compile(pattern.replace(/^\^/, '').replace(/\$$/, ''));
        } catch (e) {
          throw new InputError(
            `${key}.commands.${cmd}: pattern ${JSON.stringify(
              pattern,
            )} is not RE2 syntax: ${(e as Error).message}`,
          );
        }
      }
      commands[cmd] = parsed.data as CommandRule;
    }
    const list = (k: string, fallback: string[] | undefined) =>
      c.getOptionalStringArray(k) ?? fallback ?? [];
    const policy: TerminalPolicy = {
      name,
      description: c.getOptionalString('description') ?? parent?.description,
      allowedPaths: list('allowedPaths', parent?.allowedPaths),
      deniedPaths: list('deniedPaths', parent?.deniedPaths),
      allowedHosts: list('allowedHosts', parent?.allowedHosts),
      deniedHosts: list('deniedHosts', parent?.deniedHosts),
      selectableByAnnotation:
        c.getOptionalBoolean('selectableByAnnotation') ??
        parent?.selectableByAnnotation,
      commands,
    };
    for (const p of [...policy.allowedPaths, ...policy.deniedPaths]) {
      if (!p.startsWith('/') || p.split('/').includes('..')) {
        throw new InputError(
          `${key}: path "${p}" must be absolute and without ".."`,
        );
      }
    }
    pending.delete(name);
    policies.set(name, policy);
    return policy;
  };
  for (const name of [...pending.keys()]) {
    if (pending.has(name)) build(name, []);
  }
  return policies;
}

function positive(config: Config, key: string, fallback: number): number {
  const v = config.getOptionalNumber(key);
  if (v === undefined) return fallback;
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new InputError(`${key} must be a positive number`);
  }
  return v;
}

/** Reads `fincloud.terminal`; a mistake stops the backend at start with the key at fault. */
export function readTerminalConfig(config: Config): TerminalConfig {
  const policies = readPolicies(config);
  const defaultPolicy =
    config.getOptionalString('fincloud.terminal.defaultPolicy') ??
    DEFAULT_TERMINAL_POLICY_NAME;
  if (!policies.has(defaultPolicy)) {
    throw new InputError(
      `fincloud.terminal.defaultPolicy: no policy "${defaultPolicy}"`,
    );
  }
  const entityPolicies = new Map<string, string>();
  const pins =
    config.getOptionalConfigArray('fincloud.terminal.entityPolicies') ?? [];
  pins.forEach((pin, index) => {
    const key = `fincloud.terminal.entityPolicies[${index}]`;
    const ref = pin.getString('entityRef');
    const name = pin.getString('policy');
    if (!policies.has(name)) {
      throw new InputError(`${key}.policy: no policy "${name}"`);
    }
    entityPolicies.set(ref.toLocaleLowerCase('en-US'), name);
  });
  const minutes = (key: string, fallback: number) =>
    positive(config, key, fallback) * 60_000;
  const shellCommand = config.getOptionalStringArray(
    'fincloud.terminal.shell.command',
  ) ?? ['/bin/sh'];
  if (shellCommand.length === 0) {
    throw new InputError('fincloud.terminal.shell.command must not be empty');
  }
  const patterns =
    config.getOptionalStringArray('fincloud.terminal.masking.patterns') ?? [];
  for (const p of patterns) {
    try {
      RE2JS.compile(p);
    } catch (e) {
      throw new InputError(
        `fincloud.terminal.masking.patterns: ${JSON.stringify(
          p,
        )} is not RE2 syntax: ${(e as Error).message}`,
      );
    }
  }
  return {
    heartbeatMs:
      positive(config, 'fincloud.terminal.heartbeatSeconds', 5) * 1000,
    defaultPolicy,
    policies,
    entityPolicies,
    limits: {
      idleMs: minutes('fincloud.terminal.limits.idleMinutes', 15),
      maxSessionsPerUser: Math.floor(
        positive(config, 'fincloud.terminal.limits.maxSessionsPerUser', 3),
      ),
      maxSessionsPerEntity: Math.floor(
        positive(config, 'fincloud.terminal.limits.maxSessionsPerEntity', 10),
      ),
      commandTimeoutMs:
        positive(config, 'fincloud.terminal.limits.commandTimeoutSeconds', 60) *
        1000,
      maxOutputBytesPerCommand: positive(
        config,
        'fincloud.terminal.limits.maxOutputBytesPerCommand',
        4 * 1024 * 1024,
      ),
      maxLineLength: positive(
        config,
        'fincloud.terminal.limits.maxLineLength',
        1024,
      ),
      backpressureBytes: positive(
        config,
        'fincloud.terminal.limits.backpressureBytes',
        256 * 1024,
      ),
      bufferBudgetBytes: positive(
        config,
        'fincloud.terminal.limits.bufferBudgetBytes',
        64 * 1024 * 1024,
      ),
    },
    restricted: {
      maxMs: minutes('fincloud.terminal.restricted.maxMinutes', 60),
      record:
        config.getOptionalBoolean('fincloud.terminal.restricted.record') ??
        true,
    },
    shell: {
      maxMs: minutes('fincloud.terminal.shell.maxMinutes', 15),
      minJustificationLength: Math.floor(
        positive(config, 'fincloud.terminal.shell.minJustificationLength', 20),
      ),
      command: shellCommand,
      approvalNamespaces:
        config.getOptionalStringArray(
          'fincloud.terminal.shell.approvalNamespaces',
        ) ?? [],
    },
    debug: {
      image:
        config.getOptionalString('fincloud.terminal.debug.image') ??
        'busybox:1.36',
      command: config.getOptionalStringArray('fincloud.terminal.debug.command'),
      startTimeoutMs:
        positive(config, 'fincloud.terminal.debug.startTimeoutSeconds', 60) *
        1000,
      networkPolicy: {
        enabled:
          config.getOptionalBoolean(
            'fincloud.terminal.debug.networkPolicy.enabled',
          ) ?? true,
        egress:
          config.getOptional<any[]>(
            'fincloud.terminal.debug.networkPolicy.egress',
          ) ?? [],
      },
    },
    masking: {
      patterns,
      podSecrets:
        config.getOptionalBoolean('fincloud.terminal.masking.podSecrets') ??
        true,
    },
    recording: {
      chunkBytes: positive(
        config,
        'fincloud.terminal.recording.chunkBytes',
        64 * 1024,
      ),
      flushMillis: positive(
        config,
        'fincloud.terminal.recording.flushMillis',
        1000,
      ),
      maxBacklogBytes: positive(
        config,
        'fincloud.terminal.recording.maxBacklogBytes',
        1024 * 1024,
      ),
    },
  };
}
