/*
 * Deploy markers read from the real audit store (plugins/audit-node) on
 * SQLite and PostgreSQL: the builds and releases events of the entity in
 * the range become markers; everything else stays out.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  AuditEventInput,
  CheckpointSigner,
  DatabaseAuditStore,
} from '@fincloud/plugin-audit-node';
import { DEFAULT_MARKERS } from '../config/readConfig';
import { readMarkers } from './markers';

jest.setTimeout(60_000);

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const signer = CheckpointSigner.hmac(
  'test',
  'monitoring-markers-test-key-0123456789',
);

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function event(overrides: Partial<AuditEventInput>): AuditEventInput {
  return {
    plugin: 'releases',
    eventId: 'release-promote',
    severity: 'medium',
    status: 'succeeded',
    actor: { type: 'user', ref: 'user:default/paula' },
    entityRef: PG,
    meta: {},
    correlationId: `c-${Math.random()}`,
    ...overrides,
  };
}

describe.each(databases.eachSupportedId())(
  'deploy markers on %p',
  databaseId => {
    let store: DatabaseAuditStore;

    beforeAll(async () => {
      store = await DatabaseAuditStore.create({
        database: await databases.init(databaseId),
        logger: mockServices.logger.mock(),
        signer,
      });
      const events: AuditEventInput[] = [
        event({
          plugin: 'builds',
          eventId: 'build-trigger',
          at: at(5),
          meta: { entityRef: PG, buildId: 'b-17', imageTag: '1.4.2' },
        }),
        event({
          eventId: 'release-create',
          status: 'initiated',
          at: at(9),
          meta: { releaseId: 'r-3' },
        }),
        event({
          eventId: 'release-promote',
          at: at(10),
          meta: { releaseId: 'r-3', toVersion: 'v2', step: 2 },
        }),
        event({
          eventId: 'release-auto-rollback',
          status: 'failed',
          at: at(20),
          meta: { releaseId: 'r-3' },
        }),
        // Not markers: another entity, an event that is no deploy, outside the range, another plugin.
        event({ eventId: 'release-promote', entityRef: RISK, at: at(11) }),
        event({ plugin: 'builds', eventId: 'dockerfile-write', at: at(12) }),
        event({ eventId: 'release-transition', at: at(-30) }),
        event({ plugin: 'catalog', eventId: 'entity-mutate', at: at(13) }),
      ];
      for (const e of events) await store.append(e);
      await store.flush({ timeoutMs: 10_000 });
    });

    afterAll(async () => {
      await store?.stop({ timeoutMs: 2000 });
    });

    it('marks the builds and release steps of the entity in the range, oldest first', async () => {
      const markers = await readMarkers(
        store,
        DEFAULT_MARKERS,
        PG,
        T0,
        T0 + 3600_000,
      );
      expect(markers).toEqual([
        {
          at: T0 + 5 * 60_000,
          kind: 'build',
          label: 'build-trigger 1.4.2',
          status: 'succeeded',
        },
        {
          at: T0 + 10 * 60_000,
          kind: 'release',
          label: 'release-promote v2',
          status: 'succeeded',
        },
        {
          at: T0 + 20 * 60_000,
          kind: 'release',
          label: 'release-auto-rollback r-3',
          status: 'failed',
        },
      ]);
    });

    it('links markers into the portal when configured, never elsewhere', async () => {
      const [build] = await readMarkers(
        store,
        [
          {
            ...DEFAULT_MARKERS[0],
            link: '/catalog/{namespace}/{kind}/{name}/builds/{meta.buildId}',
          },
        ],
        PG,
        T0,
        T0 + 3600_000,
      );
      expect(build.link).toBe(
        '/catalog/default/component/payment-gateway/builds/b-17',
      );
      const [outside] = await readMarkers(
        store,
        [{ ...DEFAULT_MARKERS[0], link: '//evil.example/{meta.buildId}' }],
        PG,
        T0,
        T0 + 3600_000,
      );
      expect(outside.link).toBeUndefined();
    });

    it('takes every medium+ event of a plugin when no event ids are configured', async () => {
      const markers = await readMarkers(
        store,
        [{ plugin: 'builds', kind: 'build', statuses: ['succeeded'] }],
        PG,
        T0,
        T0 + 3600_000,
      );
      expect(markers.map(m => m.label)).toEqual([
        'build-trigger 1.4.2',
        'dockerfile-write',
      ]);
    });
  },
);
