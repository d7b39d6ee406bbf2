import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { FilesystemLogObjectStore } from '../logs/LogObjectStore';
import { DatabaseBuildsStore } from './DatabaseBuildsStore';
import { LogCursor, NewBuild } from './types';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const PORTAL = 'component:default/user-portal';
const GATEWAY = 'component:default/payment-gateway';
const DAY = 86_400_000;

function newBuild(overrides: Partial<NewBuild> = {}): NewBuild {
  return {
    entityRef: PORTAL,
    buildType: 'generic',
    language: 'node',
    branch: 'main',
    triggeredBy: 'user:default/pete',
    cluster: 'sim',
    namespace: 'fincloud-builds',
    steps: [
      { name: 'clone', status: 'queued' },
      { name: 'scan', status: 'queued' },
      { name: 'build', status: 'queued' },
    ],
    spec: {
      sourceRepo: 'https://git.fincloud.example/web/user-portal.git',
      imageRepository: 'registry.fincloud.example/web/user-portal',
      tag: '1-main',
      scan: { enabled: true, failOn: 'high' },
      attempts: [],
    },
    ...overrides,
  };
}

const cursor = (lines: number): LogCursor => ({
  done: [],
  pod: 'p',
  container: 'build',
  lines,
  atLastTs: 0,
});

describe.each(databases.eachSupportedId())('DatabaseBuildsStore on %p', id => {
  let knex: Knex;
  let store: DatabaseBuildsStore;

  beforeAll(async () => {
    knex = await databases.init(id);
    store = await DatabaseBuildsStore.create({ database: knex });
  });

  afterEach(async () => {
    await knex('builds').delete();
    await knex('build_log_chunks').delete();
    await knex('build_dockerfiles').delete();
    await knex('build_waivers').delete();
  });

  it('numbers the builds of each entity 1, 2, 3 …, even when triggered at once', async () => {
    const made = await Promise.all(
      Array.from({ length: 8 }, () => store.createBuild(newBuild())),
    );
    expect(made.map(b => b.number).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    const other = await store.createBuild(newBuild({ entityRef: GATEWAY }));
    expect(other.number).toBe(1);
    expect(other).toMatchObject({
      status: 'queued',
      entityRef: GATEWAY,
      triggeredBy: 'user:default/pete',
      version: 0,
      logLines: 0,
      logComplete: false,
    });
  });

  it('pages history newest first with a keyset cursor and applies every filter', async () => {
    const base = Date.UTC(2026, 10, 1);
    for (let i = 0; i < 25; i++) {
      await store.createBuild(
        newBuild({
          branch: i % 2 ? 'main' : 'feature/x',
          triggeredBy: i % 3 ? 'user:default/pete' : 'user:default/paula',
          buildType: i % 5 ? 'generic' : 'compile-then-build',
          createdAt: base + i * 60_000,
        }),
      );
    }
    const first = await store.listBuilds(PORTAL, {}, { limit: 10 });
    expect(first.items.map(b => b.number)).toEqual([
      25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
    ]);
    const second = await store.listBuilds(
      PORTAL,
      {},
      { limit: 10, cursor: first.nextCursor },
    );
    expect(second.items[0].number).toBe(15);
    const third = await store.listBuilds(
      PORTAL,
      {},
      { limit: 10, cursor: second.nextCursor },
    );
    expect(third.items.map(b => b.number)).toEqual([5, 4, 3, 2, 1]);
    expect(third.nextCursor).toBeUndefined();

    const filtered = await store.listBuilds(
      PORTAL,
      {
        branch: 'main',
        triggeredBy: 'user:default/pete',
        buildType: ['generic'],
        from: base + 5 * 60_000,
        to: base + 20 * 60_000,
      },
      { limit: 100 },
    );
    // i in [5, 20): odd (main), not a multiple of 3 (pete), not a multiple of 5 (generic)
    expect(filtered.items.map(b => b.number)).toEqual(
      [20, 18, 14, 12, 8].map(n => n),
    );
    expect(
      filtered.items.every(
        b =>
          b.branch === 'main' &&
          b.triggeredBy === 'user:default/pete' &&
          b.buildType === 'generic',
      ),
    ).toBe(true);
    await expect(
      store.listBuilds(PORTAL, {}, { limit: 10, cursor: 'garbage!' }),
    ).rejects.toThrow(/cursor/);
  });

  it('changes a build only under the version it read (optimistic lock)', async () => {
    const build = await store.createBuild(newBuild());
    expect(
      await store.updateBuild(build.id, 0, {
        status: 'running',
        startedAt: Date.parse(build.createdAt) + 1500,
        steps: [{ name: 'clone', status: 'running' }],
      }),
    ).toBe(true);
    // A second replica that read version 0 loses.
    expect(
      await store.updateBuild(build.id, 0, { status: 'failed', error: 'x' }),
    ).toBe(false);
    const after = await store.getBuild(build.id);
    expect(after).toMatchObject({
      status: 'running',
      version: 1,
      queueMs: 1500,
    });
    expect(after?.error).toBeUndefined();
  });

  it('computes success rate, duration percentiles, queue time and a daily trend', async () => {
    const now = Date.UTC(2026, 10, 30, 12);
    const today = Date.UTC(2026, 10, 30);
    const outcomes: Array<[string, number, number]> = [
      // status, day offset, duration s
      ['succeeded', 0, 60],
      ['succeeded', 0, 120],
      ['failed', 0, 30],
      ['succeeded', 1, 90],
      ['cancelled', 1, 10],
      ['succeeded', 3, 300],
      ['failed', 10, 45], // outside 7d
    ];
    for (const [status, dayOffset, seconds] of outcomes) {
      const created = today - dayOffset * DAY + 3600_000;
      const b = await store.createBuild(newBuild({ createdAt: created }));
      await store.updateBuild(b.id, 0, {
        status: status as any,
        startedAt: created + 5000,
        finishedAt: created + 5000 + seconds * 1000,
      });
    }
    const stats = await store.stats(PORTAL, '7d', now);
    expect(stats).toMatchObject({
      window: '7d',
      total: 6,
      succeeded: 4,
      failed: 1,
      cancelled: 1,
      successRate: 0.8,
      durationP50Ms: 90_000,
      durationP90Ms: 300_000,
      queueP50Ms: 5000,
    });
    expect(stats.trend).toHaveLength(7);
    expect(stats.trend[6]).toEqual({
      day: '2026-11-30',
      succeeded: 2,
      failed: 1,
      durationP50Ms: 60_000,
    });
    expect(stats.trend[5]).toMatchObject({ day: '2026-11-29', succeeded: 1 });
    const wide = await store.stats(PORTAL, '30d', now);
    expect(wide.failed).toBe(2);
    const empty = await store.stats(GATEWAY, '7d', now);
    expect(empty).toMatchObject({
      total: 0,
      successRate: null,
      durationP50Ms: null,
    });
  });

  it('stores log chunks exactly once and reads any range of lines back', async () => {
    const build = await store.createBuild(newBuild());
    const lines = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `line ${from + i}`);
    expect(
      await store.appendLog(build.id, 0, lines(0, 1000), cursor(1000)),
    ).toBe(true);
    expect(
      await store.appendLog(build.id, 1000, lines(1000, 500), cursor(1500)),
    ).toBe(true);
    // A second follower that thinks only 1000 lines are stored cannot add a duplicate.
    expect(
      await store.appendLog(build.id, 1000, lines(1000, 500), cursor(1500)),
    ).toBe(false);
    expect(
      await store.appendLog(build.id, 1500, lines(1500, 7), cursor(1507)),
    ).toBe(true);
    const record = await store.getBuild(build.id);
    expect(record?.logLines).toBe(1507);
    expect(record?.logCursor).toMatchObject({ lines: 1507 });

    expect(await store.readLog(build.id, 0, 3)).toEqual([
      'line 0',
      'line 1',
      'line 2',
    ]);
    const across = await store.readLog(build.id, 995, 10);
    expect(across).toEqual(lines(995, 10));
    expect(await store.readLog(build.id, 1500, 100)).toEqual(lines(1500, 7));
    expect(await store.readLog(build.id, 5000, 10)).toEqual([]);

    const all: string[] = [];
    for await (const chunk of store.streamLog(build.id)) all.push(...chunk);
    expect(all).toEqual(lines(0, 1507));

    const found = await store.searchLog(build.id, 'LINE 150', 5);
    expect(found).toEqual({
      matches: [150, 1500, 1501, 1502, 1503].map(n => ({
        line: n,
        text: `line ${n}`,
      })),
      truncated: true,
    });
    expect(await store.searchLog(build.id, 'line 1506', 10)).toEqual({
      matches: [{ line: 1506, text: 'line 1506' }],
      truncated: false,
    });
  });

  it('keeps chunk lines in an object store when one is configured', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'builds-objects-'));
    const objects = new FilesystemLogObjectStore(dir);
    const withObjects = await DatabaseBuildsStore.create({
      database: knex,
      objectStore: objects,
    });
    const build = await withObjects.createBuild(newBuild());
    await withObjects.appendLog(build.id, 0, ['a', 'b', 'c'], cursor(3));
    await withObjects.appendLog(build.id, 3, ['d', 'é'], cursor(5));
    const row = await knex('build_log_chunks')
      .where({ build_id: build.id, from_line: 3 })
      .first();
    expect(row.content).toBeNull();
    expect(fs.readFileSync(path.join(dir, build.id, '3'), 'utf8')).toBe('d\né');
    expect(await withObjects.readLog(build.id, 1, 10)).toEqual([
      'b',
      'c',
      'd',
      'é',
    ]);
    // A lost object reads as a marked gap, never as silently missing lines.
    fs.rmSync(path.join(dir, build.id, '0'));
    expect(await withObjects.readLog(build.id, 0, 2)).toEqual([
      expect.stringMatching(/missing from the log store/),
      expect.stringMatching(/missing from the log store/),
    ]);
    await expect(objects.put('../escape', Buffer.from('x'))).rejects.toThrow(
      /invalid log object key/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives a build log follower to one replica at a time, until its lease ends', async () => {
    const build = await store.createBuild(newBuild());
    const t = 1_000_000;
    expect(await store.claimFollower(build.id, 'replica-a', 30_000, t)).toBe(
      true,
    );
    expect(
      await store.claimFollower(build.id, 'replica-b', 30_000, t + 1),
    ).toBe(false);
    expect(
      await store.claimFollower(build.id, 'replica-a', 30_000, t + 20_000),
    ).toBe(true); // renewal
    expect(
      await store.claimFollower(build.id, 'replica-b', 30_000, t + 51_000),
    ).toBe(true); // a's lease ran out
    await store.releaseFollower(build.id, 'replica-a'); // not a's any more: no effect
    expect((await store.getBuild(build.id))?.follower).toBe('replica-b');
    await store.releaseFollower(build.id, 'replica-b');
    expect((await store.getBuild(build.id))?.follower).toBeUndefined();
  });

  it('lists what the controller must still act on', async () => {
    const queued = await store.createBuild(newBuild());
    const done = await store.createBuild(newBuild());
    await store.updateBuild(done.id, 0, { status: 'succeeded' });
    const complete = await store.createBuild(newBuild());
    await store.updateBuild(complete.id, 0, {
      status: 'failed',
      logComplete: true,
    });
    const running = await store.createBuild(newBuild({ cluster: 'other' }));
    await store.updateBuild(running.id, 0, { status: 'running', jobName: 'j' });
    expect((await store.listUnfinished()).map(b => b.id).sort()).toEqual(
      [queued.id, done.id, running.id].sort(),
    );
    expect(await store.countActiveJobs('other')).toBe(1);
    expect(await store.countActiveJobs('sim')).toBe(0);
  });

  it('keeps every custom Dockerfile revision, newest first', async () => {
    const one = await store.addDockerfile(PORTAL, {
      content: 'FROM scratch\n',
      message: 'first',
      author: 'user:default/pete',
    });
    const [two, three] = await Promise.all([
      store.addDockerfile(PORTAL, {
        content: 'FROM a\n',
        message: 'second',
        author: 'user:default/paula',
      }),
      store.addDockerfile(PORTAL, {
        content: 'FROM b\n',
        message: 'third',
        author: 'user:default/pete',
      }),
    ]);
    expect(one.revision).toBe(1);
    expect([two.revision, three.revision].sort()).toEqual([2, 3]);
    const list = await store.listDockerfiles(PORTAL);
    expect(list.map(r => r.revision)).toEqual([3, 2, 1]);
    expect(await store.getDockerfile(PORTAL, 1)).toMatchObject({
      content: 'FROM scratch\n',
      message: 'first',
    });
    expect((await store.getDockerfile(PORTAL))?.revision).toBe(3);
    expect(await store.getDockerfile(GATEWAY)).toBeUndefined();
  });

  it('decides a waiver once, and only covers rules while approved and unexpired', async () => {
    const now = Date.now();
    const waiver = await store.createWaiver({
      entityRef: PORTAL,
      ruleIds: ['rule.a', 'rule.b'],
      reason: 'false positive',
      requestedBy: 'user:default/pete',
      expiresAt: now + DAY,
    });
    expect(waiver.status).toBe('pending');
    expect(await store.findCoveringWaiver(PORTAL, ['rule.a'])).toBeUndefined();
    expect(
      await store.decideWaiver(waiver.id, {
        status: 'approved',
        by: 'user:default/paula',
        reason: 'ok',
      }),
    ).toBe(true);
    expect(
      await store.decideWaiver(waiver.id, {
        status: 'rejected',
        by: 'user:default/olga',
        reason: 'no',
      }),
    ).toBe(false);
    expect(await store.getWaiver(waiver.id)).toMatchObject({
      status: 'approved',
      approvedBy: 'user:default/paula',
    });
    expect(
      (await store.findCoveringWaiver(PORTAL, ['rule.b', 'rule.a']))?.id,
    ).toBe(waiver.id);
    expect(
      await store.findCoveringWaiver(PORTAL, ['rule.a', 'rule.c']),
    ).toBeUndefined();
    expect(await store.findCoveringWaiver(GATEWAY, ['rule.a'])).toBeUndefined();
    // Expired: no longer covers, and says so.
    expect(
      await store.findCoveringWaiver(PORTAL, ['rule.a'], now + 2 * DAY),
    ).toBeUndefined();
    expect((await store.listWaivers(PORTAL, now + 2 * DAY))[0].status).toBe(
      'expired',
    );
  });
});
