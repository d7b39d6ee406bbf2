/** A `git clone` step: repository, branch and commit from args or env. */
import { createHash } from 'node:crypto';
import {
  effectiveArgv,
  failed,
  ok,
  type StepContext,
  type StepOutcome,
} from './context';
import type { Script } from './script';

const SUBJECTS = [
  'Add idempotency keys to payment capture',
  'Bump Spring Boot to 3.3.4',
  'Fix rounding of FX conversion for JPY',
  'Harden input validation on transfer endpoint',
  'Expose readiness probe for the settlement worker',
  'Reduce connection pool size under canary',
  'Refactor risk limits into a strategy per desk',
  'Migrate audit events to structured logging',
  'Update eslint config and fix warnings',
  'Cache exchange rates for 30 seconds',
  'Add retry with jitter to ledger client',
  'Remove deprecated v1 accounts endpoint',
];

export const isSha = (s: string | undefined): s is string =>
  !!s && /^[0-9a-f]{7,40}$/i.test(s);

/** Where the clone goes: the positional after the repository in `git clone`, else /workspace. */
function destination(words: string[]): string {
  const clone = words.indexOf('clone');
  if (clone < 0) return '/workspace';
  const positional: string[] = [];
  for (let i = clone + 1; i < words.length; i++) {
    const w = words[i];
    if (['&&', ';', '||', '|'].includes(w)) break;
    if (w.startsWith('-')) {
      if (
        [
          '--branch',
          '-b',
          '--depth',
          '--origin',
          '-o',
          '--config',
          '-c',
          '--reference',
        ].includes(w)
      )
        i++;
      continue;
    }
    positional.push(w);
  }
  return positional[1] ?? '/workspace';
}

/** `$VAR` and `${VAR}` from the container env, as `set -x` would show them. */
function expand(word: string, env: Record<string, string>): string {
  return word.replace(
    /\$\{?([A-Za-z_]\w*)\}?/g,
    (_, v: string) => env[v] ?? '',
  );
}

/** The commit a ref resolves to: the given sha, else a stable one for this build. */
export function commitFor(ctx: StepContext): string {
  const rev = ctx.git.revision;
  if (isSha(rev)) {
    const full = rev.toLowerCase();
    return full.length === 40
      ? full
      : full +
          createHash('sha1')
            .update(full)
            .digest('hex')
            .slice(0, 40 - full.length);
  }
  return createHash('sha1')
    .update(`${ctx.git.url}|${ctx.git.branch}|${rev}|${ctx.seed}`)
    .digest('hex');
}

export function commitSubject(ctx: StepContext): string {
  const h = parseInt(commitFor(ctx).slice(0, 8), 16);
  return SUBJECTS[h % SUBJECTS.length];
}

export function cloneStep(ctx: StepContext, out: Script): StepOutcome {
  const words = effectiveArgv(ctx.argv).map(w => expand(w, ctx.env));
  const url =
    ctx.git.url ?? 'https://git.fincloud.example/unknown/repository.git';
  const dir = destination(words);
  const ref =
    ctx.git.branch ?? (isSha(ctx.git.revision) ? undefined : ctx.git.revision);
  const rng = ctx.rng;

  if (effectiveArgv(ctx.argv) !== ctx.argv)
    out.line(`+ ${words.join(' ')}`, 20);
  out.line(`Cloning into '${dir}'...`, 120);

  if (ctx.fail === 'ref' && ref && /sim-fail-/.test(ref)) {
    out.line(`warning: Could not find remote branch ${ref} to clone.`, 400);
    out.line(`fatal: Remote branch ${ref} not found in upstream origin`, 5);
    return failed();
  }
  if (ctx.fail) {
    out.line(
      `fatal: unable to access '${url.replace(
        /\/?$/,
        '/',
      )}': The requested URL returned error: 403`,
      600,
    );
    return failed();
  }

  const objects = rng.int(800, 6000);
  const deltas = Math.round(objects * (0.35 + rng.next() * 0.15));
  const compressed = Math.round(objects * 0.5);
  const reused = objects - rng.int(20, 200);
  const mib = (objects * (0.8 + rng.next())) / 1024;
  out.lines(
    [
      `remote: Enumerating objects: ${objects}, done.`,
      `remote: Counting objects: 100% (${objects}/${objects}), done.`,
      `remote: Compressing objects: 100% (${compressed}/${compressed}), done.`,
      `remote: Total ${objects} (delta ${deltas}), reused ${reused} (delta ${Math.round(
        deltas * 0.9,
      )}), pack-reused 0`,
    ],
    150,
  );
  out.line(
    `Receiving objects: 100% (${objects}/${objects}), ${mib.toFixed(
      2,
    )} MiB | ${(8 + rng.next() * 20).toFixed(2)} MiB/s, done.`,
    700,
  );
  out.line(`Resolving deltas: 100% (${deltas}/${deltas}), done.`, 300);

  const sha = commitFor(ctx);
  if (isSha(ctx.git.revision)) {
    out.line(`Note: switching to '${sha}'.`, 120);
  }
  out.line(`HEAD is now at ${sha.slice(0, 7)} ${commitSubject(ctx)}`, 60);
  return ok;
}

/** Reads the repository, branch and revision from a container's argv and env. */
export function gitInfoFrom(argv: string[], env: Record<string, string>) {
  const words = effectiveArgv(argv);
  const url =
    words.find(w => /^(https?|ssh|git):\/\/|^git@[^:]+:/.test(w)) ??
    env.GIT_URL ??
    env.GIT_REPO ??
    env.REPO_URL;
  let branch: string | undefined = env.GIT_BRANCH;
  for (let i = 0; i < words.length; i++) {
    if ((words[i] === '--branch' || words[i] === '-b') && words[i + 1]) {
      branch = branch ?? words[i + 1];
    } else if (words[i].startsWith('--branch=')) {
      branch = branch ?? words[i].slice('--branch='.length);
    }
  }
  const checkout = words.indexOf('checkout');
  const revision =
    env.GIT_REVISION ??
    env.GIT_COMMIT ??
    env.GIT_SHA ??
    (checkout >= 0 && words[checkout - 1] === 'git'
      ? words[checkout + 1]
      : undefined);
  return { url, branch, revision };
}
