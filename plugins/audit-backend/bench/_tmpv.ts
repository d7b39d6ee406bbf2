import knexFactory, { Knex } from 'knex';
import { CheckpointSigner, DatabaseAuditStore, verifyAuditTrail } from '@fincloud/plugin-audit-node';
const quiet: any = { info() {}, warn() {}, error: console.error, debug() {}, child: () => quiet };
const signer = CheckpointSigner.hmac('b', 'b'.repeat(40));
async function fill(knex: Knex, n: number) {
  const store = await DatabaseAuditStore.create({ database: knex, logger: quiet, signer, batchSize: 2000, maxQueuedEvents: 600000 });
  const have = Number((await knex('audit_events').count({ n: '*' }))[0].n);
  for (let i = have; i < n; i++) await store.append({ plugin: 'catalog', eventId: 'entity-fetch', severity: 'low', status: 'initiated', actor: { type: 'user', ref: 'user:default/paula' }, entityRef: 'component:default/payment-gateway', request: { method: 'GET', path: '/api/catalog/entities/by-name/component/default/payment-gateway', ip: '127.0.0.1' }, meta: { entityRef: 'component:default/payment-gateway', queryType: 'by-name', n: i }, correlationId: 'c' });
  await store.flush({ timeoutMs: 600000 }); await store.stop();
}
async function main() {
  const admin = knexFactory({ client: 'pg', connection: { host: '127.0.0.1', user: 'postgres', database: 'postgres' } });
  if (!(await admin.raw("select 1 from pg_database where datname='hc_v'")).rows.length) await admin.raw('CREATE DATABASE hc_v');
  const pg = knexFactory({ client: 'pg', connection: { host: '127.0.0.1', user: 'postgres', database: 'hc_v' } });
  const sq = knexFactory({ client: 'better-sqlite3', connection: { filename: '/tmp/hc/v.sqlite' }, useNullAsDefault: true });
  const N = 500000;
  await fill(pg, N); await fill(sq, N);
  for (const [name, k] of [['pg', pg], ['sqlite', sq]] as const) for (const pageSize of [5000, 10000, 20000]) {
    const t = Date.now();
    const r = await verifyAuditTrail(k, signer, { pageSize });
    console.log(name, pageSize, Math.round(r.checked / ((Date.now() - t) / 1000)), '/s', r.ok);
  }
  await pg.destroy(); await sq.destroy(); await admin.destroy();
}
main();
