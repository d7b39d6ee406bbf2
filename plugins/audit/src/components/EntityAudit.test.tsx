import { Entity } from '@backstage/catalog-model';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
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
import { EntityAuditCard, EntityAuditContent } from './EntityAudit';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/audit';
const PG = 'component:default/payment-gateway';

const paymentGateway: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payment-gateway' },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

/** pete may read payment-gateway's trail (his team owns it), nothing else. */
async function render(element: JSX.Element, allowedRefs: string[] = [PG]) {
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const asked: Array<{ name: string; resourceRef?: string }> = [];
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
                const resourceRef = (req as { resourceRef?: string })
                  .resourceRef;
                asked.push({ name: req.permission.name, resourceRef });
                return req.permission.name === 'audit.entity.read' &&
                  resourceRef &&
                  allowedRefs.includes(resourceRef)
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY;
              },
            }),
          ],
        ]}
      >
        <SWRConfig value={{ provider: () => swrCache }}>
          <EntityProvider entity={paymentGateway}>{element}</EntityProvider>
        </SWRConfig>
      </TestApiProvider>,
      {
        mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      },
    ),
  };
}

describe('EntityAuditContent', () => {
  it("lists the entity's events, asking with the entity as resource, and filters within it", async () => {
    const seen: Record<string, string>[] = [];
    server.use(
      http.get(`${base}/events`, ({ request }) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({
          items: [record({ seq: 7, eventId: 'entity-mutate' })],
        });
      }),
    );
    const { asked } = await render(<EntityAuditContent />);
    const table = await screen.findByRole('table', { name: 'Audit events' });
    expect(asked).toContainEqual({
      name: 'audit.entity.read',
      resourceRef: PG,
    });
    expect(seen[0]).toEqual({ entityRef: PG, limit: '50' });
    // The entity is implied: no entity column, no entity filter.
    expect(
      within(table).queryByRole('columnheader', { name: 'Entity' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Entity')).not.toBeInTheDocument();
    expect(
      within(table).getByText('catalog · entity-mutate'),
    ).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('Event id'), {
      target: { value: 'entity-mutate' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[1]).toEqual({
      entityRef: PG,
      eventId: 'entity-mutate',
      limit: '50',
    });
  });

  it("says clearly that the user may not see this entity's trail, and asks the backend nothing", async () => {
    await render(<EntityAuditContent />, []);
    expect(
      await screen.findByText("You may not see this entity's audit trail"),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('table', { name: 'Audit events' }),
    ).not.toBeInTheDocument();
  });
});

describe('EntityAuditCard', () => {
  it('shows the latest events and links to the Audit tab', async () => {
    const seen: Record<string, string>[] = [];
    server.use(
      http.get(`${base}/events`, ({ request }) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({
          items: [
            record({ seq: 3, severity: 'high', status: 'failed' }),
            record({
              seq: 2,
              actor: { type: 'user', ref: 'user:default/paula' },
            }),
          ],
          nextCursor: 'more',
        });
      }),
    );
    await render(<EntityAuditCard />);
    const list = await screen.findByRole('list', {
      name: 'Recent audit events',
    });
    expect(seen[0]).toEqual({ entityRef: PG, limit: '5' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(list).getByText('high')).toBeInTheDocument();
    expect(
      within(list).getByText('2026-11-29 10:34:12 UTC · user:default/paula'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /All events/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/audit',
    );
  });

  it('says who may see the trail instead of the events when not allowed', async () => {
    await render(<EntityAuditCard />, []);
    expect(
      await screen.findByText(/audit trail is open to its owners/),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /All events/ }),
    ).not.toBeInTheDocument();
  });
});
