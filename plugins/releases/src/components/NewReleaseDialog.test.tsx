import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ReleaseOptions } from '@fincloud/plugin-releases-common';
import {
  buildsBase,
  PG_PATH,
  release,
  renderWithApis,
  ROLES,
} from '../__testUtils__/fixtures';
import { NewReleaseDialog } from './NewReleaseDialog';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const BUILDS = `${buildsBase}/entities/component/default/payment-gateway/builds`;

const OPTIONS: ReleaseOptions = {
  strategies: ['rolling', 'canary', 'blue-green'],
  defaultStrategy: 'canary',
  defaultPlan: [
    { weight: 10, pause: { seconds: 30 }, analysis: true },
    { weight: 50, approval: true },
    { weight: 100 },
  ],
  requiredApprovals: 1,
  freeze: { active: false },
  currentImage: 'registry.local/payments/payment-gateway:1.4.2',
};

function backend(options: Partial<ReleaseOptions> = {}, build?: object) {
  const posted: any[] = [];
  server.use(
    http.get(`${PG_PATH}/options`, () =>
      HttpResponse.json({ ...OPTIONS, ...options }),
    ),
    http.get(BUILDS, () =>
      build
        ? HttpResponse.json({ items: [build] })
        : HttpResponse.json(
            { error: { name: 'NotFoundError', message: 'no builds plugin' } },
            { status: 404 },
          ),
    ),
    http.post(`${PG_PATH}/releases`, async ({ request }) => {
      posted.push(await request.json());
      return HttpResponse.json(release({ state: 'awaiting-approval' }), {
        status: 201,
      });
    }),
  );
  return posted;
}

async function open(
  options: { allowed?: string[]; mayBreakGlass?: boolean } = {},
) {
  const onCreated = jest.fn();
  const onClose = jest.fn();
  await renderWithApis(
    <NewReleaseDialog
      open
      entityRef="component:default/payment-gateway"
      mayBreakGlass={options.mayBreakGlass ?? false}
      onClose={onClose}
      onCreated={onCreated}
    />,
    { allowed: options.allowed ?? ROLES.developer },
  );
  const dialog = await screen.findByRole('dialog', { name: 'New release' });
  await within(dialog).findByLabelText(/Image/);
  return { dialog, onCreated, onClose };
}

const start = (dialog: HTMLElement) =>
  fireEvent.click(
    within(dialog).getByRole('button', { name: 'Start release' }),
  );

describe('NewReleaseDialog', () => {
  it('prefills the latest successful build and the default plan, and starts the release', async () => {
    const posted = backend(
      {},
      {
        number: 42,
        finishedAt: '2026-11-29T09:00:00.000Z',
        image: { ref: 'registry.local/payments/payment-gateway:1.5.0' },
      },
    );
    const { dialog, onCreated, onClose } = await open();
    expect(within(dialog).getByLabelText(/Image/)).toHaveValue(
      'registry.local/payments/payment-gateway:1.5.0',
    );
    expect(dialog).toHaveTextContent(
      'From the latest successful build (#42, 2026-11-29 09:00:00 UTC).',
    );
    expect(within(dialog).getByLabelText('Step 1 weight')).toHaveValue('10');
    expect(within(dialog).getByLabelText('Step 1 pause')).toHaveValue('30');
    expect(
      within(dialog).getByLabelText('Step 2 waits for approval'),
    ).toBeChecked();
    expect(dialog).toHaveTextContent(
      'Starts after 1 approval by a team lead of the owning team (not you).',
    );

    start(dialog);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(onClose).toHaveBeenCalled();
    expect(posted).toEqual([
      {
        image: 'registry.local/payments/payment-gateway:1.5.0',
        strategy: 'canary',
        steps: [
          { weight: 10, pause: { seconds: 30 }, analysis: true },
          { weight: 50, approval: true },
          { weight: 100 },
        ],
      },
    ]);
  });

  it('without the builds plugin, puts a typed tag on the running image', async () => {
    const posted = backend();
    const { dialog, onCreated } = await open();
    const image = within(dialog).getByLabelText(/Image/);
    expect(image).toHaveValue('');
    fireEvent.change(image, { target: { value: '1.5.1' } });
    expect(dialog).toHaveTextContent(
      'Releases registry.local/payments/payment-gateway:1.5.1',
    );
    start(dialog);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted[0].image).toBe(
      'registry.local/payments/payment-gateway:1.5.1',
    );
  });

  it('refuses a plan that does not end at 100 % and sends nothing', async () => {
    const posted = backend();
    const { dialog, onCreated } = await open();
    fireEvent.change(within(dialog).getByLabelText(/Image/), {
      target: { value: '1.5.1' },
    });
    fireEvent.change(within(dialog).getByLabelText('Step 3 weight'), {
      target: { value: '90' },
    });
    fireEvent.change(within(dialog).getByLabelText('Step 2 weight'), {
      target: { value: '5' },
    });
    start(dialog);
    expect(
      await within(dialog).findByText(
        'The last step must send 100 % of traffic to the new version.',
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText('More than the step before (10 %)'),
    ).toBeInTheDocument();
    // Removing a step, then fixing the weights, makes it valid again.
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Remove step 2' }),
    );
    fireEvent.change(within(dialog).getByLabelText('Step 2 weight'), {
      target: { value: '100' },
    });
    expect(
      within(dialog).queryByText(
        'The last step must send 100 % of traffic to the new version.',
      ),
    ).not.toBeInTheDocument();
    expect(posted).toHaveLength(0);
    start(dialog);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted[0].steps).toEqual([
      { weight: 10, pause: { seconds: 30 }, analysis: true },
      { weight: 100 },
    ]);
  });

  it('keeps the blue-green weights fixed and uses the default plan unless customised', async () => {
    const posted = backend();
    const { dialog, onCreated } = await open();
    fireEvent.change(within(dialog).getByLabelText(/Image/), {
      target: { value: '1.5.1' },
    });
    fireEvent.mouseDown(
      within(dialog).getByRole('button', { name: /^Strategy/ }),
    );
    fireEvent.click(await screen.findByRole('option', { name: 'Blue-green' }));
    expect(dialog).toHaveTextContent(
      "Uses the platform's default blue-green plan.",
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Customise the plan' }),
    );
    expect(within(dialog).getByLabelText('Step 1 weight')).toBeDisabled();
    expect(within(dialog).getByLabelText('Step 2 weight')).toHaveValue('100');
    fireEvent.change(within(dialog).getByLabelText('Step 1 pause'), {
      target: { value: '20' },
    });
    fireEvent.click(within(dialog).getByLabelText('Step 2 waits for approval'));
    start(dialog);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted[0]).toEqual({
      image: 'registry.local/payments/payment-gateway:1.5.1',
      strategy: 'blue-green',
      steps: [
        { weight: 0, pause: { seconds: 20 }, analysis: true },
        { weight: 100, approval: true },
      ],
    });
  });

  it('inside a freeze, blocks a developer and says who can break the glass', async () => {
    const posted = backend({
      freeze: {
        active: true,
        window: 'core-banking weekend freeze (Fri 18:00 for 62 h)',
        until: '2026-11-30T08:00:00.000Z',
      },
    });
    const { dialog } = await open();
    const warning = within(dialog).getByLabelText('Change freeze');
    expect(warning).toHaveTextContent('core-banking weekend freeze');
    expect(warning).toHaveTextContent('Until 2026-11-30 08:00:00 UTC.');
    expect(warning).toHaveTextContent(
      'only the platform team can break the glass',
    );
    expect(
      within(dialog).queryByLabelText(/Justification/),
    ).not.toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Start release' }),
    ).toBeDisabled();
    expect(posted).toHaveLength(0);
  });

  it('lets a platform member break the glass with a real justification', async () => {
    const posted = backend({
      freeze: { active: true, window: 'global freeze' },
    });
    const { dialog, onCreated } = await open({
      allowed: ROLES.platform,
      mayBreakGlass: true,
    });
    fireEvent.change(within(dialog).getByLabelText(/Image/), {
      target: { value: '1.5.1' },
    });
    expect(
      within(dialog).getByRole('button', { name: 'Start release' }),
    ).toBeDisabled();
    fireEvent.click(within(dialog).getByLabelText(/Break the glass/));
    const justification = within(dialog).getByLabelText(/Justification/);
    fireEvent.change(justification, { target: { value: 'hotfix' } });
    start(dialog);
    expect(
      await within(dialog).findByText(/At least 20 characters/),
    ).toBeInTheDocument();
    expect(posted).toHaveLength(0);
    fireEvent.change(justification, {
      target: { value: 'INC-4711: card payments failing since 09:12' },
    });
    start(dialog);
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(posted[0].breakGlass).toEqual({
      justification: 'INC-4711: card payments failing since 09:12',
    });
  });

  it('warns when the scheduling profile cannot be satisfied', async () => {
    backend({
      scheduling: {
        profile: 'high-performance',
        satisfiable: false,
        message: 'No node in pool high-performance is Ready (0 of 2).',
        nodes: [],
      },
    });
    const { dialog } = await open();
    expect(
      within(dialog).getByLabelText('Scheduling warning'),
    ).toHaveTextContent(
      'Scheduling profile high-performance cannot be satisfied',
    );
    expect(
      within(dialog).getByLabelText('Scheduling warning'),
    ).toHaveTextContent('No node in pool high-performance is Ready (0 of 2).');
  });

  it("shows the backend's refusal (one release at a time) and stays open", async () => {
    backend();
    server.use(
      http.post(`${PG_PATH}/releases`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'ConflictError',
              message: 'release rel-0 is already active',
            },
            response: { statusCode: 409 },
          },
          { status: 409 },
        ),
      ),
    );
    const { dialog, onCreated, onClose } = await open();
    fireEvent.change(within(dialog).getByLabelText(/Image/), {
      target: { value: '1.5.1' },
    });
    start(dialog);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'release rel-0 is already active (409)',
    );
    expect(onCreated).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });
});
