// @ts-check

/**
 * Builds, their logs (line-range chunks), custom Dockerfile revisions and
 * scan waivers. Times are epoch milliseconds (bigint) so that keyset
 * pagination and windows compare exactly on every engine.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('builds', table => {
    table.comment('One row per build; version is the optimistic lock');
    table.string('id', 36).notNullable();
    table.primary(['id'], 'builds_pkey');
    table.string('entity_ref', 255).notNullable();
    table.integer('number').notNullable().comment('1, 2, 3 … per entity');
    table.string('status', 16).notNullable();
    table.string('build_type', 32).notNullable();
    table.string('language', 32).nullable();
    table.string('branch', 255).notNullable();
    table.string('commit', 64).nullable();
    table.string('triggered_by', 255).notNullable();
    table.string('rerun_of', 36).nullable();
    table.integer('dockerfile_revision').nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('started_at').nullable();
    table.bigInteger('finished_at').nullable();
    table.text('image_ref').nullable();
    table.string('image_digest', 80).nullable();
    table.text('scan').nullable().comment('ScanResult JSON');
    table.text('steps').notNullable().comment('BuildStep[] JSON');
    table.string('cluster', 255).notNullable();
    table.string('namespace', 255).notNullable();
    table.string('job_name', 63).nullable();
    table.text('error').nullable();
    table
      .text('spec')
      .notNullable()
      .comment('What to build, resolved at trigger time (JSON)');
    table.integer('version').notNullable().defaultTo(0);
    table.integer('log_lines').notNullable().defaultTo(0);
    table.boolean('log_complete').notNullable().defaultTo(false);
    table
      .text('log_cursor')
      .nullable()
      .comment('Where the follower stopped, per container (JSON)');
    table.string('follower', 128).nullable();
    table.bigInteger('follower_until').nullable();
    table.unique(['entity_ref', 'number'], {
      indexName: 'builds_entity_number_uq',
    });
    table.index(['entity_ref', 'created_at'], 'builds_entity_created_idx');
    table.index(['status'], 'builds_status_idx');
  });

  await knex.schema.createTable('build_log_chunks', table => {
    table.comment('A build log, as consecutive line ranges');
    table.string('build_id', 36).notNullable();
    table.integer('from_line').notNullable().comment('0-based first line');
    table.integer('line_count').notNullable();
    table.integer('byte_count').notNullable();
    table
      .text('content')
      .nullable()
      .comment('Lines joined by \\n (database store)');
    table
      .string('object_key', 255)
      .nullable()
      .comment('Object store key (filesystem store)');
    table.primary(['build_id', 'from_line'], 'build_log_chunks_pkey');
  });
  if (
    knex.client.config.client === 'pg' ||
    String(knex.client.config.client).includes('pg')
  ) {
    // Logs arrive fast and are read rarely: lz4 compresses them several
    // times faster than the default pglz (PostgreSQL 14+ built with lz4).
    await knex.raw('SAVEPOINT builds_lz4');
    try {
      await knex.raw(
        'ALTER TABLE build_log_chunks ALTER COLUMN content SET COMPRESSION lz4',
      );
    } catch {
      await knex.raw('ROLLBACK TO SAVEPOINT builds_lz4');
    }
  }

  await knex.schema.createTable('build_dockerfiles', table => {
    table.comment('Custom Dockerfile revisions per entity; never updated');
    table.string('entity_ref', 255).notNullable();
    table.integer('revision').notNullable();
    table.text('content').notNullable();
    table.text('message').notNullable();
    table.string('author', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.primary(['entity_ref', 'revision'], 'build_dockerfiles_pkey');
  });

  await knex.schema.createTable('build_waivers', table => {
    table.comment(
      'Scan waivers: requested by a developer, decided by a team lead',
    );
    table.string('id', 36).notNullable();
    table.primary(['id'], 'build_waivers_pkey');
    table.string('entity_ref', 255).notNullable();
    table.text('rule_ids').notNullable().comment('JSON array');
    table.text('reason').notNullable();
    table.string('requested_by', 255).notNullable();
    table
      .string('approved_by', 255)
      .nullable()
      .comment('Who decided (approved or rejected)');
    table.text('decision_reason').nullable();
    table.string('status', 16).notNullable();
    table.bigInteger('expires_at').notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('decided_at').nullable();
    table.index(['entity_ref', 'created_at'], 'build_waivers_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('build_waivers');
  await knex.schema.dropTable('build_dockerfiles');
  await knex.schema.dropTable('build_log_chunks');
  await knex.schema.dropTable('builds');
};
