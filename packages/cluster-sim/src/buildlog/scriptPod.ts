/**
 * The scripted run of a Job's pod: one step per container (init containers
 * in order, then containers), derived from the spec only, deterministic for
 * the same pod. See docs/behaviour.md for the conventions.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ScriptPod, ScriptPodContext, ScriptedStep } from '../contracts';
import { buildStep } from './build';
import { cloneStep, gitInfoFrom } from './clone';
import {
  BUILDLOG_ANNOTATIONS,
  effectiveArgv,
  type GitInfo,
  type StepContext,
  type StepOutcome,
} from './context';
import { genericStep, isTestStep, testStep } from './generic';
import { createRandom } from './random';
import { scanStep } from './scan';
import { Script } from './script';

/** A nominal millisecond lasts step-ms / DEFAULT_STEP_MS real ms. */
export const DEFAULT_STEP_MS = 1000;
const MAX_LOG_LINES = 50_000_000;

export type StepKind = 'clone' | 'scan' | 'build' | 'test' | 'generic';

export function classifyContainer(c: V1Container): StepKind {
  const image = (c.image ?? '').toLowerCase();
  const name = c.name.toLowerCase();
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const cmd = effectiveArgv(argv).join(' ').toLowerCase();
  if (
    /kaniko|buildkit|buildah/.test(image) ||
    /buildctl|buildah (bud|build)|\/kaniko\/executor/.test(cmd) ||
    argv.some(a => a.startsWith('--destination'))
  ) {
    return 'build';
  }
  if (
    /(^|\/)git(:|$)|alpine\/git|bitnami\/git/.test(image) ||
    [
      'clone',
      'git-clone',
      'checkout',
      'fetch-source',
      'git',
      'source',
    ].includes(name) ||
    /\bgit clone\b/.test(cmd)
  ) {
    return 'clone';
  }
  if (
    /scan|semgrep|eslint|trivy|sarif|oxlint|biome|grype|sonar|snyk/.test(
      `${image} ${name}`,
    )
  ) {
    return 'scan';
  }
  return 'generic';
}

function literalEnv(c: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
  }
  return env;
}

/** Git refs anywhere in the pod (so a branch set on the clone step can fail a later step). */
function podGit(containers: V1Container[]): { git: GitInfo; refs: string[] } {
  const git: GitInfo = {};
  const refs: string[] = [];
  for (const c of containers) {
    const info = gitInfoFrom(
      [...(c.command ?? []), ...(c.args ?? [])],
      literalEnv(c),
    );
    git.url = git.url ?? info.url;
    git.branch = git.branch ?? info.branch;
    git.revision = git.revision ?? info.revision;
    if (info.branch) refs.push(info.branch);
    if (info.revision) refs.push(info.revision);
  }
  return { git, refs };
}

function positiveNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export const scriptPod: ScriptPod = (
  pod: V1Pod,
  options: ScriptPodContext = {},
): ScriptedStep[] => {
  const annotations = pod.metadata?.annotations ?? {};
  const seed =
    pod.metadata?.uid ??
    `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
  const stepMs =
    positiveNumber(annotations[BUILDLOG_ANNOTATIONS.stepMs]) ?? DEFAULT_STEP_MS;
  const scale = stepMs / DEFAULT_STEP_MS;
  const logLines = Math.min(
    MAX_LOG_LINES,
    Math.floor(positiveNumber(annotations[BUILDLOG_ANNOTATIONS.logLines]) ?? 0),
  );
  const failAt = annotations[BUILDLOG_ANNOTATIONS.failAt]?.trim();

  const containers = [
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.containers ?? []),
  ];
  const { git, refs } = podGit(containers);
  const kinds = containers.map(classifyContainer);
  // Extra lines go to the build step(s); without one, to the last step.
  const extraTo = kinds.includes('build')
    ? (i: number) => kinds[i] === 'build'
    : (i: number) => i === containers.length - 1;

  return containers.map((container, i) => {
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    let fail: StepContext['fail'] = false;
    if (failAt === container.name) fail = 'annotation';
    else if (refs.some(r => r.includes(`sim-fail-${container.name}`)))
      fail = 'ref';
    const ctx: StepContext = {
      pod,
      container,
      argv,
      env: literalEnv(container),
      rng: createRandom(`${seed}|${container.name}`),
      seed,
      fail,
      git,
      extraLines: extraTo(i) ? logLines : 0,
      options,
    };
    const language =
      (annotations[BUILDLOG_ANNOTATIONS.language] ??
        annotations['fincloud.io/language']) === 'node' ||
      /portal|web|ui\b|frontend|node/.test(
        `${git.url ?? ''} ${pod.metadata?.name ?? ''}`,
      )
        ? 'node'
        : 'java';
    const out = new Script();
    let kind = kinds[i];
    if (kind === 'generic' && isTestStep(ctx)) kind = 'test';
    let outcome: StepOutcome;
    switch (kind) {
      case 'clone':
        outcome = cloneStep(ctx, out);
        break;
      case 'scan':
        outcome = scanStep(ctx, out, language);
        break;
      case 'build':
        outcome = buildStep(ctx, out);
        break;
      case 'test':
        outcome = testStep(ctx, out);
        break;
      default:
        outcome = genericStep(ctx, out);
    }
    const { lines, durationMs } = out.finish(scale);
    const step: ScriptedStep = {
      container: container.name,
      lines,
      durationMs,
      exitCode: outcome.exitCode,
    };
    if (outcome.exitCode !== 0) step.reason = outcome.reason ?? 'Error';
    return step;
  });
};
