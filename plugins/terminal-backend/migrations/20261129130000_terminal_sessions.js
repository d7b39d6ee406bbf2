// @ts-check

/**
 * Terminal sessions, the restricted-mode command log, and asciicast
 * recordings stored in chunks.
 *
 * Times are milliseconds since the epoch (bigint): the same on SQLite and
 * Postgres, and what the session limits and the stale-session reaper
 * compare.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('terminal_sessions', table => {
    table.comment('One row per terminal session, live or ended');
    table.string('id', 36).notNullable();
    table.primary(['id'], 'terminal_sessions_pkey');
    table.string('entity_ref', 512).notNullable();
    table.string('user_ref', 512).notNullable();
    table.string('mode', 16).notNullable();
    table.string('cluster', 255).notNullable();
    table.string('namespace', 255).notNullable();
    table.string('pod', 255).notNullable();
    table.string('container', 255).notNullable();
    table.string('debug_container', 255).nullable();
    table.text('justification').nullable();
    table.string('approved_by', 512).nullable();
    table.bigInteger('started_at').notNullable();
    table.bigInteger('ended_at').nullable();
    table.string('end_reason', 32).nullable();
    table.string('terminated_by', 512).nullable();
    table.text('terminate_reason').nullable();
    table
      .string('terminate_requested_by', 512)
      .nullable()
      .comment('Set by a terminate on any replica; the owning replica ends the session');
    table.integer('commands').notNullable().defaultTo(0);
    table.integer('refused').notNullable().defaultTo(0);
    table.bigInteger('bytes_out').notNullable().defaultTo(0);
    table.boolean('has_recording').notNullable().defaultTo(false);
    table.string('instance_id', 64).notNullable();
    table.bigInteger('heartbeat_at').notNullable();
    table.index(['entity_ref', 'started_at'], 'terminal_sessions_entity_idx');
    table.index(['user_ref', 'started_at'], 'terminal_sessions_user_idx');
    table.index(['started_at'], 'terminal_sessions_started_idx');
    table.index(['ended_at'], 'terminal_sessions_ended_idx');
  });

  await knex.schema.createTable('terminal_commands', table => {
    table.comment('Restricted-mode command lines, allowed and refused');
    table.string('session_id', 36).notNullable();
    table.integer('seq').notNullable();
    table.primary(['session_id', 'seq'], 'terminal_commands_pkey');
    table.bigInteger('at').notNullable();
    table.text('line').notNullable().comment('As typed, secrets masked');
    table.text('argv').notNullable().comment('JSON array, secrets masked');
    table.boolean('allowed').notNullable();
    table.string('rule', 512).notNullable();
    table.text('message').notNullable();
    table.integer('exit_code').nullable();
    table.integer('duration_ms').nullable();
    table.bigInteger('bytes_out').nullable();
    table
      .foreign(['session_id'], 'terminal_commands_session_fk')
      .references(['id'])
      .inTable('terminal_sessions')
      .onDelete('CASCADE');
  });

  await knex.schema.createTable('terminal_recording_chunks', table => {
    table.comment('asciicast v2 recordings: header line (seq 0) then event lines, masked');
    table.string('session_id', 36).notNullable();
    table.integer('seq').notNullable();
    table.primary(['session_id', 'seq'], 'terminal_recording_chunks_pkey');
    table.text('data').notNullable();
    table.integer('bytes').notNullable();
    table
      .foreign(['session_id'], 'terminal_recording_chunks_session_fk')
      .references(['id'])
      .inTable('terminal_sessions')
      .onDelete('CASCADE');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('terminal_recording_chunks');
  await knex.schema.dropTable('terminal_commands');
  await knex.schema.dropTable('terminal_sessions');
};
