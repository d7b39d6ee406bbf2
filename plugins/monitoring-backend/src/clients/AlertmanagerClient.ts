import { NotFoundError } from '@backstage/errors';
import { ServerConfig } from '../config/types';
import { callUpstream, FetchLike, UpstreamRequestError } from './http';

/** An alert as Alertmanager's API v2 returns it (`GettableAlert`). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  fingerprint: string;
  generatorURL?: string;
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    silencedBy: string[];
    inhibitedBy: string[];
  };
}

/** A matcher of Alertmanager's API v2. */
export interface AlertmanagerMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

/** A silence as Alertmanager's API v2 returns it (`GettableSilence`). */
export interface AlertmanagerSilence {
  id: string;
  matchers: AlertmanagerMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

/**
 * The value of an Alertmanager filter matcher (`name="value"`): Alertmanager
 * unescapes `\\`, `\"` and `\n` only.
 */
export function alertmanagerMatcherValue(value: string): string {
  return `"${value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')}"`;
}

/** Alertmanager's HTTP API v2: alerts and silences. */
export class AlertmanagerClient {
  constructor(
    readonly server: ServerConfig,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  private async json<T>(
    path: string,
    init: { method?: string; body?: unknown; tenant?: string } = {},
  ): Promise<T> {
    const { text } = await callUpstream(
      this.fetchImpl,
      this.server,
      'Alertmanager',
      path,
      {
        method: init.method,
        tenant: init.tenant,
        ...(init.body !== undefined
          ? {
              body: JSON.stringify(init.body),
              contentType: 'application/json',
            }
          : {}),
      },
    );
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UpstreamRequestError(
        this.server.name,
        200,
        'Alertmanager answered something that is not JSON',
      );
    }
  }

  /** Active, silenced, inhibited and unprocessed alerts; `filter` matchers as Alertmanager parses them. */
  async alerts(
    filter: Array<{ name: string; value: string }> = [],
    tenant?: string,
  ): Promise<AlertmanagerAlert[]> {
    const params = new URLSearchParams({
      active: 'true',
      silenced: 'true',
      inhibited: 'true',
      unprocessed: 'true',
    });
    for (const m of filter) {
      params.append('filter', `${m.name}=${alertmanagerMatcherValue(m.value)}`);
    }
    return (
      (await this.json<AlertmanagerAlert[]>(`/api/v2/alerts?${params}`, {
        tenant,
      })) ?? []
    );
  }

  async silences(tenant?: string): Promise<AlertmanagerSilence[]> {
    return (
      (await this.json<AlertmanagerSilence[]>('/api/v2/silences', {
        tenant,
      })) ?? []
    );
  }

  /** One silence; NotFoundError when Alertmanager does not know it. */
  async silence(id: string, tenant?: string): Promise<AlertmanagerSilence> {
    try {
      return await this.json<AlertmanagerSilence>(
        `/api/v2/silence/${encodeURIComponent(id)}`,
        { tenant },
      );
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) {
        throw new NotFoundError(`silence ${id} does not exist`);
      }
      throw error;
    }
  }

  /** Creates a silence and returns its id. */
  async createSilence(
    silence: {
      matchers: AlertmanagerMatcher[];
      startsAt: string;
      endsAt: string;
      createdBy: string;
      comment: string;
    },
    tenant?: string,
  ): Promise<string> {
    const answer = await this.json<{ silenceID: string }>('/api/v2/silences', {
      method: 'POST',
      body: silence,
      tenant,
    });
    return answer.silenceID;
  }

  /** Expires a silence now. */
  async expireSilence(id: string, tenant?: string): Promise<void> {
    try {
      await this.json(`/api/v2/silence/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        tenant,
      });
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) {
        throw new NotFoundError(`silence ${id} does not exist`);
      }
      throw error;
    }
  }
}
