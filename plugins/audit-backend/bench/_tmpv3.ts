import knexFactory from 'knex';
import { CheckpointSigner, verifyAuditTrail } from '@fincloud/plugin-audit-node';
const signer = CheckpointSigner.hmac('b', 'b'.repeat(40));
async function main() {
  for (const eng of ['pg', 'sqlite']) {
    const k = knexFactory({ client: eng === 'pg' ? 'pg' : 'better-sqlite3', connection: eng === 'pg' ? { host: '127.0.0.1', user: 'postgres', database: 'hc_v' } : { filename: '/tmp/hc/v.sqlite' }, useNullAsDefault: true });
    for (const parallel of [false, true]) {
      const t = Date.now();
      const r = await verifyAuditTrail(k, signer, { parallel });
      console.log(eng, parallel ? 'parallel' : 'sequential', Math.round(r.checked / ((Date.now() - t) / 1000)), '/s', r.ok, r.checked);
    }
    await k.destroy();
  }
}
main();
