import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { Build, LogChunk } from '@fincloud/plugin-builds-common';
import {
  BASE,
  build,
  config,
  ENTITY_BASE,
  UP,
  waiver,
} from '../__testUtils__/builds';
import { FakeSignals, renderBuilds } from '../__testUtils__/render';
import { EntityBuildsContent } from './EntityBuildsContent';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));

// jsdom lays nothing out; the LogViewer (react-virtualized-auto-sizer)
// renders no line in a box of size 0. Give every box a size.
let measure: jest.SpyInstance;
beforeAll(() => {
  measure = jest
    .spyOn(HTMLElement.prototype, 'getBoundingClientRect')
    .mockReturnValue({
      x: 0,
      y: 0,
      top: 0,
      left: 0,
      width: 1200,
      height: 480,
      right: 1200,
      bottom: 480,
      toJSON: () => ({}),
    });
});
afterAll(() => measure.mockRestore());
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const running = build({
  status: 'running',
  finishedAt: undefined,
  runMs: undefined,
  image: undefined,
  steps: [
    {
      name: 'clone',
      status: 'succeeded',
      startedAt: '2026-11-29T10:00:03.000Z',
      finishedAt: '2026-11-29T10:00:05.000Z',
      exitCode: 0,
    },
    { name: 'scan', status: 'running', startedAt: '2026-11-29T10:00:05.000Z' },
    { name: 'build', status: 'queued' },
  ],
});

/**
 * The backend for one build: `current()` is what GET /builds/b-12 answers,
 * `log` is the whole log so far (grow it to simulate the pod printing).
 */
function buildBackend(initial: Build, log: string[], complete = false) {
  let current = initial;
  const state = { log, complete };
  const reads: Array<{ fromLine: number; lines: number }> = [];
  server.use(
    http.get(`${ENTITY_BASE}/config`, () => HttpResponse.json(config)),
    http.get(`${BASE}/builds/b-12`, () => HttpResponse.json(current)),
    http.get(`${ENTITY_BASE}/waivers`, () => HttpResponse.json([])),
    http.get(`${BASE}/builds/b-12/log`, ({ request }) => {
      const params = new URL(request.url).searchParams;
      const fromLine = Number(params.get('fromLine'));
      const lines = Number(params.get('lines'));
      reads.push({ fromLine, lines });
      const start =
        fromLine < 0 ? Math.max(0, state.log.length + fromLine) : fromLine;
      const chunk: LogChunk = {
        fromLine: start,
        lines: state.log.slice(start, start + lines),
        totalLines: state.log.length,
        complete: state.complete,
      };
      return HttpResponse.json(chunk);
    }),
  );
  return {
    reads,
    state,
    set: (b: Build) => {
      current = b;
    },
  };
}

async function openDetail(options: Parameters<typeof renderBuilds>[1] = {}) {
  const result = await renderBuilds(<EntityBuildsContent />, {
    route: '/?build=b-12',
    ...options,
  });
  await screen.findByText('Build #12');
  return result;
}

function logText() {
  return screen.getByRole('region', { name: 'Build log' }).textContent ?? '';
}

describe('BuildDetail', () => {
  it('follows the log of a running build and ends with the signal that it succeeded', async () => {
    const signals = new FakeSignals();
    const backend = buildBackend(running, [
      "Cloning into '/workspace/src'...",
      'HEAD is now at 9f8e7d6 Add accounts page',
    ]);
    await openDetail({ signals });

    // Steps with their state, and who may stop it.
    const steps = screen.getByRole('list', { name: 'Build steps' });
    expect(within(steps).getByText('Clone')).toBeInTheDocument();
    expect(within(steps).getByText('2 s · exit code 0')).toBeInTheDocument();
    expect(within(steps).getByText('Running')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel build' })).toBeVisible();
    expect(
      screen.queryByRole('button', { name: 'Re-run' }),
    ).not.toBeInTheDocument();

    // First screen: one ranged read of the end of the log.
    await waitFor(() => expect(logText()).toContain('HEAD is now at 9f8e7d6'));
    expect(backend.reads[0]).toEqual({ fromLine: -1000, lines: 1000 });
    expect(screen.getByText(/Following the live output/)).toBeInTheDocument();

    // The pod prints more: the tail appears without a reload, read from where it stopped.
    backend.state.log.push(
      'SCAN SUMMARY tool=semgrep critical=0 high=0 medium=0 low=1 info=0 threshold=high result=PASSED',
    );
    await waitFor(() => expect(logText()).toContain('SCAN SUMMARY'));
    expect(backend.reads).toContainEqual({ fromLine: 2, lines: 5000 });
    expect(logText().match(/HEAD is now at/g)).toHaveLength(1);

    // The backend signals the end; the page re-reads the build.
    backend.state.log.push(
      'Pushed registry.fincloud.example/web/user-portal@sha256:4f1c2a9be0d37c6a5e8b19f02d7c4e6a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e',
    );
    backend.state.complete = true;
    backend.set(build());
    signals.publish(`fincloud-builds:${UP}`, {
      buildId: 'b-12',
      status: 'succeeded',
    });
    await waitFor(() =>
      expect(
        within(screen.getByRole('status', { name: 'Build status' })).getByText(
          'Succeeded',
        ),
      ).toBeInTheDocument(),
    );
    expect(
      screen.queryByRole('button', { name: 'Cancel build' }),
    ).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Re-run' })).toBeVisible();
    const details = screen.getByRole('table', { name: 'Build details' });
    expect(
      within(details).getByText(
        'sha256:4f1c2a9be0d37c6a5e8b19f02d7c4e6a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e',
      ),
    ).toBeInTheDocument();
    await waitFor(() => expect(logText()).toContain('Pushed registry'));
    await waitFor(() =>
      expect(
        screen.getByText(/Complete: every line is stored/),
      ).toBeInTheDocument(),
    );
  });

  it('cancels a running build after confirmation, with the reason given', async () => {
    buildBackend(running, ['Cloning…']);
    let body: unknown;
    server.use(
      http.post(`${BASE}/builds/b-12/cancel`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(
          build({
            status: 'cancelled',
            image: undefined,
            error: 'Cancelled by pete: wrong branch',
          }),
        );
      }),
    );
    await openDetail();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel build' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Cancel build #12?',
    });
    fireEvent.change(within(dialog).getByLabelText('Reason (optional)'), {
      target: { value: 'wrong branch' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel build' }),
    );
    expect(
      await screen.findByText('Cancelled by pete: wrong branch'),
    ).toBeVisible();
    expect(body).toEqual({ reason: 'wrong branch' });
    expect(
      within(screen.getByRole('status', { name: 'Build status' })).getByText(
        'Cancelled',
      ),
    ).toBeInTheDocument();
  });

  it('offers neither cancel nor re-run without the permissions', async () => {
    buildBackend(running, []);
    await openDetail({ allowed: ['builds.read'] });
    expect(
      screen.queryByRole('button', { name: 'Cancel build' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Re-run' }),
    ).not.toBeInTheDocument();
  });

  it('re-runs a finished build and opens the new one', async () => {
    buildBackend(build(), ['done'], true);
    server.use(
      http.post(`${BASE}/builds/b-12/rerun`, () =>
        HttpResponse.json(
          build({ id: 'b-13', number: 13, status: 'queued', rerunOf: 'b-12' }),
          { status: 201 },
        ),
      ),
      http.get(`${BASE}/builds/b-13`, () =>
        HttpResponse.json(
          build({ id: 'b-13', number: 13, status: 'queued', rerunOf: 'b-12' }),
        ),
      ),
      http.get(`${BASE}/builds/b-13/log`, () =>
        HttpResponse.json({
          fromLine: 0,
          lines: [],
          totalLines: 0,
          complete: false,
        }),
      ),
    );
    await openDetail();
    fireEvent.click(screen.getByRole('button', { name: 'Re-run' }));
    expect(await screen.findByText('Build #13')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'an earlier build' }),
    ).toHaveAttribute('href', '/?build=b-12');
  });

  it('shows scan findings with their waiver state and lets a developer request a waiver', async () => {
    const failed = build({
      status: 'failed',
      image: undefined,
      error: 'The scan found 1 high finding at or above the threshold high',
      scan: {
        status: 'failed',
        counts: { critical: 0, high: 1, medium: 0, low: 1 },
        threshold: 'high',
        findings: [
          {
            ruleId: 'js/hardcoded-secret',
            level: 'error',
            severity: 'high',
            message: 'Hard-coded credential',
            location: 'src/config.js:12',
          },
          {
            ruleId: 'js/console-log',
            level: 'note',
            severity: 'low',
            message: 'console.log left in code',
          },
        ],
      },
    });
    buildBackend(failed, ['SCAN SUMMARY … result=FAILED'], true);
    let waivers = [waiver({ ruleIds: ['js/console-log'], status: 'rejected' })];
    let requested: any;
    server.use(
      http.get(`${ENTITY_BASE}/waivers`, () => HttpResponse.json(waivers)),
      http.post(`${ENTITY_BASE}/waivers`, async ({ request }) => {
        requested = await request.json();
        const created = waiver({ ...requested, status: 'pending' });
        waivers = [created, ...waivers];
        return HttpResponse.json(created, { status: 201 });
      }),
    );
    await openDetail({ me: 'user:default/pete' });

    expect(
      screen.getByText(
        'The scan found 1 high finding at or above the threshold high',
      ),
    ).toBeVisible();
    const findings = await screen.findByRole('table', {
      name: 'Scan findings',
    });
    const rows = within(findings).getAllByRole('row');
    expect(
      within(rows[1]).getByText('js/hardcoded-secret'),
    ).toBeInTheDocument();
    expect(within(rows[1]).getByText('blocks the build')).toBeInTheDocument();
    expect(within(rows[1]).getByText('—')).toBeInTheDocument();
    await waitFor(() =>
      expect(within(rows[2]).getByText('Waiver rejected')).toBeInTheDocument(),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Request waiver' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Request a scan waiver',
    });
    expect(
      within(dialog).getByRole('checkbox', { name: 'js/hardcoded-secret' }),
    ).toBeChecked();
    const submit = within(dialog).getByRole('button', {
      name: 'Request waiver',
    });
    expect(submit).toBeDisabled();
    fireEvent.change(
      within(dialog).getByLabelText(/Why the risk is acceptable/),
      {
        target: { value: 'Test fixture key, rotated' },
      },
    );
    fireEvent.change(within(dialog).getByLabelText(/Expires/), {
      target: { value: '2099-01-31' },
    });
    fireEvent.click(submit);

    await waitFor(() =>
      expect(
        within(screen.getByRole('table', { name: 'Scan findings' })).getByText(
          'Waiver pending (requested by pete)',
        ),
      ).toBeInTheDocument(),
    );
    expect(requested).toEqual({
      ruleIds: ['js/hardcoded-secret'],
      reason: 'Test fixture key, rotated',
      expiresAt: '2099-01-31T23:59:59.000Z',
    });
    // pete holds no approval right here, and the request is no longer offered.
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Request waiver' }),
    ).not.toBeInTheDocument();
  });

  it("lets a team lead approve someone else's waiver, never their own", async () => {
    const failed = build({
      status: 'failed',
      scan: {
        status: 'failed',
        counts: { critical: 0, high: 1, medium: 0, low: 0 },
        threshold: 'high',
        findings: [
          {
            ruleId: 'js/hardcoded-secret',
            level: 'error',
            severity: 'high',
            message: 'Hard-coded credential',
          },
        ],
      },
    });
    buildBackend(failed, [], true);
    let decided: unknown;
    server.use(
      http.get(`${ENTITY_BASE}/waivers`, () =>
        HttpResponse.json([
          waiver({ id: 'w-1' }),
          waiver({
            id: 'w-2',
            requestedBy: 'user:default/paula',
            reason: 'Her own',
            createdAt: '2026-11-29T10:00:00.000Z',
          }),
        ]),
      ),
      http.post(`${BASE}/waivers/w-1/approve`, async ({ request }) => {
        decided = await request.json();
        return HttpResponse.json(
          waiver({ status: 'approved', approvedBy: 'user:default/paula' }),
        );
      }),
    );
    await openDetail({ me: 'user:default/paula' });
    const table = await screen.findByRole('table', { name: 'Waivers' });
    const [, petes, paulas] = within(table).getAllByRole('row');
    expect(
      within(paulas).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      within(paulas).getByText('Your own request: another lead approves it'),
    ).toBeInTheDocument();

    fireEvent.click(within(petes).getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Approve waiver',
    });
    const approve = within(dialog).getByRole('button', { name: 'Approve' });
    expect(approve).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'Fixture only; expires in a month' },
    });
    fireEvent.click(approve);
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(decided).toEqual({ reason: 'Fixture only; expires in a month' });
  });

  it('searches the whole log, opens the lines around a match, loads earlier lines and downloads', async () => {
    const log = Array.from({ length: 3000 }, (_, i) => `compile unit ${i + 1}`);
    log[99] = 'ERROR: cannot find symbol LedgerClient';
    const backend = buildBackend(build(), log, true);
    server.use(
      http.get(`${BASE}/builds/b-12/log/search`, ({ request }) => {
        const q = new URL(request.url).searchParams.get('q')!;
        return HttpResponse.json({
          matches: log
            .map((text, i) => ({ line: i + 1, text }))
            .filter(m => m.text.includes(q)),
          truncated: false,
        });
      }),
      http.get(
        `${BASE}/builds/b-12/log/download`,
        () =>
          new HttpResponse(log.join('\n'), {
            headers: {
              'content-disposition':
                'attachment; filename="user-portal-12.log"',
            },
          }),
      ),
    );
    await openDetail();

    // The end of a long log first, and where it stands.
    await waitFor(() => expect(logText()).toContain('compile unit 3000'));
    const position = screen.getByRole('status', { name: 'Log position' });
    expect(position).toHaveTextContent(
      "Lines 2,001–3,000 of 3,000 (the viewer's line 1 is line 2,001)",
    );

    fireEvent.change(screen.getByLabelText('Search the whole log'), {
      target: { value: 'ERROR' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    const results = await screen.findByRole('list', {
      name: 'Log search results',
    });
    expect(within(results).getByText('Line 100')).toBeInTheDocument();
    fireEvent.click(within(results).getByText('Line 100'));
    await waitFor(() =>
      expect(logText()).toContain('ERROR: cannot find symbol LedgerClient'),
    );
    // The window ends 5 lines after the match, so the match is on screen.
    expect(backend.reads).toContainEqual({ fromLine: 0, lines: 105 });
    expect(position).toHaveTextContent('Lines 1–105 of 3,000');
    expect(position).toHaveTextContent('Not following');

    // Back to the end, then one step earlier.
    fireEvent.click(screen.getByRole('button', { name: 'Back to the end' }));
    await waitFor(() =>
      expect(position).toHaveTextContent('Lines 2,001–3,000 of 3,000'),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Load earlier lines' }));
    await waitFor(() =>
      expect(position).toHaveTextContent('Lines 1,001–3,000 of 3,000'),
    );
    expect(backend.reads).toContainEqual({ fromLine: 1000, lines: 1000 });

    const createObjectURL = jest.fn(() => 'blob:log');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicked: string[] = [];
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function recordDownload(this: HTMLAnchorElement) {
        clicked.push(this.download);
      });
    fireEvent.click(screen.getByRole('button', { name: 'Download full log' }));
    await waitFor(() => expect(clicked).toEqual(['user-portal-12.log']));
    const blob = (createObjectURL.mock.calls[0] as unknown as [Blob])[0];
    expect((await blob.text()).split('\n')).toHaveLength(3000);
    click.mockRestore();
  });

  it("shows the backend's error when the build cannot be read", async () => {
    server.use(
      http.get(`${ENTITY_BASE}/config`, () => HttpResponse.json(config)),
      http.get(`${BASE}/builds/b-12`, () =>
        HttpResponse.json(
          {
            error: { name: 'NotFoundError', message: 'No build b-12' },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await renderBuilds(<EntityBuildsContent />, { route: '/?build=b-12' });
    expect(await screen.findByText(/Could not load the build/)).toBeVisible();
    expect(screen.getAllByText(/No build b-12/)[0]).toBeVisible();
    expect(screen.getByRole('link', { name: /All builds/ })).toHaveAttribute(
      'href',
      '/',
    );
  });
});
