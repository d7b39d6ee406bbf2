import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  TrafficPolicy,
  TrafficPolicyProposal,
} from '@fincloud/plugin-releases-common';
import {
  base,
  PG,
  PG_PATH,
  renderWithApis,
  ROLES,
} from '../__testUtils__/fixtures';
import { EntityReleasesContent } from './EntityReleases';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const CURRENT: TrafficPolicy = {
  subset: 'all',
  connectionPool: {
    tcp: { maxConnections: 100 },
    http: { http1MaxPendingRequests: 50 },
  },
};

function proposal(
  overrides: Partial<TrafficPolicyProposal> = {},
): TrafficPolicyProposal {
  return {
    id: 'tp-1',
    entityRef: PG,
    policy: CURRENT,
    lint: [],
    diff: '-maxConnections: 200\n+maxConnections: 100',
    state: 'applied',
    requestedBy: 'user:default/pete',
    approvals: [
      {
        by: 'user:default/paula',
        decision: 'approved',
        reason: 'sane limits',
        at: '2026-11-28T10:00:00.000Z',
        expiresAt: '2999-01-01T00:00:00.000Z',
      },
    ],
    createdAt: '2026-11-28T09:00:00.000Z',
    appliedAt: '2026-11-28T10:00:01.000Z',
    ...overrides,
  };
}

/** A lint like the backend's: maxConnections without a pending-request limit. */
function lintOf(policy: any) {
  const lint = [];
  const pool = policy.connectionPool;
  if (pool?.tcp?.maxConnections && !pool?.http?.http1MaxPendingRequests) {
    lint.push({
      rule: 'pool-pending-unbounded',
      severity: 'error',
      message:
        'maxConnections without http1MaxPendingRequests queues requests without bound',
      path: 'connectionPool.tcp.maxConnections',
    });
  }
  if (policy.outlierDetection?.maxEjectionPercent === 100) {
    lint.push({
      rule: 'eject-all',
      severity: 'warning',
      message: 'maxEjectionPercent 100 with 2 replicas can eject every pod',
      path: 'outlierDetection.maxEjectionPercent',
    });
  }
  return lint;
}

function backend(proposals: TrafficPolicyProposal[] = [proposal()]) {
  const state = { proposals: [...proposals] };
  const seen: Array<{ what: string; body: any }> = [];
  server.use(
    http.get(`${PG_PATH}/releases/current`, () =>
      HttpResponse.json(
        { error: { name: 'NotFoundError', message: 'none' } },
        { status: 404 },
      ),
    ),
    http.get(`${PG_PATH}/releases`, () => HttpResponse.json({ items: [] })),
    http.get(`${PG_PATH}/traffic-policy`, () =>
      HttpResponse.json({
        current: CURRENT,
        inCluster: { connectionPool: CURRENT.connectionPool },
        proposals: state.proposals,
      }),
    ),
    http.post(`${PG_PATH}/traffic-policy/lint`, async ({ request }) => {
      const body = await request.json();
      seen.push({ what: 'lint', body });
      const lint = lintOf(body);
      return HttpResponse.json({
        lint,
        diff:
          JSON.stringify(body) === JSON.stringify(CURRENT)
            ? ''
            : ' connectionPool:\n-  http1MaxPendingRequests: 50\n+  outlierDetection: {}',
      });
    }),
    http.post(`${PG_PATH}/traffic-policy`, async ({ request }) => {
      const body = (await request.json()) as TrafficPolicy;
      seen.push({ what: 'propose', body });
      const created = proposal({
        id: 'tp-2',
        policy: body,
        state: 'awaiting-approval',
        approvals: [],
        appliedAt: undefined,
        createdAt: '2026-11-29T11:00:00.000Z',
      });
      state.proposals = [created, ...state.proposals];
      return HttpResponse.json(created, { status: 201 });
    }),
    http.post(
      `${base}/traffic-policies/:id/:action`,
      async ({ request, params }) => {
        seen.push({
          what: `${params.id} ${params.action}`,
          body: await request.json(),
        });
        return HttpResponse.json(state.proposals[0]);
      },
    ),
  );
  return seen;
}

async function openPolicyTab(allowed: string[], user = 'user:default/pete') {
  await renderWithApis(<EntityReleasesContent />, { allowed, user });
  fireEvent.click(await screen.findByRole('tab', { name: 'Traffic policy' }));
  return screen.findByLabelText('Max connections (TCP)');
}

describe('the Traffic policy sub-view', () => {
  it('lints as you type, marks the field, shows the diff and holds back a policy with errors', async () => {
    const seen = backend();
    const field = await openPolicyTab(ROLES.developer);
    expect(field).toHaveValue('100');
    // The policy in force lints clean and is what the cluster has.
    expect(
      await screen.findByText('No known pitfalls found.'),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Diff against the cluster')).toHaveTextContent(
      'No change from what runs in the cluster.',
    );

    fireEvent.change(screen.getByLabelText('Max pending requests (HTTP/1.1)'), {
      target: { value: '' },
    });
    const lint = await screen.findByRole('list', { name: 'Policy lint' });
    expect(lint).toHaveTextContent(
      'maxConnections without http1MaxPendingRequests queues requests without bound',
    );
    expect(lint).toHaveTextContent(
      'pool-pending-unbounded · connectionPool.tcp.maxConnections',
    );
    // The same message on the field the lint names.
    expect(screen.getByLabelText('Max connections (TCP)')).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    const diff = screen.getByLabelText('Diff against the cluster');
    expect(diff).toHaveTextContent('- http1MaxPendingRequests: 50');
    expect(diff).toHaveTextContent('+ outlierDetection: {}');
    expect(
      screen.getByRole('button', { name: 'Submit for approval' }),
    ).toBeDisabled();
    expect(screen.getByText('Fix the lint errors first.')).toBeInTheDocument();
    expect(seen.at(-1)).toEqual({
      what: 'lint',
      body: { subset: 'all', connectionPool: { tcp: { maxConnections: 100 } } },
    });
  });

  it('submits a clean policy for approval and lists the proposal', async () => {
    const seen = backend();
    await openPolicyTab(ROLES.developer);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Rate limit' }));
    fireEvent.change(screen.getByLabelText('Bucket size (tokens)'), {
      target: { value: '100' },
    });
    fireEvent.change(screen.getByLabelText('Tokens per fill'), {
      target: { value: '20' },
    });
    fireEvent.change(screen.getByLabelText('Fill interval (s)'), {
      target: { value: '1' },
    });
    const submit = screen.getByRole('button', { name: 'Submit for approval' });
    await waitFor(() => expect(submit).toBeEnabled());
    fireEvent.click(submit);
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Submitted: a team lead of the owning team (or the platform team) must approve it',
    );
    expect(seen.find(s => s.what === 'propose')?.body).toEqual({
      ...CURRENT,
      rateLimit: {
        maxTokens: 100,
        tokensPerFill: 20,
        fillIntervalSeconds: 1,
        mode: 'shadow',
      },
    });
    const table = screen.getByRole('table', {
      name: 'Traffic policy proposals',
    });
    await waitFor(() =>
      expect(within(table).getAllByRole('row')).toHaveLength(3),
    );
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent(
      'Awaiting approval',
    );
    // A developer does not approve: no button, and who does.
    expect(
      within(within(table).getAllByRole('row')[1]).queryByRole('button', {
        name: 'Approve',
      }),
    ).not.toBeInTheDocument();
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent(
      'Only a team lead of the owning team (or the platform team) may approve.',
    );
  });

  it('checks typed values before asking the backend', async () => {
    const seen = backend();
    await openPolicyTab(ROLES.developer);
    await screen.findByText('No known pitfalls found.');
    const lints = seen.filter(s => s.what === 'lint').length;
    fireEvent.click(
      screen.getByRole('checkbox', { name: 'Outlier detection' }),
    );
    fireEvent.change(screen.getByLabelText('Interval'), {
      target: { value: 'ten seconds' },
    });
    expect(
      screen.getByText('A duration such as 500ms, 10s or 1m'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Correct the highlighted fields to see the lint and the diff.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Submit for approval' }),
    ).toBeDisabled();
    await new Promise(r => setTimeout(r, 600));
    expect(seen.filter(s => s.what === 'lint')).toHaveLength(lints);
  });

  it('lets a team lead approve a proposal with a reason', async () => {
    const seen = backend([
      proposal({
        id: 'tp-2',
        state: 'awaiting-approval',
        approvals: [],
        appliedAt: undefined,
      }),
    ]);
    await openPolicyTab(ROLES.lead, 'user:default/paula');
    const table = screen.getByRole('table', {
      name: 'Traffic policy proposals',
    });
    fireEvent.click(within(table).getByRole('button', { name: 'Approve' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Approve this traffic policy?',
    });
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: 'limits match the load test' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(seen.find(s => s.what === 'tp-2 approve')?.body).toEqual({
        reason: 'limits match the load test',
      }),
    );
  });

  it('never lets a lead approve their own proposal (four-eyes)', async () => {
    backend([
      proposal({
        id: 'tp-2',
        state: 'awaiting-approval',
        requestedBy: 'user:default/paula',
        approvals: [],
        appliedAt: undefined,
      }),
    ]);
    await openPolicyTab(ROLES.lead, 'user:default/paula');
    const table = screen.getByRole('table', {
      name: 'Traffic policy proposals',
    });
    expect(
      within(table).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(table).toHaveTextContent(
      'You requested this change, so another team lead must approve it (four-eyes).',
    );
  });

  it('lets a developer revert the policy in force, and shows a reader no write control', async () => {
    const seen = backend();
    await openPolicyTab(ROLES.developer);
    const table = screen.getByRole('table', {
      name: 'Traffic policy proposals',
    });
    fireEvent.click(within(table).getByRole('button', { name: 'Show diff' }));
    expect(within(table).getByText('+maxConnections: 100')).toBeInTheDocument();
    fireEvent.click(within(table).getByRole('button', { name: 'Revert' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Revert this traffic policy?',
    });
    fireEvent.change(within(dialog).getByLabelText(/Reason/), {
      target: { value: '503s under load since the change' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revert' }));
    await waitFor(() =>
      expect(seen.find(s => s.what === 'tp-1 revert')?.body).toEqual({
        reason: '503s under load since the change',
      }),
    );
  });

  it('shows a reader the policy and its lint, but nothing to submit, approve or revert', async () => {
    backend([
      proposal(),
      proposal({
        id: 'tp-2',
        state: 'awaiting-approval',
        approvals: [],
        appliedAt: undefined,
      }),
    ]);
    await openPolicyTab(ROLES.reader, 'user:default/gary');
    expect(
      await screen.findByText('No known pitfalls found.'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Submit for approval' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(
        /Proposing a traffic policy is for the service's developers/,
      ),
    ).toBeInTheDocument();
    const table = screen.getByRole('table', {
      name: 'Traffic policy proposals',
    });
    expect(
      within(table).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(
      within(table).queryByRole('button', { name: 'Revert' }),
    ).not.toBeInTheDocument();
  });
});
