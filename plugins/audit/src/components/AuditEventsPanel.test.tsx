import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { auditApiRef, AuditClient } from '../api';
import { AuditEventsPanel } from './AuditEventsPanel';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/audit';

function render() {
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [discoveryApiRef, discoveryApi],
        [fetchApiRef, fetchApi],
        [auditApiRef, new AuditClient({ discoveryApi, fetchApi })],
      ]}
    >
      <AuditEventsPanel filters={{ plugin: 'catalog' }} />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('AuditEventsPanel', () => {
  it('says so when nothing matches', async () => {
    server.use(
      http.get(`${base}/events`, () => HttpResponse.json({ items: [] })),
    );
    await render();
    expect(
      await screen.findByText('No audit events match these filters'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Load more' }),
    ).not.toBeInTheDocument();
  });

  // Kept last in its file: the error panel's code snippet loads lazily and
  // must not render into another test.
  it("shows the backend's error when the events cannot be read", async () => {
    server.use(
      http.get(`${base}/events`, () =>
        HttpResponse.json(
          {
            error: { name: 'Error', message: 'audit store unavailable' },
            response: { statusCode: 503 },
          },
          { status: 503 },
        ),
      ),
    );
    await render();
    expect(
      await screen.findByText(/Could not load audit events/),
    ).toBeInTheDocument();
    // The full error names the cause.
    await waitFor(() =>
      expect(document.body.textContent).toContain(
        '"message": "audit store unavailable"',
      ),
    );
    expect(
      screen.queryByRole('table', { name: 'Audit events' }),
    ).not.toBeInTheDocument();
  });
});
