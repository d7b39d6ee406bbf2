import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Knex } from 'knex';
import { ConfigReader } from '@backstage/config';
import { AuditorService } from '@backstage/backend-plugin-api';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  readAuditExportFile,
  verifyAuditExport,
} from '@fincloud/plugin-audit-node';
import { runRetention, runScheduledVerify } from './tasks';

const signer = CheckpointSigner.hmac(
  't',
  'tasks-test-hmac-key-0123456789abcdef',
);
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** Records what the tasks audit. */
function recordingAuditor() {
  const events: Array<{
    eventId: string;
    severity?: string;
    status: string;
    meta?: unknown;
  }> = [];
  const auditor: AuditorService = {
    async createEvent(options) {
      events.push({
        eventId: options.eventId,
        severity: options.severityLevel,
        status: 'initiated',
        meta: options.meta,
      });
      return {
        async success(p) {
          events.push({
            eventId: options.eventId,
            status: 'succeeded',
            meta: p?.meta,
          });
        },
        async fail(p) {
          events.push({
            eventId: options.eventId,
            status: 'failed',
            meta: p.error.message,
          });
        },
      };
    },
  };
  return { auditor, events };
}

describe.each(databases.eachSupportedId())('audit tasks on %p', databaseId => {
  let knex: Knex;
  let store: DatabaseAuditStore;
  let now: Date;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    now = new Date('2026-01-01T00:00:00Z');
    store = await DatabaseAuditStore.create({
      database: knex,
      logger: mockServices.logger.mock(),
      signer,
      clock: () => now,
    });
    for (let day = 0; day < 40; day++) {
      now = new Date(Date.UTC(2026, 0, 1 + day));
      await store.append({
        plugin: 'releases',
        eventId: 'release-promote',
        severity: 'high',
        status: 'initiated',
        actor: { type: 'user', ref: 'user:default/paula' },
        meta: { day },
        correlationId: `c-${day}`,
      });
    }
  });

  afterEach(async () => {
    await store.stop();
  });

  it('archives what is older than the retention, with a proof, and audits it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-retention-'));
    const { auditor, events } = recordingAuditor();
    const config = new ConfigReader({
      fincloud: { audit: { retention: 30, archiveDirectory: dir } },
    });
    const archives = await runRetention({
      store,
      config,
      auditor,
      logger: mockServices.logger.mock(),
      now: new Date('2026-02-10T12:00:00Z'),
    });
    // Older than 2026-01-11T12:00Z: days 0..10.
    expect(archives.map(a => [a.fromSeq, a.toSeq])).toEqual([[1, 11]]);
    const items = [];
    for await (const i of readAuditExportFile(archives[0].file)) items.push(i);
    expect(await verifyAuditExport(items, signer)).toMatchObject({
      ok: true,
      records: 11,
    });
    expect(events.map(e => [e.eventId, e.status])).toEqual([
      ['retention-archive', 'initiated'],
      ['retention-archive', 'succeeded'],
    ]);
    expect(events[0].severity).toBe('medium');
    expect(Number((await knex('audit_events').count({ n: '*' }))[0].n)).toBe(
      40,
    );
    expect((await store.verify()).ok).toBe(true);
  });

  it('archives nothing without a retention setting', async () => {
    const { auditor, events } = recordingAuditor();
    expect(
      await runRetention({
        store,
        config: new ConfigReader({}),
        auditor,
        logger: mockServices.logger.mock(),
      }),
    ).toEqual([]);
    expect(events).toEqual([]);
  });

  it('records a broken chain found by the scheduled verification as critical', async () => {
    const { auditor, events } = recordingAuditor();
    const logger = mockServices.logger.mock();
    expect((await runScheduledVerify({ store, auditor, logger })).ok).toBe(
      true,
    );
    expect(events).toEqual([]);
    if (knex.client.config.client === 'pg') {
      await knex.raw('ALTER TABLE audit_events DISABLE TRIGGER USER');
    } else {
      await knex.raw('DROP TRIGGER audit_events_no_update');
    }
    await knex('audit_events')
      .where({ seq: 17 })
      .update({ actor_ref: 'user:default/pete' });
    const result = await runScheduledVerify({ store, auditor, logger });
    expect(result.firstBroken?.seq).toBe(17);
    expect(events[0]).toMatchObject({
      eventId: 'chain-broken',
      severity: 'critical',
      meta: { firstBroken: { seq: 17 } },
    });
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('BROKEN at record 17'),
    );
  });
});
