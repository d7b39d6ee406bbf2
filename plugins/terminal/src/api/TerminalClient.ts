import { parseEntityRef } from '@backstage/catalog-model';
import {
  DiscoveryApi,
  FetchApi,
  IdentityApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  CommandDecision,
  CommandLog,
  PodTarget,
  PolicyHint,
  SessionPage,
  SessionSummary,
  TERMINAL_PLUGIN_ID,
  TERMINAL_WS_BEARER_PREFIX,
  TERMINAL_WS_PROTOCOL,
} from '@fincloud/plugin-terminal-common';
import { SessionQuery, SessionTarget, TerminalApi } from './TerminalApi';
import {
  TerminalConnection,
  TerminalConnectionHandlers,
} from './TerminalConnection';

function entityPath(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/entities/${encodeURIComponent(kind)}/${encodeURIComponent(
    namespace,
  )}/${encodeURIComponent(name)}`;
}

/**
 * The terminal API client: `discoveryApi` finds `/api/terminal`, `fetchApi`
 * adds the user's token to HTTP calls, and the WebSocket carries the token
 * from `identityApi` in its sub-protocol (browsers cannot set headers on a
 * WebSocket). No cluster credential ever reaches the browser.
 *
 * @public
 */
export class TerminalClient implements TerminalApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly identityApi: Pick<IdentityApi, 'getCredentials'>;

  constructor(options: {
    discoveryApi: DiscoveryApi;
    fetchApi: FetchApi;
    identityApi: Pick<IdentityApi, 'getCredentials'>;
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.identityApi = options.identityApi;
  }

  async getTargets(entityRef: string): Promise<PodTarget[]> {
    return this.json(`${entityPath(entityRef)}/targets`);
  }

  async getPolicy(entityRef: string): Promise<PolicyHint> {
    return this.json(`${entityPath(entityRef)}/policy`);
  }

  async checkLine(entityRef: string, line: string): Promise<CommandDecision> {
    return this.json(`${entityPath(entityRef)}/check`, {
      method: 'POST',
      body: { line },
    });
  }

  async listSessions(query: SessionQuery): Promise<SessionPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return this.json(`/sessions${search ? `?${search}` : ''}`);
  }

  async getSession(id: string): Promise<SessionSummary> {
    return this.json(`/sessions/${encodeURIComponent(id)}`);
  }

  async getRecording(id: string): Promise<string> {
    const response = await this.request(
      `/sessions/${encodeURIComponent(id)}/recording`,
    );
    return response.text();
  }

  async getCommands(id: string): Promise<CommandLog> {
    return this.json(`/sessions/${encodeURIComponent(id)}/commands`);
  }

  async terminateSession(id: string, reason: string): Promise<SessionSummary> {
    return this.json(`/sessions/${encodeURIComponent(id)}/terminate`, {
      method: 'POST',
      body: { reason },
    });
  }

  connect(
    target: SessionTarget,
    handlers: TerminalConnectionHandlers,
  ): TerminalConnection {
    return new TerminalConnection(async () => {
      const [base, { token }] = await Promise.all([
        this.discoveryApi.getBaseUrl(TERMINAL_PLUGIN_ID),
        this.identityApi.getCredentials(),
      ]);
      const url = new URL(`${base}/ws`, window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('entityRef', target.entityRef);
      url.searchParams.set('cluster', target.cluster);
      url.searchParams.set('namespace', target.namespace);
      url.searchParams.set('pod', target.pod);
      url.searchParams.set('container', target.container);
      url.searchParams.set('mode', target.mode);
      if (target.debug) url.searchParams.set('debug', 'true');
      const protocols = [TERMINAL_WS_PROTOCOL];
      if (token) protocols.push(`${TERMINAL_WS_BEARER_PREFIX}${token}`);
      return new WebSocket(url.toString(), protocols);
    }, handlers);
  }

  private async json<T>(
    path: string,
    init?: { method: string; body: unknown },
  ): Promise<T> {
    return (await this.request(path, init)).json();
  }

  private async request(
    path: string,
    init?: { method: string; body: unknown },
  ): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl(TERMINAL_PLUGIN_ID);
    const response = await this.fetchApi.fetch(
      `${base}${path}`,
      init
        ? {
            method: init.method,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(init.body),
          }
        : undefined,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}
