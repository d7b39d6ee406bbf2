import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ServiceUnavailableError } from '@backstage/errors';
import { AuditSeverity } from '@fincloud/plugin-audit-common';
import {
  AUDIT_GENESIS_HASH,
  chainHashOf,
  contentHashOf,
} from '../chain/canonical';
import { CheckpointSigner } from '../chain/signer';
import {
  auditCsvHeader,
  auditItemToCsv,
  auditItemToJsonl,
  readAuditExportFile,
  verifyAuditExport,
} from '../export/format';
import {
  DatabaseAuditStore,
  DatabaseAuditStoreOptions,
} from './DatabaseAuditStore';
import { rowToContent, contentToRow, EventRow } from './rows';
import { AuditEventInput, AuditExportItem } from './types';

jest.setTimeout(120_000);

const KEY = 'test-hmac-key-0123456789abcdef0123456789';
const signer = CheckpointSigner.hmac('test', KEY);
const logger = mockServices.logger.mock();

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function event(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    plugin: 'releases',
    eventId: 'release-promote',
    severity: 'medium',
    status: 'initiated',
    actor: { type: 'user', ref: 'user:default/paula' },
    entityRef: 'component:default/payment-gateway',
    request: { method: 'POST', path: '/api/releases/promote', ip: '10.0.0.1' },
    meta: { release: 'r-1', weight: 20 },
    correlationId: randomUUID(),
    ...overrides,
  };
}

/** Every file under a directory (the spool keeps one directory per instance). */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(e =>
      e.isDirectory()
        ? filesUnder(path.join(dir, e.name))
        : [path.join(dir, e.name)],
    );
}

function tmpDir(prefix: string) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A second connection pool to the same database (another backend replica). */
function anotherPool(knex: Knex): Knex {
  const config = knex.client.config as Knex.Config;
  return knexFactory({ ...config, pool: { min: 0, max: 4 } });
}

async function dropAppendOnlyGuards(knex: Knex) {
  // What an attacker with the database owner's rights does first.
  if (knex.client.config.client === 'pg') {
    await knex.raw('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await knex.raw('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
  } else {
    for (const t of ['audit_events', 'audit_checkpoints']) {
      await knex.raw(`DROP TRIGGER IF EXISTS ${t}_no_update`);
      await knex.raw(`DROP TRIGGER IF EXISTS ${t}_no_delete`);
    }
  }
}

describe.each(databases.eachSupportedId())(
  'DatabaseAuditStore on %p',
  databaseId => {
    let knex: Knex;
    const stores: DatabaseAuditStore[] = [];
    const pools: Knex[] = [];

    async function createStore(
      options: Partial<DatabaseAuditStoreOptions> = {},
      db: Knex = knex,
    ) {
      const store = await DatabaseAuditStore.create({
        database: db,
        logger,
        signer,
        checkpointEvery: 50,
        spoolDirectory: tmpDir('audit-spool-'),
        ...options,
      });
      stores.push(store);
      return store;
    }

    beforeEach(async () => {
      knex = await databases.init(databaseId);
    });

    afterEach(async () => {
      for (const s of stores.splice(0)) await s.stop({ timeoutMs: 2000 });
      for (const p of pools.splice(0)) await p.destroy();
    });

    it('appends, chains and answers queries newest first with keyset pages', async () => {
      const store = await createStore();
      for (let i = 0; i < 25; i++) {
        await store.append(
          event({
            severity: (
              ['low', 'medium', 'high', 'critical'] as AuditSeverity[]
            )[i % 4],
            status: i % 5 === 0 ? 'failed' : 'initiated',
            entityRef:
              i % 2
                ? 'component:default/payment-gateway'
                : 'component:default/risk-engine',
            actor: {
              type: 'user',
              ref: i % 3 ? 'user:default/paula' : 'user:default/rita',
            },
            meta: { n: i, note: i === 7 ? 'Canary Straße weight raised' : 'x' },
            error: i % 5 === 0 ? 'Boom' : undefined,
          }),
        );
      }
      await store.flush();

      const all = await store.query({ limit: 10 });
      expect(all.items.map(r => r.seq)).toEqual([
        25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
      ]);
      expect(all.nextCursor).toBeDefined();
      const page2 = await store.query({ limit: 10, cursor: all.nextCursor });
      expect(page2.items.map(r => r.seq)).toEqual([
        15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
      ]);
      const page3 = await store.query({ limit: 10, cursor: page2.nextCursor });
      expect(page3.items).toHaveLength(5);
      expect(page3.nextCursor).toBeUndefined();

      const first = page3.items[4];
      expect(first.prevHash).toBe(AUDIT_GENESIS_HASH);
      expect(first).toMatchObject({
        seq: 1,
        plugin: 'releases',
        eventId: 'release-promote',
        actor: { type: 'user', ref: 'user:default/rita' },
        request: {
          method: 'POST',
          path: '/api/releases/promote',
          ip: '10.0.0.1',
        },
        meta: { n: 0, note: 'x' },
        error: 'Boom',
      });
      expect(page3.items[3].prevHash).toBe(first.hash);

      const byEntity = await store.query({
        entityRef: 'component:default/risk-engine',
      });
      expect(byEntity.items).toHaveLength(13);
      expect(
        byEntity.items.every(
          r => r.entityRef === 'component:default/risk-engine',
        ),
      ).toBe(true);

      const byActor = await store.query({ actor: 'user:default/rita' });
      expect(byActor.items.map(r => r.meta.n)).toEqual([
        24, 21, 18, 15, 12, 9, 6, 3, 0,
      ]);

      const high = await store.query({ severity: ['high', 'critical'] });
      expect(high.items).toHaveLength(12);
      const failed = await store.query({ status: ['failed'] });
      expect(failed.items.map(r => r.seq)).toEqual([21, 16, 11, 6, 1]);

      // Free text is case-insensitive, Unicode included, on both engines.
      const text = await store.query({ q: 'STRASSE' });
      expect(text.items).toHaveLength(0);
      const text2 = await store.query({ q: 'STRAßE WEIGHT' });
      expect(text2.items.map(r => r.meta.n)).toEqual([7]);
      const percent = await store.query({ q: '%' });
      expect(percent.items).toHaveLength(0);
      expect((await store.query({ q: 'boom' })).items).toHaveLength(5);

      const none = await store.query({ from: '2999-01-01T00:00:00Z' });
      expect(none.items).toHaveLength(0);
      const some = await store.query({
        from: '2000-01-01T00:00:00Z',
        to: '2999-01-01T00:00:00Z',
        limit: 500,
      });
      expect(some.items).toHaveLength(25);

      expect(await store.verify()).toMatchObject({
        ok: true,
        checked: 25,
        head: { seq: 25 },
      });
    });

    it('rejects a malformed cursor', async () => {
      const store = await createStore();
      await expect(store.query({ cursor: 'bm9wZQ' })).rejects.toThrow(
        'Invalid cursor',
      );
    });

    it('redacts secrets before they are hashed or stored', async () => {
      const spool = tmpDir('audit-spool-');
      const store = await createStore({ spoolDirectory: spool });
      const jwt =
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwZXRlIn0.c2lnbmF0dXJlLXZhbHVl';
      await store.append(
        event({
          severity: 'low',
          meta: {
            password: 'hunter2',
            nested: { apiKey: 'k-123', clientSecret: { a: 1 }, ok: 'visible' },
            header: `Bearer ${jwt}`,
            list: ['fine', jwt],
          },
          request: {
            method: 'GET',
            path: '/api/x?token=abc&page=2',
            ip: '10.0.0.2',
          },
          error: `upstream said Bearer ${jwt}`,
        }),
      );
      await store.flush();
      const [rec] = (await store.query({})).items;
      expect(rec.meta).toEqual({
        password: '[REDACTED]',
        nested: {
          apiKey: '[REDACTED]',
          clientSecret: '[REDACTED]',
          ok: 'visible',
        },
        header: '[REDACTED]',
        list: ['fine', '[REDACTED]'],
      });
      expect(rec.request?.path).toBe('/api/x?token=[REDACTED]&page=2');
      expect(rec.error).toBe('upstream said [REDACTED]');
      const rows = await knex('audit_events').select(
        'meta',
        'search_text',
        'error',
      );
      expect(JSON.stringify(rows)).not.toMatch(/hunter2|k-123|eyJhbGci/);
      const spooled = filesUnder(spool)
        .map(f => fs.readFileSync(f, 'utf8'))
        .join('');
      expect(spooled).toContain('[REDACTED]');
      expect(spooled).not.toMatch(/hunter2|k-123|eyJhbGci/);
    });

    it('refuses updates and deletes of audit rows in the database itself', async () => {
      const store = await createStore();
      await store.append(event({ severity: 'high' }));
      await expect(
        knex('audit_events').update({ meta: '{}' }),
      ).rejects.toMatchObject({
        message: expect.stringMatching(/append-only/),
      });
      await expect(knex('audit_events').delete()).rejects.toMatchObject({
        message: expect.stringMatching(/append-only/),
      });
      expect(await knex('audit_events').count({ n: '*' })).toEqual([
        { n: expect.anything() },
      ]);
      expect(Number((await knex('audit_events').count({ n: '*' }))[0].n)).toBe(
        1,
      );
    });

    it('names the record whose meta was changed by one byte', async () => {
      const store = await createStore();
      for (let i = 0; i < 120; i++)
        await store.append(event({ severity: 'low', meta: { i } }));
      await store.flush();
      expect((await store.verify()).ok).toBe(true);

      await dropAppendOnlyGuards(knex);
      const row = await knex('audit_events').where({ seq: 77 }).first();
      await knex('audit_events')
        .where({ seq: 77 })
        .update({ meta: row.meta.replace('76', '79') });

      const result = await store.verify();
      expect(result.ok).toBe(false);
      expect(result.firstBroken).toEqual({
        seq: 77,
        reason: 'record 77 was altered: its content does not match its hash',
      });
      expect(result.checked).toBe(76);
    });

    it('names the gap when a record is deleted', async () => {
      const store = await createStore();
      for (let i = 0; i < 30; i++)
        await store.append(event({ severity: 'low', meta: { i } }));
      await store.flush();
      await dropAppendOnlyGuards(knex);
      await knex('audit_events').where({ seq: 12 }).delete();
      const result = await store.verify();
      expect(result.ok).toBe(false);
      expect(result.firstBroken?.seq).toBe(12);
      expect(result.firstBroken?.reason).toMatch(/record 12 is missing/);
    });

    it('detects a consistent rewrite of the whole chain through the signed checkpoints', async () => {
      const store = await createStore({ checkpointEvery: 10 });
      for (let i = 0; i < 40; i++)
        await store.append(event({ severity: 'low', meta: { amount: i } }));
      await store.flush();
      const before = await store.verify();
      expect(before).toMatchObject({
        ok: true,
        lastCheckpoint: { valid: true },
      });

      // Rewrite every record from 5 on with new content and recompute every hash: the chain is
      // self-consistent again, only the checkpoint signatures (HMAC key unknown) can tell.
      await dropAppendOnlyGuards(knex);
      const rows = (await knex('audit_events').orderBy(
        'seq',
        'asc',
      )) as EventRow[];
      let prev = AUDIT_GENESIS_HASH;
      for (const row of rows) {
        const content = rowToContent(row);
        if (content.seq >= 5) content.meta = JSON.stringify({ amount: 0 });
        const ch = contentHashOf(content);
        const h = chainHashOf(prev, ch);
        const { seq: _seq, ...rewritten } = contentToRow(content, ch, prev, h);
        await knex('audit_events').where({ seq: row.seq }).update(rewritten);
        prev = h;
      }
      await knex('audit_head').update({ hash: prev });
      const after = await store.verify();
      expect(after.ok).toBe(false);
      expect(after.firstBroken?.seq).toBe(
        Number(
          (
            await knex('audit_checkpoints')
              .where('seq', '>=', 5)
              .min({ s: 'seq' })
              .first()
          )?.s,
        ),
      );
      expect(after.firstBroken?.reason).toMatch(
        /does not match the chain: the chain up to \d+ was rewritten/,
      );

      // Re-signing with a guessed key does not help either.
      const forger = CheckpointSigner.hmac('test', 'x'.repeat(40));
      await knex('audit_checkpoints').delete();
      const cp = forger.sign({
        seq: 40,
        hash: prev,
        at: new Date().toISOString(),
      });
      await knex('audit_checkpoints').insert({
        seq: cp.seq,
        at: cp.at,
        hash: cp.hash,
        algorithm: cp.algorithm,
        key_id: cp.keyId,
        signature: cp.signature,
      });
      const forged = await store.verify();
      expect(forged.firstBroken).toEqual({
        seq: 40,
        reason: 'checkpoint at record 40 has an invalid signature',
      });
    });

    it('notices records cut off the end of the chain', async () => {
      const store = await createStore({ checkpointEvery: 5 });
      for (let i = 0; i < 12; i++)
        await store.append(event({ severity: 'low', meta: { i } }));
      await store.flush();
      await store.checkpointNow();
      await dropAppendOnlyGuards(knex);
      await knex('audit_events').where('seq', '>', 9).delete();
      const result = await store.verify();
      expect(result.firstBroken?.seq).toBe(10);
      expect(result.firstBroken?.reason).toMatch(
        /records 10 to 12 are missing/,
      );
    });

    it('keeps seq gapless and the chain valid with concurrent writers on separate pools', async () => {
      const isPg = databaseId.startsWith('POSTGRES');
      const writers: DatabaseAuditStore[] = [];
      for (let w = 0; w < 4; w++) {
        // Postgres: four replicas, each with its own connection pool. SQLite has one connection
        // per file, so its writers share the pool.
        let db = knex;
        if (isPg) {
          db = anotherPool(knex);
          pools.push(db);
        }
        writers.push(await createStore({ batchSize: 50 }, db));
      }
      const perWriter = 600;
      await Promise.all(
        writers.map(async (s, w) => {
          const pending: Promise<void>[] = [];
          for (let i = 0; i < perWriter; i++) {
            const severity: AuditSeverity = i % 10 === 0 ? 'high' : 'low';
            pending.push(s.append(event({ severity, meta: { w, i } })));
            if (i % 50 === 0) await new Promise(r => setImmediate(r));
          }
          await Promise.all(pending);
          await s.flush();
        }),
      );
      const rows = await knex('audit_events')
        .select('seq', 'id')
        .orderBy('seq', 'asc');
      expect(rows).toHaveLength(4 * perWriter);
      expect(rows.map(r => Number(r.seq))).toEqual(
        Array.from({ length: 4 * perWriter }, (_, i) => i + 1),
      );
      expect(new Set(rows.map(r => r.id)).size).toBe(4 * perWriter);
      const result = await writers[0].verify();
      expect(result).toMatchObject({ ok: true, checked: 4 * perWriter });
    });

    it('replays the spool of an earlier run idempotently before new events', async () => {
      const spool = tmpDir('audit-spool-');
      const first = await createStore({ spoolDirectory: spool });
      for (let i = 0; i < 10; i++)
        await first.append(event({ severity: 'low', meta: { i } }));
      await first.flush();
      // An earlier process wrote these lines to its spool and died before delivering them; the
      // first 10 records are in both the table and a spool file (already delivered).
      const prepared = (await knex('audit_events').orderBy('seq')).map(
        (r: EventRow) => {
          const c = rowToContent(r);
          const { seq: _s, ...rec } = c;
          return rec;
        },
      );
      const lost = Array.from({ length: 5 }, (_, i) => ({
        ...prepared[0],
        id: randomUUID(),
        meta: JSON.stringify({ lost: i }),
      }));
      fs.writeFileSync(
        path.join(spool, 'spool-deadhost-1-1-000001.jsonl'),
        `${[...prepared, ...lost]
          .map(r => JSON.stringify(r))
          .join('\n')}\n{"torn":`,
      );
      const second = await createStore({ spoolDirectory: spool });
      await second.append(event({ severity: 'low', meta: { after: true } }));
      await second.flush();
      const rows = await knex('audit_events').orderBy('seq');
      expect(rows).toHaveLength(16);
      expect(
        rows.slice(10, 15).map((r: EventRow) => JSON.parse(r.meta).lost),
      ).toEqual([0, 1, 2, 3, 4]);
      expect(JSON.parse(rows[15].meta)).toEqual({ after: true });
      expect(filesUnder(spool).filter(f => f.includes('deadhost'))).toEqual([]);
      expect((await second.verify()).ok).toBe(true);
    });

    it("adopts the spool of a dead instance, never a live one's", async () => {
      const spool = tmpDir('audit-spool-');
      const line = (meta: string) =>
        `${JSON.stringify({
          id: randomUUID(),
          at: new Date().toISOString(),
          plugin: 'releases',
          eventId: 'release-promote',
          severity: 'low',
          status: 'initiated',
          actorType: 'none',
          actorRef: null,
          entityRef: null,
          requestMethod: null,
          requestPath: null,
          requestIp: null,
          meta,
          error: null,
          correlationId: 'c',
        })}\n`;
      const instance = (name: string, pid: number, meta: string) => {
        const dir = path.join(spool, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(
          path.join(dir, 'lock.json'),
          JSON.stringify({ host: os.hostname(), pid }),
        );
        fs.writeFileSync(path.join(dir, 'spool-x-000001.jsonl'), line(meta));
        return dir;
      };
      // A pid that is not running: a child that has exited.
      const dead = require('node:child_process').spawnSync(process.execPath, [
        '-e',
        '0',
      ]).pid;
      const deadDir = instance('instance-dead', dead, '{"from":"dead"}');
      // The parent of this test process is alive: another backend writing right now.
      const liveDir = instance(
        'instance-live',
        process.ppid,
        '{"from":"live"}',
      );

      const store = await createStore({ spoolDirectory: spool });
      await store.flush();
      const metas = (await knex('audit_events').select('meta')).map(
        (r: { meta: string }) => r.meta,
      );
      expect(metas).toEqual(['{"from":"dead"}']);
      expect(fs.existsSync(deadDir)).toBe(false);
      expect(fs.readdirSync(liveDir).sort()).toEqual([
        'lock.json',
        'spool-x-000001.jsonl',
      ]);
    });

    it('holds buffered events past the memory bound in the spool and delivers all in order', async () => {
      const store = await createStore({ maxQueuedEvents: 20, batchSize: 7 });
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const id = randomUUID();
        ids.push(id);
        await store.append(event({ id, severity: 'low', meta: { i } }));
      }
      expect(store.status().queued).toBeLessThanOrEqual(20 + 7);
      await store.flush();
      const rows = await knex('audit_events').orderBy('seq').select('id');
      expect(rows.map((r: { id: string }) => r.id)).toEqual(ids);
      expect(store.status()).toMatchObject({ overflow: false, queued: 0 });
    });

    it('exports a filtered range with a proof that the verifier accepts, and rejects an edited file', async () => {
      const store = await createStore({ checkpointEvery: 1000 });
      for (let i = 0; i < 60; i++) {
        await store.append(
          event({
            severity: 'low',
            entityRef:
              i % 3 === 0
                ? 'component:default/risk-engine'
                : 'component:default/user-portal',
            meta: { i, text: 'plain' },
            error: (
              {
                3: '=cmd|"/c calc"!A1',
                6: 'line one\nline "two", with comma',
              } as Record<number, string>
            )[i],
          }),
        );
      }
      await store.flush();
      const items: AuditExportItem[] = [];
      for await (const item of store.export({
        query: { entityRef: 'component:default/risk-engine' },
        checkpointFirst: true,
      })) {
        items.push(item);
      }
      expect(items.filter(i => i.type === 'record')).toHaveLength(20);
      expect(items.filter(i => i.type === 'link')).toHaveLength(60 - 1 - 19);
      expect(items[items.length - 2]).toMatchObject({
        type: 'checkpoint',
        seq: 60,
      });
      expect(await verifyAuditExport(items, signer)).toMatchObject({
        ok: true,
        records: 20,
        links: 40,
        fromSeq: 1,
        toSeq: 58,
        checkpoint: { seq: 60, signatureValid: true },
      });

      const dir = tmpDir('audit-export-');
      const jsonl = path.join(dir, 'e.jsonl');
      const csv = path.join(dir, 'e.csv');
      fs.writeFileSync(jsonl, items.map(auditItemToJsonl).join(''));
      fs.writeFileSync(
        csv,
        auditCsvHeader() + items.map(auditItemToCsv).join(''),
      );
      for (const file of [jsonl, csv]) {
        const parsed: AuditExportItem[] = [];
        for await (const i of readAuditExportFile(file)) parsed.push(i);
        expect(await verifyAuditExport(parsed, signer)).toMatchObject({
          ok: true,
          records: 20,
        });
      }
      expect(fs.readFileSync(csv, 'utf8')).toContain(`"'=cmd`);

      // One record edited in the CSV (the actor), and one record dropped from the JSONL.
      const editedCsv = fs
        .readFileSync(csv, 'utf8')
        .replace('user:default/paula', 'user:default/pauly');
      fs.writeFileSync(csv, editedCsv);
      const parsedCsv: AuditExportItem[] = [];
      for await (const i of readAuditExportFile(csv)) parsedCsv.push(i);
      expect(await verifyAuditExport(parsedCsv, signer)).toMatchObject({
        ok: false,
        firstBroken: {
          seq: 1,
          reason: 'record 1 was altered: its content does not match its hash',
        },
      });
      const withoutOne = items.filter(
        i => !(i.type === 'record' && i.seq === 31),
      );
      expect(
        (await verifyAuditExport(withoutOne, signer)).firstBroken?.seq,
      ).toBe(31);
    });

    it('archives old records with their proof, keeps the rows and the chain valid', async () => {
      let now = new Date('2026-01-01T00:00:00Z');
      const store = await createStore({
        clock: () => now,
        checkpointEvery: 1000,
      });
      for (let i = 0; i < 30; i++) {
        now = new Date(Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000);
        await store.append(event({ severity: 'low', meta: { day: i } }));
      }
      await store.flush();
      const dir = tmpDir('audit-archive-');
      now = new Date('2026-01-31T00:00:00Z');
      const archives = await store.archive({
        olderThan: new Date('2026-01-21T00:00:00Z'),
        directory: dir,
        maxRecordsPerFile: 15,
      });
      expect(archives.map(a => [a.fromSeq, a.toSeq])).toEqual([
        [1, 15],
        [16, 20],
      ]);
      for (const a of archives) {
        const items: AuditExportItem[] = [];
        for await (const i of readAuditExportFile(a.file)) items.push(i);
        const result = await verifyAuditExport(items, signer);
        expect(result).toMatchObject({
          ok: true,
          fromSeq: a.fromSeq,
          toSeq: a.toSeq,
        });
      }
      // Nothing new to archive a second time.
      expect(
        await store.archive({
          olderThan: new Date('2026-01-21T00:00:00Z'),
          directory: dir,
        }),
      ).toEqual([]);
      expect(await store.listArchives()).toHaveLength(2);
      expect(Number((await knex('audit_events').count({ n: '*' }))[0].n)).toBe(
        30,
      );
      expect((await store.verify()).ok).toBe(true);
    });

    it('sets aside a record the database refuses so the rest of the trail keeps flowing', async () => {
      const spool = tmpDir('audit-spool-');
      const store = await createStore({
        spoolDirectory: spool,
        retryInitialMs: 20,
        retryMaxMs: 50,
      });
      // A database rule that refuses one record's data (what a constraint violation looks like).
      if (databaseId.startsWith('POSTGRES')) {
        await knex.raw(`CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
        BEGIN IF NEW.meta LIKE '%poison%' THEN
          RAISE EXCEPTION 'poison refused' USING ERRCODE = 'check_violation'; END IF;
        RETURN NEW; END; $$ LANGUAGE plpgsql`);
        await knex.raw(`CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_events
        FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
      } else {
        await knex.raw(`CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_events
        WHEN NEW.meta LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`);
      }
      await expect(
        store.append(event({ severity: 'high', meta: { poison: true } })),
      ).rejects.toThrow(
        /audit trail unavailable; action refused: .*poison refused/,
      );
      for (let i = 0; i < 20; i++) {
        await store.append(
          event({ severity: 'low', meta: i === 7 ? { poison: i } : { i } }),
        );
      }
      const rejectedFile = () =>
        filesUnder(spool).find(f => f.endsWith('rejected.jsonl'));
      for (let i = 20; i < 400 && !rejectedFile(); i++) {
        await store.append(event({ severity: 'low', meta: { i } }));
        await new Promise(r => setTimeout(r, 25));
      }
      await store.flush();
      expect(
        JSON.parse(fs.readFileSync(rejectedFile()!, 'utf8')),
      ).toMatchObject({
        error: expect.stringContaining('poison refused'),
        record: { meta: '{"poison":7}' },
      });
      const metas = (await knex('audit_events').orderBy('seq')).map(
        (r: EventRow) => JSON.parse(r.meta),
      );
      expect(metas.slice(0, 19).map(m => m.i)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
      ]);
      expect(metas.some(m => 'poison' in m)).toBe(false);
      expect((await store.verify()).ok).toBe(true);
    });

    it('refuses a high event with ServiceUnavailableError when it cannot be written, keeps low ones', async () => {
      const store = await createStore({
        failClosedTimeoutMs: 2000,
        retryInitialMs: 50,
        retryMaxMs: 200,
      });
      await store.append(event({ severity: 'high', meta: { n: 1 } }));
      // The head row every writer locks goes missing (a real outage is in the fault tests).
      await knex.schema.renameTable('audit_head', 'audit_head_away');
      await expect(
        store.append(event({ severity: 'critical', meta: { n: 2 } })),
      ).rejects.toThrow(ServiceUnavailableError);
      await expect(
        store.append(event({ severity: 'high', meta: { n: 3 } })),
      ).rejects.toThrow(/audit trail unavailable; action refused/);
      await store.append(event({ severity: 'low', meta: { n: 4 } }));
      expect(store.status().failures).toBeGreaterThan(0);
      await knex.schema.renameTable('audit_head_away', 'audit_head');
      await store.flush({ timeoutMs: 10_000 });
      const metas = (await knex('audit_events').orderBy('seq')).map(
        (r: EventRow) => JSON.parse(r.meta).n,
      );
      expect(metas).toEqual([1, 4]);
      expect((await store.verify()).ok).toBe(true);
    });
  },
);
