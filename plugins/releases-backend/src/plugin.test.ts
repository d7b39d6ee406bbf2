import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { Knex } from 'knex';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  PermissionsService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  auditStoreServiceRef,
  fincloudAuditorServiceFactory,
} from '@fincloud/plugin-audit-node';
import { ClusterSim, startClusterSim } from '@fincloud/cluster-sim';
import { SEED, component, liveWeights } from './__testUtils__/harness';
import { releasesPlugin } from './plugin';

jest.setTimeout(180_000);

const PETE = 'user:default/pete'; // developer, team-payments
const PAULA = 'user:default/paula'; // lead, team-payments
const OLGA = 'user:default/olga'; // platform
const GARY = 'user:default/gary'; // reader

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';

/**
 * A stand-in for the fincloud policy with the rows of its table for
 * releases (the real policy, over HTTP with real tokens, is exercised by the
 * permission matrix and permissions.e2e.test.ts).
 */
function decide(name: string, user: string | undefined, resourceRef?: string) {
  if (!user) return AuthorizeResult.DENY;
  if (name === 'releases.read') return AuthorizeResult.ALLOW;
  if (user === OLGA) return AuthorizeResult.ALLOW;
  const payments =
    resourceRef === PG || resourceRef === 'component:default/user-portal';
  const owner = (user === PETE || user === PAULA) && payments;
  const lead = user === PAULA && payments;
  switch (name) {
    case 'releases.create':
    case 'releases.policy.write':
    case 'releases.promote':
    case 'releases.rollback':
      return owner ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
    case 'releases.approve':
      return lead ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
    default:
      return AuthorizeResult.DENY;
  }
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory(): PermissionsService {
    const userOf = (credentials: any): string | undefined => {
      const type = credentials?.principal?.type;
      if (type === 'user') return credentials.principal.userEntityRef;
      return type === 'service' ? 'service' : undefined;
    };
    return {
      async authorize(requests, { credentials }) {
        return requests.map(r => {
          const user = userOf(credentials);
          return {
            result:
              user === 'service'
                ? AuthorizeResult.ALLOW
                : decide(r.permission.name, user, (r as any).resourceRef),
          };
        }) as any;
      },
      async authorizeConditional(requests) {
        return requests.map(() => ({ result: AuthorizeResult.DENY })) as any;
      },
    };
  },
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'the releases API on %p',
  databaseId => {
    let sim: ClusterSim;
    let server: any;
    let stop: () => Promise<void>;
    let auditKnex: Knex;
    let releasesKnex: Knex;
    let audit: DatabaseAuditStore;

    beforeAll(async () => {
      sim = await startClusterSim({ manualClock: true, seed: SEED });
      sim.clock.advance(15_000);
      releasesKnex = await databases.init(databaseId);
      auditKnex = await databases.init(databaseId);
      audit = await DatabaseAuditStore.create({
        database: auditKnex,
        logger: mockServices.logger.mock(),
        signer: CheckpointSigner.hmac(
          'test',
          'releases-plugin-test-hmac-key-0123456789',
        ),
        spoolDirectory: fs.mkdtempSync(
          path.join(os.tmpdir(), 'releases-audit-spool-'),
        ),
        failClosedTimeoutMs: 1500,
        retryInitialMs: 50,
        retryMaxMs: 200,
      });
      const entities = [
        component('payment-gateway'),
        component('user-portal'),
        // In a system under a permanent change freeze (below).
        {
          ...component('risk-engine'),
          spec: { type: 'service', owner: 'team-risk', system: 'trading' },
        },
      ];
      const backend = await startTestBackend({
        features: [
          releasesPlugin,
          fincloudAuditorServiceFactory,
          createServiceFactory({
            service: auditStoreServiceRef,
            deps: {},
            factory: () => audit,
          }),
          permissionsFactory,
          catalogServiceMock.factory({ entities }),
          mockServices.database.factory({ knex: releasesKnex }),
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
                releases: {
                  defaultApprovals: 1,
                  controller: { intervalSeconds: 3600 },
                  freezeWindows: [
                    {
                      name: 'trading-freeze',
                      system: 'trading',
                      cron: '0 0 * * *',
                      durationHours: 24,
                    },
                  ],
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
      await audit?.stop();
      await sim?.stop();
    });

    const as = (user: string | 'service' | 'none') => {
      let header: string | undefined;
      if (user === 'service') header = mockCredentials.service.header();
      else if (user !== 'none') header = mockCredentials.user.header(user);
      return {
        get: (p: string) => {
          const r = request(server).get(`/api/releases${p}`);
          return header ? r.set('Authorization', header) : r;
        },
        post: (p: string, body?: object) => {
          const r = request(server).post(`/api/releases${p}`);
          const withAuth = header ? r.set('Authorization', header) : r;
          return body ? withAuth.send(body) : withAuth;
        },
      };
    };
    const PGE = '/entities/component/default/payment-gateway';
    const RISKE = '/entities/component/default/risk-engine';
    const IMAGE = 'registry.fincloud.example/payments/payment-gateway:2.8.0';

    async function releasesOf(entity = PGE) {
      const res = await as(OLGA).get(`${entity}/releases`);
      expect(res.status).toBe(200);
      return res.body.items as any[];
    }

    async function events(eventId: string) {
      await audit.flush();
      return (await audit.query({ eventId, limit: 50 } as any)).items;
    }

    it('answers 401 without credentials on every route', async () => {
      const none = as('none');
      const id = '00000000-0000-4000-8000-000000000000';
      const answers = await Promise.all([
        none.get(`${PGE}/options`),
        none.get(`${PGE}/releases`),
        none.get(`${PGE}/releases/current`),
        none.post(`${PGE}/releases`, { image: IMAGE, strategy: 'canary' }),
        none.get(`/releases/${id}`),
        ...[
          'approve',
          'reject',
          'promote',
          'pause',
          'resume',
          'rollback',
          'switch-back',
        ].map(a => none.post(`/releases/${id}/${a}`, { reason: 'x' })),
        none.get(`${PGE}/traffic-policy`),
        none.post(`${PGE}/traffic-policy/lint`, {}),
        none.post(`${PGE}/traffic-policy`, {}),
        none.post(`/traffic-policies/${id}/approve`, { reason: 'x' }),
        none.post(`/traffic-policies/${id}/revert`, { reason: 'x' }),
      ]);
      expect(answers.map(a => a.status)).toEqual(answers.map(() => 401));
    });

    it('answers 400 for bad input and creates nothing', async () => {
      const bad = [
        { image: IMAGE, strategy: 'canary', typo: true },
        { image: IMAGE, strategy: 'big-bang' },
        {
          image: 'registry.fincloud.example/payments/payment-gateway',
          strategy: 'canary',
        },
        { image: 'not an image', strategy: 'canary' },
        {
          image: IMAGE,
          strategy: 'canary',
          steps: [{ weight: 50 }, { weight: 20 }, { weight: 100 }],
        },
        { image: IMAGE, strategy: 'canary', steps: [{ weight: 50 }] },
        {
          image: IMAGE,
          strategy: 'blue-green',
          routing: { mirrorPercent: 10 },
        },
        {
          image: IMAGE,
          strategy: 'canary',
          breakGlass: { justification: 'short' },
        },
      ];
      for (const body of bad) {
        const res = await as(PETE).post(`${PGE}/releases`, body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(res.body.error.name).toBe('InputError');
      }
      expect(await releasesOf()).toEqual([]);
      expect((await as(PETE).get(`${PGE}/releases?limit=0`)).status).toBe(400);
      expect((await as(PETE).get(`${PGE}/releases?cursor=bogus`)).status).toBe(
        400,
      );
      expect(
        (
          await as(PETE).post(`${PGE}/traffic-policy/lint`, {
            rateLimit: { maxTokens: 0 },
          })
        ).status,
      ).toBe(400);
    });

    it('answers 404 for an unknown entity or release, 403 for a caller without the permission', async () => {
      expect(
        (await as(PETE).get('/entities/component/default/nope/options')).status,
      ).toBe(404);
      expect(
        (await as(PETE).get('/releases/00000000-0000-4000-8000-000000000000'))
          .status,
      ).toBe(404);
      expect((await as(PETE).get(`${PGE}/releases/current`)).status).toBe(404);
      const denied = await as(GARY).post(`${PGE}/releases`, {
        image: IMAGE,
        strategy: 'canary',
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toBe(
        `releases.create is not allowed on ${PG}`,
      );
      expect(await releasesOf()).toEqual([]);
      // The refused attempt is in the audit trail too.
      const gary = (await events('release-create')).filter(
        (e: any) => e.actor.ref === GARY,
      );
      expect(gary.map((e: any) => [e.status, e.actor.ref])).toEqual([
        ['failed', GARY],
        ['initiated', GARY],
      ]);
    });

    it('runs a release through the API: 201, 409 for a second, four-eyes 403, approve, promote, rollback — each audited', async () => {
      const created = await as(PETE).post(`${PGE}/releases`, {
        image: IMAGE,
        strategy: 'canary',
        steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        entityRef: PG,
        state: 'awaiting-approval',
        requiredApprovals: 1,
        requestedBy: PETE,
        revision: 1,
      });
      const id = created.body.id;
      const second = await as(PAULA).post(`${PGE}/releases`, {
        image: 'registry.fincloud.example/payments/payment-gateway:2.9.0',
        strategy: 'canary',
      });
      expect(second.status).toBe(409);
      expect((await as(GARY).get(`${PGE}/releases/current`)).body.id).toBe(id);

      // Four-eyes: the requester can never approve, even as platform.
      const own = await as(OLGA).post(
        '/entities/component/default/user-portal/releases',
        {
          image: 'registry.fincloud.example/web/user-portal:3.3.0',
          strategy: 'blue-green',
        },
      );
      expect(own.status).toBe(201);
      const fourEyes = await as(OLGA).post(`/releases/${own.body.id}/approve`, {
        reason: 'my own release',
      });
      expect(fourEyes.status).toBe(403);
      expect(fourEyes.body.error.message).toMatch(
        /^four-eyes: user:default\/olga requested this release/,
      );
      expect(
        (await as(PETE).post(`/releases/${id}/approve`, { reason: 'please' }))
          .status,
      ).toBe(403);
      expect(
        (
          await as('service').post(`/releases/${id}/approve`, {
            reason: 'robot',
          })
        ).status,
      ).toBe(403);

      const approved = await as(PAULA).post(`/releases/${id}/approve`, {
        reason: 'change ticket CHG-1 ok',
      });
      expect(approved.status).toBe(200);
      expect(approved.body.state).toBe('progressing');
      expect(
        (await as(PAULA).post(`/releases/${id}/approve`, { reason: 'again' }))
          .status,
      ).toBe(409);

      sim.clock.advance(10_000); // the canary pod is ready
      expect((await as(GARY).post(`/releases/${id}/promote`, {})).status).toBe(
        403,
      );
      const promoted = await as(PETE).post(`/releases/${id}/promote`, {
        full: false,
      });
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({
        currentStep: 1,
        weights: { stable: 50, canary: 50 },
      });
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 50,
        canary: 50,
      });

      expect((await as(PETE).post(`/releases/${id}/rollback`, {})).status).toBe(
        400,
      );
      const back = await as(PETE).post(`/releases/${id}/rollback`, {
        reason: 'latency up',
      });
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({
        state: 'rolled-back',
        weights: { stable: 100, canary: 0 },
      });
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual({
        stable: 100,
      });
      expect((await as(PETE).post(`/releases/${id}/promote`, {})).status).toBe(
        409,
      );

      const promotes = (await events('release-promote')).filter(
        (e: any) => e.actor.ref === PETE,
      );
      // Newest first: the refused promote after the rollback, then the one that went through.
      expect(promotes.map((e: any) => e.status)).toEqual([
        'failed',
        'initiated',
        'succeeded',
        'initiated',
      ]);
      const [, , promoteDone, promoteStart] = promotes;
      expect(promoteStart).toMatchObject({
        severity: 'high',
        status: 'initiated',
        entityRef: PG,
        meta: { entityRef: PG, releaseId: id, full: false },
        request: {
          method: 'POST',
          path: `/api/releases/releases/${id}/promote`,
        },
      });
      expect(promoteDone).toMatchObject({
        status: 'succeeded',
        correlationId: promoteStart.correlationId,
      });
      expect((await events('release-rollback'))[0]).toMatchObject({
        severity: 'high',
        status: 'succeeded',
        meta: expect.objectContaining({ reason: 'latency up' }),
      });
      const list = await as(GARY).get(`${PGE}/releases?limit=1`);
      expect(list.body.items.map((r: any) => r.id)).toEqual([id]);
      expect(list.body.nextCursor).toBeUndefined();
    });

    it('refuses a high-severity action with 503 when the audit trail cannot record it, and changes nothing', async () => {
      const created = await as(PETE).post(`${PGE}/releases`, {
        image: 'registry.fincloud.example/payments/payment-gateway:2.9.0',
        strategy: 'canary',
        steps: [{ weight: 10 }, { weight: 100 }],
      });
      const id = created.body.id;
      await as(PAULA).post(`/releases/${id}/approve`, { reason: 'fine' });
      sim.clock.advance(10_000);
      await as(PETE).post(`/releases/${id}/pause`, {});
      const before = (await as(PETE).get(`/releases/${id}`)).body;
      const vsBefore = liveWeights(sim, 'payments', 'payment-gateway');
      // The audit database loses the row every writer locks: nothing can be committed.
      await auditKnex.schema.renameTable('audit_head', 'audit_head_away');
      try {
        for (const [action, body] of [
          ['promote', { full: true }],
          ['rollback', { reason: 'try' }],
        ] as const) {
          const res = await as(PETE).post(`/releases/${id}/${action}`, body);
          expect(res.status).toBe(503);
          expect(res.body.error.message).toMatch(
            /^audit trail unavailable; action refused/,
          );
        }
      } finally {
        await auditKnex.schema.renameTable('audit_head_away', 'audit_head');
      }
      const after = (await as(PETE).get(`/releases/${id}`)).body;
      expect(after).toEqual(before);
      expect(liveWeights(sim, 'payments', 'payment-gateway')).toEqual(vsBefore);
      // Once the trail is back, the same action goes through.
      expect(
        (
          await as(PETE).post(`/releases/${id}/rollback`, {
            reason: 'trail back',
          })
        ).status,
      ).toBe(200);
    });

    it('refuses a release inside a change freeze with 423; platform may break glass, audited high', async () => {
      const body = {
        image: 'registry.fincloud.example/risk/risk-engine:1.5.0',
        strategy: 'canary',
      };
      const frozen = await as(OLGA).post(`${RISKE}/releases`, body);
      expect(frozen.status).toBe(423);
      expect(frozen.body.error.message).toMatch(
        /^change freeze trading-freeze \(0 0 \* \* \* UTC, 24 h, system trading\) until /,
      );
      expect(await releasesOf(RISKE)).toEqual([]);
      const options = await as(GARY).get(`${RISKE}/options`);
      expect(options.body.freeze).toMatchObject({
        active: true,
        window: expect.stringContaining('trading-freeze'),
      });

      const breakGlass = {
        ...body,
        breakGlass: {
          justification: 'fix for incident INC-42, approved by CAB',
        },
      };
      expect(
        (await as(PETE).post(`${RISKE}/releases`, breakGlass)).status,
      ).toBe(403);
      expect(
        (await as('service').post(`${RISKE}/releases`, breakGlass)).status,
      ).toBe(403);
      const glass = await as(OLGA).post(`${RISKE}/releases`, breakGlass);
      expect(glass.status).toBe(201);
      expect(glass.body.breakGlass).toEqual({
        by: OLGA,
        justification: 'fix for incident INC-42, approved by CAB',
      });
      const [done, start] = await events('release-break-glass').then(l =>
        l.filter((e: any) => e.actor.ref === OLGA),
      );
      expect(start).toMatchObject({
        severity: 'high',
        status: 'initiated',
        entityRef: RISK,
        meta: expect.objectContaining({
          justification: 'fix for incident INC-42, approved by CAB',
        }),
      });
      expect(done.status).toBe('succeeded');
    });

    it('serves traffic policies: lint, propose (201), four-eyes, approve applies, revert', async () => {
      const policy = {
        outlierDetection: { consecutive5xxErrors: 1, maxEjectionPercent: 100 },
      };
      const lint = await as(GARY).post(
        `/entities/component/default/user-portal/traffic-policy/lint`,
        policy,
      );
      expect(lint.status).toBe(200);
      expect(lint.body.lint.map((l: any) => l.rule)).toEqual([
        'eject-every-host',
        'eject-on-first-error',
      ]);
      const denied = await as(GARY).post(
        `/entities/component/default/user-portal/traffic-policy`,
        policy,
      );
      expect(denied.status).toBe(403);
      const proposed = await as(PETE).post(
        `/entities/component/default/user-portal/traffic-policy`,
        policy,
      );
      expect(proposed.status).toBe(201);
      expect(proposed.body).toMatchObject({
        state: 'awaiting-approval',
        requestedBy: PETE,
      });
      const id = proposed.body.id;
      expect(
        (
          await as(PETE).post(`/traffic-policies/${id}/approve`, {
            reason: 'mine',
          })
        ).status,
      ).toBe(403);
      const applied = await as(PAULA).post(`/traffic-policies/${id}/approve`, {
        reason: 'checked the lint',
      });
      expect(applied.status).toBe(200);
      expect(applied.body.state).toBe('applied');
      const view = await as(GARY).get(
        `/entities/component/default/user-portal/traffic-policy`,
      );
      expect(view.body.current).toEqual(policy);
      expect(
        (
          await as(GARY).post(`/traffic-policies/${id}/revert`, {
            reason: 'not mine to say',
          })
        ).status,
      ).toBe(403);
      const reverted = await as(PETE).post(`/traffic-policies/${id}/revert`, {
        reason: 'too aggressive',
      });
      expect(reverted.body.state).toBe('reverted');
      expect((await events('traffic-policy-revert'))[0]).toMatchObject({
        severity: 'high',
        status: 'succeeded',
      });
    });
  },
);
