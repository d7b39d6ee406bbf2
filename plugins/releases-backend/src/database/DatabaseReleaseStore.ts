import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  TrafficPolicy,
  TrafficPolicyProposal,
  isReleaseFinished,
} from '@fincloud/plugin-releases-common';
import { Knex } from 'knex';
import { ReleaseIntent, ReleaseRecord } from '../domain/types';
import {
  AppliedState,
  PolicyTarget,
  ReleaseStore,
  StoredPolicy,
  StoredRelease,
} from './ReleaseStore';

const migrationsDir = resolvePackagePath(
  '@fincloud/plugin-releases-backend',
  'migrations',
);

interface ReleaseRow {
  id: string;
  entity_ref: string;
  active_entity_ref: string | null;
  state: string;
  revision: number;
  created_at: number | string;
  updated_at: number | string;
  data: string;
  intent: string | null;
  intent_generation: number;
  applied_generation: number;
  applied: string | null;
  claimed_by: string | null;
  claimed_until: number | string | null;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key/i.test(e?.message ?? '')
  );
}

function toStored(row: ReleaseRow): StoredRelease {
  const record: ReleaseRecord = JSON.parse(row.data);
  record.release.revision = Number(row.revision);
  return {
    record,
    revision: Number(row.revision),
    intent: row.intent ? JSON.parse(row.intent) : null,
    intentGeneration: Number(row.intent_generation),
    appliedGeneration: Number(row.applied_generation),
    applied: row.applied ? JSON.parse(row.applied) : null,
    claimedBy: row.claimed_by,
    claimedUntil: row.claimed_until === null ? null : Number(row.claimed_until),
  };
}

function encodeCursor(row: { created_at: number | string; id: string }) {
  return Buffer.from(
    JSON.stringify([Number(row.created_at), row.id]),
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through
  }
  throw new InputError('cursor is not one this API returned');
}

/** Releases and traffic policies on knex (PostgreSQL, SQLite). */
export class DatabaseReleaseStore implements ReleaseStore {
  private constructor(private readonly db: Knex) {}

  static async create(options: {
    database: DatabaseService | Knex;
    skipMigrations?: boolean;
  }): Promise<DatabaseReleaseStore> {
    const { database } = options;
    let knex: Knex;
    let skip = Boolean(options.skipMigrations);
    if ('getClient' in database) {
      knex = await database.getClient();
      skip = skip || Boolean(database.migrations?.skip);
    } else {
      knex = database;
    }
    if (!skip) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: 'releases_knex_migrations',
      });
    }
    return new DatabaseReleaseStore(knex);
  }

  async insert(
    record: ReleaseRecord,
    intent: ReleaseIntent | null,
  ): Promise<StoredRelease> {
    const { release } = record;
    const row: ReleaseRow = {
      id: release.id,
      entity_ref: release.entityRef,
      active_entity_ref: isReleaseFinished(release.state)
        ? null
        : release.entityRef,
      state: release.state,
      revision: 1,
      created_at: Date.parse(release.createdAt),
      updated_at: Date.parse(release.updatedAt),
      data: JSON.stringify({ ...record, release: { ...release, revision: 1 } }),
      intent: intent ? JSON.stringify(intent) : null,
      intent_generation: intent ? 1 : 0,
      applied_generation: 0,
      applied: null,
      claimed_by: null,
      claimed_until: null,
    };
    try {
      await this.db('releases').insert(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `${release.entityRef} already has a release in progress; finish or roll it back first`,
        );
      }
      throw error;
    }
    return toStored(row);
  }

  async get(id: string): Promise<StoredRelease | undefined> {
    const row = await this.db<ReleaseRow>('releases').where({ id }).first();
    return row ? toStored(row) : undefined;
  }

  async active(entityRef: string): Promise<StoredRelease | undefined> {
    const row = await this.db<ReleaseRow>('releases')
      .where({ active_entity_ref: entityRef })
      .first();
    return row ? toStored(row) : undefined;
  }

  async list(entityRef: string, options: { limit: number; cursor?: string }) {
    let query = this.db<ReleaseRow>('releases')
      .where({ entity_ref: entityRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit + 1);
    if (options.cursor) {
      const [createdAt, id] = decodeCursor(options.cursor);
      query = query.andWhere(q =>
        q
          .where('created_at', '<', createdAt)
          .orWhere(q2 =>
            q2.where('created_at', '=', createdAt).andWhere('id', '<', id),
          ),
      );
    }
    const rows = await query;
    const page = rows.slice(0, options.limit);
    return {
      items: page.map(toStored),
      ...(rows.length > options.limit
        ? { nextCursor: encodeCursor(page[page.length - 1]) }
        : {}),
    };
  }

  async lastPromoted(entityRef: string): Promise<StoredRelease | undefined> {
    const row = await this.db<ReleaseRow>('releases')
      .where({ entity_ref: entityRef, state: 'succeeded' })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row ? toStored(row) : undefined;
  }

  async listReconcilable(): Promise<StoredRelease[]> {
    const rows = await this.db<ReleaseRow>('releases')
      .whereNotNull('active_entity_ref')
      .orWhereRaw('intent_generation > applied_generation')
      .orderBy('created_at', 'asc');
    return rows.map(toStored);
  }

  async update(
    previous: StoredRelease,
    record: ReleaseRecord,
    intent: { value: ReleaseIntent | null; changed: boolean },
  ): Promise<StoredRelease> {
    const id = previous.record.release.id;
    const expectedRevision = previous.revision;
    const revision = expectedRevision + 1;
    const { release } = record;
    const patch: Partial<ReleaseRow> = {
      state: release.state,
      revision,
      updated_at: Date.parse(release.updatedAt),
      active_entity_ref: isReleaseFinished(release.state)
        ? null
        : release.entityRef,
      data: JSON.stringify({ ...record, release: { ...release, revision } }),
    };
    const query = this.db<ReleaseRow>('releases').where({
      id,
      revision: expectedRevision,
    });
    const updated = await (intent.changed
      ? query.update({
          ...patch,
          intent: intent.value ? JSON.stringify(intent.value) : null,
          intent_generation: this.db.raw('intent_generation + 1') as any,
        })
      : query.update(patch));
    if (updated !== 1) {
      throw new ConflictError(
        `release ${id} was changed by someone else meanwhile (revision ${expectedRevision} is stale); reload and try again`,
      );
    }
    // What was written, without reading it back. The apply columns may have
    // moved meanwhile (a lease holder); whoever applies reads them fresh.
    return {
      ...previous,
      record: { ...record, release: { ...release, revision } },
      revision,
      ...(intent.changed
        ? {
            intent: intent.value,
            intentGeneration: previous.intentGeneration + 1,
          }
        : {}),
    };
  }

  async claim(id: string, owner: string, now: number, leaseMs: number) {
    const updated = await this.db('releases')
      .where({ id })
      .andWhere(q =>
        q
          .whereNull('claimed_until')
          .orWhere('claimed_until', '<', now)
          .orWhere('claimed_by', owner),
      )
      .update({ claimed_by: owner, claimed_until: now + leaseMs });
    return updated === 1;
  }

  async unclaim(id: string, owner: string) {
    await this.db('releases')
      .where({ id, claimed_by: owner })
      .update({ claimed_by: null, claimed_until: null });
  }

  async markApplied(id: string, owner: string, applied: AppliedState) {
    const updated = await this.db('releases')
      .where({ id, claimed_by: owner, intent_generation: applied.generation })
      .update({
        applied_generation: applied.generation,
        applied: JSON.stringify(applied),
        // The lease ends with the apply it covered.
        claimed_by: null,
        claimed_until: null,
      });
    return updated === 1;
  }

  // --- traffic policies ------------------------------------------------------

  async insertPolicy(
    proposal: TrafficPolicyProposal,
    target: PolicyTarget,
  ): Promise<StoredPolicy> {
    await this.db('release_traffic_policies').insert({
      id: proposal.id,
      entity_ref: proposal.entityRef,
      state: proposal.state,
      revision: 1,
      created_at: Date.parse(proposal.createdAt),
      applied_at: null,
      data: JSON.stringify({ proposal, target }),
    });
    return { proposal, target, revision: 1 };
  }

  private toPolicy(row: any): StoredPolicy {
    const data = JSON.parse(row.data);
    return {
      proposal: data.proposal,
      target: data.target,
      ...(data.previous !== undefined ? { previous: data.previous } : {}),
      revision: Number(row.revision),
    };
  }

  async getPolicy(id: string) {
    const row = await this.db('release_traffic_policies').where({ id }).first();
    return row ? this.toPolicy(row) : undefined;
  }

  async listPolicies(entityRef: string, limit: number) {
    const rows = await this.db('release_traffic_policies')
      .where({ entity_ref: entityRef })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(r => this.toPolicy(r));
  }

  async currentPolicy(entityRef: string) {
    const row = await this.db('release_traffic_policies')
      .where({ entity_ref: entityRef, state: 'applied' })
      .orderBy([
        { column: 'applied_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return row ? this.toPolicy(row) : undefined;
  }

  async updatePolicy(
    id: string,
    expectedRevision: number,
    proposal: TrafficPolicyProposal,
    previous?: TrafficPolicy,
  ): Promise<StoredPolicy> {
    const stored = await this.getPolicy(id);
    if (!stored) throw new ConflictError(`traffic policy ${id} does not exist`);
    const { target } = stored;
    const updated = await this.db('release_traffic_policies')
      .where({ id, revision: expectedRevision })
      .update({
        state: proposal.state,
        revision: expectedRevision + 1,
        applied_at: proposal.appliedAt ? Date.parse(proposal.appliedAt) : null,
        data: JSON.stringify({
          proposal,
          target,
          ...(previous !== undefined ? { previous } : {}),
        }),
      });
    if (updated !== 1) {
      throw new ConflictError(
        `traffic policy ${id} was changed by someone else meanwhile; reload and try again`,
      );
    }
    return {
      proposal,
      target,
      ...(previous !== undefined ? { previous } : {}),
      revision: expectedRevision + 1,
    };
  }
}
