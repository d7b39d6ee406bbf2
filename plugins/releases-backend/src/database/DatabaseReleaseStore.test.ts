import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { MACHINE, T0, newRecord } from '../__testUtils__/records';
import { desiredState, transition } from '../domain/machine';
import { ReleaseRecord } from '../domain/types';
import { DatabaseReleaseStore } from './DatabaseReleaseStore';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function record(id: string, entityRef: string, at: number): ReleaseRecord {
  const r = newRecord({ now: at });
  r.release.id = id;
  r.release.entityRef = entityRef;
  return r;
}

describe.each(databases.eachSupportedId())(
  'DatabaseReleaseStore on %p',
  databaseId => {
    let store: DatabaseReleaseStore;

    beforeEach(async () => {
      store = await DatabaseReleaseStore.create({
        database: await databases.init(databaseId),
      });
    });

    it('allows one active release per service, enforced by the database', async () => {
      const a = record(
        '00000000-0000-4000-8000-00000000000a',
        'component:default/a',
        T0,
      );
      await store.insert(a, desiredState(a));
      const again = record(
        '00000000-0000-4000-8000-00000000000b',
        'component:default/a',
        T0 + 1,
      );
      await expect(store.insert(again, desiredState(again))).rejects.toThrow(
        ConflictError,
      );
      // Another service is independent; a finished release frees the slot.
      const other = record(
        '00000000-0000-4000-8000-00000000000c',
        'component:default/b',
        T0,
      );
      await store.insert(other, null);
      const stored = (await store.get(a.release.id))!;
      const back = transition(
        stored.record,
        { type: 'rollback', by: 'user:default/pete', reason: 'x' },
        T0 + 5,
        MACHINE,
      );
      await store.update(stored, back, {
        value: desiredState(back),
        changed: true,
      });
      expect(await store.active('component:default/a')).toBeUndefined();
      await store.insert(again, desiredState(again));
      expect(
        (await store.active('component:default/a'))!.record.release.id,
      ).toBe(again.release.id);
    });

    it('guards writes with the revision and counts intent generations', async () => {
      const r = record(
        '00000000-0000-4000-8000-000000000001',
        'component:default/a',
        T0,
      );
      const first = await store.insert(r, desiredState(r));
      expect([
        first.revision,
        first.intentGeneration,
        first.appliedGeneration,
      ]).toEqual([1, 1, 0]);
      const promoted = transition(
        first.record,
        { type: 'promote', by: 'user:default/pete', full: false },
        T0 + 1,
        MACHINE,
      );
      const second = await store.update(first, promoted, {
        value: desiredState(promoted),
        changed: true,
      });
      expect([
        second.revision,
        second.intentGeneration,
        second.record.release.revision,
      ]).toEqual([2, 2, 2]);
      // A writer that read revision 1 loses.
      await expect(
        store.update(first, promoted, {
          value: desiredState(promoted),
          changed: true,
        }),
      ).rejects.toThrow(/revision 1 is stale/);
      // Same intent: the generation stays.
      const third = await store.update(second, second.record, {
        value: second.intent,
        changed: false,
      });
      expect(await store.get(r.release.id)).toEqual(third);
      expect([third.revision, third.intentGeneration]).toEqual([3, 2]);
    });

    it('hands the apply lease to one holder at a time, and records applies only for the holder', async () => {
      const r = record(
        '00000000-0000-4000-8000-000000000002',
        'component:default/a',
        T0,
      );
      await store.insert(r, desiredState(r));
      const id = r.release.id;
      expect(await store.claim(id, 'a', T0, 30_000)).toBe(true);
      expect(await store.claim(id, 'b', T0 + 1, 30_000)).toBe(false);
      expect(
        await store.markApplied(id, 'b', { generation: 1, reapply: 0, at: T0 }),
      ).toBe(false);
      expect(
        await store.markApplied(id, 'a', { generation: 1, reapply: 0, at: T0 }),
      ).toBe(true);
      expect((await store.get(id))!).toMatchObject({
        appliedGeneration: 1,
        claimedBy: null,
      });
      expect(await store.claim(id, 'b', T0 + 2, 30_000)).toBe(true);
      // A lease that ran out (its holder died) can be taken over.
      expect(await store.claim(id, 'c', T0 + 30_001, 30_000)).toBe(false);
      expect(await store.claim(id, 'c', T0 + 30_003, 30_000)).toBe(true);
      await store.unclaim(id, 'c');
      expect(await store.claim(id, 'b', T0 + 30_004, 30_000)).toBe(true);
      await store.unclaim(id, 'b');
      expect((await store.get(id))!.claimedBy).toBeNull();
    });

    it('pages releases newest first with an opaque cursor, and refuses a forged one', async () => {
      for (let i = 0; i < 5; i++) {
        const r = record(
          `00000000-0000-4000-8000-00000000001${i}`,
          'component:default/p',
          T0 + i * 1000,
        );
        const done = transition(
          r,
          { type: 'rollback', by: 'user:default/pete', reason: 'x' },
          T0 + i * 1000,
          MACHINE,
        );
        await store.insert(done, null);
      }
      const first = await store.list('component:default/p', { limit: 2 });
      const second = await store.list('component:default/p', {
        limit: 2,
        cursor: first.nextCursor,
      });
      const third = await store.list('component:default/p', {
        limit: 2,
        cursor: second.nextCursor,
      });
      expect(
        [...first.items, ...second.items, ...third.items].map(s =>
          s.record.release.id.slice(-2),
        ),
      ).toEqual(['14', '13', '12', '11', '10']);
      expect(third.nextCursor).toBeUndefined();
      await expect(
        store.list('component:default/p', { limit: 2, cursor: 'nope' }),
      ).rejects.toThrow(InputError);
      // Only unfinished releases (or unapplied intents) are the controller's business.
      expect(await store.listReconcilable()).toEqual([]);
    });
  },
);
