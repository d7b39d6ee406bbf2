import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { Build, BuildPage, LogChunk } from '@fincloud/plugin-builds-common';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { ENTITIES, PORTAL, SEED } from './__testUtils__/harness';
import {
  buildsRepoReaderServiceRef,
  StaticBuildsRepoReader,
} from './repo/BuildsRepoReader';
import { buildsPlugin } from './plugin';

jest.setTimeout(120_000);

const PETE = 'user:default/pete'; // developer, owns user-portal
const PAULA = 'user:default/paula'; // lead of the owners
const OLGA = 'user:default/olga'; // platform
const GARY = 'user:default/gary'; // reader
const ROB = 'user:default/rob'; // developer of another team

/**
 * A stand-in for the fincloud policy (its own tests and the permission matrix
 * cover the real one): everybody reads; pete and paula (team-payments) and
 * olga (platform) trigger, cancel and write Dockerfiles of team-payments'
 * services; paula and olga decide waivers.
 */
function decide(name: string, user?: string, resourceRef?: string) {
  if (!user) return AuthorizeResult.DENY;
  if (name === 'builds.read') return AuthorizeResult.ALLOW;
  const payments =
    resourceRef === PORTAL ||
    resourceRef === 'component:default/payment-gateway';
  if (user === OLGA) return AuthorizeResult.ALLOW;
  if (name === 'builds.waiver.approve') {
    return user === PAULA && payments
      ? AuthorizeResult.ALLOW
      : AuthorizeResult.DENY;
  }
  return (user === PETE || user === PAULA) && payments
    ? AuthorizeResult.ALLOW
    : AuthorizeResult.DENY;
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory(): PermissionsService {
    // Service credentials act as the platform would.
    const userOf = (c: any) => {
      if (c?.principal?.type === 'user') return c.principal.userEntityRef;
      return c?.principal?.type === 'service' ? OLGA : undefined;
    };
    return {
      async authorize(requests, { credentials }) {
        return requests.map(r => ({
          result: decide(
            r.permission.name,
            userOf(credentials),
            (r as any).resourceRef,
          ),
        })) as any;
      },
      async authorizeConditional(requests, { credentials }) {
        return requests.map(r => ({
          result: decide(r.permission.name, userOf(credentials)),
        })) as any;
      },
    };
  },
});

describe('builds backend plugin', () => {
  let sim: ClusterSim;
  let server: any;
  let stop: () => Promise<void>;
  const auditor = mockServices.auditor.mock();
  const published: any[] = [];

  beforeAll(async () => {
    sim = await startClusterSim({ seed: SEED });
    const backend = await startTestBackend({
      features: [
        buildsPlugin,
        permissionsFactory,
        auditor.factory,
        catalogServiceMock.factory({ entities: ENTITIES }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({
            publish: async (signal: any) => {
              published.push(signal);
            },
          }),
        }),
        createServiceFactory({
          service: buildsRepoReaderServiceRef,
          deps: {},
          factory: () => new StaticBuildsRepoReader(),
        }),
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.rootConfig.factory({
          data: {
            fincloud: {
              clusters: [
                {
                  name: 'sim',
                  url: sim.url,
                  serviceAccountToken: sim.token,
                  skipTLSVerify: true,
                },
              ],
              builds: {
                podAnnotations: { 'sim.fincloud.io/step-ms': '20' },
                controller: { frequency: { milliseconds: 300 } },
                logs: { flushIntervalMs: 50 },
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
    await sim?.stop();
  });

  const as = (user?: string) => {
    const header = user ? mockCredentials.user.header(user) : undefined;
    return {
      get: (path: string) => {
        const r = request(server).get(`/api/builds${path}`);
        return header ? r.set('Authorization', header) : r;
      },
      post: (path: string, body: object = {}) => {
        const r = request(server).post(`/api/builds${path}`).send(body);
        return header ? r.set('Authorization', header) : r;
      },
    };
  };

  async function waitForBuild(id: string, done: (b: Build) => boolean) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await as(PETE).get(`/builds/${id}`);
      if (res.status === 200 && done(res.body)) return res.body as Build;
      if (Date.now() > deadline)
        throw new Error(`timed out: ${JSON.stringify(res.body)}`);
      await new Promise(r => setTimeout(r, 150));
    }
  }

  it('answers 401 without credentials, on reads and writes', async () => {
    expect(
      (await as().get('/entities/component/default/user-portal/builds')).status,
    ).toBe(401);
    expect(
      (
        await as().post('/entities/component/default/user-portal/builds', {
          branch: 'main',
        })
      ).status,
    ).toBe(401);
    expect(
      (await as().post('/dockerfiles/validate', { content: 'FROM x' })).status,
    ).toBe(401);
  });

  it('triggers a build as its developer, audits it, runs it and keeps its log', async () => {
    auditor.createEvent.mockClear();
    const res = await as(PETE).post(
      '/entities/component/default/user-portal/builds',
      {
        branch: 'main',
      },
    );
    expect(res.status).toBe(201);
    const build: Build = res.body;
    expect(build).toMatchObject({
      entityRef: PORTAL,
      status: 'queued',
      triggeredBy: PETE,
      buildType: 'generic',
      branch: 'main',
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'build-trigger',
        severityLevel: 'medium',
        meta: { entityRef: PORTAL, branch: 'main' },
      }),
    );

    const done = await waitForBuild(build.id, b => b.status === 'succeeded');
    expect(done.image?.digest).toMatch(/^sha256:/);
    expect(published).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          channel: `fincloud-builds:${PORTAL}`,
          message: { buildId: build.id, status: 'succeeded' },
        }),
      ]),
    );

    // Ranged reads: the first screen, and the last lines with a negative fromLine.
    let chunk: LogChunk;
    const deadline = Date.now() + 30_000;
    do {
      chunk = (await as(GARY).get(`/builds/${build.id}/log?fromLine=0&lines=5`))
        .body;
      if (!chunk.complete) await new Promise(r => setTimeout(r, 100));
    } while (!chunk.complete && Date.now() < deadline);
    expect(chunk).toMatchObject({ fromLine: 0, complete: true });
    expect(chunk.lines).toHaveLength(5);
    expect(chunk.lines[0]).toBe('[fincloud] step clone (alpine/git:2.45.2)');
    const tail: LogChunk = (
      await as(GARY).get(`/builds/${build.id}/log?fromLine=-3`)
    ).body;
    expect(tail.fromLine).toBe(chunk.totalLines - 3);
    expect(tail.lines).toHaveLength(3);
    expect(tail.lines[2]).toMatch(/Pushed .*@sha256:/);

    const found = (await as(ROB).get(`/builds/${build.id}/log/search?q=pushed`))
      .body;
    expect(found.truncated).toBe(false);
    expect(found.matches).toEqual(
      expect.arrayContaining([
        { line: chunk.totalLines - 1, text: tail.lines[2] },
      ]),
    );

    auditor.createEvent.mockClear();
    const download = await as(PETE).get(`/builds/${build.id}/log/download`);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="user-portal-build-${build.number}.log"`,
    );
    expect(download.text.split('\n')).toHaveLength(chunk.totalLines + 1);
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'build-log-download',
        meta: { entityRef: PORTAL, buildId: build.id },
      }),
    );

    const page: BuildPage = (
      await as(GARY).get(
        '/entities/component/default/user-portal/builds?status=succeeded&limit=1',
      )
    ).body;
    expect(page.items.map(b => b.id)).toEqual([build.id]);
    const stats = (
      await as(GARY).get(
        '/entities/component/default/user-portal/stats?window=7d',
      )
    ).body;
    expect(stats).toMatchObject({ window: '7d', succeeded: 1, successRate: 1 });
    expect(stats.trend).toHaveLength(7);
  });

  it('refuses a developer of another team (403), audits the attempt and creates nothing', async () => {
    auditor.createEvent.mockClear();
    const before = (
      await as(GARY).get('/entities/component/default/user-portal/builds')
    ).body.items.length;
    const res = await as(ROB).post(
      '/entities/component/default/user-portal/builds',
      { branch: 'main' },
    );
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ name: 'NotAllowedError' });
    expect(res.body.error.message).toMatch(
      /may not trigger builds of component:default\/user-portal/,
    );
    const event = auditor.createEvent.mock.results[0].value;
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'build-trigger',
        meta: expect.objectContaining({ entityRef: PORTAL }),
      }),
    );
    expect((await event).fail).toHaveBeenCalled();
    const after = (
      await as(GARY).get('/entities/component/default/user-portal/builds')
    ).body.items.length;
    expect(after).toBe(before);
    expect(
      (
        await as(GARY).post(
          '/entities/component/default/user-portal/dockerfiles',
          { content: 'FROM scratch\nUSER 1\n', message: 'x' },
        )
      ).status,
    ).toBe(403);
  });

  it.each([
    [
      'a branch that is no git ref',
      { branch: 'feature branch' },
      /not a valid git branch name/,
    ],
    ['an unknown field', { branch: 'main', image: 'x' }, /Unrecognized key/],
    ['a bad build type', { branch: 'main', buildType: 'jenkins' }, /buildType/],
    [
      'a commit that is no sha',
      { branch: 'main', commit: 'HEAD~1xyz' },
      /commit/,
    ],
    [
      'a revision for a generic build',
      { branch: 'main', dockerfileRevision: 1 },
      /custom-dockerfile builds only/,
    ],
  ])('answers 400 to %s and creates nothing', async (_what, body, message) => {
    const res = await as(PETE).post(
      '/entities/component/default/user-portal/builds',
      body,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(message);
  });

  it('answers 400 to bad queries', async () => {
    expect(
      (
        await as(GARY).get(
          '/entities/component/default/user-portal/builds?limit=1000',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await as(GARY).get(
          '/entities/component/default/user-portal/builds?status=done',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await as(GARY).get(
          '/entities/component/default/user-portal/builds?cursor=nope',
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await as(GARY).get(
          '/entities/component/default/user-portal/stats?window=1y',
        )
      ).status,
    ).toBe(400);
    expect((await as(GARY).get('/builds/not-a-uuid!/log')).status).toBe(400);
  });

  it('answers 404 for an unknown build and for an entity without build annotations', async () => {
    const missing = await as(GARY).get(
      '/builds/00000000-0000-4000-8000-000000000000',
    );
    expect(missing.status).toBe(404);
    const config = await as(GARY).get(
      '/entities/component/default/no-builds/config',
    );
    expect(config.status).toBe(404);
    expect(config.body.error.message).toMatch(
      /no build annotations: add fincloud.io\/build-type/,
    );
    const known = await as(GARY).get(
      '/entities/component/default/user-portal/config',
    );
    expect(known.body).toEqual({
      buildType: 'generic',
      language: 'node',
      sourceRepo: 'https://git.fincloud.example/web/user-portal.git',
      scanEnabled: true,
      scanThreshold: 'high',
      availableTypes: [
        'generic',
        'compile-then-build',
        'in-repo-dockerfile',
        'custom-dockerfile',
      ],
    });
  });

  it('cancels a queued or running build (200) and answers 409 once it is finished', async () => {
    const build: Build = (
      await as(PETE).post('/entities/component/default/user-portal/builds', {
        branch: 'main',
      })
    ).body;
    expect((await as(GARY).post(`/builds/${build.id}/cancel`, {})).status).toBe(
      403,
    );
    auditor.createEvent.mockClear();
    const cancelled = await as(PAULA).post(`/builds/${build.id}/cancel`, {
      reason: 'superseded',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      error: `cancelled by ${PAULA}: superseded`,
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'build-cancel',
        severityLevel: 'medium',
        meta: { entityRef: PORTAL, buildId: build.id, reason: 'superseded' },
      }),
    );
    const again = await as(PETE).post(`/builds/${build.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.name).toBe('ConflictError');

    const rerun = await as(PETE).post(`/builds/${build.id}/rerun`);
    expect(rerun.status).toBe(201);
    expect(rerun.body).toMatchObject({
      rerunOf: build.id,
      status: 'queued',
      number: build.number + 1,
    });
    await as(PETE).post(`/builds/${rerun.body.id}/cancel`, {});
  });

  it('keeps custom Dockerfile revisions; an invalid one is a 422 with diagnostics per line', async () => {
    const invalid = await as(PETE).post(
      '/entities/component/default/user-portal/dockerfiles',
      {
        content:
          'FROM node:20 AS build\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=biuld /app /app\nUSER 1000\n',
        message: 'slim image',
      },
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.name).toBe('DockerfileInvalidError');
    expect(invalid.body.error.diagnostics).toEqual([
      {
        line: 4,
        severity: 'error',
        message: 'COPY --from=biuld: no stage is named "biuld" (stages: build)',
      },
    ]);
    expect(
      (
        await as(PETE).get(
          '/entities/component/default/user-portal/dockerfiles',
        )
      ).body,
    ).toEqual([]);

    const content =
      'FROM node:20 AS build\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=build /app /app\nUSER 1000\n';
    const saved = await as(PETE).post(
      '/entities/component/default/user-portal/dockerfiles',
      {
        content,
        message: 'slim image',
      },
    );
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({
      revision: 1,
      author: PETE,
      content,
      message: 'slim image',
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'dockerfile-write',
        severityLevel: 'medium',
      }),
    );
    const list = (
      await as(ROB).get('/entities/component/default/user-portal/dockerfiles')
    ).body;
    expect(list.map((r: any) => r.revision)).toEqual([1]);

    const custom = await as(PETE).post(
      '/entities/component/default/user-portal/builds',
      {
        branch: 'main',
        buildType: 'custom-dockerfile',
      },
    );
    expect(custom.status).toBe(201);
    expect(custom.body).toMatchObject({
      buildType: 'custom-dockerfile',
      dockerfileRevision: 1,
    });
    await as(PETE).post(`/builds/${custom.body.id}/cancel`, {});

    const validated = await as(GARY).post('/dockerfiles/validate', {
      content: 'FROM\nFROMM x\n',
    });
    expect(validated.status).toBe(200);
    expect(
      validated.body.diagnostics.map((d: any) => [d.line, d.severity]),
    ).toEqual(expect.arrayContaining([[2, 'error']]));
  });

  it('lets a lead approve a waiver (high, audited) but never the one who asked', async () => {
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const asked = await as(PAULA).post(
      '/entities/component/default/user-portal/waivers',
      {
        ruleIds: ['generic.secrets.security.detected-private-key'],
        reason: 'test fixture key',
        expiresAt,
      },
    );
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'pending', requestedBy: PAULA });
    const id = asked.body.id;

    const own = await as(PAULA).post(`/waivers/${id}/approve`, {
      reason: 'mine',
    });
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/You requested this waiver/);
    expect(
      (await as(PETE).post(`/waivers/${id}/approve`, { reason: 'x' })).status,
    ).toBe(403);
    expect((await as(OLGA).post(`/waivers/${id}/approve`, {})).status).toBe(
      400,
    );

    auditor.createEvent.mockClear();
    const approved = await as(OLGA).post(`/waivers/${id}/approve`, {
      reason: 'accepted risk',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      approvedBy: OLGA,
    });
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'waiver-approve',
        severityLevel: 'high',
        meta: { entityRef: PORTAL, waiverId: id, reason: 'accepted risk' },
      }),
    );
    expect(
      (await as(OLGA).post(`/waivers/${id}/reject`, { reason: 'late' })).status,
    ).toBe(409);

    const tooLong = await as(PETE).post(
      '/entities/component/default/user-portal/waivers',
      {
        ruleIds: ['x'],
        reason: 'forever',
        expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString(),
      },
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/at most 30 days/);
    const waivers = (
      await as(GARY).get('/entities/component/default/user-portal/waivers')
    ).body;
    expect(waivers.map((w: any) => w.id)).toEqual([id]);
  });
});
