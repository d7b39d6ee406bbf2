import { http, HttpResponse, ws } from 'msw';
import {
  CommandDecision,
  PodTarget,
  PolicyHint,
  SessionSummary,
  TerminalClientMessage,
  TerminalServerMessage,
} from '@fincloud/plugin-terminal-common';

export const BASE = 'http://example.com/api/terminal';
export const PG = 'component:default/payment-gateway';

export const TARGETS: PodTarget[] = [
  {
    cluster: 'sim',
    namespace: 'payments',
    pod: 'payment-gateway-7d9f-abcde',
    containers: ['app', 'istio-proxy'],
    phase: 'Running',
    ready: true,
  },
  {
    cluster: 'sim',
    namespace: 'payments',
    pod: 'payment-gateway-7d9f-fghij',
    containers: ['app', 'istio-proxy'],
    phase: 'Pending',
    ready: false,
  },
];

export const POLICY: PolicyHint = {
  allowed: [
    { command: 'ls', args: '[-la] <path>', description: 'list files' },
    { command: 'ps', description: 'processes' },
  ],
  notes: ['No pipes, redirections or chaining.'],
};

export function session(
  overrides: Partial<SessionSummary> = {},
): SessionSummary {
  return {
    id: 'ses-1',
    entityRef: PG,
    user: 'user:default/pete',
    mode: 'restricted',
    cluster: 'sim',
    namespace: 'payments',
    pod: 'payment-gateway-7d9f-abcde',
    container: 'app',
    startedAt: '2026-11-29T10:00:00.000Z',
    endedAt: '2026-11-29T10:02:05.000Z',
    endReason: 'closed',
    commands: 2,
    refused: 1,
    bytesOut: 2048,
    live: false,
    hasRecording: false,
    ...overrides,
  };
}

/** Plain `rm` is refused, everything else runs and prints `ran: <line>`. */
export function decide(line: string): CommandDecision {
  const binary = line.trim().split(/\s+/)[0];
  if (/[|;&><`$]/.test(line)) {
    return {
      allowed: false,
      rule: 'no-pipes',
      message: 'Pipes, redirections and chaining are not allowed.',
    };
  }
  return binary === 'rm'
    ? {
        allowed: false,
        rule: `binary-not-allowed:${binary}`,
        message: `${binary} is not on this service's allow-list.`,
      }
    : { allowed: true, rule: `allowed:${binary}`, message: '' };
}

export interface SocketRecord {
  url: URL;
  protocols: string[];
  received: TerminalClientMessage[];
  send(message: TerminalServerMessage): void;
  close(code?: number, reason?: string): void;
}

/**
 * A fake terminal backend: HTTP routes with msw, and the WebSocket with msw's
 * `ws` link. `onConnect` decides what each session does; by default a
 * restricted session that answers lines with `decide()`.
 */
export function fakeTerminalBackend(options?: {
  targets?: PodTarget[];
  onConnect?(socket: SocketRecord): void;
}) {
  const sockets: SocketRecord[] = [];
  const link = ws.link('ws://example.com/api/terminal/ws');
  const restricted = (socket: SocketRecord) => {
    socket.send({
      type: 'ready',
      sessionId: `ses-${sockets.length}`,
      mode: 'restricted',
      recording: false,
    });
  };
  const onMessage = (socket: SocketRecord, message: TerminalClientMessage) => {
    if (message.type === 'line' && !options?.onConnect) {
      const decision = decide(message.line);
      socket.send({ type: 'decision', decision });
      if (decision.allowed) {
        socket.send({ type: 'output', data: `ran: ${message.line}\n` });
        socket.send({ type: 'exit', code: 0, durationMs: 12 });
      }
    }
  };
  const handlers = [
    http.get(`${BASE}/entities/component/default/payment-gateway/targets`, () =>
      HttpResponse.json(options?.targets ?? TARGETS),
    ),
    http.get(`${BASE}/entities/component/default/payment-gateway/policy`, () =>
      HttpResponse.json(POLICY),
    ),
    http.post(
      `${BASE}/entities/component/default/payment-gateway/check`,
      async ({ request }) => {
        const { line } = (await request.json()) as { line: string };
        return HttpResponse.json(decide(line));
      },
    ),
    link.addEventListener('connection', ({ client, info }) => {
      const protocols = ([] as string[]).concat(info.protocols ?? []);
      const socket: SocketRecord = {
        url: new URL(client.url),
        protocols,
        received: [],
        send: message => client.send(JSON.stringify(message)),
        close: (code, reason) => client.close(code, reason),
      };
      sockets.push(socket);
      client.addEventListener('message', event => {
        const message = JSON.parse(String(event.data)) as TerminalClientMessage;
        socket.received.push(message);
        onMessage(socket, message);
      });
      // Let the client see `open` first, as a real server would.
      setTimeout(() => (options?.onConnect ?? restricted)(socket), 0);
    }),
  ];
  return { handlers, sockets };
}

/** Every request the UI makes through msw, as `METHOD path`, to prove what it did not ask. */
export function recordRequests(server: {
  events: {
    on(
      event: 'request:start',
      listener: (args: { request: Request }) => void,
    ): void;
    removeAllListeners(event?: 'request:start'): void;
  };
}): string[] {
  const seen: string[] = [];
  server.events.removeAllListeners('request:start');
  server.events.on('request:start', ({ request }) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
  });
  return seen;
}
