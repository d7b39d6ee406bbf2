import { mockApis } from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { BASE, build, ENTITY_BASE, UP } from '../__testUtils__/builds';
import {
  BuildsClient,
  DockerfileValidationError,
  entityPath,
  filenameFromDisposition,
} from './BuildsClient';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = new BuildsClient({
  discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
  fetchApi: { fetch: (input, init) => fetch(input, init) },
});

describe('BuildsClient', () => {
  it('puts the entity ref in the path and every filter in the query', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(`${ENTITY_BASE}/builds`, ({ request }) => {
        seen = new URL(request.url).searchParams;
        return HttpResponse.json({ items: [build()], nextCursor: 'c2' });
      }),
    );
    const page = await client.listBuilds(UP, {
      status: 'failed',
      branch: 'feature/x',
      triggeredBy: 'user:default/pete',
      buildType: 'compile-then-build',
      from: '2026-11-01T00:00:00.000Z',
      limit: 50,
      cursor: 'c1',
    });
    expect(page.nextCursor).toBe('c2');
    expect(page.items[0].number).toBe(12);
    expect(Object.fromEntries(seen!)).toEqual({
      status: 'failed',
      branch: 'feature/x',
      triggeredBy: 'user:default/pete',
      buildType: 'compile-then-build',
      from: '2026-11-01T00:00:00.000Z',
      limit: '50',
      cursor: 'c1',
    });
  });

  it('escapes each part of the entity ref and lowercases the kind', () => {
    expect(entityPath('Component:my-ns/a b')).toBe(
      '/entities/component/my-ns/a%20b',
    );
  });

  it('posts a build request as JSON and returns the queued build', async () => {
    let body: unknown;
    server.use(
      http.post(`${ENTITY_BASE}/builds`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(build({ status: 'queued' }), { status: 201 });
      }),
    );
    const queued = await client.triggerBuild(UP, {
      branch: 'main',
      buildType: 'custom-dockerfile',
      dockerfileRevision: 3,
    });
    expect(queued.status).toBe('queued');
    expect(body).toEqual({
      branch: 'main',
      buildType: 'custom-dockerfile',
      dockerfileRevision: 3,
    });
  });

  it('reads a log range, with a negative start for the last lines', async () => {
    let seen: URLSearchParams | undefined;
    server.use(
      http.get(`${BASE}/builds/b-12/log`, ({ request }) => {
        seen = new URL(request.url).searchParams;
        return HttpResponse.json({
          fromLine: 4000,
          lines: ['a'],
          totalLines: 5000,
          complete: true,
        });
      }),
    );
    const chunk = await client.readLog('b-12', -1000, 1000);
    expect(chunk.fromLine).toBe(4000);
    expect(Object.fromEntries(seen!)).toEqual({
      fromLine: '-1000',
      lines: '1000',
    });
  });

  it("turns the backend's refusal into a ResponseError with its message and status", async () => {
    server.use(
      http.post(`${BASE}/builds/b-12/cancel`, () =>
        HttpResponse.json(
          {
            error: { name: 'ConflictError', message: 'Build #12 has finished' },
            response: { statusCode: 409 },
          },
          { status: 409 },
        ),
      ),
    );
    await expect(
      client.cancelBuild('b-12', 'wrong branch'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 409,
      body: { error: { message: 'Build #12 has finished' } },
    });
  });

  it('gives the diagnostics of a refused Dockerfile (422)', async () => {
    server.use(
      http.post(`${ENTITY_BASE}/dockerfiles`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'DockerfileInvalidError',
              message: 'The Dockerfile has 1 error',
              diagnostics: [
                {
                  line: 2,
                  severity: 'error',
                  message: 'Unknown instruction: RUNN',
                },
              ],
            },
            response: { statusCode: 422 },
          },
          { status: 422 },
        ),
      ),
    );
    const error = await client
      .saveDockerfile(UP, 'FROM node:20\nRUNN x', 'typo')
      .catch(e => e);
    expect(error).toBeInstanceOf(DockerfileValidationError);
    expect(error.message).toBe('The Dockerfile has 1 error');
    expect(error.diagnostics).toEqual([
      { line: 2, severity: 'error', message: 'Unknown instruction: RUNN' },
    ]);
  });

  it('downloads the log under the name the backend gives', async () => {
    server.use(
      http.get(
        `${BASE}/builds/b-12/log/download`,
        () =>
          new HttpResponse('line 1\nline 2\n', {
            headers: {
              'content-type': 'text/plain',
              'content-disposition':
                'attachment; filename="user-portal-build-12.log"',
            },
          }),
      ),
    );
    const file = await client.downloadLog('b-12');
    expect(file.filename).toBe('user-portal-build-12.log');
    expect(await file.blob.text()).toBe('line 1\nline 2\n');
  });

  it('decides a waiver with its reason', async () => {
    let body: unknown;
    server.use(
      http.post(`${BASE}/waivers/w-1/reject`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ id: 'w-1', status: 'rejected' });
      }),
    );
    await client.decideWaiver('w-1', 'reject', 'Fix it instead');
    expect(body).toEqual({ reason: 'Fix it instead' });
  });

  it('reads both forms of Content-Disposition file names', () => {
    expect(
      filenameFromDisposition("attachment; filename*=UTF-8''a%20b.log"),
    ).toBe('a b.log');
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});
