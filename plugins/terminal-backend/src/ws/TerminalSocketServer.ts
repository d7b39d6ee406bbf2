import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, RequestHandler } from 'express';
import {
  DiscoveryService,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  TERMINAL_CLOSE_CODES,
  TERMINAL_WS_BEARER_PREFIX,
  TERMINAL_WS_PROTOCOL,
} from '@fincloud/plugin-terminal-common';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { SessionDeps, SessionRequest, TerminalSession } from './TerminalSession';

const NAME = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const QUERY = z.object({
  entityRef: z.string().min(3).max(512),
  cluster: NAME,
  namespace: NAME,
  pod: NAME,
  container: NAME,
  mode: z.enum(['restricted', 'shell']).default('restricted'),
  debug: z.enum(['true', 'false']).default('false'),
  cols: z.coerce.number().int().min(1).max(1000).default(80),
  rows: z.coerce.number().int().min(1).max(1000).default(24),
});

/** The token from `Sec-WebSocket-Protocol: fincloud.terminal.v1, bearer.<token>`. */
function tokenFrom(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  const entry = header
    .split(',')
    .map(p => p.trim())
    .find(p => p.startsWith(TERMINAL_WS_BEARER_PREFIX));
  return entry?.slice(TERMINAL_WS_BEARER_PREFIX.length) || undefined;
}

/**
 * A request-shaped object for the auditor and httpAuth: the user's token as
 * a Bearer header (never logged: the auditor reads the URL, method, IP and
 * user agent), the WebSocket URL without any credential. httpAuth caches
 * the credentials per request object, so events at the end of a long
 * session resolve the same user even after the token expired.
 */
function auditRequest(upgrade: IncomingMessage, token: string, path: string) {
  const headers: Record<string, string | undefined> = {
    authorization: `Bearer ${token}`,
    'user-agent': upgrade.headers['user-agent'],
    host: upgrade.headers.host,
  };
  return {
    method: 'GET',
    url: path,
    originalUrl: path,
    path: path.split('?')[0],
    ip: upgrade.socket.remoteAddress,
    hostname: String(upgrade.headers.host ?? '').split(':')[0],
    headers,
    get: (name: string) => headers[name.toLowerCase()],
    header: (name: string) => headers[name.toLowerCase()],
    socket: upgrade.socket,
  } as unknown as Request;
}

/**
 * The terminal's WebSocket endpoint (`/api/terminal/ws`).
 *
 * Backstage 1.55 has no WebSocket API for plugins. Node hands an upgrade
 * request to Express as a normal request while the HTTP server has no
 * `upgrade` listener, and only to the listeners once one exists. Backstage's
 * Kubernetes proxy relies on the first (it upgrades inside its route), the
 * signals backend adds a listener. So the terminal does both, without
 * breaking either: it upgrades inside its own route, and adds an `upgrade`
 * listener (for its path only) just when another plugin has added one. It
 * learns the HTTP server from the first request through its router: the
 * plugin requests its own `/health` at startup.
 */
export class TerminalSocketServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
    handleProtocols: protocols =>
      protocols.has(TERMINAL_WS_PROTOCOL) ? TERMINAL_WS_PROTOCOL : false,
  });
  private readonly watched = new WeakSet<Server>();
  private readonly attached = new WeakSet<Server>();
  private basePath: string | undefined;
  private closed = false;

  constructor(
    private readonly deps: SessionDeps & {
      httpAuth: HttpAuthService;
      discovery: DiscoveryService;
      logger: LoggerService;
    },
  ) {
    this.wss.on('error', error =>
      deps.logger.error(`Terminal WebSocket server error: ${error}`),
    );
  }

  private async path(): Promise<string> {
    if (!this.basePath) {
      const base = await this.deps.discovery.getBaseUrl('terminal');
      this.basePath = `${new URL(base).pathname.replace(/\/+$/, '')}/ws`;
    }
    return this.basePath;
  }

  /** Express middleware, first in the plugin's router: upgrades `/ws` requests that reach it, and watches the HTTP server. */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as unknown as { server?: Server }).server;
      if (server) this.watch(server);
      const upgrade =
        req.headers.upgrade?.toLowerCase() === 'websocket' &&
        (req.headers.connection ?? '')
          .toLowerCase()
          .split(',')
          .some(t => t.trim() === 'upgrade');
      if (upgrade && req.path === '/ws') {
        // The socket leaves Express here: no response is ever written.
        this.onUpgrade(req, req.socket, Buffer.alloc(0), req.originalUrl).catch(
          error => this.failed(req.socket, error),
        );
        return;
      }
      next();
    };
  }

  /** Adds the `upgrade` listener once the server has one from another plugin (then upgrades no longer reach Express). */
  watch(server: Server) {
    if (this.watched.has(server)) return;
    this.watched.add(server);
    if (server.listenerCount('upgrade') > 0) {
      this.attach(server);
      return;
    }
    const onNewListener = (event: string | symbol) => {
      if (event !== 'upgrade' || this.attached.has(server)) return;
      server.off('newListener', onNewListener);
      // after the other listener is in place
      setImmediate(() => this.attach(server));
    };
    server.on('newListener', onNewListener);
  }

  private attach(server: Server) {
    if (this.attached.has(server)) return;
    this.attached.add(server);
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.onUpgrade(request, socket, head).catch(error =>
        this.failed(socket, error),
      );
    });
  }

  private failed(socket: Duplex, error: unknown) {
    this.deps.logger.error(`Terminal WebSocket upgrade failed: ${error}`);
    socket.destroy();
  }

  private async onUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    fullUrl = request.url,
  ) {
    if (this.closed) {
      socket.destroy();
      return;
    }
    let path: string;
    try {
      path = await this.path();
    } catch (error) {
      this.deps.logger.error(`Terminal WebSocket: no base URL: ${error}`);
      socket.destroy();
      return;
    }
    const url = new URL(fullUrl ?? '/', 'http://backend.local');
    if (url.pathname !== path) {
      // Under the terminal's base path but not its endpoint: say so and close
      // (a socket nobody answers would hang until the client gives up).
      // Anything else is another plugin's upgrade.
      const base = path.slice(0, -'/ws'.length);
      if (url.pathname === base || url.pathname.startsWith(`${base}/`)) {
        socket.end(
          'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
          () => socket.destroy(),
        );
      }
      return;
    }
    try {
      this.wss.handleUpgrade(request, socket, head, ws => {
        this.onConnection(ws, request, url).catch(error => {
          this.deps.logger.error(`Terminal WebSocket session failed: ${error}`);
          ws.terminate();
        });
      });
    } catch (error) {
      this.deps.logger.error(`Terminal WebSocket upgrade failed: ${error}`);
      socket.destroy();
    }
  }

  private closeWith(ws: WebSocket, code: number, message: string) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.resume(); // read the browser's close frame, or the close hangs
    ws.send(JSON.stringify({ type: 'notice', level: 'error', message }));
    ws.send(JSON.stringify({ type: 'closed', reason: message }));
    ws.close(code, message.slice(0, 120));
  }

  private async onConnection(ws: WebSocket, request: IncomingMessage, url: URL) {
    // Hold the browser's first messages (a shell's justification comes at
    // once) until the session listens for them.
    ws.pause();
    const token = tokenFrom(request);
    if (!token) {
      this.closeWith(
        ws,
        TERMINAL_CLOSE_CODES.unauthenticated,
        'Sign in first: the terminal needs your Backstage token',
      );
      return;
    }
    const req = auditRequest(request, token, `${url.pathname}${url.search}`);
    let credentials;
    try {
      credentials = await this.deps.httpAuth.credentials(req, {
        allow: ['user'],
      });
    } catch {
      this.closeWith(
        ws,
        TERMINAL_CLOSE_CODES.unauthenticated,
        'Your sign-in is not valid (expired or not a user token); sign in again',
      );
      return;
    }
    const parsed = QUERY.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      this.closeWith(
        ws,
        TERMINAL_CLOSE_CODES.notAllowed,
        `Bad request: ${parsed.error.issues
          .map(i => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
      return;
    }
    const q = parsed.data;
    const sessionRequest: SessionRequest = {
      entityRef: q.entityRef,
      cluster: q.cluster,
      namespace: q.namespace,
      pod: q.pod,
      container: q.container,
      mode: q.mode,
      debug: q.debug === 'true',
      cols: q.cols,
      rows: q.rows,
    };
    const session = new TerminalSession(
      ws,
      credentials,
      credentials.principal.userEntityRef,
      req,
      sessionRequest,
      this.deps,
    );
    ws.resume();
    await session.start();
  }

  /** Stops accepting and ends every live session of this instance. */
  async close() {
    this.closed = true;
    // End the live sessions (recordings flushed, audit outcomes written),
    // but never hold the shutdown for more than 10 s.
    await Promise.race([
      this.deps.registry.stop(),
      new Promise(resolve => setTimeout(resolve, 10_000).unref()),
    ]);
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
