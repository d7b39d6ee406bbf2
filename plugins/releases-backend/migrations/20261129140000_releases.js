// @ts-check

/**
 * Releases as a persisted state machine, and traffic policy proposals.
 *
 * `releases.data` is the release (JSON: the API view and the controller's
 * part); `revision` is its optimistic lock. `intent` is the cluster state the
 * release wants, written in the same statement as the state change that
 * produced it and before anything is applied; `intent_generation` counts its
 * changes and `applied_generation` says which one the cluster has (a crash
 * between the two is repaired by the next controller tick). `claimed_by` /
 * `claimed_until` is the short lease a controller or a request holds while it
 * applies, so two backends never apply the same release at once.
 * `active_entity_ref` is the entity ref while the release is not finished and
 * NULL after: its unique index allows one active release per service.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('releases', table => {
    table.comment('fincloud releases: one row per release, a state machine');
    table.string('id', 36).notNullable();
    table.primary(['id'], 'releases_pkey');
    table.string('entity_ref', 255).notNullable();
    table
      .string('active_entity_ref', 255)
      .nullable()
      .unique({ indexName: 'releases_one_active_uq' });
    table.string('state', 32).notNullable();
    table.integer('revision').notNullable();
    table.bigInteger('created_at').notNullable().comment('epoch ms');
    table.bigInteger('updated_at').notNullable().comment('epoch ms');
    table.text('data').notNullable().comment('the release, JSON');
    table.text('intent').nullable().comment('desired cluster state, JSON');
    table.integer('intent_generation').notNullable();
    table.integer('applied_generation').notNullable();
    table.text('applied').nullable().comment('what was last applied, JSON');
    table.string('claimed_by', 128).nullable();
    table.bigInteger('claimed_until').nullable();
    table.index(['entity_ref', 'created_at', 'id'], 'releases_entity_idx');
    table.index(['active_entity_ref'], 'releases_active_idx');
  });

  await knex.schema.createTable('release_traffic_policies', table => {
    table.comment('traffic policy proposals (circuit breaking, rate limits)');
    table.string('id', 36).notNullable();
    table.primary(['id'], 'release_traffic_policies_pkey');
    table.string('entity_ref', 255).notNullable();
    table.string('state', 32).notNullable();
    table.integer('revision').notNullable();
    table.bigInteger('created_at').notNullable().comment('epoch ms');
    table.bigInteger('applied_at').nullable().comment('epoch ms');
    table.text('data').notNullable().comment('the proposal, JSON');
    table.index(
      ['entity_ref', 'created_at'],
      'release_traffic_policies_entity_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('release_traffic_policies');
  await knex.schema.dropTable('releases');
};
