import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  ConflictError,
  CustomErrorBase,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  Build,
  BuildConfigView,
  BuildPage,
  BuildStats,
  BuildStep,
  BuildType,
  DockerfileDiagnostic,
  DockerfileRevision,
  isBuildFinished,
  LogChunk,
  LogSearchResult,
  TriggerBuildRequest,
  Waiver,
} from '@fincloud/plugin-builds-common';
import type { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { BuildsConfig } from '../config';
import { BuildController, closeSteps } from '../controller/BuildController';
import { BuildEvents } from '../controller/BuildEvents';
import { BuildsStore } from '../database/BuildsStore';
import { BuildFilters, BuildRecord, BuildSpec } from '../database/types';
import { TemplateLanguage } from '../dockerfiles/defaultTemplates';
import { hasErrors, validateDockerfile } from '../dockerfiles/validate';
import { expandTemplate } from '../kubernetes/jobManifest';
import type { BuildsRepoReader } from '../repo/BuildsRepoReader';
import { hasBuildAnnotations, resolveBuildConfig } from './buildConfig';

/** 422: a Dockerfile with errors; the body's `error.diagnostics` lists them. */
export class DockerfileInvalidError extends CustomErrorBase {
  name = 'DockerfileInvalidError' as const;
  constructor(readonly diagnostics: DockerfileDiagnostic[]) {
    super(
      `The Dockerfile has ${
        diagnostics.filter(d => d.severity === 'error').length
      } error(s): ${diagnostics
        .filter(d => d.severity === 'error')
        .map(d => `line ${d.line}: ${d.message}`)
        .join('; ')}`,
    );
  }
}

export const MAX_LOG_LINES_PER_READ = 5000;
const BRANCH =
  /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)[A-Za-z0-9._/-]{1,200}(?<![/.])$/;
const COMMIT = /^[0-9a-f]{7,40}$/;

/** A docker tag from a number and a branch or commit. */
function tagFor(commit: string | undefined, branch: string): string {
  const label = commit
    ? commit.slice(0, 12)
    : branch.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  return `{number}-${label}`.slice(0, 128);
}

export interface DefaultBuildsServiceOptions {
  store: BuildsStore;
  config: BuildsConfig;
  catalog: CatalogService;
  auth: AuthService;
  clusters: FincloudClustersService;
  repoReader: BuildsRepoReader;
  controller: BuildController;
  events: BuildEvents;
  logger: LoggerService;
}

/**
 * What the builds API does, with no authorization: AuthorizedBuildsService
 * decides who may call it.
 */
export class DefaultBuildsService {
  constructor(private readonly options: DefaultBuildsServiceOptions) {}

  /** The catalog entity, read with the plugin's own credentials. */
  async getEntity(entityRef: string): Promise<Entity> {
    const entity = await this.options.catalog.getEntityByRef(entityRef, {
      credentials: await this.options.auth.getOwnServiceCredentials(),
    });
    if (!entity)
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    return entity;
  }

  async getConfig(entityRef: string): Promise<BuildConfigView> {
    const entity = await this.getEntity(entityRef);
    if (!hasBuildAnnotations(entity)) {
      throw new NotFoundError(
        `${entityRef} has no build annotations: add fincloud.io/build-type (and fincloud.io/language, fincloud.io/source-repo) to its catalog entry`,
      );
    }
    const { view } = await resolveBuildConfig(
      entity,
      this.options.config,
      this.options.repoReader,
    );
    return view;
  }

  listBuilds(
    entityRef: string,
    filters: BuildFilters,
    page: { limit: number; cursor?: string },
  ): Promise<BuildPage> {
    return this.options.store.listBuilds(entityRef, filters, page);
  }

  getStats(
    entityRef: string,
    window: '7d' | '30d' | '90d',
  ): Promise<BuildStats> {
    return this.options.store.stats(entityRef, window);
  }

  async getBuild(id: string): Promise<BuildRecord> {
    const build = await this.options.store.getBuild(id);
    if (!build) throw new NotFoundError(`No build ${id}`);
    return build;
  }

  async triggerBuild(
    entityRef: string,
    request: TriggerBuildRequest,
    triggeredBy: string,
  ): Promise<Build> {
    const { config, clusters, repoReader, store } = this.options;
    if (!BRANCH.test(request.branch)) {
      throw new InputError(
        `"${request.branch}" is not a valid git branch name`,
      );
    }
    if (request.commit !== undefined && !COMMIT.test(request.commit)) {
      throw new InputError(
        `"${request.commit}" is not a commit id (7 to 40 lowercase hex digits)`,
      );
    }
    const entity = await this.getEntity(entityRef);
    if (!hasBuildAnnotations(entity)) {
      throw new InputError(
        `${entityRef} has no build annotations: add fincloud.io/build-type to its catalog entry`,
      );
    }
    const target = clusters.resolveWorkload(entity);
    const resolved = await resolveBuildConfig(
      entity,
      config,
      repoReader,
      request.commit ?? request.branch,
    );
    const { view, settings } = resolved;
    const buildType: BuildType = request.buildType ?? view.buildType;
    if (!view.sourceRepo) {
      throw new InputError(
        `${entityRef} has no source repository: add the fincloud.io/source-repo annotation`,
      );
    }
    if (!view.availableTypes.includes(buildType)) {
      throw new InputError(
        `${buildType} builds need a language: add fincloud.io/language (java, go, python, node or static) to ${entityRef}`,
      );
    }
    if (
      request.dockerfileRevision !== undefined &&
      buildType !== 'custom-dockerfile'
    ) {
      throw new InputError(
        'dockerfileRevision applies to custom-dockerfile builds only',
      );
    }

    const values = {
      registry: config.registry,
      namespace: target.namespace,
      name: entity.metadata.name.toLowerCase(),
    };
    const spec: BuildSpec = {
      sourceRepo: view.sourceRepo,
      imageRepository: expandTemplate(config.imageRepository, values),
      tag: tagFor(request.commit, request.branch),
      cacheRepository: config.cache.enabled
        ? expandTemplate(config.cache.repository, values)
        : undefined,
      scan: { enabled: config.scan.enabled, failOn: config.scan.failOn },
      attempts: [],
    };
    let dockerfileRevision: number | undefined;
    if (buildType === 'generic' || buildType === 'compile-then-build') {
      const templates = config.templates[view.language as TemplateLanguage];
      spec.dockerfile = {
        origin: 'template',
        content:
          buildType === 'generic'
            ? templates.generic
            : templates.compileThenBuild,
      };
    } else if (buildType === 'custom-dockerfile') {
      const revision = await store.getDockerfile(
        entityRef,
        request.dockerfileRevision,
      );
      if (!revision) {
        throw new InputError(
          request.dockerfileRevision !== undefined
            ? `${entityRef} has no Dockerfile revision ${request.dockerfileRevision}`
            : `${entityRef} has no custom Dockerfile yet: save one first`,
        );
      }
      const diagnostics = validateDockerfile(revision.content);
      if (hasErrors(diagnostics)) throw new DockerfileInvalidError(diagnostics);
      dockerfileRevision = revision.revision;
      spec.dockerfile = { origin: 'custom', content: revision.content };
    } else {
      spec.inRepo = {
        dockerfile: settings.dockerfile ?? config.inRepo.dockerfile,
        context: settings.context ?? config.inRepo.context,
      };
    }
    const steps: BuildStep[] = [
      { name: 'clone', status: 'queued' },
      { name: 'scan', status: spec.scan.enabled ? 'queued' : 'skipped' },
      { name: 'build', status: 'queued' },
    ];
    const build = await store.createBuild({
      entityRef,
      buildType,
      language: view.language,
      branch: request.branch,
      commit: request.commit,
      triggeredBy,
      dockerfileRevision,
      cluster: target.cluster.name,
      namespace: config.namespace,
      steps,
      spec,
    });
    this.options.logger.info(
      `build ${entityRef} #${build.number} (${buildType}, ${request.branch}) triggered by ${triggeredBy}`,
    );
    this.options.events.changed(build);
    this.options.controller.kick(build.id);
    return publicBuild(build);
  }

  async rerun(id: string, triggeredBy: string): Promise<Build> {
    const original = await this.getBuild(id);
    const { store } = this.options;
    const spec: BuildSpec = {
      ...original.spec,
      tag: tagFor(original.commit, original.branch),
      attempts: [],
      cancelRequested: undefined,
    };
    const build = await store.createBuild({
      entityRef: original.entityRef,
      buildType: original.buildType,
      language: original.language,
      branch: original.branch,
      commit: original.commit,
      triggeredBy,
      rerunOf: original.id,
      dockerfileRevision: original.dockerfileRevision,
      cluster: original.cluster,
      namespace: original.namespace,
      steps: [
        { name: 'clone', status: 'queued' },
        { name: 'scan', status: spec.scan.enabled ? 'queued' : 'skipped' },
        { name: 'build', status: 'queued' },
      ],
      spec,
    });
    this.options.events.changed(build);
    this.options.controller.kick(build.id);
    return publicBuild(build);
  }

  async cancel(id: string, by: string, reason?: string): Promise<Build> {
    const { store, controller, events } = this.options;
    for (let attempt = 0; attempt < 10; attempt++) {
      const build = await this.getBuild(id);
      if (isBuildFinished(build.status)) {
        throw new ConflictError(
          `Build #${build.number} of ${build.entityRef} already ${build.status}; only queued or running builds can be cancelled`,
        );
      }
      const ok = await store.updateBuild(build.id, build.version, {
        status: 'cancelled',
        finishedAt: Date.now(),
        steps: closeSteps(build.steps, 'cancelled'),
        error: `cancelled by ${by}${reason ? `: ${reason}` : ''}`,
        spec: { ...build.spec, cancelRequested: { by, reason } },
      });
      if (!ok) continue;
      try {
        await controller.deleteJobs(build);
      } catch (error) {
        // The controller keeps deleting until the cluster answers.
        this.options.logger.warn(
          `build ${build.id} cancelled; its Job will be deleted when cluster "${
            build.cluster
          }" answers: ${(error as Error).message}`,
        );
      }
      const cancelled = await this.getBuild(id);
      events.changed(cancelled);
      controller.kick(id);
      return publicBuild(cancelled);
    }
    throw new ConflictError('The build kept changing; try again');
  }

  async readLog(
    id: string,
    fromLine: number,
    lines: number,
  ): Promise<LogChunk> {
    const build = await this.getBuild(id);
    const total = build.logLines;
    const start = fromLine < 0 ? Math.max(0, total + fromLine) : fromLine;
    const count = fromLine < 0 ? Math.min(lines, total - start) : lines;
    const read = await this.options.store.readLog(id, start, count);
    return {
      fromLine: start,
      lines: read,
      totalLines: total,
      complete: build.logComplete && isBuildFinished(build.status),
    };
  }

  async searchLog(
    id: string,
    q: string,
    limit: number,
  ): Promise<LogSearchResult> {
    await this.getBuild(id);
    return this.options.store.searchLog(id, q, limit);
  }

  streamLog(id: string): AsyncGenerator<string[]> {
    return this.options.store.streamLog(id);
  }

  listDockerfiles(entityRef: string): Promise<DockerfileRevision[]> {
    return this.options.store.listDockerfiles(entityRef);
  }

  async addDockerfile(
    entityRef: string,
    input: { content: string; message: string },
    author: string,
  ): Promise<DockerfileRevision> {
    const diagnostics = validateDockerfile(input.content);
    if (hasErrors(diagnostics)) throw new DockerfileInvalidError(diagnostics);
    await this.getEntity(entityRef);
    return this.options.store.addDockerfile(entityRef, { ...input, author });
  }

  validateDockerfile(content: string): DockerfileDiagnostic[] {
    return validateDockerfile(content);
  }

  listWaivers(entityRef: string): Promise<Waiver[]> {
    return this.options.store.listWaivers(entityRef);
  }

  async createWaiver(
    entityRef: string,
    input: { ruleIds: string[]; reason: string; expiresAt: string },
    requestedBy: string,
  ): Promise<Waiver> {
    const expiresAt = Date.parse(input.expiresAt);
    const now = Date.now();
    const maxDays = this.options.config.scan.maxWaiverDays;
    if (!Number.isFinite(expiresAt) || expiresAt <= now) {
      throw new InputError('expiresAt must be a time in the future (ISO 8601)');
    }
    if (expiresAt > now + maxDays * 86_400_000) {
      throw new InputError(
        `A waiver may last at most ${maxDays} days (fincloud.builds.scan.maxWaiverDays)`,
      );
    }
    await this.getEntity(entityRef);
    return this.options.store.createWaiver({
      entityRef,
      ruleIds: [...new Set(input.ruleIds)].sort(),
      reason: input.reason,
      requestedBy,
      expiresAt,
    });
  }

  async getWaiver(id: string): Promise<Waiver> {
    const waiver = await this.options.store.getWaiver(id);
    if (!waiver) throw new NotFoundError(`No waiver ${id}`);
    return waiver;
  }

  async decideWaiver(
    id: string,
    decision: 'approved' | 'rejected',
    by: string,
    reason: string,
  ): Promise<Waiver> {
    const waiver = await this.getWaiver(id);
    if (waiver.requestedBy === by) {
      throw new NotAllowedError(
        'You requested this waiver; another team lead (or the platform team) must decide it',
      );
    }
    if (waiver.status !== 'pending') {
      throw new ConflictError(`The waiver is already ${waiver.status}`);
    }
    const ok = await this.options.store.decideWaiver(id, {
      status: decision,
      by,
      reason,
    });
    if (!ok) {
      const now = await this.getWaiver(id);
      throw new ConflictError(`The waiver is already ${now.status}`);
    }
    return this.getWaiver(id);
  }
}

/** The API shape of a stored build (no spec, cursor or lock). */
export function publicBuild(record: BuildRecord): Build {
  const {
    spec: _spec,
    version: _version,
    logLines: _logLines,
    logComplete: _logComplete,
    logCursor: _logCursor,
    follower: _follower,
    followerUntil: _followerUntil,
    ...build
  } = record;
  return build;
}
