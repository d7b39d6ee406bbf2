import knexFactory from 'knex';
import { CheckpointSigner, verifyAuditTrail } from '@fincloud/plugin-audit-node';
const signer = CheckpointSigner.hmac('b', 'b'.repeat(40));
async function main() {
  const sq = knexFactory({ client: process.argv[2] === 'pg' ? 'pg' : 'better-sqlite3', connection: process.argv[2] === 'pg' ? { host: '127.0.0.1', user: 'postgres', database: 'hc_v' } : { filename: '/tmp/hc/v.sqlite' }, useNullAsDefault: true });
  const t = Date.now();
  const r = await verifyAuditTrail(sq, signer, { pageSize: 10000 });
  console.log(Math.round(r.checked / ((Date.now() - t) / 1000)), '/s', r.ok);
  await sq.destroy();
}
main();
