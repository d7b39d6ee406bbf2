import { randomUUID } from 'node:crypto';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { AuditorService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseRecordingStore } from '../recording/RecordingStore';
import { reapLostSessions } from '../tasks/reaper';
import { DatabaseTerminalStore } from './DatabaseTerminalStore';
import { NewSession } from './TerminalStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';

function session(over: Partial<NewSession> = {}): NewSession {
  return {
    id: randomUUID(),
    entityRef: PG,
    user: 'user:default/pete',
    mode: 'restricted',
    cluster: 'sim',
    namespace: 'payments',
    pod: 'payment-gateway-1',
    container: 'payment-gateway',
    startedAt: Date.now(),
    hasRecording: true,
    instanceId: 'replica-a',
    ...over,
  };
}

describe.each(databases.eachSupportedId())('DatabaseTerminalStore on %p', databaseId => {
  let knex: Knex;
  let store: DatabaseTerminalStore;
  const limits = { perUser: 2, perEntity: 3, staleBefore: 0 };

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await DatabaseTerminalStore.create({
      database: mockServices.database({ knex, migrations: { skip: false } }),
    });
  });

  it('admits sessions within the per-user and per-entity limits, ignoring ended and stale ones', async () => {
    const now = Date.now();
    expect(await store.createSessionWithinLimits(session(), limits)).toBe('ok');
    expect(await store.createSessionWithinLimits(session(), limits)).toBe('ok');
    expect(await store.createSessionWithinLimits(session(), limits)).toBe('user-limit');
    expect(await store.createSessionWithinLimits(session({ user: 'user:default/paula' }), limits)).toBe('ok');
    expect(await store.createSessionWithinLimits(session({ user: 'user:default/oscar' }), limits)).toBe('entity-limit');
    // a session on another entity is fine
    expect(
      await store.createSessionWithinLimits(session({ user: 'user:default/oscar', entityRef: RISK }), limits),
    ).toBe('ok');
    // stale sessions (their replica stopped beating) do not count
    expect(
      await store.createSessionWithinLimits(session({ user: 'user:default/oscar' }), { ...limits, staleBefore: now + 60_000 }),
    ).toBe('ok');
  });

  it('admits no more than the limit when creations race', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.createSessionWithinLimits(session(), limits)),
    );
    expect(results.filter(r => r === 'ok')).toHaveLength(2);
  });

  it('ends a session once, and only live sessions can be asked to terminate', async () => {
    const s = session();
    await store.createSessionWithinLimits(s, limits);
    expect(await store.pendingTerminations('replica-a')).toEqual([]);
    const requested = await store.requestTerminate(s.id, 'user:default/oscar', 'INC-1');
    expect(requested).toMatchObject({ id: s.id, live: true, terminateRequestedBy: 'user:default/oscar' });
    expect(await store.pendingTerminations('replica-a')).toEqual([{ id: s.id, by: 'user:default/oscar', reason: 'INC-1' }]);
    expect(await store.pendingTerminations('replica-b')).toEqual([]);
    expect(await store.endSession(s.id, { endedAt: Date.now(), endReason: 'terminated', terminatedBy: 'user:default/oscar' })).toBe(true);
    expect(await store.endSession(s.id, { endedAt: Date.now(), endReason: 'closed' })).toBe(false);
    expect(await store.getSession(s.id)).toMatchObject({ live: false, endReason: 'terminated', terminatedBy: 'user:default/oscar' });
    expect(await store.requestTerminate(s.id, 'user:default/oscar', 'again')).toBeUndefined();
  });

  it('lists newest first with filters, entity scopes and a stable cursor', async () => {
    const t = Date.UTC(2026, 10, 29, 12);
    const rows = [
      session({ startedAt: t, entityRef: PG }),
      session({ startedAt: t, entityRef: PG, user: 'user:default/paula' }),
      session({ startedAt: t - 1000, entityRef: RISK, user: 'user:default/oscar', mode: 'shell' }),
      session({ startedAt: t + 1000, entityRef: PG, user: 'user:default/oscar' }),
    ];
    for (const r of rows) await store.createSessionWithinLimits(r, { perUser: 9, perEntity: 9, staleBefore: 0 });
    await store.endSession(rows[0].id, { endedAt: t + 5, endReason: 'closed' });

    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listSessions({ limit: 1, cursor });
      all.push(...page.items.map(i => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    const tied = [rows[0].id, rows[1].id].sort().reverse();
    expect(all).toEqual([rows[3].id, ...tied, rows[2].id]);

    expect((await store.listSessions({ limit: 10, entityRefs: [RISK] })).items.map(i => i.id)).toEqual([rows[2].id]);
    expect((await store.listSessions({ limit: 10, entityRefs: [] })).items).toEqual([]);
    expect((await store.listSessions({ limit: 10, mode: 'shell' })).items.map(i => i.id)).toEqual([rows[2].id]);
    expect((await store.listSessions({ limit: 10, live: false })).items.map(i => i.id)).toEqual([rows[0].id]);
    expect((await store.listSessions({ limit: 10, user: 'user:default/paula' })).items).toHaveLength(1);
    expect((await store.listSessions({ limit: 10, entityRef: 'Component:default/Payment-Gateway' })).items).toHaveLength(3);
    expect(await store.distinctEntityRefs(10)).toEqual([PG, RISK]);
    await expect(store.listSessions({ limit: 1, cursor: 'x' })).rejects.toThrow(/cursor/);
  });

  it('keeps counters, the debug container and the command log', async () => {
    const s = session();
    await store.createSessionWithinLimits(s, limits);
    await store.updateCounters(s.id, { commands: 3, refused: 2, bytesOut: 12_345_678_901 });
    await store.setDebugContainer(s.id, 'fincloud-debug-1');
    await store.appendCommand(s.id, {
      seq: 2, at: new Date(1000).toISOString(), line: 'rm -rf /', argv: ['rm', '-rf', '/'],
      allowed: false, rule: 'binary-not-allowed:rm', message: 'no',
    });
    await store.appendCommand(s.id, {
      seq: 1, at: new Date(0).toISOString(), line: 'ls', argv: ['ls'],
      allowed: true, rule: 'allowed:ls', message: 'ok', exitCode: 0, durationMs: 12, bytesOut: 99,
    });
    expect(await store.getSession(s.id)).toMatchObject({
      commands: 3, refused: 2, bytesOut: 12_345_678_901, debugContainer: 'fincloud-debug-1',
    });
    expect(await store.listCommands(s.id)).toEqual([
      { seq: 1, at: new Date(0).toISOString(), line: 'ls', argv: ['ls'], allowed: true, rule: 'allowed:ls', message: 'ok', exitCode: 0, durationMs: 12, bytesOut: 99 },
      { seq: 2, at: new Date(1000).toISOString(), line: 'rm -rf /', argv: ['rm', '-rf', '/'], allowed: false, rule: 'binary-not-allowed:rm', message: 'no' },
    ]);
  });

  it('stores recordings in chunks and reads them back in order', async () => {
    const s = session();
    await store.createSessionWithinLimits(s, limits);
    const recordings = new DatabaseRecordingStore(store.knex);
    expect(await recordings.exists(s.id)).toBe(false);
    const chunks = Array.from({ length: 40 }, (_, i) => `[${i}, "o", "chunk ${i}"]\n`);
    for (let i = chunks.length - 1; i >= 0; i--) await recordings.append(s.id, i, chunks[i]);
    expect(await recordings.exists(s.id)).toBe(true);
    const read: string[] = [];
    for await (const c of recordings.read(s.id)) read.push(c);
    expect(read).toEqual(chunks);
    // A chunk is never overwritten. (Compared by outcome: better-sqlite3's
    // errors are not instances of the test realm's Error.)
    const second = await recordings.append(s.id, 3, 'again').then(
      () => 'stored',
      () => 'refused',
    );
    expect(second).toBe('refused');
    const again: string[] = [];
    for await (const c of recordings.read(s.id)) again.push(c);
    expect(again).toEqual(chunks);
  }, 30_000); // 40 sequential writes: slow on a loaded machine

  it('ends the sessions of a replica that stopped beating, with a high audit event', async () => {
    const events: any[] = [];
    const auditor: AuditorService = {
      async createEvent(options) {
        events.push({ ...options, status: 'initiated' });
        return {
          success: async p => void events.push({ ...options, meta: { ...options.meta, ...p?.meta }, status: 'succeeded' }),
          fail: async p => void events.push({ ...options, status: 'failed', error: p.error }),
        };
      },
    };
    const now = Date.now();
    const alive = session({ startedAt: now });
    const lost = session({ startedAt: now - 120_000, instanceId: 'replica-dead' });
    await store.createSessionWithinLimits(alive, limits);
    await store.createSessionWithinLimits(lost, limits);
    await store.heartbeat('replica-a', [alive.id, lost.id], now); // only its own sessions
    const ended = await reapLostSessions({
      store, auditor, logger: mockServices.logger.mock(), staleAfterMs: 60_000, now,
    });
    expect(ended).toBe(1);
    expect(await store.getSession(lost.id)).toMatchObject({ live: false, endReason: 'error' });
    expect(await store.getSession(alive.id)).toMatchObject({ live: true });
    expect(events.map(e => [e.eventId, e.severityLevel, e.status, e.meta.entityRef])).toEqual([
      ['terminal-session-lost', 'high', 'initiated', PG],
      ['terminal-session-lost', 'high', 'succeeded', PG],
    ]);
    // a second pass finds nothing
    expect(await reapLostSessions({ store, auditor, logger: mockServices.logger.mock(), staleAfterMs: 60_000, now })).toBe(0);
  });

  it('migrates down cleanly', async () => {
    await knex.migrate.rollback(
      { directory: require('node:path').resolve(__dirname, '../../migrations'), tableName: 'terminal_knex_migrations' },
      true,
    );
    expect(await knex.schema.hasTable('terminal_sessions')).toBe(false);
  });
});
