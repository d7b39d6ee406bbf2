import { mockApis } from '@backstage/test-utils';
import { waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  BASE,
  fakeTerminalBackend,
  PG,
  session,
  TARGETS,
} from '../__testUtils__/fakeBackend';
import { ConnectionState } from './TerminalConnection';
import { TerminalClient } from './TerminalClient';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function client(token: string | undefined = 'pete-token') {
  const seen: Request[] = [];
  const fetchApi = {
    fetch: (input: any, init?: any) => {
      const request = new Request(input, init);
      seen.push(request.clone());
      return fetch(request);
    },
  };
  return {
    seen,
    api: new TerminalClient({
      discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
      fetchApi,
      identityApi: { getCredentials: async () => ({ token }) },
    }),
  };
}

describe('TerminalClient (HTTP)', () => {
  it('reaches the entity routes by kind, namespace and name', async () => {
    server.use(...fakeTerminalBackend().handlers);
    const { api, seen } = client();
    await expect(api.getTargets(PG)).resolves.toEqual(TARGETS);
    const decision = await api.checkLine(PG, 'rm -rf /');
    expect(decision.rule).toBe('binary-not-allowed:rm');
    expect(seen.map(r => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'GET /api/terminal/entities/component/default/payment-gateway/targets',
      'POST /api/terminal/entities/component/default/payment-gateway/check',
    ]);
    expect(await seen[1].json()).toEqual({ line: 'rm -rf /' });
  });

  it('sends the session filters as query parameters and leaves out empty ones', async () => {
    let query: Record<string, string> = {};
    server.use(
      http.get(`${BASE}/sessions`, ({ request }) => {
        query = Object.fromEntries(new URL(request.url).searchParams);
        return HttpResponse.json({ items: [session()] });
      }),
    );
    const { api } = client();
    await api.listSessions({
      entityRef: PG,
      user: '',
      mode: 'shell',
      live: true,
      limit: 25,
      cursor: undefined,
    });
    expect(query).toEqual({
      entityRef: PG,
      mode: 'shell',
      live: 'true',
      limit: '25',
    });
  });

  it("throws the backend's error with its status and message", async () => {
    server.use(
      http.post(`${BASE}/sessions/ses-9/terminate`, () =>
        // The shape of Backstage's error handler.
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'Only the platform team may terminate sessions',
            },
            request: {
              method: 'POST',
              url: '/api/terminal/sessions/ses-9/terminate',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
      http.get(
        `${BASE}/sessions/ses-9/recording`,
        () =>
          new HttpResponse('{"version":2,"width":80,"height":24}\n', {
            headers: { 'content-type': 'application/x-asciicast' },
          }),
      ),
    );
    const { api } = client();
    await expect(
      api.terminateSession('ses-9', 'incident'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      response: { status: 403 },
      body: {
        error: { message: 'Only the platform team may terminate sessions' },
      },
    });
    await expect(api.getRecording('ses-9')).resolves.toMatch(/^\{"version":2/);
  });
});

describe('TerminalClient (WebSocket)', () => {
  it('opens the socket with the target in the query and the token in the sub-protocol', async () => {
    const backend = fakeTerminalBackend();
    server.use(...backend.handlers);
    const { api } = client();
    const states: ConnectionState[] = [];
    const output: string[] = [];
    const connection = api.connect(
      {
        entityRef: PG,
        cluster: 'sim',
        namespace: 'payments',
        pod: 'payment-gateway-7d9f-abcde',
        container: 'app',
        mode: 'restricted',
        debug: true,
      },
      { onState: s => states.push(s), onOutput: d => output.push(d) },
    );
    await waitFor(() => expect(states.at(-1)?.status).toBe('open'));
    const [socket] = backend.sockets;
    expect(Object.fromEntries(socket.url.searchParams)).toEqual({
      entityRef: PG,
      cluster: 'sim',
      namespace: 'payments',
      pod: 'payment-gateway-7d9f-abcde',
      container: 'app',
      mode: 'restricted',
      debug: 'true',
    });
    expect(socket.protocols).toEqual([
      'fincloud.terminal.v1',
      'bearer.pete-token',
    ]);

    connection.sendLine('ls');
    await waitFor(() => expect(output).toEqual(['ran: ls\n']));
    connection.close();
    await waitFor(() =>
      expect(states.at(-1)).toMatchObject({ status: 'closed', byUser: true }),
    );
    expect(socket.received).toEqual([
      { type: 'line', line: 'ls' },
      { type: 'close' },
    ]);
  });

  it('sends what was queued before the socket opened first, in order', async () => {
    const backend = fakeTerminalBackend();
    server.use(...backend.handlers);
    const { api } = client();
    const states: ConnectionState[] = [];
    const connection = api.connect(
      {
        entityRef: PG,
        cluster: 'sim',
        namespace: 'payments',
        pod: 'p',
        container: 'app',
        mode: 'shell',
      },
      { onState: s => states.push(s), onOutput: () => {} },
    );
    connection.sendJustification('INC-1: need lsof');
    connection.resize(120, 40);
    await waitFor(() => expect(backend.sockets[0]?.received).toHaveLength(2));
    expect(backend.sockets[0].received).toEqual([
      { type: 'justification', text: 'INC-1: need lsof' },
      { type: 'resize', cols: 120, rows: 40 },
    ]);
  });

  it.each([
    [
      4403,
      'Shell sessions in production need an approval',
      'Shell sessions in production need an approval',
    ],
    [
      4409,
      '',
      'Too many open sessions (for you or for this service). Close another session first.',
    ],
    [4410, '', 'The session was terminated by the platform team.'],
    [
      4500,
      '',
      'The session was ended because its recording could not be saved (sessions are never left unrecorded).',
    ],
    [4401, '', 'You are not signed in, or your sign-in expired.'],
  ])(
    'tells the user why the backend closed with %i',
    async (code, reason, message) => {
      const backend = fakeTerminalBackend({
        onConnect: socket => socket.close(code, reason),
      });
      server.use(...backend.handlers);
      const { api } = client();
      const states: ConnectionState[] = [];
      api.connect(
        {
          entityRef: PG,
          cluster: 'sim',
          namespace: 'payments',
          pod: 'p',
          container: 'app',
          mode: 'restricted',
        },
        { onState: s => states.push(s), onOutput: () => {} },
      );
      await waitFor(() =>
        expect(states.at(-1)).toEqual({
          status: 'closed',
          code,
          reason: undefined,
          byUser: false,
          message,
        }),
      );
    },
  );

  it("shows the backend's own words when it refuses a session before it starts", async () => {
    const backend = fakeTerminalBackend({
      onConnect: socket => {
        socket.send({
          type: 'notice',
          level: 'error',
          message:
            'Shell sessions need a justification of at least 20 characters',
        });
        socket.send({
          type: 'closed',
          reason:
            'Shell sessions need a justification of at least 20 characters',
        });
        setTimeout(() => socket.close(4403), 5);
      },
    });
    server.use(...backend.handlers);
    const { api } = client();
    const states: ConnectionState[] = [];
    const notices: string[] = [];
    api.connect(
      {
        entityRef: PG,
        cluster: 'sim',
        namespace: 'payments',
        pod: 'p',
        container: 'app',
        mode: 'shell',
      },
      {
        onState: s => states.push(s),
        onOutput: () => {},
        onNotice: n => notices.push(`${n.level}: ${n.message}`),
      },
    );
    await waitFor(() =>
      expect(states.at(-1)).toMatchObject({
        status: 'closed',
        code: 4403,
        message:
          'Shell sessions need a justification of at least 20 characters',
      }),
    );
    expect(notices).toEqual([
      'error: Shell sessions need a justification of at least 20 characters',
    ]);
  });

  it("uses the backend's closed reason: idle timeout", async () => {
    const backend = fakeTerminalBackend({
      onConnect: socket => {
        socket.send({ type: 'closed', reason: 'idle-timeout' });
        // The close frame follows the message on the wire.
        setTimeout(() => socket.close(4408), 5);
      },
    });
    server.use(...backend.handlers);
    const { api } = client();
    const states: ConnectionState[] = [];
    api.connect(
      {
        entityRef: PG,
        cluster: 'sim',
        namespace: 'payments',
        pod: 'p',
        container: 'app',
        mode: 'restricted',
      },
      { onState: s => states.push(s), onOutput: () => {} },
    );
    await waitFor(() =>
      expect(states.at(-1)).toMatchObject({
        status: 'closed',
        code: 4408,
        reason: 'idle-timeout',
        message: 'The session was closed after being idle too long.',
      }),
    );
  });
});
