import knexFactory from 'knex';
import { CheckpointSigner, DatabaseAuditStore, verifyAuditTrail } from '@fincloud/plugin-audit-node';
const quiet: any = { info() {}, warn() {}, error: console.error, debug() {}, child: () => quiet };
async function main() {
  const admin = knexFactory({ client: 'pg', connection: { host: '127.0.0.1', user: 'postgres', database: 'postgres' } });
  await admin.raw('DROP DATABASE IF EXISTS hc_fetch WITH (FORCE)'); await admin.raw('CREATE DATABASE hc_fetch');
  const knex = knexFactory({ client: 'pg', connection: { host: '127.0.0.1', user: 'postgres', database: 'hc_fetch' } });
  const signer = CheckpointSigner.hmac('b', 'b'.repeat(40));
  const store = await DatabaseAuditStore.create({ database: knex, logger: quiet, signer, batchSize: 2000, maxQueuedEvents: 400000 });
  let t = Date.now();
  const N = 300000;
  for (let i = 0; i < N; i++) await store.append({ plugin: 'catalog', eventId: 'entity-fetch', severity: 'low', status: 'initiated', actor: { type: 'user', ref: 'user:default/paula' }, entityRef: 'component:default/payment-gateway', request: { method: 'GET', path: '/api/catalog/entities/by-name/component/default/payment-gateway', ip: '127.0.0.1' }, meta: { entityRef: 'component:default/payment-gateway', queryType: 'by-name', n: i }, correlationId: 'c' });
  await store.flush({ timeoutMs: 600000 }); await store.stop();
  console.log('fill', N / ((Date.now() - t) / 1000), '/s');
  for (const mode of ['object', 'array']) {
    t = Date.now(); let after = 0; let n = 0;
    for (;;) {
      const q = knex('audit_events').select('seq','id','at','plugin','event_id','severity','status','actor_type','actor_ref','entity_ref','request_method','request_path','request_ip','meta','error','correlation_id','content_hash','prev_hash','hash').where('seq', '>', after).orderBy('seq').limit(10000);
      const rows: any[] = mode === 'array' ? await q.options({ rowMode: 'array' }) : await q;
      if (!rows.length) break;
      n += rows.length; after = Number(mode === 'array' ? rows[rows.length - 1][0] : rows[rows.length - 1].seq);
    }
    console.log('fetch', mode, n / ((Date.now() - t) / 1000), '/s');
  }
  t = Date.now();
  const r = await verifyAuditTrail(knex, signer);
  console.log('verify', r.checked / ((Date.now() - t) / 1000), '/s', r.ok);
  await knex.destroy(); await admin.raw('DROP DATABASE hc_fetch WITH (FORCE)'); await admin.destroy();
}
main();
