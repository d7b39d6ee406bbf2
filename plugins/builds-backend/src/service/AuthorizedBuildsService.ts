import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  Build,
  BuildConfigView,
  BuildPage,
  BuildStats,
  buildsCancelPermission,
  buildsDockerfileWritePermission,
  buildsReadPermission,
  buildsTriggerPermission,
  buildsWaiverApprovePermission,
  DockerfileDiagnostic,
  DockerfileRevision,
  LogChunk,
  LogSearchResult,
  TriggerBuildRequest,
  Waiver,
} from '@fincloud/plugin-builds-common';
import { BuildFilters } from '../database/types';
import { DefaultBuildsService, publicBuild } from './DefaultBuildsService';

const ACTIONS: Record<string, string> = {
  'builds.read': 'read the builds of',
  'builds.trigger': 'trigger builds of',
  'builds.cancel': 'cancel builds of',
  'builds.dockerfile.write': 'change the Dockerfile of',
  'builds.waiver.approve': 'decide scan waivers of',
};

/** Who acts: the user's entity ref, or the calling service's subject. */
export function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user' && principal.userEntityRef) {
    return principal.userEntityRef;
  }
  return principal.subject ?? principal.type;
}

/**
 * The permission decorator: every call is authorized against the entity the
 * build belongs to (resource permissions on `catalog-entity`, the entity ref
 * as resource ref) before DefaultBuildsService runs; a denial is a
 * NotAllowedError (403) and changes nothing.
 */
export class AuthorizedBuildsService {
  constructor(
    private readonly service: DefaultBuildsService,
    private readonly permissions: PermissionsService,
  ) {}

  private async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await this.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You may not ${
          ACTIONS[permission.name] ?? permission.name
        } ${entityRef}`,
      );
    }
  }

  async getConfig(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<BuildConfigView> {
    await this.authorize(buildsReadPermission, entityRef, credentials);
    return this.service.getConfig(entityRef);
  }

  async listBuilds(
    entityRef: string,
    filters: BuildFilters,
    page: { limit: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<BuildPage> {
    await this.authorize(buildsReadPermission, entityRef, credentials);
    return this.service.listBuilds(entityRef, filters, page);
  }

  async getStats(
    entityRef: string,
    window: '7d' | '30d' | '90d',
    credentials: BackstageCredentials,
  ): Promise<BuildStats> {
    await this.authorize(buildsReadPermission, entityRef, credentials);
    return this.service.getStats(entityRef, window);
  }

  async triggerBuild(
    entityRef: string,
    request: TriggerBuildRequest,
    credentials: BackstageCredentials,
  ): Promise<Build> {
    await this.authorize(buildsTriggerPermission, entityRef, credentials);
    return this.service.triggerBuild(entityRef, request, actorOf(credentials));
  }

  /** The build's entity, so callers can audit before acting. */
  async entityOfBuild(id: string): Promise<string> {
    return (await this.service.getBuild(id)).entityRef;
  }

  async getBuild(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<Build> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsReadPermission, build.entityRef, credentials);
    return publicBuild(build);
  }

  async rerun(id: string, credentials: BackstageCredentials): Promise<Build> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsTriggerPermission, build.entityRef, credentials);
    return this.service.rerun(id, actorOf(credentials));
  }

  async cancel(
    id: string,
    reason: string | undefined,
    credentials: BackstageCredentials,
  ): Promise<Build> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsCancelPermission, build.entityRef, credentials);
    return this.service.cancel(id, actorOf(credentials), reason);
  }

  async readLog(
    id: string,
    fromLine: number,
    lines: number,
    credentials: BackstageCredentials,
  ): Promise<LogChunk> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsReadPermission, build.entityRef, credentials);
    return this.service.readLog(id, fromLine, lines);
  }

  async searchLog(
    id: string,
    q: string,
    limit: number,
    credentials: BackstageCredentials,
  ): Promise<LogSearchResult> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsReadPermission, build.entityRef, credentials);
    return this.service.searchLog(id, q, limit);
  }

  async streamLog(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<{ build: Build; lines: AsyncGenerator<string[]> }> {
    const build = await this.service.getBuild(id);
    await this.authorize(buildsReadPermission, build.entityRef, credentials);
    return { build: publicBuild(build), lines: this.service.streamLog(id) };
  }

  async listDockerfiles(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<DockerfileRevision[]> {
    await this.authorize(buildsReadPermission, entityRef, credentials);
    return this.service.listDockerfiles(entityRef);
  }

  async addDockerfile(
    entityRef: string,
    input: { content: string; message: string },
    credentials: BackstageCredentials,
  ): Promise<DockerfileRevision> {
    await this.authorize(
      buildsDockerfileWritePermission,
      entityRef,
      credentials,
    );
    return this.service.addDockerfile(entityRef, input, actorOf(credentials));
  }

  /** Any signed-in user: it only parses the text it is given. */
  validateDockerfile(content: string): DockerfileDiagnostic[] {
    return this.service.validateDockerfile(content);
  }

  async listWaivers(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Waiver[]> {
    await this.authorize(buildsReadPermission, entityRef, credentials);
    return this.service.listWaivers(entityRef);
  }

  async createWaiver(
    entityRef: string,
    input: { ruleIds: string[]; reason: string; expiresAt: string },
    credentials: BackstageCredentials,
  ): Promise<Waiver> {
    await this.authorize(buildsTriggerPermission, entityRef, credentials);
    return this.service.createWaiver(entityRef, input, actorOf(credentials));
  }

  async entityOfWaiver(id: string): Promise<string> {
    return (await this.service.getWaiver(id)).entityRef;
  }

  async decideWaiver(
    id: string,
    decision: 'approved' | 'rejected',
    reason: string,
    credentials: BackstageCredentials,
  ): Promise<Waiver> {
    const waiver = await this.service.getWaiver(id);
    await this.authorize(
      buildsWaiverApprovePermission,
      waiver.entityRef,
      credentials,
    );
    return this.service.decideWaiver(
      id,
      decision,
      actorOf(credentials),
      reason,
    );
  }
}
