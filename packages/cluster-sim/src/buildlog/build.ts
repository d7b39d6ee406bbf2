/**
 * A build-and-push step (kaniko, BuildKit or buildah): prints the
 * Dockerfile's stages and instructions as the builder executes them, cache
 * hits, layer pushes, and ends with the line
 *
 *   Pushed <repository>@sha256:<64 hex digits>
 *
 * (one per destination, the last one last), or `Built sha256:<digest>
 * (not pushed)` with `--no-push`.
 */
import { createHash } from 'node:crypto';
import type { V1Volume } from '@kubernetes/client-node';
import {
  BUILDLOG_ANNOTATIONS,
  appNameOf,
  effectiveArgv,
  failed,
  flagValue,
  flagValues,
  ok,
  repositoryOf,
  type StepContext,
  type StepOutcome,
} from './context';
import {
  defaultDockerfile,
  languageOfImages,
  parseDockerfile,
  type Instruction,
  type Language,
  type Stage,
} from './dockerfile';
import { commitFor } from './clone';
import { isDependencyStep, simulateRun, type RunSink } from './run';
import type { Script } from './script';

type Flavour = 'kaniko' | 'buildkit' | 'buildah';

interface BuildConfig {
  flavour: Flavour;
  destinations: string[];
  context: string;
  dockerfilePath: string;
  cache: boolean;
  cacheRepo?: string;
  target?: string;
  noPush: boolean;
}

function joinPath(base: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  const parts = `${base}/${rel}`.split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

function flavourOf(ctx: StepContext, words: string[]): Flavour {
  const s = `${ctx.container.image} ${words.join(' ')}`.toLowerCase();
  if (/buildctl|buildkit/.test(s)) return 'buildkit';
  if (/buildah/.test(s)) return 'buildah';
  return 'kaniko';
}

export function buildConfig(ctx: StepContext): BuildConfig {
  const words = effectiveArgv(ctx.argv);
  const flavour = flavourOf(ctx, words);
  const env = ctx.env;
  let destinations: string[] = [];
  let context = '/workspace';
  let dockerfile = env.DOCKERFILE ?? 'Dockerfile';
  let cache = false;
  let cacheRepo: string | undefined;
  let target: string | undefined;
  let noPush = false;

  if (flavour === 'kaniko') {
    destinations = flagValues(words, '--destination', '-d');
    context = (flagValue(words, '--context', '-c') ?? context).replace(
      /^dir:\/\//,
      '',
    );
    dockerfile = flagValue(words, '--dockerfile', '-f') ?? dockerfile;
    const c = flagValue(words, '--cache');
    cache = words.includes('--cache') || c === 'true';
    cacheRepo = flagValue(words, '--cache-repo');
    target = flagValue(words, '--target');
    noPush =
      words.includes('--no-push') || flagValue(words, '--no-push') === 'true';
  } else if (flavour === 'buildkit') {
    for (const local of flagValues(words, '--local')) {
      const [k, v] = local.split('=');
      if (k === 'context' && v) context = v;
      if (k === 'dockerfile' && v) dockerfile = joinPath(v, 'Dockerfile');
    }
    for (const opt of flagValues(words, '--opt')) {
      const [k, v] = opt.split('=');
      if (k === 'filename' && v) {
        dockerfile = dockerfile.endsWith('/Dockerfile')
          ? joinPath(dockerfile.slice(0, -'/Dockerfile'.length), v)
          : v;
      }
      if (k === 'target' && v) target = v;
    }
    const output = flagValue(words, '--output', '-o') ?? '';
    const fields = Object.fromEntries(
      output.split(',').map(kv => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    if (fields.name)
      destinations = fields.name
        .replace(/"/g, '')
        .split(/[,\s]+/)
        .filter(Boolean);
    noPush = fields.push !== 'true';
    const exportCache = flagValue(words, '--export-cache', '--import-cache');
    if (exportCache) {
      cache = true;
      cacheRepo = /ref=([^,]+)/.exec(exportCache)?.[1];
    }
  } else {
    const bud = words.findIndex(w => w === 'bud' || w === 'build');
    const buildWords =
      bud >= 0 ? words.slice(bud + 1, nextCommand(words, bud + 1)) : words;
    destinations = flagValues(buildWords, '-t', '--tag');
    dockerfile = flagValue(buildWords, '-f', '--file') ?? dockerfile;
    cache =
      buildWords.includes('--layers') ||
      flagValue(buildWords, '--layers') === 'true';
    target = flagValue(buildWords, '--target');
    const positional = buildWords.filter(
      (w, i) =>
        !w.startsWith('-') &&
        !(buildWords[i - 1] ?? '').match(
          /^(-t|--tag|-f|--file|--target|--build-arg|--storage-driver|--isolation|--format)$/,
        ),
    );
    if (positional.length) context = positional[positional.length - 1];
    noPush = !words.includes('push');
  }

  if (destinations.length === 0) {
    const fromEnv = env.DESTINATION ?? env.IMAGE ?? env.IMAGE_REF;
    if (fromEnv) destinations = [fromEnv];
  }
  return {
    flavour,
    destinations,
    context,
    dockerfilePath: joinPath(context, dockerfile),
    cache,
    cacheRepo,
    target,
    noPush,
  };
}

function nextCommand(words: string[], from: number): number {
  const i = words
    .slice(from)
    .findIndex(w => ['&&', ';', '||', '|'].includes(w));
  return i < 0 ? words.length : from + i;
}

/** The Dockerfile from a ConfigMap volume mounted over its path. */
function fromConfigMap(ctx: StepContext, path: string): string | undefined {
  const volumes: V1Volume[] = ctx.pod.spec?.volumes ?? [];
  for (const m of ctx.container.volumeMounts ?? []) {
    const mount = m.mountPath.replace(/\/$/, '');
    if (!path.startsWith(`${mount}/`)) continue;
    const rel = path.slice(mount.length + 1);
    const vol = volumes.find(v => v.name === m.name);
    const cm = vol?.configMap;
    if (!cm?.name) continue;
    const sub = m.subPath ? `${m.subPath}/` : '';
    const wanted = `${sub}${rel}`;
    const key = cm.items?.length
      ? cm.items.find(i => i.path === wanted)?.key
      : wanted;
    const data = key ? ctx.options.configMaps?.get(cm.name)?.[key] : undefined;
    if (data !== undefined) return data;
  }
  return undefined;
}

type DockerfileSource =
  | { kind: 'inline' | 'configmap' | 'default'; source: string }
  | { kind: 'invalid'; error: string };

function dockerfileSource(
  ctx: StepContext,
  cfg: BuildConfig,
  language: Language,
  app: string,
): DockerfileSource {
  const inline = ctx.env.DOCKERFILE_INLINE;
  if (inline !== undefined) {
    const text = Buffer.from(inline, 'base64').toString('utf8');
    if (!/^\s*FROM\s/im.test(text)) {
      return {
        kind: 'invalid',
        error:
          'DOCKERFILE_INLINE does not decode (base64) to a Dockerfile with a FROM instruction',
      };
    }
    return { kind: 'inline', source: text };
  }
  const mounted = fromConfigMap(ctx, cfg.dockerfilePath);
  if (mounted !== undefined) return { kind: 'configmap', source: mounted };
  const multi = ctx.env.BUILD_MULTISTAGE !== 'false';
  return { kind: 'default', source: defaultDockerfile(language, app, multi) };
}

function languageFor(ctx: StepContext, cfg: BuildConfig): Language {
  const annotated =
    ctx.pod.metadata?.annotations?.[BUILDLOG_ANNOTATIONS.language] ??
    ctx.pod.metadata?.annotations?.['fincloud.io/language'];
  if (
    annotated === 'java' ||
    annotated === 'node' ||
    annotated === 'go' ||
    annotated === 'python'
  )
    return annotated;
  const names = `${cfg.destinations.join(' ')} ${
    ctx.git.url ?? ''
  }`.toLowerCase();
  return /portal|web|ui\b|frontend|node/.test(names) ? 'node' : 'java';
}

/** sha256 hex of the inputs: deterministic for the same pod and inputs. */
function digestOf(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Stages that take part in building `target` (all up to it; kaniko/BuildKit skip unused ones, kept simple here). */
function stagesToBuild(stages: Stage[], target: string | undefined): Stage[] {
  if (!target) return stages;
  const i = stages.findIndex(s => s.name === target);
  return i >= 0 ? stages.slice(0, i + 1) : stages;
}

/** Instructions BuildKit does not show as steps of their own. */
const METADATA_ONLY = [
  'ENV',
  'ARG',
  'EXPOSE',
  'USER',
  'CMD',
  'ENTRYPOINT',
  'LABEL',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'SHELL',
  'ONBUILD',
];

const secs = (ms: number) => String(Math.floor(ms / 1000)).padStart(4, '0');

export function buildStep(ctx: StepContext, out: Script): StepOutcome {
  const cfg = buildConfig(ctx);
  const rng = ctx.rng;
  const words = effectiveArgv(ctx.argv);
  const app =
    appNameOf(cfg.destinations[0]) ??
    appNameOf(ctx.git.url) ??
    ctx.pod.metadata?.name ??
    'app';
  let language = languageFor(ctx, cfg);
  const df = dockerfileSource(ctx, cfg, language, app);

  const info = (msg: string, dt = 15): void => {
    if (cfg.flavour === 'kaniko')
      out.line(atMs => `INFO[${secs(atMs)}] ${msg}`, dt);
    else out.line(msg, dt);
  };
  if (words !== ctx.argv && cfg.flavour !== 'kaniko')
    out.line(`+ ${words.slice(0, nextCommand(words, 0)).join(' ')}`, 20);

  if (df.kind === 'invalid') {
    out.line(`error: ${df.error}`, 200);
    return failed();
  }
  if (
    cfg.flavour === 'kaniko' &&
    cfg.destinations.length === 0 &&
    !cfg.noPush
  ) {
    out.line('Error: you must provide --destination, or use --no-push', 100);
    return failed();
  }
  const stages = stagesToBuild(parseDockerfile(df.source), cfg.target);
  if (stages.length === 0) {
    out.line(
      'error: failed to parse dockerfile: file with no instructions',
      100,
    );
    return failed();
  }
  language = languageOfImages(stages.map(s => s.base)) ?? language;

  // The step that fails when asked to, and the one that carries extra lines:
  // the last RUN (the compile), or the push when there is no RUN.
  const runs: Instruction[] = stages.flatMap(s =>
    s.instructions.filter(i => i.keyword === 'RUN'),
  );
  const mainRun = runs[runs.length - 1];
  const total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
  const seedBase = `${ctx.seed}|${df.source}|${commitFor(ctx)}`;
  const layerDigest = (what: string) => digestOf(seedBase, what);
  const cacheRepo =
    cfg.cacheRepo ??
    (cfg.destinations[0]
      ? `${repositoryOf(cfg.destinations[0])}/cache`
      : 'cache');
  const cacheHit = (ins: Instruction) =>
    cfg.cache &&
    ins.keyword === 'RUN' &&
    isDependencyStep(ins.args) &&
    ins !== mainRun &&
    rng.next() < 0.85;

  if (df.kind !== 'default') {
    info(
      `Using Dockerfile ${
        df.kind === 'inline'
          ? 'from DOCKERFILE_INLINE'
          : `${cfg.dockerfilePath} (ConfigMap)`
      }`,
      20,
    );
  }

  const pulled = new Set<string>();
  const isStageRef = (base: string) => stages.some(o => o.name === base);
  let vertex = 0;
  let stepNo = 0;
  let failedAt: Instruction | undefined;

  // ------------------------------------------------ preamble per flavour
  if (cfg.flavour === 'kaniko') {
    for (const s of stages) {
      if (isStageRef(s.base) || pulled.has(s.base)) continue;
      pulled.add(s.base);
      info(`Retrieving image manifest ${s.base}`, 200);
      info(`Retrieving image ${s.base} from registry index.docker.io`, 150);
    }
    const crossDeps = stages
      .flatMap(s => s.instructions)
      .filter(i => i.keyword === 'COPY' && /--from=/.test(i.args));
    info(
      `Built cross stage deps: map[${crossDeps
        .map(i => {
          const from = /--from=(\S+)/.exec(i.args)?.[1] ?? '0';
          const idx = stages.findIndex(s => s.name === from);
          const src = i.args.replace(/--from=\S+\s*/, '').split(/\s+/)[0];
          return `${idx < 0 ? from : idx}:[${src}]`;
        })
        .join(' ')}]`,
      150,
    );
  } else if (cfg.flavour === 'buildkit') {
    vertex++;
    out.line(
      `#${vertex} [internal] load build definition from ${cfg.dockerfilePath
        .split('/')
        .pop()}`,
      50,
    );
    out.line(
      `#${vertex} transferring dockerfile: ${df.source.length}B done`,
      20,
    );
    out.line(`#${vertex} DONE 0.0s`, 5);
    out.line('', 5);
    for (const s of stages) {
      if (isStageRef(s.base) || pulled.has(s.base)) continue;
      pulled.add(s.base);
      vertex++;
      out.line(
        `#${vertex} [internal] load metadata for docker.io/library/${s.base}`,
        300,
      );
      out.line(`#${vertex} DONE ${(0.5 + rng.next()).toFixed(1)}s`, 5);
      out.line('', 5);
    }
    vertex++;
    out.line(`#${vertex} [internal] load build context`, 50);
    out.line(
      `#${vertex} transferring context: ${(0.2 + rng.next() * 4).toFixed(
        2,
      )}MB 0.1s done`,
      100,
    );
    out.line(`#${vertex} DONE 0.2s`, 5);
    out.line('', 5);
  }

  // ------------------------------------------------ stages
  for (let si = 0; si < stages.length && !failedAt; si++) {
    const stage = stages[si];
    const label = stage.name ?? `stage-${si}`;
    const isFinal = si === stages.length - 1;
    if (cfg.flavour === 'kaniko') {
      info('Executing 0 build triggers', 100);
      info(`Building stage '${stage.base}' [idx: '${si}', base-idx: '-1']`, 20);
      if (cfg.cache) {
        for (const ins of stage.instructions.filter(i => i.keyword === 'RUN')) {
          info(
            `Checking for cached layer ${cacheRepo}:${layerDigest(
              ins.text,
            )}...`,
            80,
          );
          info(
            cacheHit(ins)
              ? `Using caching version of cmd: ${ins.text}`
              : `No cached layer found for cmd ${ins.text}`,
            20,
          );
        }
      }
      const firstFs = stage.instructions.find(i =>
        ['COPY', 'ADD', 'RUN'].includes(i.keyword),
      );
      if (firstFs)
        info(`Unpacking rootfs as cmd ${firstFs.text} requires it.`, 400);
    } else if (cfg.flavour === 'buildkit') {
      vertex++;
      stepNo = 1;
      const n =
        stage.instructions.filter(i => !METADATA_ONLY.includes(i.keyword))
          .length + 1;
      out.line(
        `#${vertex} [${label} 1/${n}] FROM docker.io/library/${
          stage.base
        }@sha256:${layerDigest(stage.base)}`,
        100,
      );
      out.line(`#${vertex} DONE ${(0.1 + rng.next()).toFixed(1)}s`, 200);
      out.line('', 5);
    } else {
      stepNo++;
      out.line(
        `STEP ${stepNo}/${total}: FROM ${stage.base}${
          stage.name ? ` AS ${stage.name}` : ''
        }`,
        50,
      );
      if (!isStageRef(stage.base) && !pulled.has(stage.base)) {
        pulled.add(stage.base);
        out.line(`Trying to pull docker.io/library/${stage.base}...`, 100);
        out.line('Getting image source signatures', 300);
        out.line(`Copying blob sha256:${layerDigest(`${stage.base}/0`)}`, 100);
        out.line(
          `Copying config sha256:${layerDigest(`${stage.base}/config`)}`,
          200,
        );
        out.line('Writing manifest to image destination', 50);
      }
    }

    const bkCount =
      stage.instructions.filter(i => !METADATA_ONLY.includes(i.keyword))
        .length + 1;
    for (const ins of stage.instructions) {
      const hit = cacheHit(ins);
      const failHere = !!ctx.fail && ins === mainRun;
      const runSink = (prefix: (atMs: number) => string): RunSink => ({
        emit: (text, dt = 15) => out.line(atMs => `${prefix(atMs)}${text}`, dt),
        block: (count, span, line) => {
          const p = prefix(0);
          out.block(count, span, i => `${p}${line(i)}`);
        },
      });
      const runOpts = {
        app,
        rng,
        fail: failHere,
        extraLines: ins === mainRun ? ctx.extraLines : 0,
      };

      if (cfg.flavour === 'kaniko') {
        const cmdArgs = ins.args;
        switch (ins.keyword) {
          case 'RUN':
            info(ins.text, 40);
            if (hit) {
              info('Found cached layer, extracting to filesystem', 300);
              break;
            }
            info('Initializing snapshotter ...', 20);
            info('Taking snapshot of full filesystem...', 300);
            info('Cmd: /bin/sh', 20);
            info(`Args: [-c ${cmdArgs}]`, 5);
            info(`Running: [/bin/sh -c ${cmdArgs}]`, 5);
            simulateRun(
              cmdArgs,
              runOpts,
              runSink(() => ''),
            );
            if (failHere) {
              out.line(
                'error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1',
                20,
              );
              failedAt = ins;
              break;
            }
            info('Taking snapshot of full filesystem...', 400);
            if (cfg.cache)
              info(
                `Pushing layer ${cacheRepo}:${layerDigest(
                  ins.text,
                )} to cache now`,
                100,
              );
            break;
          case 'WORKDIR':
            info(ins.text, 20);
            info('Cmd: workdir', 5);
            info(`Changed working directory to ${cmdArgs}`, 5);
            info(`Creating directory ${cmdArgs} with uid -1 and gid -1`, 5);
            info('Taking snapshot of files...', 30);
            break;
          case 'COPY':
          case 'ADD':
            info(ins.text, 30);
            info('Taking snapshot of files...', 150);
            break;
          case 'EXPOSE':
            info(ins.text, 10);
            info('Cmd: EXPOSE', 5);
            info(
              `Adding exposed port: ${
                cmdArgs.split(/\s+/)[0].includes('/')
                  ? cmdArgs.split(/\s+/)[0]
                  : `${cmdArgs.split(/\s+/)[0]}/tcp`
              }`,
              5,
            );
            break;
          default:
            info(ins.text, 10);
            if (['USER', 'ENV', 'ARG', 'LABEL'].includes(ins.keyword))
              info(`Cmd: ${ins.keyword}`, 5);
            if (ins.keyword === 'ENV' || ins.keyword === 'LABEL')
              info(
                'No files changed in this command, skipping snapshotting.',
                5,
              );
        }
      } else if (cfg.flavour === 'buildkit') {
        if (METADATA_ONLY.includes(ins.keyword)) continue;
        vertex++;
        stepNo++;
        const v = vertex;
        out.line(`#${v} [${label} ${stepNo}/${bkCount}] ${ins.text}`, 40);
        if (hit || (ins.keyword === 'WORKDIR' && cfg.cache)) {
          out.line(`#${v} CACHED`, 20);
          out.line('', 5);
          continue;
        }
        if (ins.keyword === 'RUN') {
          const start = out.now;
          simulateRun(ins.args, runOpts, {
            emit: (text, dt = 15) =>
              out.line(
                (atMs, toMs) =>
                  `#${v} ${((atMs - toMs(start)) / 1000).toFixed(3)} ${text}`,
                dt,
              ),
            block: (count, span, line) =>
              out.block(count, span, i => `#${v} ${line(i)}`),
          });
          if (failHere) {
            out.line(
              `#${v} ERROR: process "/bin/sh -c ${ins.args}" did not complete successfully: exit code: 1`,
              20,
            );
            out.line('------', 5);
            out.line(` > [${label} ${stepNo}/${bkCount}] ${ins.text}:`, 5);
            out.line('------', 5);
            out.line(`Dockerfile:${stage.instructions.indexOf(ins) + 2}`, 5);
            out.line('--------------------', 5);
            out.line(
              `error: failed to solve: process "/bin/sh -c ${ins.args}" did not complete successfully: exit code: 1`,
              5,
            );
            failedAt = ins;
            break;
          }
          out.line(
            (atMs, toMs) =>
              `#${v} DONE ${((atMs - toMs(start)) / 1000).toFixed(1)}s`,
            30,
          );
        } else {
          out.line(`#${v} DONE 0.${rng.int(0, 3)}s`, 100);
        }
        out.line('', 5);
      } else {
        stepNo++;
        out.line(`STEP ${stepNo}/${total}: ${ins.text}`, 30);
        if (ins.keyword === 'RUN') {
          if (hit) {
            out.line(`--> Using cache ${layerDigest(ins.text)}`, 100);
          } else {
            simulateRun(
              ins.args,
              runOpts,
              runSink(() => ''),
            );
            if (failHere) {
              out.line(
                `Error: building at STEP "${ins.text}": while running runtime: exit status 1`,
                20,
              );
              failedAt = ins;
              break;
            }
          }
        }
        out.line(`--> ${layerDigest(`${si}/${ins.text}`).slice(0, 12)}`, 60);
      }
    }

    if (!failedAt && !isFinal && cfg.flavour === 'kaniko') {
      for (const c of stages
        .slice(si + 1)
        .flatMap(s => s.instructions)
        .filter(
          i =>
            i.keyword === 'COPY' &&
            (i.args.includes(`--from=${stage.name}`) ||
              i.args.includes(`--from=${si}`)),
        )) {
        info(
          `Saving file ${
            c.args.replace(/--from=\S+\s*/, '').split(/\s+/)[0]
          } for later use`,
          100,
        );
      }
      info('Deleting filesystem...', 300);
    }
  }

  if (failedAt) return failed();

  // ------------------------------------------------ push
  const manifest = digestOf(seedBase, 'manifest', cfg.destinations.join(','));
  if (ctx.fail && !mainRun) {
    const dest = cfg.destinations[0] ?? `${app}:latest`;
    out.line(
      cfg.flavour === 'kaniko'
        ? `error pushing image: failed to push to destination ${dest}: PUT https://${
            dest.split('/')[0]
          }/v2/${repositoryOf(dest)
            .split('/')
            .slice(1)
            .join('/')}/manifests/${dest
            .split(':')
            .pop()}: UNAUTHORIZED: authentication required`
        : `Error: pushing image "${dest}": writing manifest: uploading manifest to ${repositoryOf(
            dest,
          )}: unauthorized: authentication required`,
      600,
    );
    return failed();
  }

  if (cfg.flavour === 'kaniko') {
    if (cfg.noPush) {
      info('Skipping push to container registry due to --no-push flag', 200);
      out.line(`Built sha256:${manifest} (not pushed)`, 10);
      return ok;
    }
    for (const d of cfg.destinations) info(`Pushing image to ${d}`, 600);
    for (const d of cfg.destinations)
      out.line(
        atMs =>
          `INFO[${secs(atMs)}] Pushed ${repositoryOf(d)}@sha256:${manifest}`,
        400,
      );
    return ok;
  }

  if (cfg.flavour === 'buildkit') {
    vertex++;
    const v = vertex;
    out.line(`#${v} exporting to image`, 100);
    out.line(
      `#${v} exporting layers ${(1 + rng.next() * 3).toFixed(1)}s done`,
      400,
    );
    out.line(`#${v} exporting manifest sha256:${manifest} done`, 20);
    out.line(`#${v} exporting config sha256:${layerDigest('config')} done`, 20);
    for (const d of cfg.destinations) out.line(`#${v} naming to ${d} done`, 10);
    if (!cfg.noPush) {
      out.line(
        `#${v} pushing layers ${(0.5 + rng.next() * 3).toFixed(1)}s done`,
        600,
      );
      for (const d of cfg.destinations)
        out.line(
          `#${v} pushing manifest for ${d}@sha256:${manifest} 0.${rng.int(
            1,
            9,
          )}s done`,
          100,
        );
    }
    out.line(`#${v} DONE ${(2 + rng.next() * 4).toFixed(1)}s`, 20);
    if (cfg.noPush || cfg.destinations.length === 0) {
      out.line(`Built sha256:${manifest} (not pushed)`, 10);
      return ok;
    }
    for (const d of cfg.destinations)
      out.line(`Pushed ${repositoryOf(d)}@sha256:${manifest}`, 10);
    return ok;
  }

  // buildah
  const imageId = layerDigest('image-id');
  out.line(`COMMIT ${cfg.destinations[0] ?? ''}`.trim(), 100);
  out.line('Getting image source signatures', 200);
  out.line(`Copying blob sha256:${layerDigest('blob')}`, 200);
  out.line(`Copying config sha256:${imageId.slice(0, 64)}`, 100);
  out.line('Writing manifest to image destination', 50);
  out.line(`--> ${imageId.slice(0, 12)}`, 20);
  for (const d of cfg.destinations) out.line(`Successfully tagged ${d}`, 10);
  out.line(imageId, 5);
  if (cfg.noPush || cfg.destinations.length === 0) {
    out.line(`Built sha256:${manifest} (not pushed)`, 10);
    return ok;
  }
  for (const d of cfg.destinations) {
    out.line(`+ buildah push ${d}`, 50);
    out.line('Getting image source signatures', 200);
    out.line(`Copying blob sha256:${layerDigest(`${d}/blob`)}`, 300);
    out.line(`Copying config sha256:${imageId}`, 100);
    out.line('Writing manifest to image destination', 100);
  }
  for (const d of cfg.destinations)
    out.line(`Pushed ${repositoryOf(d)}@sha256:${manifest}`, 10);
  return ok;
}
