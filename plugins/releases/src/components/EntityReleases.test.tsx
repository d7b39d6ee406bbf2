import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  fakeSignals,
  paymentGateway,
  PG,
  PG_PATH,
  base,
  release,
  renderWithApis,
  ROLES,
  steps,
} from '../__testUtils__/fixtures';
import { EntityReleaseCard, EntityReleasesContent } from './EntityReleases';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const CHANNEL = `fincloud-releases:${PG}`;

/** The backend as the tests shape it: a current release (or none) and a history. */
function backend(state: { current?: any; history?: any[] }) {
  const calls: Array<{ path: string; body?: any }> = [];
  server.use(
    http.get(`${PG_PATH}/releases/current`, () =>
      state.current
        ? HttpResponse.json(state.current)
        : HttpResponse.json(
            { error: { name: 'NotFoundError', message: 'none' } },
            { status: 404 },
          ),
    ),
    http.get(`${PG_PATH}/releases`, ({ request }) => {
      const url = new URL(request.url);
      calls.push({ path: `list ${url.search}` });
      return HttpResponse.json({ items: state.history ?? [] });
    }),
    http.post(`${base}/releases/:id/:action`, async ({ request, params }) => {
      const body = await request.json();
      calls.push({ path: `${params.id}/${params.action}`, body });
      return HttpResponse.json(state.current);
    }),
  );
  return calls;
}

function meter(name: RegExp) {
  return screen.getByRole('meter', { name });
}

describe('EntityReleasesContent', () => {
  it('shows the running release with its traffic bar and plan, and a signal moves the bar at once', async () => {
    const state: { current: any } = { current: release() };
    backend(state);
    const signals = fakeSignals();
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
      signals: signals.api,
    });

    const bar = await screen.findByRole('group', { name: /Traffic split/ });
    expect(bar).toHaveAccessibleName(
      'Traffic split: 80 % stable 1.4.2, 20 % new 1.5.0',
    );
    expect(meter(/Traffic to new 1.5.0/)).toHaveAttribute(
      'aria-valuenow',
      '20',
    );
    expect(meter(/Traffic to stable 1.4.2/)).toHaveAttribute(
      'aria-valuenow',
      '80',
    );
    const plan = screen.getByRole('list', { name: 'Step plan' });
    expect(within(plan).getAllByRole('listitem')).toHaveLength(4);
    expect(
      within(plan).getByRole('listitem', { current: 'step' }),
    ).toHaveAccessibleName('Step 2: 20 % — current');
    expect(
      screen.getByText(/Live: changes arrive through signals/),
    ).toBeInTheDocument();
    expect(signals.channels()).toEqual([CHANNEL]);

    // The controller moves to 50 %: the signal alone moves the bar, the
    // re-read then brings the plan.
    state.current = release({
      currentStep: 2,
      steps: steps([5, 20, 50, 100], 2),
      weights: { stable: 50, canary: 50 },
      revision: 4,
    });
    act(() =>
      signals.emit(CHANNEL, {
        releaseId: 'rel-1',
        state: 'progressing',
        weights: { stable: 50, canary: 50 },
      }),
    );
    expect(meter(/Traffic to new 1.5.0/)).toHaveAttribute(
      'aria-valuenow',
      '50',
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('list', { name: 'Step plan' })).getByRole(
          'listitem',
          { current: 'step' },
        ),
      ).toHaveAccessibleName('Step 3: 50 % — current'),
    );
  });

  it('polls when signals are not available', async () => {
    const state: { current: any } = { current: release() };
    backend(state);
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    await screen.findByRole('group', { name: /Traffic split/ });
    expect(screen.getByText(/Refreshing every 3 s/)).toBeInTheDocument();
    state.current = release({
      weights: { stable: 95, canary: 5 },
      revision: 9,
    });
    await waitFor(
      () =>
        expect(meter(/Traffic to new 1.5.0/)).toHaveAttribute(
          'aria-valuenow',
          '5',
        ),
      { timeout: 8000 },
    );
  });

  it('never offers the requester to approve their own release, and says why', async () => {
    backend({
      current: release({
        state: 'awaiting-approval',
        currentStep: 0,
        steps: steps([5, 20, 50, 100], -1),
      }),
    });
    // pete holds releases.approve here (say he were a lead) but asked for it.
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.lead,
      user: 'user:default/pete',
    });
    const approvals = await screen.findByRole('region', { name: 'Approvals' });
    expect(
      within(approvals).getByText(/0 of 1 approval from a team lead/),
    ).toBeInTheDocument();
    expect(
      within(approvals).getByText(
        'You requested this change, so another team lead must approve it (four-eyes).',
      ),
    ).toBeInTheDocument();
    expect(
      within(approvals).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    // Nothing has run: the first step waits for the start approval.
    expect(
      within(screen.getByRole('list', { name: 'Step plan' })).getByRole(
        'listitem',
        { current: 'step' },
      ),
    ).toHaveAccessibleName('Step 1: 5 % — waiting for approval');
    expect(
      within(approvals).queryByRole('button', { name: 'Reject' }),
    ).not.toBeInTheDocument();
  });

  it('lets a team lead approve with a reason, which the dialog insists on', async () => {
    const waiting = release({
      state: 'awaiting-approval',
      currentStep: 0,
      steps: steps([5, 20, 50, 100], -1),
      weights: { stable: 100, canary: 0 },
    });
    const state: { current: any } = { current: waiting };
    const calls = backend(state);
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.lead,
      user: 'user:default/paula',
    });
    const approvals = await screen.findByRole('region', { name: 'Approvals' });
    fireEvent.click(within(approvals).getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog', {
      name: /Approve the release of 1.5.0/,
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    expect(
      await within(dialog).findByText(/Say why in at least 5 characters/),
    ).toBeInTheDocument();
    expect(calls.filter(c => c.path.includes('/approve'))).toHaveLength(0);

    state.current = release({
      state: 'progressing',
      currentStep: 0,
      steps: steps([5, 20, 50, 100], 0),
      weights: { stable: 95, canary: 5 },
      approvals: [
        {
          by: 'user:default/paula',
          decision: 'approved',
          reason: 'canary plan is sane',
          at: '2026-11-29T10:05:00.000Z',
          expiresAt: '2999-01-01T00:00:00.000Z',
        },
      ],
    });
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'canary plan is sane' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(calls.find(c => c.path === 'rel-1/approve')?.body).toEqual({
      reason: 'canary plan is sane',
    });
    expect(meter(/Traffic to new 1.5.0/)).toHaveAttribute('aria-valuenow', '5');
    const list = screen.getByRole('list', { name: 'Approval decisions' });
    expect(within(list).getByText('Approved by paula')).toBeInTheDocument();
    expect(within(list).getByText('“canary plan is sane”')).toBeInTheDocument();
    expect(
      within(list).getByText(/valid until 2999-01-01 00:00:00 UTC/),
    ).toBeInTheDocument();
  });

  it('shows the backend refusal inside the dialog and keeps it open', async () => {
    backend({ current: release({ state: 'awaiting-approval' }) });
    server.use(
      http.post(`${base}/releases/rel-1/approve`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'four-eyes: you requested this release',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.lead,
      user: 'user:default/paula',
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'fine by me' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'four-eyes: you requested this release (403)',
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('shows a reader the release but neither approvals nor controls, with the reason', async () => {
    backend({ current: release({ state: 'awaiting-approval' }) });
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.reader,
      user: 'user:default/gary',
    });
    await screen.findByRole('group', { name: /Traffic split/ });
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Roll back' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Promote/ }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'New release' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(
        /Only a team lead of the owning team \(or the platform team\) may approve/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /Promoting and rolling back are for the service's developers/,
      ),
    ).toBeInTheDocument();
  });

  it('gives a developer the controls the state allows, and rolls back with a reason into the history', async () => {
    const state: { current: any; history: any[] } = {
      current: release(),
      history: [release()],
    };
    const calls = backend(state);
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    const controls = await screen.findByRole('region', {
      name: 'Release controls',
    });
    expect(
      within(controls)
        .getAllByRole('button')
        .map(b => b.textContent),
    ).toEqual([
      'Promote to next step',
      'Promote to 100 %',
      'Pause',
      'Roll back',
    ]);

    // Promote to the next step: confirmed, no reason needed.
    fireEvent.click(
      within(controls).getByRole('button', { name: 'Promote to next step' }),
    );
    const promote = await screen.findByRole('dialog', {
      name: 'Promote to the next step?',
    });
    expect(promote).toHaveTextContent('Moves 50 % of traffic to 1.5.0 now');
    fireEvent.click(within(promote).getByRole('button', { name: 'Promote' }));
    await waitFor(() =>
      expect(calls.map(c => c.path)).toContain('rel-1/promote'),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(calls.find(c => c.path === 'rel-1/promote')?.body).toEqual({});

    // Roll back: a reason is required.
    fireEvent.click(
      within(controls).getByRole('button', { name: 'Roll back' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Roll back 1.5.0?',
    });
    expect(dialog).toHaveTextContent(
      'All traffic goes back to the stable version 1.4.2 and 1.5.0 is scaled down.',
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    expect(await within(dialog).findByText(/Say why/)).toBeInTheDocument();
    expect(calls.map(c => c.path)).not.toContain('rel-1/rollback');

    const rolledBack = release({
      state: 'rolled-back',
      weights: { stable: 100, canary: 0 },
      reason: 'Rolled back by pete: error rate up on 1.5.0',
      finishedAt: '2026-11-29T10:04:30.000Z',
      revision: 7,
    });
    state.current = rolledBack;
    state.history = [rolledBack];
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'error rate up on 1.5.0' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    await waitFor(() =>
      expect(calls.find(c => c.path === 'rel-1/rollback')?.body).toEqual({
        reason: 'error rate up on 1.5.0',
      }),
    );
    // Finished: no running release any more, the history has it with its reason.
    expect(await screen.findByText('No release running')).toBeInTheDocument();
    const history = screen.getByRole('table', { name: 'Release history' });
    await waitFor(() =>
      expect(within(history).getByText('Rolled back')).toBeInTheDocument(),
    );
    const row = within(history).getAllByRole('row')[1];
    expect(row).toHaveTextContent('1.5.0');
    expect(row).toHaveTextContent('from 1.4.2');
    expect(row).toHaveTextContent('Canary');
    expect(row).toHaveTextContent('pete');
    expect(row).toHaveTextContent('4 min 30 s');
    expect(row).toHaveTextContent(
      'Rolled back by pete: error rate up on 1.5.0',
    );
  });

  it('offers resume on a paused release and switch back on a blue-green one', async () => {
    backend({
      current: release({
        strategy: 'blue-green',
        state: 'paused',
        reason: 'paused by user:default/pete',
        steps: steps([0, 100], 1),
        currentStep: 1,
        weights: { stable: 0, canary: 100 },
        blueGreen: {
          previewService: 'payment-gateway-preview',
          activeColor: 'green',
        },
      }),
    });
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    const controls = await screen.findByRole('region', {
      name: 'Release controls',
    });
    expect(
      within(controls)
        .getAllByRole('button')
        .map(b => b.textContent),
    ).toEqual(['Resume', 'Switch back', 'Roll back']);
  });

  it('warns about drift and a break-glass release, and charts the metric gates', async () => {
    backend({
      current: release({
        state: 'paused',
        reason: 'Paused: the VirtualService was edited by hand',
        drift: {
          detectedAt: '2026-11-29T10:03:00.000Z',
          details:
            'VirtualService payment-gateway weights are 70/30, last applied 80/20',
        },
        breakGlass: {
          by: 'user:default/olga',
          justification: 'INC-4711: card payments failing, hotfix',
        },
        analyses: [
          {
            step: 0,
            at: '2026-11-29T10:01:00.000Z',
            pass: false,
            results: [
              {
                name: 'success-rate',
                query: 'sum(rate(istio_requests_total[1m]))',
                canary: 0.93,
                stable: 0.999,
                threshold: '>= 0.99',
                pass: false,
              },
              {
                name: 'latency-p99',
                query: 'histogram_quantile(0.99, ...)',
                canary: null,
                stable: 120,
                threshold: '<= stable * 1.2',
                pass: null,
              },
            ],
          },
        ],
      }),
    });
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    expect(
      await screen.findByRole('alert', { name: 'Drift detected' }),
    ).toHaveTextContent('weights are 70/30, last applied 80/20');
    expect(
      screen.getByRole('alert', { name: 'Break-glass release' }),
    ).toHaveTextContent(
      'Started by olga: “INC-4711: card payments failing, hotfix”',
    );
    const analysis = screen.getByRole('region', { name: 'Analysis of step 1' });
    expect(within(analysis).getByText('gates failed')).toBeInTheDocument();
    expect(
      within(analysis).getByRole('img', {
        name: 'success-rate: canary 0.93, stable 0.999',
      }),
    ).toBeInTheDocument();
    expect(
      within(analysis).getByRole('img', {
        name: 'latency-p99: canary no data, stable 120',
      }),
    ).toBeInTheDocument();
    expect(within(analysis).getByText('threshold >= 0.99')).toBeInTheDocument();
  });

  it('explains the missing annotations instead of calling the backend', async () => {
    await renderWithApis(<EntityReleasesContent />, {
      entity: { ...paymentGateway, metadata: { name: 'payment-gateway' } },
    });
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(screen.getAllByText(/fincloud.io\/cluster/).length).toBeGreaterThan(
      0,
    );
  });

  it('opens the traffic policy sub-view from the tabs', async () => {
    backend({});
    server.use(
      http.get(`${PG_PATH}/traffic-policy`, () =>
        HttpResponse.json({ current: {}, inCluster: {}, proposals: [] }),
      ),
      http.post(`${PG_PATH}/traffic-policy/lint`, () =>
        HttpResponse.json({ lint: [], diff: '' }),
      ),
    );
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    expect(await screen.findByText('No release running')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('tab', { name: 'Traffic policy' }));
    expect(
      await screen.findByText(
        'Circuit breaking and rate limiting without code changes',
      ),
    ).toBeInTheDocument();
  });

  // Kept last: the error panel's code snippet loads lazily.
  it("shows the backend's error when the current release cannot be read", async () => {
    backend({});
    server.use(
      http.get(`${PG_PATH}/releases/current`, () =>
        HttpResponse.json(
          {
            error: { name: 'Error', message: 'database unavailable' },
            response: { statusCode: 503 },
          },
          { status: 503 },
        ),
      ),
    );
    await renderWithApis(<EntityReleasesContent />, {
      allowed: ROLES.developer,
    });
    expect(
      await screen.findByText(/Could not load the current release/),
    ).toBeInTheDocument();
  });
});

describe('EntityReleaseCard', () => {
  it('shows the live release with its traffic bar and links to the tab', async () => {
    backend({
      current: release({
        weights: { stable: 50, canary: 50 },
        currentStep: 2,
        steps: steps([5, 20, 50, 100], 2),
      }),
    });
    await renderWithApis(<EntityReleaseCard />, {
      allowed: ROLES.reader,
      signals: fakeSignals().api,
    });
    const card = await screen.findByLabelText('Running release');
    expect(card).toHaveTextContent('1.5.0 · Canary · step 3 of 4');
    expect(
      within(card).getByRole('meter', { name: /new 1.5.0/ }),
    ).toHaveAttribute('aria-valuenow', '50');
    expect(screen.getByRole('link', { name: /Releases/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/releases',
    );
  });

  it('shows the last outcome when nothing runs', async () => {
    backend({
      history: [
        release({
          state: 'rolled-back',
          reason: 'success-rate 0.93 < 0.99 at step 1',
          finishedAt: '2026-11-29T10:01:30.000Z',
        }),
      ],
    });
    await renderWithApis(<EntityReleaseCard />, { allowed: ROLES.reader });
    const last = await screen.findByLabelText('Last release');
    expect(last).toHaveTextContent('Last release 1.5.0 (Canary): Rolled back');
    expect(last).toHaveTextContent('success-rate 0.93 < 0.99 at step 1');
  });
});
