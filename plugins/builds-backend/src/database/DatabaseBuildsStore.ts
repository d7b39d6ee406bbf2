import { randomUUID } from 'node:crypto';
import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  Build,
  BuildPage,
  BuildStats,
  DockerfileRevision,
  Waiver,
} from '@fincloud/plugin-builds-common';
import { Knex } from 'knex';
import { LogObjectStore } from '../logs/LogObjectStore';
import { BuildsStore } from './BuildsStore';
import {
  BuildFilters,
  BuildPatch,
  BuildRecord,
  LogCursor,
  NewBuild,
} from './types';

const migrationsDir = resolvePackagePath(
  '@fincloud/plugin-builds-backend',
  'migrations',
);

/** Longest line kept; longer ones are cut with a marker (a log is no place for a 10 MB line). */
export const MAX_LINE_CHARS = 64 * 1024;

const WINDOW_DAYS = { '7d': 7, '30d': 30, '90d': 90 } as const;
const DAY_MS = 86_400_000;

/** Columns of a history row: everything but the spec and the log cursor. */
const LIST_COLUMNS = [
  'id',
  'entity_ref',
  'number',
  'status',
  'build_type',
  'language',
  'branch',
  'commit',
  'triggered_by',
  'rerun_of',
  'dockerfile_revision',
  'created_at',
  'started_at',
  'finished_at',
  'image_ref',
  'image_digest',
  'scan',
  'steps',
  'cluster',
  'namespace',
  'job_name',
  'error',
];

const num = (v: unknown): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);
const iso = (v: unknown): string | undefined => {
  const n = num(v);
  return n === undefined ? undefined : new Date(n).toISOString();
};

function rowToBuild(row: any): Build {
  const createdAt = Number(row.created_at);
  const startedAt = num(row.started_at);
  const finishedAt = num(row.finished_at);
  const build: Build = {
    id: row.id,
    number: Number(row.number),
    entityRef: row.entity_ref,
    status: row.status,
    buildType: row.build_type,
    branch: row.branch,
    triggeredBy: row.triggered_by,
    createdAt: new Date(createdAt).toISOString(),
    steps: JSON.parse(row.steps),
    cluster: row.cluster,
    namespace: row.namespace,
  };
  if (row.language) build.language = row.language;
  if (row.commit) build.commit = row.commit;
  if (row.rerun_of) build.rerunOf = row.rerun_of;
  if (row.dockerfile_revision !== null && row.dockerfile_revision !== undefined)
    build.dockerfileRevision = Number(row.dockerfile_revision);
  if (startedAt !== undefined) {
    build.startedAt = iso(startedAt);
    build.queueMs = startedAt - createdAt;
  }
  if (finishedAt !== undefined) {
    build.finishedAt = iso(finishedAt);
    if (startedAt !== undefined) build.runMs = finishedAt - startedAt;
  }
  if (row.image_ref) {
    build.image = { ref: row.image_ref };
    if (row.image_digest) build.image.digest = row.image_digest;
  }
  if (row.scan) build.scan = JSON.parse(row.scan);
  if (row.job_name) build.jobName = row.job_name;
  if (row.error) build.error = row.error;
  return build;
}

function rowToRecord(row: any): BuildRecord {
  return {
    ...rowToBuild(row),
    spec: JSON.parse(row.spec),
    version: Number(row.version),
    logLines: Number(row.log_lines),
    logComplete: Boolean(row.log_complete),
    logCursor: row.log_cursor ? JSON.parse(row.log_cursor) : undefined,
    follower: row.follower ?? undefined,
    followerUntil: num(row.follower_until),
  };
}

function rowToWaiver(row: any, now: number): Waiver {
  const expiresAt = Number(row.expires_at);
  let status = row.status as Waiver['status'];
  if ((status === 'approved' || status === 'pending') && expiresAt <= now) {
    status = 'expired';
  }
  const waiver: Waiver = {
    id: row.id,
    entityRef: row.entity_ref,
    ruleIds: JSON.parse(row.rule_ids),
    reason: row.reason,
    requestedBy: row.requested_by,
    status,
    expiresAt: new Date(expiresAt).toISOString(),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
  if (row.approved_by) waiver.approvedBy = row.approved_by;
  return waiver;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

function clampLine(line: string): string {
  return line.length > MAX_LINE_CHARS
    ? `${line.slice(
        0,
        MAX_LINE_CHARS,
      )} … [line cut at ${MAX_LINE_CHARS} characters]`
    : line;
}

function encodeCursor(number: number): string {
  return Buffer.from(`n:${number}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^n:(\d{1,10})$/.exec(text);
  if (!m) throw new InputError('cursor is not one this API returned');
  return Number(m[1]);
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed|duplicate key/i.test(e?.message ?? '')
  );
}

export interface DatabaseBuildsStoreOptions {
  database: DatabaseService | Knex;
  /** Chunk lines go here instead of the database (large installations). */
  objectStore?: LogObjectStore;
}

/**
 * The builds store on knex (PostgreSQL, SQLite). Private constructor:
 * `create()` runs the migrations unless `backend.database.plugin.builds.migrations.skip`.
 */
export class DatabaseBuildsStore implements BuildsStore {
  private readonly isPg: boolean;

  private constructor(
    private readonly db: Knex,
    private readonly objectStore?: LogObjectStore,
  ) {
    this.isPg = String(db.client.config.client).includes('pg');
  }

  static async create(
    options: DatabaseBuildsStoreOptions,
  ): Promise<DatabaseBuildsStore> {
    const { database } = options;
    let knex: Knex;
    let skip = false;
    if ('getClient' in database) {
      knex = await database.getClient();
      skip = Boolean(database.migrations?.skip);
    } else {
      knex = database;
    }
    if (!skip) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: 'builds_knex_migrations',
      });
    }
    return new DatabaseBuildsStore(knex, options.objectStore);
  }

  /** The knex client (benchmark seeding). */
  get knex(): Knex {
    return this.db;
  }

  async createBuild(input: NewBuild): Promise<BuildRecord> {
    const id = randomUUID();
    const createdAt = input.createdAt ?? Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.transaction(async tx => {
          const row = await tx('builds')
            .where('entity_ref', input.entityRef)
            .max({ n: 'number' })
            .first();
          const number = Number(row?.n ?? 0) + 1;
          await tx('builds').insert({
            id,
            entity_ref: input.entityRef,
            number,
            status: 'queued',
            build_type: input.buildType,
            language: input.language ?? null,
            branch: input.branch,
            commit: input.commit ?? null,
            triggered_by: input.triggeredBy,
            rerun_of: input.rerunOf ?? null,
            dockerfile_revision: input.dockerfileRevision ?? null,
            created_at: createdAt,
            steps: JSON.stringify(input.steps),
            cluster: input.cluster,
            namespace: input.namespace,
            // The tag may name the build number: `{number}-main`.
            spec: JSON.stringify({
              ...input.spec,
              tag: input.spec.tag.replace(/\{number\}/g, String(number)),
            }),
            version: 0,
            log_lines: 0,
            log_complete: false,
          });
        });
        break;
      } catch (error) {
        // Two triggers of one entity at once took the same number: retry.
        if (!isUniqueViolation(error) || attempt >= 10) throw error;
      }
    }
    return (await this.getBuild(id))!;
  }

  async getBuild(id: string): Promise<BuildRecord | undefined> {
    const row = await this.db('builds').where('id', id).first();
    return row ? rowToRecord(row) : undefined;
  }

  private applyFilters(query: Knex.QueryBuilder, filters: BuildFilters) {
    if (filters.status?.length) query.whereIn('status', filters.status);
    if (filters.buildType?.length)
      query.whereIn('build_type', filters.buildType);
    if (filters.branch) query.where('branch', filters.branch);
    if (filters.triggeredBy) query.where('triggered_by', filters.triggeredBy);
    if (filters.from !== undefined)
      query.where('created_at', '>=', filters.from);
    if (filters.to !== undefined) query.where('created_at', '<', filters.to);
    return query;
  }

  async listBuilds(
    entityRef: string,
    filters: BuildFilters,
    options: { limit: number; cursor?: string },
  ): Promise<BuildPage> {
    const query = this.db('builds')
      .select(LIST_COLUMNS)
      .where('entity_ref', entityRef);
    this.applyFilters(query, filters);
    if (options.cursor)
      query.where('number', '<', decodeCursor(options.cursor));
    const rows = await query.orderBy('number', 'desc').limit(options.limit + 1);
    const items = rows.slice(0, options.limit).map(rowToBuild);
    return rows.length > options.limit
      ? { items, nextCursor: encodeCursor(items[items.length - 1].number) }
      : { items };
  }

  async listBuildsByOffset(
    entityRef: string,
    options: { limit: number; offset: number },
  ): Promise<BuildPage> {
    const rows = await this.db('builds')
      .select(LIST_COLUMNS)
      .where('entity_ref', entityRef)
      .orderBy('number', 'desc')
      .offset(options.offset)
      .limit(options.limit);
    return { items: rows.map(rowToBuild) };
  }

  async stats(
    entityRef: string,
    window: '7d' | '30d' | '90d',
    now = Date.now(),
  ): Promise<BuildStats> {
    const days = WINDOW_DAYS[window];
    // Whole UTC days, today included.
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const since = today - (days - 1) * DAY_MS;
    const rows = await this.db('builds')
      .select('status', 'created_at', 'started_at', 'finished_at')
      .where('entity_ref', entityRef)
      .where('created_at', '>=', since);
    const durations: number[] = [];
    const queues: number[] = [];
    const perDay = new Map<
      number,
      { succeeded: number; failed: number; durations: number[] }
    >();
    for (let d = 0; d < days; d++) {
      perDay.set(since + d * DAY_MS, {
        succeeded: 0,
        failed: 0,
        durations: [],
      });
    }
    let succeeded = 0;
    let failed = 0;
    let cancelled = 0;
    for (const row of rows) {
      const created = Number(row.created_at);
      const started = num(row.started_at);
      const finished = num(row.finished_at);
      if (started !== undefined) queues.push(started - created);
      const day = perDay.get(Math.floor(created / DAY_MS) * DAY_MS);
      const duration =
        started !== undefined && finished !== undefined
          ? finished - started
          : undefined;
      if (row.status === 'succeeded') {
        succeeded++;
        if (day) day.succeeded++;
      } else if (row.status === 'failed') {
        failed++;
        if (day) day.failed++;
      } else if (row.status === 'cancelled') {
        cancelled++;
      }
      if (
        duration !== undefined &&
        (row.status === 'succeeded' || row.status === 'failed')
      ) {
        durations.push(duration);
        day?.durations.push(duration);
      }
    }
    const asc = (a: number, b: number) => a - b;
    durations.sort(asc);
    queues.sort(asc);
    return {
      window,
      total: rows.length,
      succeeded,
      failed,
      cancelled,
      successRate:
        succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
      durationP50Ms: percentile(durations, 50),
      durationP90Ms: percentile(durations, 90),
      queueP50Ms: percentile(queues, 50),
      trend: [...perDay.entries()].map(([day, v]) => ({
        day: new Date(day).toISOString().slice(0, 10),
        succeeded: v.succeeded,
        failed: v.failed,
        durationP50Ms: percentile(v.durations.sort(asc), 50),
      })),
    };
  }

  async listUnfinished(): Promise<BuildRecord[]> {
    const rows = await this.db('builds')
      .whereIn('status', ['queued', 'running'])
      .orWhere(q =>
        q
          .whereIn('status', ['succeeded', 'failed', 'cancelled'])
          .andWhere('log_complete', false),
      )
      .orderBy('created_at', 'asc');
    return rows.map(rowToRecord);
  }

  async countActiveJobs(cluster: string): Promise<number> {
    const row = await this.db('builds')
      .where('cluster', cluster)
      .whereIn('status', ['queued', 'running'])
      .whereNotNull('job_name')
      .count({ n: '*' })
      .first();
    return Number(row?.n ?? 0);
  }

  async updateBuild(
    id: string,
    expectedVersion: number,
    patch: BuildPatch,
  ): Promise<boolean> {
    const update: Record<string, unknown> = { version: expectedVersion + 1 };
    if (patch.status !== undefined) update.status = patch.status;
    if (patch.commit !== undefined) update.commit = patch.commit;
    if (patch.startedAt !== undefined) update.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) update.finished_at = patch.finishedAt;
    if (patch.image !== undefined) {
      update.image_ref = patch.image?.ref ?? null;
      update.image_digest = patch.image?.digest ?? null;
    }
    if (patch.scan !== undefined)
      update.scan = patch.scan ? JSON.stringify(patch.scan) : null;
    if (patch.steps !== undefined) update.steps = JSON.stringify(patch.steps);
    if (patch.jobName !== undefined) update.job_name = patch.jobName;
    if (patch.error !== undefined) update.error = patch.error;
    if (patch.spec !== undefined) update.spec = JSON.stringify(patch.spec);
    if (patch.logComplete !== undefined)
      update.log_complete = patch.logComplete;
    const changed = await this.db('builds')
      .where({ id, version: expectedVersion })
      .update(update);
    return changed === 1;
  }

  async appendLog(
    id: string,
    expectedLines: number,
    lines: string[],
    cursor: LogCursor,
    options: { durable?: boolean } = {},
  ): Promise<boolean> {
    if (lines.length === 0)
      return this.updateLogCursor(id, expectedLines, cursor);
    const content = lines.map(clampLine).join('\n');
    const bytes = Buffer.byteLength(content, 'utf8');
    let objectKey: string | null = null;
    if (this.objectStore) {
      // Written first and idempotent (same key, same lines on a retry); the
      // index row below is what makes it part of the log.
      objectKey = `${id}/${expectedLines}`;
      await this.objectStore.put(objectKey, Buffer.from(content, 'utf8'));
    }
    if (this.isPg) {
      // The cursor moves and the chunk goes in together (one statement), or
      // neither does. Chunks in the middle of a step are committed without
      // waiting for the WAL flush: a database crash can only lose a suffix of
      // such commits, cursor and lines together, and the follower then reads
      // them again from the pod. The last chunk of a step waits (durable).
      return this.db.transaction(async tx => {
        if (!options.durable) {
          await tx.raw('SET LOCAL synchronous_commit TO OFF');
        }
        const result = await tx.raw(
          `WITH moved AS (
           UPDATE builds SET log_lines = ?, log_cursor = ?
           WHERE id = ? AND log_lines = ? RETURNING id)
         INSERT INTO build_log_chunks (build_id, from_line, line_count, byte_count, content, object_key)
         SELECT id, ?, ?, ?, ?, ? FROM moved`,
          [
            expectedLines + lines.length,
            JSON.stringify(cursor),
            id,
            expectedLines,
            expectedLines,
            lines.length,
            bytes,
            objectKey ? null : content,
            objectKey,
          ],
        );
        return result.rowCount === 1;
      });
    }
    return this.db.transaction(async tx => {
      const moved = await tx('builds')
        .where({ id, log_lines: expectedLines })
        .update({
          log_lines: expectedLines + lines.length,
          log_cursor: JSON.stringify(cursor),
        });
      if (moved !== 1) return false;
      await tx('build_log_chunks').insert({
        build_id: id,
        from_line: expectedLines,
        line_count: lines.length,
        byte_count: bytes,
        content: objectKey ? null : content,
        object_key: objectKey,
      });
      return true;
    });
  }

  async updateLogCursor(
    id: string,
    expectedLines: number,
    cursor: LogCursor,
  ): Promise<boolean> {
    const moved = await this.db('builds')
      .where({ id, log_lines: expectedLines })
      .update({ log_cursor: JSON.stringify(cursor) });
    return moved === 1;
  }

  private async chunkLines(row: any): Promise<string[]> {
    let text: string;
    if (row.content !== null && row.content !== undefined) {
      text = row.content;
    } else {
      const data = row.object_key
        ? await this.objectStore?.get(row.object_key)
        : undefined;
      if (!data) {
        // The index says these lines exist; say so instead of inventing a gap.
        return Array.from(
          { length: Number(row.line_count) },
          () =>
            '[fincloud: this part of the log is missing from the log store]',
        );
      }
      text = data.toString('utf8');
    }
    return text.split('\n');
  }

  async readLog(
    id: string,
    fromLine: number,
    count: number,
  ): Promise<string[]> {
    if (count <= 0) return [];
    const end = fromLine + count;
    const first = this.db('build_log_chunks')
      .max('from_line')
      .where('build_id', id)
      .andWhere('from_line', '<=', fromLine);
    const rows = await this.db('build_log_chunks')
      .select('from_line', 'line_count', 'content', 'object_key')
      .where('build_id', id)
      .andWhere('from_line', '<', end)
      .andWhere('from_line', '>=', this.db.raw('coalesce((?), 0)', [first]))
      .orderBy('from_line', 'asc');
    const out: string[] = [];
    for (const row of rows) {
      const start = Number(row.from_line);
      const lines = await this.chunkLines(row);
      const a = Math.max(0, fromLine - start);
      const b = Math.min(lines.length, end - start);
      for (let i = a; i < b; i++) out.push(lines[i]);
    }
    return out;
  }

  async *streamLog(id: string): AsyncGenerator<string[]> {
    let next = 0;
    for (;;) {
      const rows = await this.db('build_log_chunks')
        .select('from_line', 'line_count', 'content', 'object_key')
        .where('build_id', id)
        .andWhere('from_line', '>=', next)
        .orderBy('from_line', 'asc')
        .limit(16);
      if (rows.length === 0) return;
      for (const row of rows) {
        yield await this.chunkLines(row);
        next = Number(row.from_line) + Number(row.line_count);
      }
    }
  }

  async searchLog(
    id: string,
    query: string,
    limit: number,
  ): Promise<{
    matches: Array<{ line: number; text: string }>;
    truncated: boolean;
  }> {
    const needle = query.toLocaleLowerCase('en-US');
    const matches: Array<{ line: number; text: string }> = [];
    let line = 0;
    for await (const lines of this.streamLog(id)) {
      for (const text of lines) {
        if (text.toLocaleLowerCase('en-US').includes(needle)) {
          if (matches.length === limit) return { matches, truncated: true };
          matches.push({ line, text });
        }
        line++;
      }
    }
    return { matches, truncated: false };
  }

  async claimFollower(
    id: string,
    owner: string,
    leaseMs: number,
    now = Date.now(),
  ): Promise<boolean> {
    const claimed = await this.db('builds')
      .where('id', id)
      .andWhere(q =>
        q
          .whereNull('follower')
          .orWhere('follower', owner)
          .orWhere('follower_until', '<', now),
      )
      .update({ follower: owner, follower_until: now + leaseMs });
    return claimed === 1;
  }

  async releaseFollower(id: string, owner: string): Promise<void> {
    await this.db('builds')
      .where({ id, follower: owner })
      .update({ follower: null, follower_until: null });
  }

  async listDockerfiles(entityRef: string): Promise<DockerfileRevision[]> {
    const rows = await this.db('build_dockerfiles')
      .where('entity_ref', entityRef)
      .orderBy('revision', 'desc');
    return rows.map(row => ({
      revision: Number(row.revision),
      content: row.content,
      message: row.message,
      author: row.author,
      createdAt: new Date(Number(row.created_at)).toISOString(),
    }));
  }

  async getDockerfile(
    entityRef: string,
    revision?: number,
  ): Promise<DockerfileRevision | undefined> {
    const query = this.db('build_dockerfiles').where('entity_ref', entityRef);
    if (revision !== undefined) query.where('revision', revision);
    const row = await query.orderBy('revision', 'desc').first();
    return row
      ? {
          revision: Number(row.revision),
          content: row.content,
          message: row.message,
          author: row.author,
          createdAt: new Date(Number(row.created_at)).toISOString(),
        }
      : undefined;
  }

  async addDockerfile(
    entityRef: string,
    input: { content: string; message: string; author: string },
  ): Promise<DockerfileRevision> {
    for (let attempt = 0; ; attempt++) {
      const createdAt = Date.now();
      try {
        const revision = await this.db.transaction(async tx => {
          const row = await tx('build_dockerfiles')
            .where('entity_ref', entityRef)
            .max({ n: 'revision' })
            .first();
          const next = Number(row?.n ?? 0) + 1;
          await tx('build_dockerfiles').insert({
            entity_ref: entityRef,
            revision: next,
            content: input.content,
            message: input.message,
            author: input.author,
            created_at: createdAt,
          });
          return next;
        });
        return {
          revision,
          content: input.content,
          message: input.message,
          author: input.author,
          createdAt: new Date(createdAt).toISOString(),
        };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 10) throw error;
      }
    }
  }

  async listWaivers(entityRef: string, now = Date.now()): Promise<Waiver[]> {
    const rows = await this.db('build_waivers')
      .where('entity_ref', entityRef)
      .orderBy('created_at', 'desc');
    return rows.map(row => rowToWaiver(row, now));
  }

  async getWaiver(id: string, now = Date.now()): Promise<Waiver | undefined> {
    const row = await this.db('build_waivers').where('id', id).first();
    return row ? rowToWaiver(row, now) : undefined;
  }

  async createWaiver(input: {
    entityRef: string;
    ruleIds: string[];
    reason: string;
    requestedBy: string;
    expiresAt: number;
  }): Promise<Waiver> {
    const id = randomUUID();
    const createdAt = Date.now();
    await this.db('build_waivers').insert({
      id,
      entity_ref: input.entityRef,
      rule_ids: JSON.stringify(input.ruleIds),
      reason: input.reason,
      requested_by: input.requestedBy,
      status: 'pending',
      expires_at: input.expiresAt,
      created_at: createdAt,
    });
    return (await this.getWaiver(id, createdAt))!;
  }

  async decideWaiver(
    id: string,
    decision: { status: 'approved' | 'rejected'; by: string; reason: string },
    now = Date.now(),
  ): Promise<boolean> {
    const changed = await this.db('build_waivers')
      .where({ id, status: 'pending' })
      .andWhere('expires_at', '>', now)
      .update({
        status: decision.status,
        approved_by: decision.by,
        decision_reason: decision.reason,
        decided_at: now,
      });
    return changed === 1;
  }

  async findCoveringWaiver(
    entityRef: string,
    ruleIds: string[],
    now = Date.now(),
  ): Promise<Waiver | undefined> {
    const rows = await this.db('build_waivers')
      .where({ entity_ref: entityRef, status: 'approved' })
      .andWhere('expires_at', '>', now)
      .orderBy('created_at', 'desc');
    for (const row of rows) {
      const covered = new Set<string>(JSON.parse(row.rule_ids));
      if (ruleIds.every(r => covered.has(r))) return rowToWaiver(row, now);
    }
    return undefined;
  }
}
