import {
  configApiRef,
  discoveryApiRef,
  githubAuthApiRef,
} from '@backstage/core-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { DEV_SIGN_IN_STORAGE_KEY, DevSignInPage } from './DevSignInPage';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  window.localStorage.clear();
});
afterAll(() => server.close());

const authBase = 'http://example.com/api/auth';
const users = [
  {
    userRef: 'user:default/pete',
    displayName: 'Pete Dev (payments developer)',
    description: 'Developer, Payments.',
    groups: ['team-payments'],
  },
  {
    userRef: 'user:default/amy',
    displayName: 'Amy Audit (auditor)',
    groups: ['audit-team'],
  },
];

function render(onSignInSuccess = jest.fn()) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          discoveryApiRef,
          mockApis.discovery({ baseUrl: 'http://example.com' }),
        ],
        // The production page talks to the GitHub provider only when clicked.
        [
          githubAuthApiRef,
          { getBackstageIdentity: jest.fn(async () => undefined) },
        ],
        [
          configApiRef,
          mockApis.config({ data: { app: { title: 'fincloud' } } }),
        ],
      ]}
    >
      <DevSignInPage onSignInSuccess={onSignInSuccess} />
    </TestApiProvider>,
  );
}

describe('DevSignInPage', () => {
  it('lists the catalog users and signs in as the one picked', async () => {
    const seenHeaders: (string | null)[] = [];
    server.use(
      http.get(`${authBase}/fincloud-dev-users`, () =>
        HttpResponse.json({ users }),
      ),
      http.get(`${authBase}/fincloud-dev/refresh`, ({ request }) => {
        seenHeaders.push(request.headers.get('x-fincloud-dev-user'));
        return HttpResponse.json({
          profile: { displayName: 'Pete Dev (payments developer)' },
          backstageIdentity: {
            token: 'a.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvcGV0ZSJ9.c',
            identity: {
              type: 'user',
              userEntityRef: 'user:default/pete',
              ownershipEntityRefs: [
                'user:default/pete',
                'group:default/team-payments',
              ],
            },
          },
        });
      }),
    );
    const onSignInSuccess = jest.fn();
    await render(onSignInSuccess);

    expect(
      await screen.findByText('Pete Dev (payments developer)'),
    ).toBeInTheDocument();
    expect(screen.getByText('Amy Audit (auditor)')).toBeInTheDocument();
    expect(screen.getByText('Developer, Payments.')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Sign in as pete' }));

    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalledTimes(1));
    expect(seenHeaders).toEqual(['user:default/pete']);
    expect(window.localStorage.getItem(DEV_SIGN_IN_STORAGE_KEY)).toBe(
      'user:default/pete',
    );

    // Signing out forgets the choice, so the next visit shows the list again.
    const identity = onSignInSuccess.mock.calls[0][0];
    expect((await identity.getBackstageIdentity()).userEntityRef).toBe(
      'user:default/pete',
    );
    await identity.signOut();
    expect(window.localStorage.getItem(DEV_SIGN_IN_STORAGE_KEY)).toBeNull();
  });

  it('offers the production provider when the development sign-in is off', async () => {
    server.use(
      http.get(`${authBase}/fincloud-dev-users`, () =>
        HttpResponse.json(
          { error: { message: 'not enabled' } },
          { status: 404 },
        ),
      ),
    );
    await render();
    expect(await screen.findByText('Sign in using GitHub')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Sign in as/ }),
    ).not.toBeInTheDocument();
  });

  it('shows the error when the backend cannot list users', async () => {
    server.use(
      http.get(`${authBase}/fincloud-dev-users`, () =>
        HttpResponse.json(
          { error: { name: 'Error', message: 'catalog unavailable' } },
          { status: 500 },
        ),
      ),
    );
    await render();
    expect(
      (await screen.findAllByText(/catalog unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('button', { name: /Sign in as/ }),
    ).not.toBeInTheDocument();
  });
});
