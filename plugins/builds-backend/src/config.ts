import { Config, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';
import type { V1Toleration } from '@kubernetes/client-node';
import {
  DEFAULT_TEMPLATES,
  LanguageTemplates,
  TEMPLATE_LANGUAGES,
  TemplateLanguage,
} from './dockerfiles/defaultTemplates';
import { hasErrors, validateDockerfile } from './dockerfiles/validate';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = [
  'critical',
  'high',
  'medium',
  'low',
];

export interface StepResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** `fincloud.builds`, read and checked once at start. */
export interface BuildsConfig {
  namespace: string;
  registry: string;
  imageRepository: string;
  images: { clone: string; scanner: string; builder: string };
  builder: 'kaniko' | 'buildkit';
  cache: { enabled: boolean; repository: string; ttl: string };
  scan: { enabled: boolean; failOn: Severity; maxWaiverDays: number };
  resources: Record<'clone' | 'scan' | 'build', StepResources>;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  podAnnotations: Record<string, string>;
  serviceAccountName?: string;
  registrySecret?: string;
  defaultBranch: string;
  sourceRepoTemplate?: string;
  templates: Record<TemplateLanguage, LanguageTemplates>;
  inRepo: { dockerfile: string; context: string };
  maxConcurrentBuilds: number;
  queueTimeoutMs: number;
  logs: {
    store: 'database' | 'filesystem';
    directory: string;
    chunkLines: number;
    flushIntervalMs: number;
  };
  controller: { intervalMs: number; leaseMs: number };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const DEFAULT_RESOURCES: BuildsConfig['resources'] = {
  clone: {
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  },
  scan: {
    requests: { cpu: '500m', memory: '512Mi' },
    limits: { cpu: '1', memory: '1Gi' },
  },
  build: {
    requests: { cpu: '1', memory: '2Gi' },
    limits: { cpu: '2', memory: '4Gi' },
  },
};

/** A map of strings whose keys may contain dots (label and annotation keys). */
function stringMap(config: Config | undefined, key: string) {
  const out: Record<string, string> = {};
  const raw = config?.getOptional(key);
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(`fincloud.builds.${key} must be a map of strings`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new InputError(`fincloud.builds.${key}.${k} must be a string`);
    }
    out[k] = v;
  }
  return out;
}

function positive(config: Config, key: string, fallback: number): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputError(`fincloud.builds.${key} must be a positive number`);
  }
  return value;
}

/**
 * Reads `fincloud.builds` (every key is in config.d.ts). A mistake stops the
 * backend at start with the key at fault; a template with a Dockerfile error
 * too (the platform team sees it at deploy time, never a developer at build
 * time).
 */
export function readBuildsConfig(root: Config): BuildsConfig {
  const c = root.getOptionalConfig('fincloud.builds') ?? root;
  const has = root.has('fincloud.builds');
  const get = <T>(fn: () => T | undefined, fallback: T): T =>
    (has ? fn() : undefined) ?? fallback;

  const namespace = get(
    () => c.getOptionalString('namespace'),
    'fincloud-builds',
  );
  if (!DNS_LABEL.test(namespace)) {
    throw new InputError(
      `fincloud.builds.namespace "${namespace}" is not a Kubernetes namespace name`,
    );
  }
  const registry = get(
    () => c.getOptionalString('registry'),
    'registry.fincloud.example',
  ).replace(/\/+$/, '');
  const failOn = get(() => c.getOptionalString('scan.failOn'), 'high');
  if (!SEVERITIES.includes(failOn as Severity)) {
    throw new InputError(
      `fincloud.builds.scan.failOn must be one of ${SEVERITIES.join(', ')}`,
    );
  }
  const builder = get(() => c.getOptionalString('builder'), 'kaniko');
  if (builder !== 'kaniko' && builder !== 'buildkit') {
    throw new InputError('fincloud.builds.builder must be kaniko or buildkit');
  }
  const store = get(() => c.getOptionalString('logs.store'), 'database');
  if (store !== 'database' && store !== 'filesystem') {
    throw new InputError(
      'fincloud.builds.logs.store must be database or filesystem',
    );
  }

  const resources = { ...DEFAULT_RESOURCES };
  for (const step of ['clone', 'scan', 'build'] as const) {
    const sub = has ? c.getOptionalConfig(`resources.${step}`) : undefined;
    if (sub) {
      resources[step] = {
        requests: stringMap(sub, 'requests'),
        limits: stringMap(sub, 'limits'),
      };
    }
  }

  const templates = { ...DEFAULT_TEMPLATES };
  const templateConfig = has ? c.getOptionalConfig('templates') : undefined;
  for (const language of templateConfig?.keys() ?? []) {
    if (!TEMPLATE_LANGUAGES.includes(language as TemplateLanguage)) {
      throw new InputError(
        `fincloud.builds.templates.${language}: unknown language (known: ${TEMPLATE_LANGUAGES.join(
          ', ',
        )})`,
      );
    }
    const lang = language as TemplateLanguage;
    templates[lang] = {
      generic:
        templateConfig!.getOptionalString(`${language}.generic`) ??
        DEFAULT_TEMPLATES[lang].generic,
      compileThenBuild:
        templateConfig!.getOptionalString(`${language}.compileThenBuild`) ??
        DEFAULT_TEMPLATES[lang].compileThenBuild,
    };
  }
  for (const lang of TEMPLATE_LANGUAGES) {
    for (const kind of ['generic', 'compileThenBuild'] as const) {
      const errors = validateDockerfile(templates[lang][kind]).filter(
        d => d.severity === 'error',
      );
      if (hasErrors(errors)) {
        throw new InputError(
          `fincloud.builds.templates.${lang}.${kind} is not a valid Dockerfile: ${errors
            .map(e => `line ${e.line}: ${e.message}`)
            .join('; ')}`,
        );
      }
    }
  }

  const tolerations: V1Toleration[] = (
    (has ? c.getOptionalConfigArray('placement.tolerations') : undefined) ?? []
  ).map(t => {
    const toleration: V1Toleration = {};
    const key = t.getOptionalString('key');
    const operator = t.getOptionalString('operator');
    const value = t.getOptionalString('value');
    const effect = t.getOptionalString('effect');
    const seconds = t.getOptionalNumber('tolerationSeconds');
    if (key !== undefined) toleration.key = key;
    if (operator !== undefined) toleration.operator = operator;
    if (value !== undefined) toleration.value = value;
    if (effect !== undefined) toleration.effect = effect;
    if (seconds !== undefined) toleration.tolerationSeconds = seconds;
    return toleration;
  });

  const frequency = has ? c.getOptional('controller.frequency') : undefined;
  const intervalMs = frequency
    ? durationToMilliseconds(
        readDurationFromConfig(c, { key: 'controller.frequency' }),
      )
    : 5000;

  return {
    namespace,
    registry,
    imageRepository: get(
      () => c.getOptionalString('imageRepository'),
      '{registry}/{namespace}/{name}',
    ),
    images: {
      clone: get(
        () => c.getOptionalString('images.clone'),
        'alpine/git:2.45.2',
      ),
      scanner: get(
        () => c.getOptionalString('images.scanner'),
        'semgrep/semgrep:1.85.0',
      ),
      builder: get(
        () => c.getOptionalString('images.builder'),
        builder === 'kaniko'
          ? 'gcr.io/kaniko-project/executor:v1.23.2'
          : 'moby/buildkit:v0.16.0-rootless',
      ),
    },
    builder,
    cache: {
      enabled: get(() => c.getOptionalBoolean('cache.enabled'), true),
      repository: get(
        () => c.getOptionalString('cache.repository'),
        '{registry}/cache/{namespace}/{name}',
      ),
      ttl: get(() => c.getOptionalString('cache.ttl'), '168h'),
    },
    scan: {
      enabled: get(() => c.getOptionalBoolean('scan.enabled'), true),
      failOn: failOn as Severity,
      maxWaiverDays: has ? positive(c, 'scan.maxWaiverDays', 30) : 30,
    },
    resources,
    activeDeadlineSeconds: has
      ? positive(c, 'activeDeadlineSeconds', 1800)
      : 1800,
    ttlSecondsAfterFinished: get(
      () => c.getOptionalNumber('ttlSecondsAfterFinished'),
      600,
    ),
    nodeSelector: has ? stringMap(c, 'placement.nodeSelector') : {},
    tolerations,
    podAnnotations: has ? stringMap(c, 'podAnnotations') : {},
    serviceAccountName: has
      ? c.getOptionalString('serviceAccountName')
      : undefined,
    registrySecret: has ? c.getOptionalString('registrySecret') : undefined,
    defaultBranch: get(() => c.getOptionalString('defaultBranch'), 'main'),
    sourceRepoTemplate: has
      ? c.getOptionalString('sourceRepoTemplate')
      : undefined,
    templates,
    inRepo: {
      dockerfile: get(
        () => c.getOptionalString('inRepo.dockerfile'),
        'Dockerfile',
      ),
      context: get(() => c.getOptionalString('inRepo.context'), '.'),
    },
    maxConcurrentBuilds: has ? positive(c, 'maxConcurrentBuilds', 10) : 10,
    queueTimeoutMs:
      (has ? positive(c, 'queueTimeoutMinutes', 60) : 60) * 60_000,
    logs: {
      store,
      directory: get(
        () => c.getOptionalString('logs.directory'),
        '.fincloud/build-logs',
      ),
      chunkLines: has ? positive(c, 'logs.chunkLines', 2000) : 2000,
      flushIntervalMs: has ? positive(c, 'logs.flushIntervalMs', 500) : 500,
    },
    controller: {
      intervalMs,
      leaseMs: (has ? positive(c, 'controller.leaseSeconds', 30) : 30) * 1000,
    },
  };
}
