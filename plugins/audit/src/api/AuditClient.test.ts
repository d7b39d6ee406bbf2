import { mockApis } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { AuditClient, filenameFromDisposition } from './AuditClient';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/audit';
const client = new AuditClient({
  discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

describe('AuditClient', () => {
  it('sends every filter the way the backend reads them', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(`${base}/events`, ({ request }) => {
        seen = new URL(request.url).searchParams;
        return HttpResponse.json({ items: [], nextCursor: 'c2' });
      }),
    );
    const page = await client.listEvents({
      entityRef: 'component:default/payment-gateway',
      actor: 'user:default/pete',
      severity: ['high', 'critical'],
      status: ['failed'],
      from: '2026-11-01T00:00:00.000Z',
      q: 'token',
      limit: 25,
      cursor: 'c1',
    });
    expect(page).toEqual({ items: [], nextCursor: 'c2' });
    expect(Object.fromEntries(seen!)).toEqual({
      entityRef: 'component:default/payment-gateway',
      actor: 'user:default/pete',
      severity: 'high,critical',
      status: 'failed',
      from: '2026-11-01T00:00:00.000Z',
      q: 'token',
      limit: '25',
      cursor: 'c1',
    });
  });

  it("turns the backend's refusal into an error carrying its message and status", async () => {
    server.use(
      http.get(`${base}/verify`, () =>
        HttpResponse.json(
          {
            error: { name: 'NotAllowedError', message: 'You may not verify' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await expect(client.verify()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      body: { error: { message: 'You may not verify' } },
    });
  });

  it('downloads an export with the filters, without paging, named as the backend says', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(`${base}/events/export`, ({ request }) => {
        seen = new URL(request.url).searchParams;
        return new HttpResponse('seq,at\n1,2026\n', {
          headers: {
            'content-type': 'text/csv',
            'content-disposition':
              'attachment; filename="audit-2026-11-29.csv"',
          },
        });
      }),
    );
    const file = await client.exportEvents('csv', {
      plugin: 'catalog',
      cursor: 'ignored',
      limit: 5,
    });
    expect(Object.fromEntries(seen!)).toEqual({
      plugin: 'catalog',
      format: 'csv',
    });
    expect(file.filename).toBe('audit-2026-11-29.csv');
    expect(await file.blob.text()).toBe('seq,at\n1,2026\n');
  });

  it('reads both forms of Content-Disposition file names', () => {
    expect(filenameFromDisposition('attachment; filename="a b.jsonl"')).toBe(
      'a b.jsonl',
    );
    expect(
      filenameFromDisposition("attachment; filename*=UTF-8''audit%20x.csv"),
    ).toBe('audit x.csv');
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});
