/** What every step script knows about its container and pod. */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ScriptPodContext } from '../contracts';
import type { Random } from './random';
import type { Script } from './script';

/** The pod annotations the build-log module reads. */
export const BUILDLOG_ANNOTATIONS = {
  failAt: 'sim.fincloud.io/fail-at',
  stepMs: 'sim.fincloud.io/step-ms',
  logLines: 'sim.fincloud.io/log-lines',
  scanFindings: 'sim.fincloud.io/scan-findings',
  language: 'sim.fincloud.io/language',
} as const;

export interface GitInfo {
  url?: string;
  branch?: string;
  revision?: string;
}

export interface StepContext {
  pod: V1Pod;
  container: V1Container;
  /** command + args. */
  argv: string[];
  /** The container's literal env values (valueFrom is not resolved). */
  env: Record<string, string>;
  rng: Random;
  /** Seed for deterministic digests and shas. */
  seed: string;
  /** This step must fail (fail-at annotation or a sim-fail-<name> git ref). */
  fail: false | 'annotation' | 'ref';
  git: GitInfo;
  /** Extra generated lines for the build step (log-lines annotation). */
  extraLines: number;
  options: ScriptPodContext;
}

export interface StepOutcome {
  exitCode: number;
  reason?: string;
}

export type StepScript = (ctx: StepContext, out: Script) => StepOutcome;

export const ok: StepOutcome = { exitCode: 0 };
export const failed = (exitCode = 1): StepOutcome => ({
  exitCode,
  reason: 'Error',
});

/** `--flag=value` or `--flag value`; every occurrence. */
export function flagValues(argv: string[], ...names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    for (const n of names) {
      if (a === n && i + 1 < argv.length) values.push(argv[i + 1]);
      else if (a.startsWith(`${n}=`)) values.push(a.slice(n.length + 1));
    }
  }
  return values;
}

export function flagValue(
  argv: string[],
  ...names: string[]
): string | undefined {
  return flagValues(argv, ...names)[0];
}

/**
 * Splits a shell command line into words (quotes respected), so that
 * `sh -c "git clone ... && ..."` scripts can be read like argv.
 */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < script.length)
        cur += script[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (cur || has) words.push(cur);
      cur = '';
      has = false;
    } else if (ch === '\\' && i + 1 < script.length) {
      cur += script[++i];
    } else {
      cur += ch;
    }
  }
  if (cur || has) words.push(cur);
  return words;
}

/** argv with `sh -c <script>` expanded into the script's words. */
export function effectiveArgv(argv: string[]): string[] {
  const shell = argv[0] ? /(^|\/)(ba|a|da)?sh$/.test(argv[0]) : false;
  const c = argv.indexOf('-c');
  if (shell && c >= 0 && argv[c + 1] !== undefined) {
    return shellWords(argv[c + 1]);
  }
  return argv;
}

/** `registry/org/app:tag` → `registry/org/app` (a digest reference keeps its name). */
export function repositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  if (at >= 0) return reference.slice(0, at);
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash ? reference.slice(0, colon) : reference;
}

/** The last path segment of an image or repository URL, without `.git` or tag. */
export function appNameOf(reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const repo = repositoryOf(reference.replace(/\.git$/, '').replace(/\/$/, ''));
  const seg = repo.split(/[/:]/).filter(Boolean).pop();
  return seg || undefined;
}
