import { ServiceUnavailableError } from '@backstage/errors';
import { ServerConfig } from '../config/types';

/**
 * The upstream (Prometheus, Alertmanager) refused what we sent: a query it
 * cannot parse, a matcher it does not accept. Carries the upstream's own
 * message, never our credentials.
 */
export class UpstreamRequestError extends Error {
  constructor(
    readonly server: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamRequestError';
  }
}

/** Headers for a server: credentials and, when tenancy is on, the tenant. */
export function serverHeaders(
  server: ServerConfig,
  tenant: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (server.token) headers.authorization = `Bearer ${server.token}`;
  if (server.authHeader) headers.authorization = server.authHeader;
  if (server.tenantHeader && tenant) headers[server.tenantHeader] = tenant;
  return headers;
}

export type FetchLike = typeof fetch;

/**
 * One HTTP call to an upstream with the server's timeout. Network failures
 * and 5xx become ServiceUnavailableError (503 for our caller); 4xx become
 * UpstreamRequestError with the upstream's message.
 */
export async function callUpstream(
  fetchImpl: FetchLike,
  server: ServerConfig,
  kind: string,
  path: string,
  init: {
    method?: string;
    body?: string;
    contentType?: string;
    tenant?: string;
    signal?: AbortSignal;
  } = {},
): Promise<{ status: number; text: string }> {
  const headers = serverHeaders(server, init.tenant);
  if (init.contentType) headers['content-type'] = init.contentType;
  const signals = [AbortSignal.timeout(server.timeoutMs)];
  if (init.signal) signals.push(init.signal);
  let response: Response;
  try {
    response = await fetchImpl(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body,
      signal: AbortSignal.any(signals),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const reason =
      e.name === 'TimeoutError'
        ? `no answer within ${server.timeoutMs / 1000} s`
        : e.cause?.code ?? e.message;
    throw new ServiceUnavailableError(
      `${kind} "${server.name}" is unreachable: ${reason}`,
    );
  }
  const text = await response.text();
  if (response.status >= 500 || response.status === 429) {
    throw new ServiceUnavailableError(
      `${kind} "${server.name}" answered ${response.status}: ${upstreamMessage(
        text,
      )}`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    // Our credentials for the upstream are wrong: the platform's problem,
    // not the user's request.
    throw new ServiceUnavailableError(
      `${kind} "${server.name}" refused fincloud's credentials (${response.status})`,
    );
  }
  if (response.status >= 400) {
    throw new UpstreamRequestError(
      server.name,
      response.status,
      upstreamMessage(text),
    );
  }
  return { status: response.status, text };
}

/** The error text of an upstream answer (Prometheus' `error`, Alertmanager's body), short. */
function upstreamMessage(text: string): string {
  let message = text;
  try {
    const body = JSON.parse(text);
    if (typeof body === 'string') message = body;
    else if (body && typeof body.error === 'string') message = body.error;
    else if (body && typeof body.message === 'string') message = body.message;
  } catch {
    // plain text
  }
  message = message.trim();
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
