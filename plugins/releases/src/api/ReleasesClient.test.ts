import { mockApis } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { ReleasesClient } from './ReleasesClient';
import { release } from '../__testUtils__/fixtures';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const base = 'http://example.com/api/releases';
const entityBase = `${base}/entities/component/default/payment-gateway`;
const PG = 'component:default/payment-gateway';
const client = new ReleasesClient({
  discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

function notFound(message: string) {
  return HttpResponse.json(
    {
      error: { name: 'NotFoundError', message },
      response: { statusCode: 404 },
    },
    { status: 404 },
  );
}

describe('ReleasesClient', () => {
  it('reads the current release, and "none" when the backend answers 404', async () => {
    server.use(
      http.get(`${entityBase}/releases/current`, () =>
        HttpResponse.json(release()),
      ),
    );
    expect((await client.getCurrentRelease(PG))?.id).toBe('rel-1');
    server.use(
      http.get(`${entityBase}/releases/current`, () =>
        notFound('no active release'),
      ),
    );
    expect(await client.getCurrentRelease(PG)).toBeUndefined();
  });

  it('pages the history with limit and cursor', async () => {
    let seen: Record<string, string> | undefined;
    server.use(
      http.get(`${entityBase}/releases`, ({ request }) => {
        seen = Object.fromEntries(new URL(request.url).searchParams);
        return HttpResponse.json({ items: [], nextCursor: 'c2' });
      }),
    );
    expect(await client.listReleases(PG, { limit: 20, cursor: 'c1' })).toEqual({
      items: [],
      nextCursor: 'c2',
    });
    expect(seen).toEqual({ limit: '20', cursor: 'c1' });
  });

  it('posts every control with the body the API takes', async () => {
    const posted: Array<{ path: string; body: unknown }> = [];
    server.use(
      http.post(`${base}/releases/:id/:action`, async ({ request, params }) => {
        posted.push({
          path: `${params.id}/${params.action}`,
          body: await request.json(),
        });
        return HttpResponse.json(release());
      }),
      http.post(`${entityBase}/releases`, async ({ request }) => {
        posted.push({ path: 'create', body: await request.json() });
        return HttpResponse.json(release(), { status: 201 });
      }),
    );
    await client.createRelease(PG, {
      image: 'r/pg:1.5.0',
      strategy: 'canary',
      steps: [{ weight: 50 }, { weight: 100 }],
    });
    await client.approve('rel 1', 'looks good');
    await client.reject('rel-1', 'not now');
    await client.promote('rel-1');
    await client.promote('rel-1', { full: true });
    await client.pause('rel-1');
    await client.resume('rel-1');
    await client.rollback('rel-1', 'errors up');
    await client.switchBack('rel-1', 'latency');
    expect(posted).toEqual([
      {
        path: 'create',
        body: {
          image: 'r/pg:1.5.0',
          strategy: 'canary',
          steps: [{ weight: 50 }, { weight: 100 }],
        },
      },
      { path: 'rel 1/approve', body: { reason: 'looks good' } },
      { path: 'rel-1/reject', body: { reason: 'not now' } },
      { path: 'rel-1/promote', body: {} },
      { path: 'rel-1/promote', body: { full: true } },
      { path: 'rel-1/pause', body: {} },
      { path: 'rel-1/resume', body: {} },
      { path: 'rel-1/rollback', body: { reason: 'errors up' } },
      { path: 'rel-1/switch-back', body: { reason: 'latency' } },
    ]);
  });

  it("turns a refusal into an error carrying the backend's message and status", async () => {
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
    await expect(client.approve('rel-1', 'mine')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      body: { error: { message: 'four-eyes: you requested this release' } },
    });
  });

  it('lints, proposes, approves and reverts traffic policies', async () => {
    const seen: string[] = [];
    server.use(
      http.post(`${entityBase}/traffic-policy/lint`, async ({ request }) => {
        seen.push(`lint ${JSON.stringify(await request.json())}`);
        return HttpResponse.json({ lint: [], diff: '' });
      }),
      http.post(`${entityBase}/traffic-policy`, async () => {
        seen.push('propose');
        return HttpResponse.json({ id: 'tp-1' }, { status: 201 });
      }),
      http.post(
        `${base}/traffic-policies/tp-1/:action`,
        async ({ request, params }) => {
          seen.push(`${params.action} ${JSON.stringify(await request.json())}`);
          return HttpResponse.json({ id: 'tp-1' });
        },
      ),
    );
    const policy = {
      subset: 'all' as const,
      outlierDetection: { consecutive5xxErrors: 5 },
    };
    await client.lintTrafficPolicy(PG, policy);
    await client.proposeTrafficPolicy(PG, policy);
    await client.approveTrafficPolicy('tp-1', 'fine by me');
    await client.revertTrafficPolicy('tp-1', 'too strict');
    expect(seen).toEqual([
      `lint ${JSON.stringify(policy)}`,
      'propose',
      'approve {"reason":"fine by me"}',
      'revert {"reason":"too strict"}',
    ]);
  });

  describe('getLatestBuildImage', () => {
    it('takes the image of the latest successful build from the builds plugin', async () => {
      let seen: Record<string, string> | undefined;
      server.use(
        http.get(
          'http://example.com/api/builds/entities/component/default/payment-gateway/builds',
          ({ request }) => {
            seen = Object.fromEntries(new URL(request.url).searchParams);
            return HttpResponse.json({
              items: [
                {
                  number: 42,
                  finishedAt: '2026-11-29T09:00:00.000Z',
                  image: {
                    ref: 'registry.local/payments/payment-gateway:1.5.0',
                  },
                },
              ],
            });
          },
        ),
      );
      expect(await client.getLatestBuildImage(PG)).toEqual({
        image: 'registry.local/payments/payment-gateway:1.5.0',
        buildNumber: 42,
        finishedAt: '2026-11-29T09:00:00.000Z',
      });
      expect(seen).toEqual({ status: 'succeeded', limit: '1' });
    });

    it('is undefined when the builds plugin is absent or has no build', async () => {
      server.use(
        http.get(
          'http://example.com/api/builds/entities/component/default/payment-gateway/builds',
          () => notFound('no such plugin'),
        ),
      );
      expect(await client.getLatestBuildImage(PG)).toBeUndefined();
      server.use(
        http.get(
          'http://example.com/api/builds/entities/component/default/payment-gateway/builds',
          () => HttpResponse.json({ items: [] }),
        ),
      );
      expect(await client.getLatestBuildImage(PG)).toBeUndefined();
    });
  });
});
