import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Alert,
  AlertGroup,
  AlertRulePreview,
  AlertRuleSpec,
  CreateSilenceRequest,
  Dashboard,
  MONITORING_PLUGIN_ID,
  monitoringEntityPath,
  NoiseReport,
  NoiseWindow,
  Silence,
} from '@fincloud/plugin-monitoring-common';
import {
  AlertCenterQuery,
  DashboardQuery,
  MonitoringApi,
} from './MonitoringApi';

type Query = Record<string, string | number | undefined>;

/**
 * The monitoring API client: `discoveryApi` finds `/api/monitoring`,
 * `fetchApi` adds the user's token. The browser never talks to Prometheus or
 * Alertmanager itself.
 *
 * @public
 */
export class MonitoringClient implements MonitoringApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getDashboard(
    entityRef: string,
    query: DashboardQuery,
  ): Promise<Dashboard> {
    return this.json(`${monitoringEntityPath(entityRef)}/dashboard`, {
      query: {
        from: Math.floor(query.from),
        to: Math.floor(query.to),
        step: query.step,
        version: query.version,
      },
    });
  }

  async getAlerts(entityRef: string): Promise<Alert[]> {
    return this.json(`${monitoringEntityPath(entityRef)}/alerts`);
  }

  async getSilences(entityRef: string): Promise<Silence[]> {
    return this.json(`${monitoringEntityPath(entityRef)}/silences`);
  }

  async createSilence(
    entityRef: string,
    request: CreateSilenceRequest,
  ): Promise<Silence> {
    return this.json(`${monitoringEntityPath(entityRef)}/silences`, {
      method: 'POST',
      body: request,
    });
  }

  async expireSilence(silenceId: string, entityRef: string): Promise<void> {
    await this.call(`/silences/${encodeURIComponent(silenceId)}`, {
      method: 'DELETE',
      query: { entityRef },
    });
  }

  async getRules(entityRef: string): Promise<AlertRuleSpec[]> {
    return this.json(`${monitoringEntityPath(entityRef)}/rules`);
  }

  async previewRule(
    entityRef: string,
    rule: AlertRuleSpec,
  ): Promise<AlertRulePreview> {
    return this.json(`${monitoringEntityPath(entityRef)}/rules/preview`, {
      method: 'POST',
      body: rule,
    });
  }

  async saveRule(
    entityRef: string,
    rule: AlertRuleSpec,
  ): Promise<AlertRuleSpec> {
    return this.json(
      `${monitoringEntityPath(entityRef)}/rules/${encodeURIComponent(
        rule.name,
      )}`,
      { method: 'PUT', body: rule },
    );
  }

  async deleteRule(entityRef: string, name: string): Promise<void> {
    await this.call(
      `${monitoringEntityPath(entityRef)}/rules/${encodeURIComponent(name)}`,
      { method: 'DELETE' },
    );
  }

  async getAlertCenter(query: AlertCenterQuery): Promise<AlertGroup[]> {
    return this.json('/alerts', {
      query: {
        groupBy: query.groupBy,
        severity: query.severity?.length ? query.severity.join(',') : undefined,
        q: query.q?.trim() || undefined,
      },
    });
  }

  async getNoise(window: NoiseWindow): Promise<NoiseReport> {
    return this.json('/noise', { query: { window } });
  }

  private async json<T>(
    path: string,
    options: { method?: string; query?: Query; body?: unknown } = {},
  ): Promise<T> {
    return (await this.call(path, options)).json();
  }

  private async call(
    path: string,
    options: { method?: string; query?: Query; body?: unknown } = {},
  ): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl(MONITORING_PLUGIN_ID);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    const response = await this.fetchApi.fetch(
      `${base}${path}${search ? `?${search}` : ''}`,
      {
        method: options.method ?? 'GET',
        ...(options.body !== undefined
          ? {
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(options.body),
            }
          : {}),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}
