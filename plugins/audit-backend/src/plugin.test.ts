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
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import Router from 'express-promise-router';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  auditStoreServiceRef,
  fincloudAuditorServiceFactory,
  readAuditExportFile,
  verifyAuditExport,
} from '@fincloud/plugin-audit-node';
import { AuditPage, AuditRecord } from '@fincloud/plugin-audit-common';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { auditPlugin } from './plugin';

jest.setTimeout(120_000);

const signer = CheckpointSigner.hmac(
  'test',
  'plugin-test-hmac-key-0123456789abcdef',
);

const ALAN = 'user:default/alan'; // auditor: every event, export
const PAULA = 'user:default/paula'; // owner of payment-gateway only
const GARY = 'user:default/gary'; // nothing

/**
 * A stand-in for the fincloud policy (Helper D's module, tested by the permission matrix):
 * alan holds audit.events.read and audit.events.export, paula audit.entity.read on
 * payment-gateway, everybody else nothing.
 */
const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory(): PermissionsService {
    const decide = (
      name: string,
      user: string | undefined,
      resourceRef?: string,
    ) => {
      if (name.startsWith('catalog.')) return AuthorizeResult.ALLOW;
      if (
        user === ALAN &&
        (name === 'audit.events.read' || name === 'audit.events.export')
      ) {
        return AuthorizeResult.ALLOW;
      }
      if (
        user === PAULA &&
        name === 'audit.entity.read' &&
        resourceRef === 'component:default/payment-gateway'
      ) {
        return AuthorizeResult.ALLOW;
      }
      return AuthorizeResult.DENY;
    };
    const userOf = (credentials: any) =>
      credentials?.principal?.type === 'user'
        ? credentials.principal.userEntityRef
        : undefined;
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

/** A plugin standing in for a fincloud capability: promotes a release, audited at high. */
let promotions = 0;
const releasesTestPlugin = createBackendPlugin({
  pluginId: 'releases',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        auditor: coreServices.auditor,
      },
      async init({ httpRouter, auditor }) {
        const router = Router();
        router.post('/promote/:name', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'release-promote',
            severityLevel: 'high',
            request: req,
            meta: {
              entityRef: `component:default/${req.params.name}`,
              weight: 50,
              authorization: 'Bearer abcdefghijklmnop',
            },
          });
          promotions += 1;
          await event.success({ meta: { promoted: true } });
          res.json({ ok: true });
        });
        router.post('/fail', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'release-rollback',
            severityLevel: 'critical',
            request: req,
          });
          await event.fail({ error: new Error('cluster said no') });
          res.status(500).json({ ok: false });
        });
        httpRouter.use(router);
      },
    });
  },
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'audit backend on %p',
  databaseId => {
    let knex: Knex;
    let store: DatabaseAuditStore;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: () => Promise<void>;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseAuditStore.create({
        database: knex,
        logger: mockServices.logger.mock(),
        signer,
        checkpointEvery: 100,
        spoolDirectory: fs.mkdtempSync(
          path.join(os.tmpdir(), 'audit-plugin-spool-'),
        ),
      });
      const backend = await startTestBackend({
        features: [
          auditPlugin,
          releasesTestPlugin,
          catalogPlugin,
          fincloudAuditorServiceFactory,
          createServiceFactory({
            service: auditStoreServiceRef,
            deps: {},
            factory: () => store,
          }),
          permissionsFactory,
          // Without an Authorization header the request has no credentials at all.
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                locations: [],
                rules: [{ allow: ['Component', 'User', 'Group'] }],
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
      await store?.stop();
    });

    async function events(query: string, user = ALAN): Promise<AuditPage> {
      await store.flush();
      const res = await request(server)
        .get(`/api/audit/events${query}`)
        .set('Authorization', mockCredentials.user.header(user));
      expect(res.status).toBe(200);
      return res.body;
    }

    it("persists every record of another plugin's event, before its action, with one correlation id", async () => {
      const before = promotions;
      const res = await request(server)
        .post('/api/releases/promote/payment-gateway')
        .set('Authorization', mockCredentials.user.header(PAULA));
      expect(res.status).toBe(200);
      expect(promotions).toBe(before + 1);

      const page = await events('?plugin=releases&eventId=release-promote');
      expect(page.items).toHaveLength(2);
      const [succeeded, initiated] = page.items;
      expect(initiated).toMatchObject({
        plugin: 'releases',
        eventId: 'release-promote',
        severity: 'high',
        status: 'initiated',
        actor: { type: 'user', ref: PAULA },
        entityRef: 'component:default/payment-gateway',
        request: {
          method: 'POST',
          path: '/api/releases/promote/payment-gateway',
        },
        meta: {
          entityRef: 'component:default/payment-gateway',
          weight: 50,
          authorization: '[REDACTED]',
        },
      });
      expect(succeeded).toMatchObject({
        status: 'succeeded',
        correlationId: initiated.correlationId,
        meta: { promoted: true, weight: 50 },
      });
      expect(succeeded.seq).toBeGreaterThan(initiated.seq);
    });

    it('records a failed critical event with its error', async () => {
      await request(server)
        .post('/api/releases/fail')
        .set('Authorization', mockCredentials.service.header());
      const page = await events('?eventId=release-rollback');
      expect(
        page.items.map((r: AuditRecord) => [r.status, r.severity, r.error]),
      ).toEqual([
        ['failed', 'critical', 'Error: cluster said no'],
        ['initiated', 'critical', undefined],
      ]);
      expect(page.items[0].actor.type).toBe('service');
    });

    it("lands Backstage's own catalog events in the store", async () => {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/payment-gateway')
        .set('Authorization', mockCredentials.user.header(PAULA));
      expect(res.status).toBe(404);
      const page = await events('?plugin=catalog&eventId=entity-fetch');
      const mine = page.items.filter(r => r.actor.ref === PAULA);
      // The catalog calls success() before it finds out the entity is missing, then fail().
      expect(mine.map(r => r.status).reverse()).toEqual([
        'initiated',
        'succeeded',
        'failed',
      ]);
      expect(new Set(mine.map(r => r.correlationId)).size).toBe(1);
      expect(mine[0]).toMatchObject({
        entityRef: 'component:default/payment-gateway',
        error: expect.stringMatching(
          /^NotFoundError: No entity named 'payment-gateway'/,
        ),
        request: {
          method: 'GET',
          path: '/api/catalog/entities/by-name/component/default/payment-gateway',
        },
      });
    });

    it('answers 401 without credentials on every route', async () => {
      for (const p of ['/events', '/events/export', '/verify']) {
        const res = await request(server).get(`/api/audit${p}`);
        expect(res.status).toBe(401);
      }
    });

    it('answers 403 to a user without audit permissions, and to an owner asking for everything', async () => {
      for (const [user, p] of [
        [GARY, '/events'],
        [GARY, '/events?entityRef=component:default/payment-gateway'],
        [GARY, '/verify'],
        [GARY, '/events/export'],
        [PAULA, '/events'],
        [PAULA, '/events?entityRef=component:default/risk-engine'],
        [PAULA, '/verify'],
        [PAULA, '/events/export?entityRef=component:default/payment-gateway'],
      ]) {
        const res = await request(server)
          .get(`/api/audit${p}`)
          .set('Authorization', mockCredentials.user.header(user));
        expect([user, p, res.status]).toEqual([user, p, 403]);
        expect(res.body.error.name).toBe('NotAllowedError');
      }
    });

    it("lets an owner read their entity's events only", async () => {
      const page = await events(
        '?entityRef=Component:default/Payment-Gateway',
        PAULA,
      );
      expect(page.items.length).toBeGreaterThan(0);
      expect(
        page.items.every(
          r => r.entityRef === 'component:default/payment-gateway',
        ),
      ).toBe(true);
    });

    it('answers 400 to bad parameters and changes nothing', async () => {
      await store.flush();
      const count = async () =>
        Number((await knex('audit_events').count({ n: '*' }))[0].n);
      const before = await count();
      for (const q of [
        '?limit=0',
        '?limit=501',
        '?limit=ten',
        '?severity=urgent',
        '?status=done,failed',
        '?from=yesterday',
        '?from=2026-02-01&to=2026-01-01',
        '?entityRef=payment-gateway',
        '?cursor=garbage',
        '?bogus=1',
        '?plugin=a&plugin=b',
      ]) {
        const res = await request(server)
          .get(`/api/audit/events${q}`)
          .set('Authorization', mockCredentials.user.header(ALAN));
        expect([q, res.status]).toEqual([q, 400]);
        expect(res.body.error.name).toBe('InputError');
      }
      const res = await request(server)
        .get('/api/audit/events/export?format=xml')
        .set('Authorization', mockCredentials.user.header(ALAN));
      expect(res.status).toBe(400);
      await store.flush();
      expect(await count()).toBe(before);
    });

    it('pages newest first with an opaque cursor', async () => {
      const first = await events('?limit=3');
      expect(first.items).toHaveLength(3);
      expect(first.items[0].seq).toBeGreaterThan(first.items[2].seq);
      const second = await events(
        `?limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`,
      );
      expect(second.items[0].seq).toBe(first.items[2].seq - 1);
    });

    it('exports with a chain proof the CLI verifier accepts, and audits the export at high severity', async () => {
      await store.flush();
      const dir = fs.mkdtempSync(
        path.join(os.tmpdir(), 'audit-plugin-export-'),
      );
      for (const format of ['csv', 'jsonl'] as const) {
        const res = await request(server)
          .get(`/api/audit/events/export?format=${format}&plugin=releases`)
          .set('Authorization', mockCredentials.user.header(ALAN))
          .buffer(true)
          .parse((r, cb) => {
            let data = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => (data += c));
            r.on('end', () => cb(null, data));
          });
        expect(res.status).toBe(200);
        expect(res.headers['content-disposition']).toMatch(
          new RegExp(`^attachment; filename="fincloud-audit-.*\\.${format}"$`),
        );
        const file = path.join(dir, `export.${format}`);
        fs.writeFileSync(file, res.body);
        const items = [];
        for await (const i of readAuditExportFile(file)) items.push(i);
        const result = await verifyAuditExport(items, signer);
        expect(result).toMatchObject({
          ok: true,
          checkpoint: { signatureValid: true },
        });
        expect(result.records).toBeGreaterThanOrEqual(4);
      }
      const page = await events('?plugin=audit&eventId=events-export');
      expect(page.items.filter(r => r.status === 'initiated')).toHaveLength(2);
      expect(
        page.items.every(r => r.severity === 'high' && r.actor.ref === ALAN),
      ).toBe(true);
      expect(
        page.items.find(r => r.status === 'succeeded')?.meta,
      ).toMatchObject({
        format: expect.any(String),
        records: expect.any(Number),
      });
    });

    it('verifies the chain for an auditor and records who looked, at low severity', async () => {
      await store.flush();
      const res = await request(server)
        .get('/api/audit/verify')
        .set('Authorization', mockCredentials.user.header(ALAN));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ok: true,
        head: { seq: expect.any(Number) },
      });
      expect(res.body.checked).toBe(res.body.head.seq);
      const reads = await events('?plugin=audit&eventId=events-read&limit=500');
      expect(reads.items.length).toBeGreaterThan(0);
      expect(reads.items.every(r => r.severity === 'low')).toBe(true);
    });
  },
);
