import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { build, ENTITY_BASE, UP, userPortal } from '../__testUtils__/builds';
import { FakeSignals, renderBuilds } from '../__testUtils__/render';
import { EntityLatestBuildCard } from './EntityLatestBuildCard';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('EntityLatestBuildCard', () => {
  it('shows the newest build with its image digest and links to it and to the tab', async () => {
    const seen: Record<string, string>[] = [];
    server.use(
      http.get(`${ENTITY_BASE}/builds`, ({ request }) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({ items: [build()], nextCursor: 'x' });
      }),
    );
    await renderBuilds(<EntityLatestBuildCard />);
    await screen.findByText('Build #12');
    const card = screen.getByRole('group', { name: 'Latest build' });
    expect(within(card).getByText('Succeeded')).toBeInTheDocument();
    expect(
      within(card).getByText('Generic · main @ 9f8e7d6'),
    ).toBeInTheDocument();
    expect(within(card).getByText('sha256:4f1c2a9be0d3')).toBeInTheDocument();
    expect(
      within(card).getByRole('link', { name: 'Build #12' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/user-portal/builds?build=b-12',
    );
    expect(screen.getByRole('link', { name: /All builds/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/user-portal/builds',
    );
    expect(seen).toEqual([{ limit: '1' }]);
  });

  it('follows a running build to its end through the signal', async () => {
    const signals = new FakeSignals();
    let latest = build({
      status: 'running',
      runMs: undefined,
      image: undefined,
    });
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () =>
        HttpResponse.json({ items: [latest] }),
      ),
    );
    await renderBuilds(<EntityLatestBuildCard />, { signals });
    expect(await screen.findByText('Running')).toBeInTheDocument();
    latest = build();
    signals.publish(`fincloud-builds:${UP}`, {
      buildId: 'b-12',
      status: 'succeeded',
    });
    expect(await screen.findByText('Succeeded')).toBeInTheDocument();
    expect(screen.getByText('sha256:4f1c2a9be0d3')).toBeInTheDocument();
  });

  it('says there is no build yet, pointing to the tab only for those who may start one', async () => {
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () => HttpResponse.json({ items: [] })),
    );
    await renderBuilds(<EntityLatestBuildCard />);
    await screen.findByText(/No builds yet/);
    await waitFor(() =>
      expect(
        screen.getByRole('link', { name: 'Start one on the Builds tab.' }),
      ).toHaveAttribute(
        'href',
        '/catalog/default/component/user-portal/builds',
      ),
    );
  });

  it('offers no start link to readers', async () => {
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () => HttpResponse.json({ items: [] })),
    );
    await renderBuilds(<EntityLatestBuildCard />, { allowed: ['builds.read'] });
    await screen.findByText(/No builds yet/);
    expect(
      screen.queryByRole('link', { name: 'Start one on the Builds tab.' }),
    ).not.toBeInTheDocument();
  });

  it("shows the backend's refusal", async () => {
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'You may not read builds',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await renderBuilds(<EntityLatestBuildCard />);
    expect(await screen.findByText(/Could not load builds/)).toBeVisible();
    expect(screen.getAllByText(/You may not read builds/)[0]).toBeVisible();
  });

  it('names the annotation to add, and asks nothing, when the entity has none', async () => {
    const {
      'fincloud.io/build-type': _t,
      'fincloud.io/language': _l,
      ...rest
    } = userPortal.metadata.annotations!;
    await renderBuilds(<EntityLatestBuildCard />, {
      entity: {
        ...userPortal,
        metadata: { ...userPortal.metadata, annotations: rest },
      },
    });
    expect(
      await screen.findByText('fincloud.io/build-type'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /All builds/ }),
    ).not.toBeInTheDocument();
  });
});
