import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AUDIT_PLUGIN_ID,
  AUDIT_ROUTES,
  AuditExportFormat,
  AuditPage,
  AuditQuery,
  AuditVerifyResult,
  auditQueryToSearchParams,
} from '@fincloud/plugin-audit-common';
import { AuditApi, AuditExportFile } from './AuditApi';

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

/**
 * The audit API client: `discoveryApi` finds `/api/audit`, `fetchApi` adds the
 * user's token.
 *
 * @public
 */
export class AuditClient implements AuditApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listEvents(query: AuditQuery): Promise<AuditPage> {
    return (await this.get(AUDIT_ROUTES.events, { ...query })).json();
  }

  async verify(): Promise<AuditVerifyResult> {
    return (await this.get(AUDIT_ROUTES.verify)).json();
  }

  async exportEvents(
    format: AuditExportFormat,
    query: AuditQuery,
  ): Promise<AuditExportFile> {
    const { cursor: _cursor, limit: _limit, ...filters } = query;
    const response = await this.get(AUDIT_ROUTES.export, {
      ...filters,
      format,
    });
    return {
      blob: await response.blob(),
      filename:
        filenameFromDisposition(response.headers.get('content-disposition')) ??
        `audit-events.${format}`,
    };
  }

  private async get(
    path: string,
    query?: { [key: string]: string | number | string[] | undefined },
  ): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl(AUDIT_PLUGIN_ID);
    const params = query ? auditQueryToSearchParams(query).toString() : '';
    const response = await this.fetchApi.fetch(
      `${base}${path}${params ? `?${params}` : ''}`,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}
