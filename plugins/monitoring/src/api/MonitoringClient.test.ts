import { mockApis } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MonitoringClient } from './MonitoringClient';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/monitoring';
const client = new MonitoringClient({
  discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

describe('MonitoringClient', () => {
  it('asks for a dashboard with whole-ms bounds and leaves out what is not set', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(
        `${base}/entities/component/default/payment-gateway/dashboard`,
        ({ request }) => {
          seen = new URL(request.url).searchParams;
          return HttpResponse.json({ panels: [] });
        },
      ),
    );
    await client.getDashboard('component:default/payment-gateway', {
      from: 1000.7,
      to: 2000.2,
    });
    expect(Object.fromEntries(seen!)).toEqual({ from: '1000', to: '2000' });
    await client.getDashboard('component:default/payment-gateway', {
      from: 1000,
      to: 2000,
      step: 15,
      version: 'v2',
    });
    expect(Object.fromEntries(seen!)).toEqual({
      from: '1000',
      to: '2000',
      step: '15',
      version: 'v2',
    });
  });

  it('encodes every part of the entity ref and of a rule name', async () => {
    let path = '';
    server.use(
      http.put(
        `${base}/entities/:kind/:ns/:name/rules/:rule`,
        ({ request }) => {
          path = new URL(request.url).pathname;
          return HttpResponse.json({}, { status: 201 });
        },
      ),
    );
    await client.saveRule('component:a b/x', {
      name: 'Rule_1',
      metric: 'cpu',
      comparison: '>',
      threshold: 1,
      forMinutes: 0,
      severity: 'info',
    });
    expect(path).toBe(
      '/api/monitoring/entities/component/a%20b/x/rules/Rule_1',
    );
  });

  it('creates a silence with a JSON body and expires one naming its entity', async () => {
    let body: unknown;
    let contentType: string | null = null;
    let expired: { id?: string; entityRef?: string | null } = {};
    server.use(
      http.post(
        `${base}/entities/component/default/payment-gateway/silences`,
        async ({ request }) => {
          contentType = request.headers.get('content-type');
          body = await request.json();
          return HttpResponse.json({ id: 's1' }, { status: 201 });
        },
      ),
      http.delete(`${base}/silences/:id`, ({ request, params }) => {
        expired = {
          id: String(params.id),
          entityRef: new URL(request.url).searchParams.get('entityRef'),
        };
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const request = {
      alertFingerprint: '0123456789abcdef',
      durationMinutes: 60,
      comment: 'INC-1',
    };
    expect(
      await client.createSilence('component:default/payment-gateway', request),
    ).toEqual({ id: 's1' });
    expect(contentType).toBe('application/json');
    expect(body).toEqual(request);
    await expect(
      client.expireSilence('s1', 'component:default/payment-gateway'),
    ).resolves.toBeUndefined();
    expect(expired).toEqual({
      id: 's1',
      entityRef: 'component:default/payment-gateway',
    });
  });

  it('sends alert center filters the way the backend reads them', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(`${base}/alerts`, ({ request }) => {
        seen = new URL(request.url).searchParams;
        return HttpResponse.json([]);
      }),
    );
    await client.getAlertCenter({
      groupBy: 'system',
      severity: ['critical', 'warning'],
      q: '  payments ',
    });
    expect(Object.fromEntries(seen!)).toEqual({
      groupBy: 'system',
      severity: 'critical,warning',
      q: 'payments',
    });
    await client.getAlertCenter({ groupBy: 'owner', severity: [], q: ' ' });
    expect(Object.fromEntries(seen!)).toEqual({ groupBy: 'owner' });
  });

  it("turns the backend's refusal into an error carrying its message and status", async () => {
    server.use(
      http.get(`${base}/noise`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'You may not read alert noise',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await expect(client.getNoise('24h')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      body: { error: { message: 'You may not read alert noise' } },
    });
  });
});
