import { createHash } from 'node:crypto';
import { parseEntityRef } from '@backstage/catalog-model';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { BuildsConfig, StepResources } from '../config';
import type { BuildAttempt, BuildRecord } from '../database/types';

/** Labels and annotations that link a Job and its pod back to the build. */
export const BUILD_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  buildId: 'fincloud.io/build-id',
  buildNumber: 'fincloud.io/build-number',
  entityName: 'fincloud.io/entity-name',
} as const;

export const BUILD_ANNOTATIONS = {
  entityRef: 'fincloud.io/entity-ref',
  triggeredBy: 'fincloud.io/triggered-by',
  language: 'fincloud.io/language',
  buildType: 'fincloud.io/build-type',
} as const;

export const MANAGED_BY = 'fincloud-builds';

/** Where the workspace, sources and the generated Dockerfile are mounted. */
const WORKSPACE = '/workspace';
const SOURCES = `${WORKSPACE}/src`;
const DOCKERFILE_DIR = '/fincloud/dockerfile';

function labelValue(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned || 'x';
}

/**
 * The Job name of a build attempt: `<entity name>-<number>-<id hash>[-w]`,
 * at most 52 characters (a Job's pods get a 5-character suffix and the
 * `job-name` label must stay within 63). Deterministic: two replicas creating
 * the same attempt get the same name, and the cluster refuses the second.
 */
export function jobNameFor(
  build: Pick<BuildRecord, 'id' | 'number' | 'entityRef'>,
  attempt: number,
): string {
  const name = parseEntityRef(build.entityRef)
    .name.toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 28)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(build.id).digest('hex').slice(0, 8);
  const suffix = attempt > 0 ? `-w${attempt}` : '';
  return `${name || 'build'}-${build.number}-${hash}${suffix}`;
}

function resources(r: StepResources) {
  const out: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  } = {};
  if (r.requests && Object.keys(r.requests).length) out.requests = r.requests;
  if (r.limits && Object.keys(r.limits).length) out.limits = r.limits;
  return out;
}

/** `{registry}/{namespace}/{name}` style templates. */
export function expandTemplate(
  template: string,
  values: Record<string, string>,
): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? values[key] : whole,
  );
}

export interface BuildManifests {
  job: Job;
  /** The generated or custom Dockerfile, mounted into the build container. */
  configMap?: ConfigMap;
}

/**
 * The batch/v1 Job (and Dockerfile ConfigMap) of one build attempt:
 * init `clone` → optional init `scan` → `build` (daemonless build and push).
 * Typed with kubernetes-models and validated against the published schema
 * before it is sent.
 */
export function buildManifests(
  build: BuildRecord,
  attempt: BuildAttempt,
  config: BuildsConfig,
): BuildManifests {
  const { spec } = build;
  const namespace = config.namespace;
  const jobName = attempt.jobName;
  const entity = parseEntityRef(build.entityRef);
  const labels = {
    [BUILD_LABELS.managedBy]: MANAGED_BY,
    [BUILD_LABELS.buildId]: build.id,
    [BUILD_LABELS.buildNumber]: String(build.number),
    [BUILD_LABELS.entityName]: labelValue(entity.name),
  };
  const annotations: Record<string, string> = {
    [BUILD_ANNOTATIONS.entityRef]: build.entityRef,
    [BUILD_ANNOTATIONS.triggeredBy]: build.triggeredBy,
    [BUILD_ANNOTATIONS.buildType]: build.buildType,
    ...(build.language ? { [BUILD_ANNOTATIONS.language]: build.language } : {}),
  };
  const podAnnotations = { ...config.podAnnotations, ...annotations };

  const volumes: IVolume[] = [{ name: 'workspace', emptyDir: {} }];
  const workspaceMount = { name: 'workspace', mountPath: WORKSPACE };

  // The commit is pinned once known (a continuation builds exactly what was scanned).
  const revision = build.commit ?? '';
  const clone: IContainer = {
    name: 'clone',
    image: config.images.clone,
    command: ['sh', '-c'],
    args: [
      'git clone --branch "$GIT_BRANCH" --single-branch -- "$GIT_URL" "$SOURCES" && ' +
        'cd "$SOURCES" && { [ -z "$GIT_REVISION" ] || git checkout --detach "$GIT_REVISION"; } && ' +
        'git log -1 --format="HEAD is now at %h %s"',
    ],
    env: [
      { name: 'GIT_URL', value: spec.sourceRepo },
      { name: 'GIT_BRANCH', value: build.branch },
      { name: 'GIT_REVISION', value: revision },
      { name: 'SOURCES', value: SOURCES },
    ],
    volumeMounts: [workspaceMount],
    resources: resources(config.resources.clone),
  };

  const initContainers: IContainer[] = [clone];
  if (spec.scan.enabled && !attempt.skipScan) {
    initContainers.push({
      name: 'scan',
      image: config.images.scanner,
      args: [
        'scan',
        '--config=auto',
        '--sarif',
        `--output=${WORKSPACE}/scan.sarif`,
        SOURCES,
      ],
      env: [
        { name: 'SCAN_FAIL_ON', value: spec.scan.failOn },
        { name: 'SARIF_OUTPUT', value: `${WORKSPACE}/scan.sarif` },
      ],
      volumeMounts: [workspaceMount],
      resources: resources(config.resources.scan),
    });
  }

  const destination = `${spec.imageRepository}:${spec.tag}`;
  const buildMounts = [workspaceMount];
  let dockerfilePath: string;
  let contextDir: string;
  if (spec.dockerfile) {
    volumes.push({
      name: 'dockerfile',
      configMap: {
        name: jobName,
        items: [{ key: 'Dockerfile', path: 'Dockerfile' }],
      },
    });
    buildMounts.push({ name: 'dockerfile', mountPath: DOCKERFILE_DIR });
    dockerfilePath = `${DOCKERFILE_DIR}/Dockerfile`;
    contextDir = SOURCES;
  } else {
    const inRepo = spec.inRepo ?? config.inRepo;
    contextDir = `${SOURCES}/${inRepo.context}`.replace(/\/\.?$/, '');
    dockerfilePath = `${SOURCES}/${inRepo.dockerfile}`;
  }
  if (config.registrySecret) {
    volumes.push({
      name: 'registry-auth',
      secret: {
        secretName: config.registrySecret,
        items: [{ key: '.dockerconfigjson', path: 'config.json' }],
      },
    });
  }

  let builder: IContainer;
  if (config.builder === 'kaniko') {
    const args = [
      `--dockerfile=${dockerfilePath}`,
      `--context=dir://${contextDir}`,
      `--destination=${destination}`,
      '--snapshot-mode=redo',
      '--use-new-run',
    ];
    if (config.cache.enabled && spec.cacheRepository) {
      args.push(
        '--cache=true',
        `--cache-repo=${spec.cacheRepository}`,
        `--cache-ttl=${config.cache.ttl}`,
      );
    }
    builder = {
      name: 'build',
      image: config.images.builder,
      args,
      env: [{ name: 'DESTINATION', value: destination }],
      volumeMounts: [
        ...buildMounts,
        ...(config.registrySecret
          ? [{ name: 'registry-auth', mountPath: '/kaniko/.docker' }]
          : []),
      ],
      resources: resources(config.resources.build),
    };
  } else {
    const dockerfileDir = dockerfilePath.slice(
      0,
      dockerfilePath.lastIndexOf('/'),
    );
    const dockerfileName = dockerfilePath.slice(
      dockerfilePath.lastIndexOf('/') + 1,
    );
    const args = [
      'build',
      '--frontend=dockerfile.v0',
      `--local=context=${contextDir}`,
      `--local=dockerfile=${dockerfileDir}`,
      `--opt=filename=${dockerfileName}`,
      `--output=type=image,name=${destination},push=true`,
    ];
    if (config.cache.enabled && spec.cacheRepository) {
      args.push(
        `--export-cache=type=registry,ref=${spec.cacheRepository},mode=max`,
        `--import-cache=type=registry,ref=${spec.cacheRepository}`,
      );
    }
    builder = {
      name: 'build',
      image: config.images.builder,
      command: ['buildctl-daemonless.sh'],
      args,
      env: [
        { name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' },
        { name: 'DESTINATION', value: destination },
      ],
      volumeMounts: [
        ...buildMounts,
        ...(config.registrySecret
          ? [{ name: 'registry-auth', mountPath: '/home/user/.docker' }]
          : []),
      ],
      resources: resources(config.resources.build),
    };
  }

  const job = new Job({
    metadata: {
      name: jobName,
      namespace,
      labels,
      annotations,
    },
    spec: {
      // A build is never retried by Kubernetes: a retry could push twice.
      backoffLimit: 0,
      activeDeadlineSeconds: config.activeDeadlineSeconds,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations: podAnnotations },
        spec: {
          restartPolicy: 'Never',
          // Build pods never talk to the Kubernetes API.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(config.serviceAccountName
            ? { serviceAccountName: config.serviceAccountName }
            : {}),
          ...(Object.keys(config.nodeSelector).length
            ? { nodeSelector: config.nodeSelector }
            : {}),
          ...(config.tolerations.length
            ? { tolerations: config.tolerations.map(t => ({ ...t })) as any }
            : {}),
          initContainers,
          containers: [builder],
          volumes,
        },
      },
    },
  });
  job.validate();

  let configMap: ConfigMap | undefined;
  if (spec.dockerfile) {
    configMap = new ConfigMap({
      metadata: { name: jobName, namespace, labels, annotations },
      data: { Dockerfile: spec.dockerfile.content },
    });
    configMap.validate();
  }
  return { job, configMap };
}
