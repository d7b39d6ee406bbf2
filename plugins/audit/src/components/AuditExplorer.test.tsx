import { Routes, Route } from 'react-router-dom';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { SWRConfig } from 'swr';
import { auditApiRef, AuditClient } from '../api';
import { record } from '../__testUtils__/records';
import { AuditExplorer } from './AuditExplorer';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/audit';
const verifiedOk = {
  ok: true,
  checked: 1234,
  head: { seq: 1234, hash: 'h', at: '2026-11-29T10:00:00.000Z' },
  lastCheckpoint: { seq: 1200, at: '2026-11-29T09:00:00.000Z', valid: true },
};

async function render(
  grants: string[] = ['audit.events.read', 'audit.events.export'],
  initialPath = '/audit',
) {
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const asked: string[] = [];
  // usePermission caches answers in SWR: one fresh cache per test, kept
  // across re-mounts of the test app.
  const swrCache = new Map();
  return {
    asked,
    rendered: await renderInTestApp(
      <TestApiProvider
        apis={[
          [discoveryApiRef, discoveryApi],
          [fetchApiRef, fetchApi],
          [auditApiRef, new AuditClient({ discoveryApi, fetchApi })],
          [
            permissionApiRef,
            mockApis.permission({
              authorize: req => {
                asked.push(req.permission.name);
                return grants.includes(req.permission.name)
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY;
              },
            }),
          ],
        ]}
      >
        <SWRConfig value={{ provider: () => swrCache }}>
          <Routes>
            <Route path="/audit" element={<AuditExplorer />} />
          </Routes>
        </SWRConfig>
      </TestApiProvider>,
      {
        routeEntries: [initialPath],
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    ),
  };
}

describe('AuditExplorer', () => {
  it('lists the events with their severity, status, actor, entity and request, and expands the meta', async () => {
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, () =>
        HttpResponse.json({
          items: [
            record({
              seq: 2,
              severity: 'high',
              status: 'failed',
              error: 'NotAllowedError: nope',
              meta: {
                entityRef: 'component:default/payment-gateway',
                token: '[REDACTED]',
              },
            }),
            record({
              seq: 1,
              plugin: 'auth',
              eventId: 'token-issued',
              actor: { type: 'service', ref: 'plugin:catalog' },
              entityRef: undefined,
              request: undefined,
            }),
          ],
        }),
      ),
    );
    await render();

    const table = await screen.findByRole('table', { name: 'Audit events' });
    const first = within(screen.getByTestId('audit-event-2'));
    expect(first.getByText('2026-11-29 10:34:12 UTC')).toBeInTheDocument();
    expect(first.getByText('high')).toBeInTheDocument();
    expect(first.getByText('failed')).toBeInTheDocument();
    expect(first.getByText('catalog · entity-mutate')).toBeInTheDocument();
    expect(first.getByText('POST /api/catalog/refresh')).toBeInTheDocument();
    expect(
      first.getByRole('link', { name: /payment-gateway/ }),
    ).toHaveAttribute('href', '/catalog/default/component/payment-gateway');
    const second = within(screen.getByTestId('audit-event-1'));
    expect(second.getByText('service plugin:catalog')).toBeInTheDocument();
    expect(second.getByText('auth · token-issued')).toBeInTheDocument();
    expect(table).toBeInTheDocument();

    expect(screen.queryByLabelText('meta of event 2')).not.toBeInTheDocument();
    fireEvent.click(
      screen.getByRole('button', { name: 'Show details of event 2' }),
    );
    const meta = screen.getByLabelText('meta of event 2');
    expect(JSON.parse(meta.textContent!)).toEqual({
      entityRef: 'component:default/payment-gateway',
      token: '[REDACTED]',
    });
    expect(
      screen.getByText('Error: NotAllowedError: nope'),
    ).toBeInTheDocument();
    expect(screen.getByText(/from 10\.0\.0\.7/)).toBeInTheDocument();
  });

  it('shows the chain OK with the count and the last checkpoint', async () => {
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, () => HttpResponse.json({ items: [] })),
    );
    await render();
    const badge = await screen.findByRole('status', {
      name: 'Audit chain verification',
    });
    await waitFor(() =>
      expect(badge).toHaveTextContent(
        'Chain OK · 1,234 records verified · last checkpoint #1200 at 2026-11-29 09:00:00 UTC',
      ),
    );
  });

  it('shows the chain BROKEN at the first bad record, with the reason', async () => {
    server.use(
      http.get(`${base}/verify`, () =>
        HttpResponse.json({
          ok: false,
          checked: 57,
          firstBroken: { seq: 42, reason: 'hash mismatch' },
          lastCheckpoint: {
            seq: 40,
            at: '2026-11-29T09:00:00.000Z',
            valid: true,
          },
        }),
      ),
      http.get(`${base}/events`, () => HttpResponse.json({ items: [] })),
    );
    await render();
    const badge = await screen.findByRole('status', {
      name: 'Audit chain verification',
    });
    await waitFor(() =>
      expect(badge).toHaveTextContent('Chain BROKEN at seq 42: hash mismatch'),
    );
  });

  it('sends the filters to the backend and keeps them in the URL', async () => {
    const seen: Record<string, string>[] = [];
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, ({ request }) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({ items: [] });
      }),
    );
    await render(undefined, '/audit?actor=user%3Adefault%2Famy');
    await screen.findByText('No audit events match these filters');
    expect(seen[0]).toEqual({ actor: 'user:default/amy', limit: '50' });
    expect(screen.getByLabelText('Actor')).toHaveValue('user:default/amy');

    fireEvent.change(screen.getByLabelText('Entity'), {
      target: { value: 'component:default/payment-gateway' },
    });
    fireEvent.change(screen.getByLabelText('Free text'), {
      target: { value: 'refresh' },
    });
    fireEvent.click(screen.getByRole('checkbox', { name: 'high' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'critical' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'failed' }));
    fireEvent.change(screen.getByLabelText('From (local time)'), {
      target: { value: '2026-11-01T08:30' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));

    await waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[1]).toEqual({
      entityRef: 'component:default/payment-gateway',
      actor: 'user:default/amy',
      q: 'refresh',
      severity: 'high,critical',
      status: 'failed',
      from: new Date('2026-11-01T08:30').toISOString(),
      limit: '50',
    });
  });

  it('loads older events with the cursor and appends them', async () => {
    const cursors: (string | null)[] = [];
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        cursors.push(cursor);
        return cursor === 'page-2'
          ? HttpResponse.json({
              items: [record({ seq: 10 }), record({ seq: 9 })],
            })
          : HttpResponse.json({
              items: [record({ seq: 12 }), record({ seq: 11 })],
              nextCursor: 'page-2',
            });
      }),
    );
    await render();
    await screen.findByTestId('audit-event-12');
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByTestId('audit-event-9');
    expect(cursors).toEqual([null, 'page-2']);
    const rows = screen
      .getAllByTestId(/^audit-event-/)
      .map(r => r.getAttribute('data-testid'));
    expect(rows).toEqual([
      'audit-event-12',
      'audit-event-11',
      'audit-event-10',
      'audit-event-9',
    ]);
    // The last page had no cursor: nothing more to load.
    expect(
      screen.queryByRole('button', { name: 'Load more' }),
    ).not.toBeInTheDocument();
  });

  it('offers the export only with audit.events.export, and exports the filtered events', async () => {
    const exported: Record<string, string>[] = [];
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, () =>
        HttpResponse.json({ items: [record()] }),
      ),
      http.get(`${base}/events/export`, ({ request }) => {
        exported.push(Object.fromEntries(new URL(request.url).searchParams));
        return new HttpResponse('{"seq":1}\n', {
          headers: { 'content-disposition': 'attachment; filename="a.jsonl"' },
        });
      }),
    );
    await render(undefined, '/audit?plugin=catalog');
    const button = await screen.findByRole('button', {
      name: 'Export JSON Lines',
    });
    // jsdom has no object URLs: record the download instead.
    const createObjectURL = jest.fn((_blob: Blob) => 'blob:x');
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    fireEvent.click(button);
    await waitFor(() => expect(exported).toHaveLength(1));
    expect(exported[0]).toEqual({ plugin: 'catalog', format: 'jsonl' });
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
    expect(await createObjectURL.mock.calls[0][0].text()).toBe('{"seq":1}\n');
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
  });

  it('hides the export from a platform member without audit.events.export', async () => {
    server.use(
      http.get(`${base}/verify`, () => HttpResponse.json(verifiedOk)),
      http.get(`${base}/events`, () =>
        HttpResponse.json({ items: [record()] }),
      ),
    );
    const { asked } = await render(['audit.events.read']);
    await screen.findByRole('table', { name: 'Audit events' });
    await waitFor(() => expect(asked).toContain('audit.events.export'));
    expect(
      screen.queryByRole('button', { name: /Export/ }),
    ).not.toBeInTheDocument();
  });

  it('shows the not-allowed state, and asks nothing of the backend, without audit.events.read', async () => {
    // onUnhandledRequest: 'error' fails the test on any request to /api/audit.
    await render([]);
    expect(
      await screen.findByText('You may not see the audit trail'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('table', { name: 'Audit events' }),
    ).not.toBeInTheDocument();
  });
});
