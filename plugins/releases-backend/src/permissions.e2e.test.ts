import { resolve } from 'node:path';
import request from 'supertest';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import authPlugin from '@backstage/plugin-auth-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import devSignIn from '@fincloud/plugin-auth-backend-module-dev-sign-in';
import fincloudPolicy from '@fincloud/plugin-permission-backend-module-fincloud-policy';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { SEED } from './__testUtils__/harness';
import { releasesPlugin } from './plugin';

jest.setTimeout(180_000);

/**
 * The releases permissions end to end on live releases: the real permission
 * plugin with the fincloud policy, the catalog loaded with the sample
 * organisation (catalog/*.yaml), real tokens from the development sign-in
 * (roles come from real group memberships and fincloud.io/team-leads), and
 * the cluster simulator. (The permission matrix in packages/backend runs
 * every endpoint against a cluster that does not answer.)
 */
const repoRoot = resolve(__dirname, '..', '..', '..');
const SERVICE_TOKEN = 'releases-e2e-service-token-0123456789';
const USERS = ['pete', 'paula', 'oscar', 'amy', 'gary'] as const;
type User = (typeof USERS)[number] | 'service';

describe('releases permissions with the fincloud policy, real tokens and a cluster', () => {
  let sim: ClusterSim;
  let server: any;
  let stop: () => Promise<void>;
  const tokens = {} as Record<User, string>;

  beforeAll(async () => {
    sim = await startClusterSim({ manualClock: true, seed: SEED });
    sim.clock.advance(15_000);
    const backend = await startTestBackend({
      features: [
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: {
              baseUrl: 'http://localhost:7007',
              database: { client: 'better-sqlite3', connection: ':memory:' },
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: { token: SERVICE_TOKEN, subject: 'releases-e2e' },
                  },
                ],
              },
            },
            auth: {
              session: { secret: 'releases-e2e' },
              providers: {
                'fincloud-dev': { dangerouslyAllowOutsideDevelopment: true },
              },
            },
            permission: { enabled: true },
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'Domain',
                    'API',
                    'Resource',
                    'Location',
                    'Group',
                    'User',
                  ],
                },
              ],
              locations: [
                {
                  type: 'file',
                  target: resolve(repoRoot, 'catalog-info.yaml'),
                },
              ],
            },
            fincloud: {
              clusters: [
                {
                  name: 'sim',
                  url: sim.url,
                  serviceAccountToken: sim.token,
                  skipTLSVerify: true,
                },
              ],
              releases: {
                defaultApprovals: 1,
                controller: { intervalSeconds: 3600 },
              },
            },
          },
        }),
        authPlugin,
        devSignIn,
        catalogPlugin,
        permissionPlugin,
        fincloudPolicy,
        mockServices.auditor.factory(),
        releasesPlugin,
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
    const service = `Bearer ${SERVICE_TOKEN}`;
    // The catalog has read the organisation when memberships and owners are stitched.
    for (const deadline = Date.now() + 60_000; ; ) {
      const [pete, pg] = await Promise.all([
        request(server)
          .get('/api/catalog/entities/by-name/user/default/pete')
          .set('authorization', service),
        request(server)
          .get(
            '/api/catalog/entities/by-name/component/default/payment-gateway',
          )
          .set('authorization', service),
      ]);
      if (
        pete.body.relations?.some((r: any) => r.type === 'memberOf') &&
        pg.body.relations?.some((r: any) => r.type === 'ownedBy')
      ) {
        break;
      }
      if (Date.now() > deadline)
        throw new Error('the sample catalog did not load');
      await new Promise(r => setTimeout(r, 200));
    }
    for (const user of USERS) {
      const res = await request(server)
        .get('/api/auth/fincloud-dev/refresh')
        .set('x-fincloud-dev-user', user);
      tokens[user] = `Bearer ${res.body.backstageIdentity.token}`;
    }
    tokens.service = service;
  });

  afterAll(async () => {
    await stop?.();
    await sim?.stop();
  });

  const call = (
    user: User,
    method: 'get' | 'post',
    path: string,
    body?: object,
  ) => {
    const req = request(server)
      [method](`/api/releases${path}`)
      .set('authorization', tokens[user]);
    return body ? req.send(body) : req;
  };
  const statuses = async (
    users: User[],
    method: 'get' | 'post',
    path: string,
    body?: object,
  ) =>
    Object.fromEntries(
      await Promise.all(
        users.map(
          async u => [u, (await call(u, method, path, body)).status] as const,
        ),
      ),
    );
  const PG = '/entities/component/default/payment-gateway';
  const RISK = '/entities/component/default/risk-engine';
  const image = (v: string) => ({
    image: `registry.fincloud.example/payments/payment-gateway:${v}`,
    strategy: 'canary',
  });

  it('lets everybody read, only the owning team (and platform) start, only its lead approve, never the requester', async () => {
    expect(await statuses([...USERS], 'get', `${PG}/options`)).toEqual({
      pete: 200,
      paula: 200,
      oscar: 200,
      amy: 200,
      gary: 200,
    });
    expect(
      await statuses(['gary', 'amy'], 'post', `${PG}/releases`, image('2.8.0')),
    ).toEqual({
      gary: 403,
      amy: 403,
    });
    expect(
      await statuses(['pete'], 'post', `${RISK}/releases`, {
        image: 'registry.fincloud.example/risk/risk-engine:1.5.0',
        strategy: 'canary',
      }),
    ).toEqual({
      pete: 403,
    });
    const created = await call('pete', 'post', `${PG}/releases`, {
      ...image('2.8.0'),
      steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // pete: developer, no approve; amy, gary: no; the service: approvals are people's.
    expect(
      await statuses(
        ['pete', 'amy', 'gary', 'service'],
        'post',
        `/releases/${id}/approve`,
        { reason: 'ok by me' },
      ),
    ).toEqual({
      pete: 403,
      amy: 403,
      gary: 403,
      service: 403,
    });
    const approved = await call('paula', 'post', `/releases/${id}/approve`, {
      reason: 'lead approves',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('progressing');
    sim.clock.advance(10_000);

    // Promote / pause / resume / rollback: owners, the lead, platform; never auditors or readers.
    expect(
      await statuses(['amy', 'gary'], 'post', `/releases/${id}/promote`, {}),
    ).toEqual({ amy: 403, gary: 403 });
    expect(
      (await call('paula', 'post', `/releases/${id}/promote`, {})).status,
    ).toBe(200);
    expect(
      (await call('oscar', 'post', `/releases/${id}/pause`, {})).status,
    ).toBe(200);
    expect(
      (await call('pete', 'post', `/releases/${id}/resume`, {})).status,
    ).toBe(200);
    expect(
      await statuses(['amy', 'gary'], 'post', `/releases/${id}/rollback`, {
        reason: 'not mine',
      }),
    ).toEqual({
      amy: 403,
      gary: 403,
    });
    const back = await call('pete', 'post', `/releases/${id}/rollback`, {
      reason: 'saw errors',
    });
    expect(back.body.state).toBe('rolled-back');

    // Four-eyes holds for a lead's own release too.
    const own = await call('paula', 'post', `${PG}/releases`, image('2.9.0'));
    expect(own.status).toBe(201);
    const selfApproval = await call(
      'paula',
      'post',
      `/releases/${own.body.id}/approve`,
      { reason: 'my own' },
    );
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.error.message).toMatch(/^four-eyes/);
    expect(
      (
        await call('oscar', 'post', `/releases/${own.body.id}/reject`, {
          reason: 'not today',
        })
      ).body.state,
    ).toBe('rejected');
  });

  it('keeps break-glass for the platform team', async () => {
    const body = {
      ...image('3.0.0'),
      breakGlass: { justification: 'incident INC-7 hotfix, CAB notified' },
    };
    expect(
      await statuses(
        ['pete', 'paula', 'service'],
        'post',
        `${PG}/releases`,
        body,
      ),
    ).toEqual({
      pete: 403,
      paula: 403,
      service: 403,
    });
    const glass = await call('oscar', 'post', `${PG}/releases`, body);
    expect(glass.status).toBe(201);
    expect(glass.body.breakGlass.by).toBe('user:default/oscar');
    await call('oscar', 'post', `/releases/${glass.body.id}/rollback`, {
      reason: 'done testing',
    });
  });

  it('lets the owning team propose traffic policies and its lead apply them', async () => {
    const policy = { outlierDetection: { consecutive5xxErrors: 5 } };
    expect(
      await statuses(['amy', 'gary'], 'post', `${PG}/traffic-policy`, policy),
    ).toEqual({ amy: 403, gary: 403 });
    const proposed = await call('pete', 'post', `${PG}/traffic-policy`, policy);
    expect(proposed.status).toBe(201);
    const id = proposed.body.id;
    expect(
      await statuses(
        ['pete', 'amy'],
        'post',
        `/traffic-policies/${id}/approve`,
        { reason: 'fine' },
      ),
    ).toEqual({
      pete: 403,
      amy: 403,
    });
    expect(
      (
        await call('paula', 'post', `/traffic-policies/${id}/approve`, {
          reason: 'fine',
        })
      ).body.state,
    ).toBe('applied');
    expect(
      (
        await call('gary', 'post', `/traffic-policies/${id}/revert`, {
          reason: 'nope',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call('pete', 'post', `/traffic-policies/${id}/revert`, {
          reason: 'not needed',
        })
      ).body.state,
    ).toBe('reverted');
  });
});
