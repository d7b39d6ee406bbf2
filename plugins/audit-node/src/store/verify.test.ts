import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import {
  AUDIT_GENESIS_HASH,
  chainHashOf,
  contentHashOf,
} from '../chain/canonical';
import { CheckpointSigner } from '../chain/signer';
import { DatabaseAuditStore } from './DatabaseAuditStore';
import { EventRow, contentToRow, rowToContent } from './rows';
import { verifyAuditTrail } from './verify';

jest.setTimeout(120_000);

const signer = CheckpointSigner.hmac(
  'v',
  'verify-test-hmac-key-0123456789abcdef',
);
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/**
 * The parallel walk (worker threads, each with its own connection, every
 * other page) must find exactly what the sequential walk finds, for an
 * intact chain and for every kind of tampering, wherever it falls relative
 * to page boundaries.
 */
describe.each(databases.eachSupportedId())(
  'parallel verify on %p',
  databaseId => {
    let knex: Knex;
    let file: Knex | undefined;

    beforeEach(async () => {
      if (databaseId === 'SQLITE_3') {
        // Workers need a database they can open: an SQLite file, not memory.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-verify-'));
        file = knexFactory({
          client: 'better-sqlite3',
          connection: { filename: path.join(dir, 'audit.sqlite') },
          useNullAsDefault: true,
        });
        knex = file;
      } else {
        knex = await databases.init(databaseId);
      }
      const store = await DatabaseAuditStore.create({
        database: knex,
        logger: mockServices.logger.mock(),
        signer,
        checkpointEvery: 250,
      });
      for (let i = 0; i < 1234; i++) {
        await store.append({
          plugin: 'releases',
          eventId: 'release-promote',
          severity: 'low',
          status: 'initiated',
          actor: { type: 'user', ref: 'user:default/rita' },
          meta: { i, note: i % 7 ? 'x' : 'ünïcödé "quoted"\nline' },
          correlationId: `c-${i}`,
        });
      }
      await store.stop();
      if (knex.client.config.client === 'pg') {
        await knex.raw('ALTER TABLE audit_events DISABLE TRIGGER USER');
        await knex.raw('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
      } else {
        for (const t of ['audit_events', 'audit_checkpoints']) {
          await knex.raw(`DROP TRIGGER ${t}_no_update`);
          await knex.raw(`DROP TRIGGER ${t}_no_delete`);
        }
      }
    });

    afterEach(async () => {
      await file?.destroy();
      file = undefined;
    });

    async function both() {
      const sequential = await verifyAuditTrail(knex, signer, {
        parallel: false,
        pageSize: 100,
      });
      const parallel = await verifyAuditTrail(knex, signer, {
        parallel: true,
        pageSize: 100,
        workers: 3,
      });
      const pick = (r: typeof sequential) => ({
        ok: r.ok,
        checked: r.checked,
        firstBroken: r.firstBroken,
        lastCheckpoint: r.lastCheckpoint,
      });
      expect(pick(parallel)).toEqual(pick(sequential));
      return sequential;
    }

    async function rewriteFrom(seq: number) {
      const rows = (await knex('audit_events').orderBy(
        'seq',
        'asc',
      )) as EventRow[];
      let prev = AUDIT_GENESIS_HASH;
      for (const row of rows) {
        const content = rowToContent(row);
        if (content.seq >= seq) content.meta = '{"rewritten":true}';
        const ch = contentHashOf(content);
        const h = chainHashOf(prev, ch);
        if (content.seq >= seq) {
          const { seq: _s, ...rest } = contentToRow(content, ch, prev, h);
          await knex('audit_events').where({ seq: row.seq }).update(rest);
        }
        prev = h;
      }
    }

    it('agrees on an intact chain', async () => {
      expect(await both()).toMatchObject({
        ok: true,
        checked: 1234,
        lastCheckpoint: { valid: true },
      });
    });

    it.each([1, 100, 101, 555, 1234])(
      'agrees when the meta of record %p is changed',
      async seq => {
        await knex('audit_events').where({ seq }).update({ meta: '{"i":-1}' });
        expect((await both()).firstBroken?.seq).toBe(seq);
      },
    );

    it.each([1, 200, 201, 777])(
      'agrees when record %p is deleted',
      async seq => {
        await knex('audit_events').where({ seq }).delete();
        expect((await both()).firstBroken?.reason).toMatch(
          new RegExp(`^record ${seq} is missing`),
        );
      },
    );

    it.each([301, 450])(
      'agrees when the prevHash of record %p is replaced',
      async seq => {
        await knex('audit_events')
          .where({ seq })
          .update({ prev_hash: 'f'.repeat(64) });
        expect((await both()).firstBroken?.seq).toBe(seq);
      },
    );

    it.each([2, 99, 400])(
      'agrees on a consistent rewrite from record %p',
      async seq => {
        await rewriteFrom(seq);
        expect((await both()).firstBroken?.reason).toMatch(
          /does not match the chain/,
        );
      },
    );

    it('agrees on a forged checkpoint signature and on a cut-off tail', async () => {
      const [, second] = await knex('audit_checkpoints').orderBy('seq', 'asc');
      const seq = Number(second.seq);
      await knex('audit_checkpoints')
        .where({ seq })
        .update({ signature: 'AAAA' });
      expect((await both()).firstBroken?.reason).toBe(
        `checkpoint at record ${seq} has an invalid signature`,
      );
      await knex('audit_checkpoints').where({ seq }).delete();
      await knex('audit_events').where('seq', '>', 1100).delete();
      expect((await both()).firstBroken?.reason).toMatch(
        /^records 1101 to \d+ are missing/,
      );
    });
  },
);
