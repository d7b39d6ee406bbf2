import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Build,
  BUILDS_PLUGIN_ID,
  BuildConfigView,
  BuildPage,
  BuildStats,
  CreateWaiverRequest,
  DockerfileDiagnostic,
  DockerfileRevision,
  LogChunk,
  LogSearchResult,
  TriggerBuildRequest,
  ValidateDockerfileResponse,
  Waiver,
} from '@fincloud/plugin-builds-common';
import {
  BuildHistoryQuery,
  BuildsApi,
  BuildsDownload,
  StatsWindow,
} from './BuildsApi';

/**
 * A Dockerfile the backend refused to store (422): the message, and the
 * diagnostics per line it found.
 *
 * @public
 */
export class DockerfileValidationError extends Error {
  readonly diagnostics: DockerfileDiagnostic[];
  constructor(message: string, diagnostics: DockerfileDiagnostic[]) {
    super(message);
    this.name = 'DockerfileValidationError';
    this.diagnostics = diagnostics;
  }
}

function isDiagnostic(value: unknown): value is DockerfileDiagnostic {
  const d = value as DockerfileDiagnostic;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.line === 'number' &&
    typeof d.message === 'string'
  );
}

/** Reads `filename="…"` (or RFC 5987 `filename*=`) from a Content-Disposition header. */
export function filenameFromDisposition(
  header: string | null,
): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain?.[1].trim() || undefined;
}

/** `component:default/user-portal` → `/entities/component/default/user-portal`. */
export function entityPath(entityRef: string): string {
  const ref = parseEntityRef(entityRef);
  return `/entities/${[
    ref.kind.toLocaleLowerCase('en-US'),
    ref.namespace,
    ref.name,
  ]
    .map(encodeURIComponent)
    .join('/')}`;
}

/**
 * The builds API client: `discoveryApi` finds `/api/builds`, `fetchApi` adds
 * the user's token. No cluster credential ever passes through it.
 *
 * @public
 */
export class BuildsClient implements BuildsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listBuilds(
    entityRef: string,
    query: BuildHistoryQuery = {},
  ): Promise<BuildPage> {
    return this.json(`${entityPath(entityRef)}/builds`, {
      query: { ...query },
    });
  }

  async getStats(entityRef: string, window: StatsWindow): Promise<BuildStats> {
    return this.json(`${entityPath(entityRef)}/stats`, { query: { window } });
  }

  async getConfig(entityRef: string): Promise<BuildConfigView> {
    return this.json(`${entityPath(entityRef)}/config`);
  }

  async triggerBuild(
    entityRef: string,
    request: TriggerBuildRequest,
  ): Promise<Build> {
    return this.json(`${entityPath(entityRef)}/builds`, { body: request });
  }

  async getBuild(id: string): Promise<Build> {
    return this.json(`/builds/${encodeURIComponent(id)}`);
  }

  async rerunBuild(id: string): Promise<Build> {
    return this.json(`/builds/${encodeURIComponent(id)}/rerun`, { body: {} });
  }

  async cancelBuild(id: string, reason?: string): Promise<Build> {
    return this.json(`/builds/${encodeURIComponent(id)}/cancel`, {
      body: reason ? { reason } : {},
    });
  }

  async readLog(
    id: string,
    fromLine: number,
    lines: number,
  ): Promise<LogChunk> {
    return this.json(`/builds/${encodeURIComponent(id)}/log`, {
      query: { fromLine, lines },
    });
  }

  async searchLog(
    id: string,
    q: string,
    limit?: number,
  ): Promise<LogSearchResult> {
    return this.json(`/builds/${encodeURIComponent(id)}/log/search`, {
      query: { q, limit },
    });
  }

  async downloadLog(id: string): Promise<BuildsDownload> {
    const response = await this.request(
      `/builds/${encodeURIComponent(id)}/log/download`,
    );
    return {
      blob: await response.blob(),
      filename:
        filenameFromDisposition(response.headers.get('content-disposition')) ??
        `build-${id}.log`,
    };
  }

  async listDockerfiles(entityRef: string): Promise<DockerfileRevision[]> {
    return this.json(`${entityPath(entityRef)}/dockerfiles`);
  }

  async saveDockerfile(
    entityRef: string,
    content: string,
    message: string,
  ): Promise<DockerfileRevision> {
    try {
      return await this.json(`${entityPath(entityRef)}/dockerfiles`, {
        body: { content, message },
      });
    } catch (error) {
      if (error instanceof ResponseError && error.statusCode === 422) {
        const body = error.body as unknown as {
          error?: { message?: string; diagnostics?: unknown };
          diagnostics?: unknown;
        };
        const raw = body.error?.diagnostics ?? body.diagnostics;
        const diagnostics = Array.isArray(raw) ? raw.filter(isDiagnostic) : [];
        throw new DockerfileValidationError(
          body.error?.message ?? 'The Dockerfile is not valid',
          diagnostics,
        );
      }
      throw error;
    }
  }

  async validateDockerfile(content: string): Promise<DockerfileDiagnostic[]> {
    const answer: ValidateDockerfileResponse = await this.json(
      '/dockerfiles/validate',
      { body: { content } },
    );
    return answer.diagnostics;
  }

  async listWaivers(entityRef: string): Promise<Waiver[]> {
    return this.json(`${entityPath(entityRef)}/waivers`);
  }

  async requestWaiver(
    entityRef: string,
    request: CreateWaiverRequest,
  ): Promise<Waiver> {
    return this.json(`${entityPath(entityRef)}/waivers`, { body: request });
  }

  async decideWaiver(
    id: string,
    decision: 'approve' | 'reject',
    reason: string,
  ): Promise<Waiver> {
    return this.json(`/waivers/${encodeURIComponent(id)}/${decision}`, {
      body: { reason },
    });
  }

  private async json<T>(
    path: string,
    options: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
    } = {},
  ): Promise<T> {
    return (await this.request(path, options)).json();
  }

  private async request(
    path: string,
    options: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
    } = {},
  ): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl(BUILDS_PLUGIN_ID);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    const init: RequestInit =
      options.body === undefined
        ? {}
        : {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(options.body),
          };
    const response = await this.fetchApi.fetch(
      `${base}${path}${search ? `?${search}` : ''}`,
      init,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}
