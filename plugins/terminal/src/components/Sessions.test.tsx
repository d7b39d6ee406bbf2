import { Route, Routes } from 'react-router-dom';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { CommandLog, SessionSummary } from '@fincloud/plugin-terminal-common';
import {
  BASE,
  fakeTerminalBackend,
  PG,
  recordRequests,
  session,
} from '../__testUtils__/fakeBackend';
import { renderTerminal } from '../__testUtils__/render';
import { EntityTerminalContent } from './EntityTerminalContent';
import { TerminalSessionsPage } from './TerminalSessionsPage';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const SHELL_ID = '0b5c3c1e-8a7e-4d55-9d41-5a1f0e0c2f11';
const RESTRICTED_ID = '6f1d2b7a-3c44-4b8e-8f0a-2d9e7c1b5a22';

const shellSession = session({
  id: SHELL_ID,
  user: 'user:default/oscar',
  mode: 'shell',
  justification: 'INC-4711: gateway leaks file handles',
  startedAt: '2026-11-29T11:00:00.000Z',
  endedAt: undefined,
  endReason: undefined,
  live: true,
  commands: 0,
  refused: 0,
  hasRecording: true,
});
const restrictedSession = session({ id: RESTRICTED_ID });

/** oscar's shell: the prompt, `ls` typed and echoed, its output, `exit`. */
const RECORDING = [
  JSON.stringify({ version: 2, width: 60, height: 8, timestamp: 1764414000 }),
  JSON.stringify([0.05, 'o', '/ # ']),
  JSON.stringify([0.1, 'i', 'ls /opt/app\r']),
  JSON.stringify([0.1, 'o', 'ls /opt/app\r\n']),
  JSON.stringify([0.15, 'o', 'config  logs  payment-gateway.jar\r\n/ # ']),
  JSON.stringify([0.3, 'i', 'exit\r']),
  JSON.stringify([0.3, 'o', 'exit\r\n']),
  '',
].join('\n');

const COMMANDS: CommandLog = {
  items: [
    {
      seq: 1,
      at: '2026-11-29T10:00:05.000Z',
      line: 'ls -la /var/log',
      argv: ['ls', '-la', '/var/log'],
      allowed: true,
      rule: 'allowed:ls',
      message: '',
      exitCode: 0,
      durationMs: 42,
      bytesOut: 812,
    },
    {
      seq: 2,
      at: '2026-11-29T10:00:09.000Z',
      line: 'rm -rf /',
      argv: ['rm', '-rf', '/'],
      allowed: false,
      rule: 'binary-not-allowed:rm',
      message: "rm is not on this service's allow-list.",
    },
  ],
};

function sessionsBackend(
  items: SessionSummary[] = [shellSession, restrictedSession],
) {
  const queries: Record<string, string>[] = [];
  const terminated: Array<{ id: string; reason: string }> = [];
  server.use(
    // The Terminal view stays mounted (hidden) under Sessions: its pods and policy.
    ...fakeTerminalBackend().handlers,
    http.get(`${BASE}/sessions`, ({ request }) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      queries.push(query);
      if (query.cursor === 'page-2') {
        return HttpResponse.json({
          items: [session({ id: 'older', user: 'user:default/rob' })],
        });
      }
      return HttpResponse.json({
        items: items.filter(s => !query.mode || s.mode === query.mode),
        nextCursor: 'page-2',
      });
    }),
    http.get(`${BASE}/sessions/${SHELL_ID}`, () =>
      HttpResponse.json(shellSession),
    ),
    http.get(`${BASE}/sessions/${RESTRICTED_ID}`, () =>
      HttpResponse.json(restrictedSession),
    ),
    http.get(
      `${BASE}/sessions/${SHELL_ID}/recording`,
      () =>
        new HttpResponse(RECORDING, {
          headers: { 'content-type': 'application/x-asciicast' },
        }),
    ),
    http.get(`${BASE}/sessions/${RESTRICTED_ID}/commands`, () =>
      HttpResponse.json(COMMANDS),
    ),
    http.post(`${BASE}/sessions/:id/terminate`, async ({ params, request }) => {
      const { reason } = (await request.json()) as { reason: string };
      terminated.push({ id: String(params.id), reason });
      return HttpResponse.json({
        ...shellSession,
        live: false,
        endedAt: '2026-11-29T11:05:00.000Z',
        endReason: 'terminated',
        terminatedBy: 'user:default/olga',
      });
    }),
  );
  return { queries, terminated };
}

function renderEntitySessions(
  role: 'pete' | 'oscar' | 'amy' | 'gary',
  path = '/terminal/sessions',
) {
  return renderTerminal(
    <Routes>
      <Route path="/terminal/*" element={<EntityTerminalContent />} />
    </Routes>,
    { role, routeEntries: [path] },
  );
}

describe('Sessions', () => {
  it("lists the entity's sessions with who, when, why, duration, mode and counts, and filters them", async () => {
    const { queries } = sessionsBackend();
    renderEntitySessions('pete');
    const table = await screen.findByRole('table', {
      name: 'Terminal sessions',
    });
    expect(queries[0]).toEqual({ entityRef: PG, limit: '25' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('2026-11-29 11:00:00 UTC');
    expect(rows[1]).toHaveTextContent('oscar');
    expect(rows[1]).toHaveTextContent('shell');
    expect(rows[1]).toHaveTextContent('INC-4711: gateway leaks file handles');
    expect(rows[1]).toHaveTextContent('live');
    expect(rows[2]).toHaveTextContent('pete');
    expect(rows[2]).toHaveTextContent('restricted');
    expect(rows[2]).toHaveTextContent('2 min 5 s');
    expect(rows[2]).toHaveTextContent('closed');
    // Commands 2, refused 1.
    expect(
      within(rows[2])
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(expect.arrayContaining(['2', '1']));
    // pete may not terminate anything.
    expect(
      within(table).queryByRole('button', { name: /Terminate/ }),
    ).not.toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('User'), {
      target: { value: 'oscar' },
    });
    fireEvent.change(screen.getByLabelText('Mode'), {
      target: { value: 'shell' },
    });
    fireEvent.click(screen.getByLabelText('Live only'));
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() =>
      expect(queries.at(-1)).toEqual({
        entityRef: PG,
        user: 'user:default/oscar',
        mode: 'shell',
        live: 'true',
        limit: '25',
      }),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('rob')).toBeInTheDocument();
    expect(queries.at(-1)).toMatchObject({ cursor: 'page-2' });
  });

  it('lets the platform team terminate a live session, with a reason', async () => {
    const { terminated } = sessionsBackend();
    renderEntitySessions('oscar');
    const table = await screen.findByRole('table', {
      name: 'Terminal sessions',
    });
    // Only the live session can be terminated.
    const buttons = await within(table).findAllByRole('button', {
      name: /Terminate session/,
    });
    expect(buttons).toHaveLength(1);
    fireEvent.click(buttons[0]);
    const dialog = await screen.findByRole('dialog', {
      name: "Terminate oscar's session?",
    });
    const confirm = within(dialog).getByRole('button', {
      name: 'Terminate session',
    });
    expect(confirm).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'Left open after the incident' },
    });
    fireEvent.click(confirm);
    await waitFor(() =>
      expect(terminated).toEqual([
        { id: SHELL_ID, reason: 'Left open after the incident' },
      ]),
    );
    expect(
      await within(table).findByText('terminated by olga'),
    ).toBeInTheDocument();
    expect(
      within(table).queryByRole('button', { name: /Terminate session/ }),
    ).not.toBeInTheDocument();
  });

  it("tells someone who may not read the entity's sessions, and asks the backend nothing", async () => {
    const requests = recordRequests(server);
    renderEntitySessions('gary');
    expect(
      await screen.findByText(
        "You may not see this service's terminal sessions",
      ),
    ).toBeInTheDocument();
    expect(requests).toEqual([]);
  });

  it('says so when the backend refuses the list across services', async () => {
    server.use(
      http.get(`${BASE}/sessions`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message:
                'You may not read terminal sessions (terminal.sessions.read); name an entityRef you own',
            },
            request: { method: 'GET', url: '/api/terminal/sessions' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    renderTerminal(<TerminalSessionsPage />, { role: 'gary' });
    expect(
      await screen.findByText('You may not see these terminal sessions'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('table', { name: 'Terminal sessions' }),
    ).not.toBeInTheDocument();
  });

  it("shows a restricted session's command log with decisions, rules and exit codes", async () => {
    sessionsBackend();
    renderEntitySessions('amy', `/terminal/sessions/${RESTRICTED_ID}`);
    const log = await screen.findByRole('table', { name: 'Command log' });
    const rows = within(log).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('ls -la /var/log');
    expect(rows[1]).toHaveTextContent('allowed');
    expect(rows[1]).toHaveTextContent('42 ms');
    expect(rows[1]).toHaveTextContent('812 B');
    expect(rows[2]).toHaveTextContent('rm -rf /');
    expect(rows[2]).toHaveTextContent('refused');
    expect(rows[2]).toHaveTextContent('binary-not-allowed:rm');
    expect(screen.getByText(/audited command by command/)).toBeInTheDocument();
    expect(screen.getByLabelText('Session summary')).toHaveTextContent(
      'Commands run / refused2 / 1',
    );
  });
});

describe('Replay', () => {
  jest.setTimeout(60_000);
  async function openReplay() {
    sessionsBackend();
    renderTerminal(<TerminalSessionsPage />, {
      role: 'amy',
      routeEntries: [`/${SHELL_ID}`],
    });
    // The player is lazy-loaded with xterm.js: its first load in a cold
    // test run (transforming xterm) can take long on a busy machine.
    const controls = await screen.findByRole(
      'group',
      { name: 'Replay controls' },
      { timeout: 40_000 },
    );
    const replay = () =>
      screen.getByRole('log', { name: 'Replay' }).textContent ?? '';
    return { controls, replay };
  }

  it("plays an auditor oscar's recorded shell: the command and its output appear", async () => {
    const { controls, replay } = await openReplay();
    expect(screen.getByLabelText('Session summary')).toHaveTextContent(
      'INC-4711: gateway leaks file handles',
    );
    expect(within(controls).getByLabelText('Replay time')).toHaveTextContent(
      '00:00 / 00:00',
    );
    expect(replay()).toBe('');

    fireEvent.click(within(controls).getByRole('button', { name: 'Play' }));
    await waitFor(() =>
      expect(replay()).toBe(
        '/ # ls /opt/app\nconfig  logs  payment-gateway.jar\n/ # exit',
      ),
    );
    // At the end the button offers to play again.
    expect(
      await within(controls).findByRole('button', { name: 'Play again' }),
    ).toBeInTheDocument();
  });

  it('seeks with the position slider and pauses', async () => {
    const { controls, replay } = await openReplay();
    const slider = within(controls).getByRole('slider', { name: 'Position' });
    fireEvent.keyDown(slider, { key: 'End' });
    await waitFor(() => expect(replay()).toContain('/ # exit'));
    fireEvent.keyDown(slider, { key: 'Home' });
    await waitFor(() => expect(replay()).toBe(''));
    // One step (0.1 s): the prompt and the echoed command, not yet the output.
    fireEvent.keyDown(slider, { key: 'ArrowRight' });
    await waitFor(() => expect(replay()).toBe('/ # ls /opt/app'));
    expect(slider).toHaveAttribute('aria-valuenow', '0.1');

    fireEvent.change(within(controls).getByLabelText('Speed'), {
      target: { value: '0.5' },
    });
    expect(within(controls).getByLabelText('Speed')).toHaveValue('0.5');
    fireEvent.click(within(controls).getByRole('button', { name: 'Play' }));
    fireEvent.click(
      await within(controls).findByRole('button', { name: 'Pause' }),
    );
    // Once the screen has settled (writes made before the pause are parsed
    // asynchronously), neither the position nor the screen moves.
    await new Promise(r => setTimeout(r, 600));
    const at = slider.getAttribute('aria-valuenow');
    const settled = replay();
    await new Promise(r => setTimeout(r, 600));
    expect(slider.getAttribute('aria-valuenow')).toBe(at);
    expect(replay()).toBe(settled);
    // Unpaused, 0.5× would have reached `exit` (0.2 s of recording) by now.
    expect(Number(at)).toBeLessThan(0.3);
    expect(settled).not.toContain('exit');
    expect(
      within(controls).getByRole('button', { name: 'Play' }),
    ).toBeInTheDocument();
  });

  it('says when a recording cannot be read', async () => {
    server.use(
      http.get(`${BASE}/sessions/${SHELL_ID}`, () =>
        HttpResponse.json(shellSession),
      ),
      http.get(
        `${BASE}/sessions/${SHELL_ID}/recording`,
        () => new HttpResponse('garbage'),
      ),
    );
    renderTerminal(<TerminalSessionsPage />, {
      role: 'amy',
      routeEntries: [`/${SHELL_ID}`],
    });
    expect(
      await screen.findByText(/The recording cannot be read/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/the header is not JSON/).length,
    ).toBeGreaterThan(0);
  });
});
