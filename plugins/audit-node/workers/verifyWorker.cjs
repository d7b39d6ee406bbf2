/*
 * Worker thread of the parallel chain verification (verifyAuditTrail with
 * more than PARALLEL_MIN_RECORDS records): reads the pages it is given with
 * its own database connection and checks each page on its own (content
 * hashes, links inside the page, stored hashes), reporting a summary per
 * page; the main thread stitches the pages in order (gaps and links between
 * pages, checkpoints). Plain JavaScript so it runs as-is in every setting;
 * the canonical form below is the one of src/chain/canonical.ts (the tests
 * compare both paths on the same chains).
 */
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const knexFactory = require('knex');

const VERSION = 'fincloud-audit/1';
const sha256 =
  typeof crypto.hash === 'function'
    ? s => crypto.hash('sha256', s, 'hex')
    : s => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

const COLUMNS = [
  'seq', 'id', 'at', 'plugin', 'event_id', 'severity', 'status', 'actor_type',
  'actor_ref', 'entity_ref', 'request_method', 'request_path', 'request_ip',
  'meta', 'error', 'correlation_id', 'content_hash', 'prev_hash', 'hash',
];

async function main() {
  const { client, connection, pages, pageSize, checkpointSeqs } = workerData;
  const isPg = client === 'pg';
  const cps = new Set(checkpointSeqs);
  const knex = knexFactory({
    client,
    connection,
    useNullAsDefault: true,
    pool: { min: 0, max: 1 },
  });
  try {
    for (const after of pages) {
      let q = knex('audit_events')
        .select(COLUMNS)
        .where('seq', '>', after)
        .andWhere('seq', '<=', after + pageSize)
        .orderBy('seq', 'asc');
      if (isPg) q = q.options({ rowMode: 'array' });
      const rows = await q;
      const summary = { after, count: 0, cpHashes: [] };
      let expected = after + 1;
      let prev;
      for (const r of rows) {
        const a = isPg ? r : COLUMNS.map(c => r[c]);
        const seq = Number(a[0]);
        if (summary.count === 0) {
          summary.firstSeq = seq;
          summary.firstPrev = a[17];
          expected = seq;
        }
        if (seq !== expected) {
          summary.problem = { seq: expected, kind: 'gap', next: seq };
          break;
        }
        const contentHash = sha256(
          JSON.stringify([
            VERSION, seq, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
            a[9], a[10], a[11], a[12], a[13], a[14], a[15],
          ]),
        );
        if (contentHash !== a[16]) {
          summary.problem = { seq, kind: 'content' };
          break;
        }
        if (prev !== undefined && a[17] !== prev) {
          summary.problem = { seq, kind: 'link' };
          break;
        }
        const hash = sha256((prev === undefined ? a[17] : prev) + contentHash);
        if (hash !== a[18]) {
          summary.problem = { seq, kind: 'hash' };
          break;
        }
        if (cps.has(seq)) summary.cpHashes.push([seq, hash]);
        prev = hash;
        expected = seq + 1;
        summary.count += 1;
        summary.lastSeq = seq;
        summary.lastHash = hash;
        summary.lastAt = a[2];
      }
      parentPort.postMessage({ summary });
    }
  } finally {
    await knex.destroy();
  }
}

main().then(
  () => parentPort.postMessage({ done: true }),
  error => parentPort.postMessage({ error: String((error && error.stack) || error) }),
);
