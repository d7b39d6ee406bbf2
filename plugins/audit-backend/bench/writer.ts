/*
 * One of several concurrent writer processes of the Postgres bench: its own
 * connection pool and store, like one backend replica.
 * argv: <connection JSON> <records> <spool dir>
 */
import knexFactory from 'knex';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  FincloudAuditorService,
} from '@fincloud/plugin-audit-node';
import {
  benchAuth,
  benchHttpAuth,
  defaultLogOnlyAuditor,
  drive,
} from './common';

async function main() {
  const [connection, records, spool] = process.argv.slice(2);
  const knex = knexFactory({
    client: 'pg',
    connection: JSON.parse(connection),
    pool: { min: 1, max: 4 },
  });
  const logger = {
    info() {},
    warn() {},
    error: console.error,
    debug() {},
    child: () => logger,
  } as any;
  const store = await DatabaseAuditStore.create({
    database: knex,
    logger,
    signer: CheckpointSigner.hmac(
      'bench',
      'bench-hmac-key-0123456789abcdef0123456',
    ),
    spoolDirectory: spool,
    batchSize: 1000,
  });
  const auditor = new FincloudAuditorService({
    logging: await defaultLogOnlyAuditor(),
    store,
    auth: benchAuth,
    httpAuth: benchHttpAuth,
    pluginId: 'bench',
  });
  process.send!({ ready: true });
  await new Promise(resolve => process.once('message', resolve));
  const result = await drive({
    auditor,
    severity: 'low',
    actions: Number(records) / 2,
    concurrency: 32,
    settle: () => store.flush({ timeoutMs: 600_000 }),
  });
  process.send!({ result });
  await store.stop();
  await knex.destroy();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
