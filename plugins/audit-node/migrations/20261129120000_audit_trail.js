// @ts-check

/**
 * The audit trail: an append-only hash chain of events, its head (the one
 * row every writer locks to take the next sequence numbers), signed
 * checkpoints and the archive ranges written by retention.
 *
 * On Postgres and SQLite, triggers reject UPDATE and DELETE of events,
 * checkpoints and archive ranges (and TRUNCATE on Postgres): the code has no
 * path that changes them, and a mistaken statement fails loudly. A database
 * owner can still drop the triggers; the hash chain and the signed
 * checkpoints are what detect that kind of tampering.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', table => {
    table.comment('Append-only, hash-chained audit events');
    table.bigInteger('seq').notNullable();
    table.primary(['seq'], 'audit_events_pkey');
    table
      .string('id', 36)
      .notNullable()
      .unique({ indexName: 'audit_events_id_uq' });
    table.string('at', 24).notNullable().comment('ISO 8601 UTC, milliseconds');
    table.string('plugin', 128).notNullable();
    table.string('event_id', 255).notNullable();
    table.string('severity', 8).notNullable();
    table.string('status', 9).notNullable();
    table.string('actor_type', 8).notNullable();
    table.string('actor_ref', 512).nullable();
    table.string('entity_ref', 512).nullable();
    table.string('request_method', 16).nullable();
    table.text('request_path').nullable();
    table.string('request_ip', 64).nullable();
    table.text('meta').notNullable().comment('Canonical JSON, redacted');
    table.text('error').nullable();
    table.string('correlation_id', 36).notNullable();
    table.string('content_hash', 64).notNullable();
    table.string('prev_hash', 64).notNullable();
    table.string('hash', 64).notNullable();
    table
      .text('search_text')
      .notNullable()
      .comment(
        'Lower-cased event id, error and meta; an index for free text, not hashed',
      );
    table.index(['entity_ref', 'seq'], 'audit_events_entity_idx');
    table.index(['actor_ref', 'seq'], 'audit_events_actor_idx');
    table.index(['event_id', 'seq'], 'audit_events_event_idx');
    table.index(['plugin', 'seq'], 'audit_events_plugin_idx');
    table.index(['at'], 'audit_events_at_idx');
    table.index(['correlation_id'], 'audit_events_correlation_idx');
  });

  await knex.schema.createTable('audit_head', table => {
    table.comment('The newest record of the chain; locked by every writer');
    table.integer('id').notNullable();
    table.primary(['id'], 'audit_head_pkey');
    table.bigInteger('seq').notNullable();
    table.string('hash', 64).notNullable();
    table.bigInteger('checkpoint_seq').notNullable();
    table.string('checkpoint_at', 24).nullable();
  });
  await knex('audit_head').insert({
    id: 1,
    seq: 0,
    hash: '0'.repeat(64),
    checkpoint_seq: 0,
    checkpoint_at: null,
  });

  await knex.schema.createTable('audit_checkpoints', table => {
    table.comment(
      'Signed chain hashes; a rewrite of the whole chain breaks them',
    );
    table.bigInteger('seq').notNullable();
    table.primary(['seq'], 'audit_checkpoints_pkey');
    table.string('at', 24).notNullable();
    table.string('hash', 64).notNullable();
    table.string('algorithm', 16).notNullable();
    table.string('key_id', 128).notNullable();
    table.text('signature').notNullable();
  });

  await knex.schema.createTable('audit_archives', table => {
    table.comment(
      'Ranges written to archive files by retention; the rows stay',
    );
    table.bigInteger('from_seq').notNullable();
    table.primary(['from_seq'], 'audit_archives_pkey');
    table.bigInteger('to_seq').notNullable();
    table.string('anchor_hash', 64).notNullable();
    table.string('last_hash', 64).notNullable();
    table.text('file').notNullable();
    table.string('file_sha256', 64).notNullable();
    table.string('created_at', 24).notNullable();
  });

  const client = knex.client.config.client;
  const guarded = ['audit_events', 'audit_checkpoints', 'audit_archives'];
  if (client === 'pg') {
    await knex.raw(`
      CREATE FUNCTION fincloud_audit_append_only() RETURNS trigger AS $$
      BEGIN
        RAISE EXCEPTION 'fincloud audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END;
      $$ LANGUAGE plpgsql`);
    for (const t of guarded) {
      await knex.raw(
        `CREATE TRIGGER ${t}_append_only BEFORE UPDATE OR DELETE ON ${t}
           FOR EACH ROW EXECUTE FUNCTION fincloud_audit_append_only()`,
      );
      await knex.raw(
        `CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t}
           FOR EACH STATEMENT EXECUTE FUNCTION fincloud_audit_append_only()`,
      );
    }
  } else if (client === 'better-sqlite3' || client === 'sqlite3') {
    for (const t of guarded) {
      for (const op of ['UPDATE', 'DELETE']) {
        await knex.raw(
          `CREATE TRIGGER ${t}_no_${op.toLowerCase()} BEFORE ${op} ON ${t}
             BEGIN SELECT RAISE(ABORT, 'fincloud audit trail is append-only: ${op} on ${t} refused'); END`,
        );
      }
    }
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_archives');
  await knex.schema.dropTable('audit_checkpoints');
  await knex.schema.dropTable('audit_head');
  await knex.schema.dropTable('audit_events');
  if (knex.client.config.client === 'pg') {
    await knex.raw('DROP FUNCTION IF EXISTS fincloud_audit_append_only()');
  }
};
