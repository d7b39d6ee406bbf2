import fs from 'node:fs';
import readline from 'node:readline';
import {
  AUDIT_GENESIS_HASH,
  canonicalJson,
  chainHashOf,
  contentHashOf,
} from '../chain/canonical';
import { AuditCheckpoint, CheckpointSigner } from '../chain/signer';
import { AuditExportItem, AuditExportRecord } from '../store/types';
import { csvLine, parseCsv } from './csv';

/**
 * Columns of the CSV export. Every line has a `type`: `header`, `anchor`,
 * `record`, `link`, `checkpoint` or `end`; `extra` holds the JSON of the
 * header, checkpoint signature and end counts.
 *
 * @public
 */
export const AUDIT_CSV_COLUMNS = [
  'type',
  'seq',
  'id',
  'at',
  'plugin',
  'eventId',
  'severity',
  'status',
  'actorType',
  'actorRef',
  'entityRef',
  'requestMethod',
  'requestPath',
  'requestIp',
  'meta',
  'error',
  'correlationId',
  'contentHash',
  'prevHash',
  'hash',
  'extra',
] as const;

type Col = (typeof AUDIT_CSV_COLUMNS)[number];

/** The CSV column header line. @public */
export function auditCsvHeader(): string {
  return csvLine([...AUDIT_CSV_COLUMNS]);
}

/** One export item as a CSV line. @public */
export function auditItemToCsv(item: AuditExportItem): string {
  const cells: Partial<Record<Col, string | number | null>> = {
    type: item.type,
  };
  switch (item.type) {
    case 'header': {
      const { type, ...rest } = item;
      cells.extra = JSON.stringify(rest);
      break;
    }
    case 'anchor':
      cells.seq = item.seq;
      cells.hash = item.hash;
      break;
    case 'record':
      Object.assign(cells, {
        seq: item.seq,
        id: item.id,
        at: item.at,
        plugin: item.plugin,
        eventId: item.eventId,
        severity: item.severity,
        status: item.status,
        actorType: item.actorType,
        actorRef: item.actorRef,
        entityRef: item.entityRef,
        requestMethod: item.requestMethod,
        requestPath: item.requestPath,
        requestIp: item.requestIp,
        meta: canonicalJson(item.meta),
        error: item.error,
        correlationId: item.correlationId,
        contentHash: item.contentHash,
        prevHash: item.prevHash,
        hash: item.hash,
      });
      break;
    case 'link':
      cells.seq = item.seq;
      cells.contentHash = item.contentHash;
      break;
    case 'checkpoint':
      cells.seq = item.seq;
      cells.at = item.at;
      cells.hash = item.hash;
      cells.extra = JSON.stringify({
        algorithm: item.algorithm,
        keyId: item.keyId,
        signature: item.signature,
      });
      break;
    case 'end':
      cells.extra = JSON.stringify({
        records: item.records,
        links: item.links,
      });
      break;
    default:
      break;
  }
  return csvLine(AUDIT_CSV_COLUMNS.map(c => cells[c] ?? null));
}

/** One export item as a JSON Lines line. @public */
export function auditItemToJsonl(item: AuditExportItem): string {
  return `${JSON.stringify(item)}\n`;
}

function csvRowToItem(row: Array<string | null>): AuditExportItem {
  const get = (c: Col) => row[AUDIT_CSV_COLUMNS.indexOf(c)] ?? null;
  const num = (c: Col) => Number(get(c));
  const type = get('type');
  switch (type) {
    case 'header':
      return { type: 'header', ...JSON.parse(get('extra') ?? '{}') };
    case 'anchor':
      return { type: 'anchor', seq: num('seq'), hash: get('hash') ?? '' };
    case 'record':
      return {
        type: 'record',
        seq: num('seq'),
        id: get('id') ?? '',
        at: get('at') ?? '',
        plugin: get('plugin') ?? '',
        eventId: get('eventId') ?? '',
        severity: get('severity') ?? '',
        status: get('status') ?? '',
        actorType: get('actorType') ?? '',
        actorRef: get('actorRef'),
        entityRef: get('entityRef'),
        requestMethod: get('requestMethod'),
        requestPath: get('requestPath'),
        requestIp: get('requestIp'),
        meta: JSON.parse(get('meta') ?? '{}'),
        error: get('error'),
        correlationId: get('correlationId') ?? '',
        contentHash: get('contentHash') ?? '',
        prevHash: get('prevHash') ?? '',
        hash: get('hash') ?? '',
      };
    case 'link':
      return {
        type: 'link',
        seq: num('seq'),
        contentHash: get('contentHash') ?? '',
      };
    case 'checkpoint':
      return {
        type: 'checkpoint',
        seq: num('seq'),
        at: get('at') ?? '',
        hash: get('hash') ?? '',
        ...JSON.parse(get('extra') ?? '{}'),
      };
    case 'end':
      return { type: 'end', ...JSON.parse(get('extra') ?? '{}') };
    default:
      throw new Error(`Unknown line type '${type}'`);
  }
}

/** Reads the items of an export file (CSV or JSON Lines, by content). @public */
export async function* readAuditExportFile(
  file: string,
): AsyncGenerator<AuditExportItem> {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(4);
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  if (head.toString('utf8').startsWith('type')) {
    const rows = parseCsv(fs.readFileSync(file, 'utf8'));
    let first = true;
    for (const row of rows) {
      if (first) {
        first = false;
        if (row.join(',') !== AUDIT_CSV_COLUMNS.join(',')) {
          throw new Error(
            'Not a fincloud audit CSV export: unexpected columns',
          );
        }
        continue;
      }
      yield csvRowToItem(row);
    }
    return;
  }
  const rl = readline.createInterface({
    input: fs.createReadStream(file, 'utf8'),
    crlfDelay: Infinity,
  });
  for await (const line of rl) {
    if (line.trim()) yield JSON.parse(line);
  }
}

/**
 * Result of checking an export or archive file.
 *
 * @public
 */
export interface AuditExportVerifyResult {
  ok: boolean;
  records: number;
  links: number;
  fromSeq?: number;
  toSeq?: number;
  checkpoint?: { seq: number; at: string; signatureValid: boolean | string };
  firstBroken?: { seq: number; reason: string };
}

function contentOf(r: AuditExportRecord) {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    plugin: r.plugin,
    eventId: r.eventId,
    severity: r.severity,
    status: r.status,
    actorType: r.actorType,
    actorRef: r.actorRef,
    entityRef: r.entityRef,
    requestMethod: r.requestMethod,
    requestPath: r.requestPath,
    requestIp: r.requestIp,
    meta: canonicalJson(r.meta),
    error: r.error,
    correlationId: r.correlationId,
  };
}

/**
 * Checks an export: every record's content hash, the chain from the
 * anchor through records and links to the signed checkpoint, and the
 * checkpoint's signature (when the signer has the key).
 *
 * @public
 */
export async function verifyAuditExport(
  items: AsyncIterable<AuditExportItem> | Iterable<AuditExportItem>,
  signer: CheckpointSigner,
): Promise<AuditExportVerifyResult> {
  let prev: string | undefined;
  let expected = 0;
  let records = 0;
  let links = 0;
  let fromSeq: number | undefined;
  let toSeq: number | undefined;
  let checkpoint: AuditExportVerifyResult['checkpoint'];
  let sawHeader = false;
  let sawEnd = false;
  const broken = (seq: number, reason: string): AuditExportVerifyResult => ({
    ok: false,
    records,
    links,
    ...(fromSeq !== undefined ? { fromSeq, toSeq } : {}),
    ...(checkpoint ? { checkpoint } : {}),
    firstBroken: { seq, reason },
  });

  for await (const item of items) {
    if (sawEnd) return broken(expected, 'content after the end line');
    switch (item.type) {
      case 'header':
        if (item.format !== 'fincloud-audit-export/1') {
          return broken(0, `unknown export format '${item.format}'`);
        }
        sawHeader = true;
        break;
      case 'anchor':
        if (!sawHeader) return broken(0, 'the header line is missing');
        if (item.seq === 0 && item.hash !== AUDIT_GENESIS_HASH) {
          return broken(1, 'the anchor of record 1 must be the genesis hash');
        }
        prev = item.hash;
        expected = item.seq + 1;
        break;
      case 'record': {
        if (prev === undefined)
          return broken(item.seq, 'record before the anchor line');
        if (item.seq !== expected) {
          return broken(
            expected,
            `record or link ${expected} is missing (found ${item.seq})`,
          );
        }
        const contentHash = contentHashOf(contentOf(item));
        if (contentHash !== item.contentHash) {
          return broken(
            item.seq,
            `record ${item.seq} was altered: its content does not match its hash`,
          );
        }
        if (item.prevHash !== prev) {
          return broken(
            item.seq,
            `record ${item.seq} does not link to the record before it`,
          );
        }
        const hash = chainHashOf(prev, contentHash);
        if (hash !== item.hash) {
          return broken(item.seq, `record ${item.seq} has a wrong chain hash`);
        }
        prev = hash;
        fromSeq ??= item.seq;
        toSeq = item.seq;
        records += 1;
        expected += 1;
        break;
      }
      case 'link':
        if (prev === undefined)
          return broken(item.seq, 'link before the anchor line');
        if (item.seq !== expected) {
          return broken(
            expected,
            `record or link ${expected} is missing (found ${item.seq})`,
          );
        }
        prev = chainHashOf(prev, item.contentHash);
        links += 1;
        expected += 1;
        break;
      case 'checkpoint': {
        const cp = item as AuditCheckpoint;
        if (prev !== undefined && cp.seq !== expected - 1) {
          return broken(
            cp.seq,
            `the checkpoint is at ${cp.seq} but the proof ends at ${
              expected - 1
            }`,
          );
        }
        const sig = signer.verify(cp);
        checkpoint = { seq: cp.seq, at: cp.at, signatureValid: sig };
        if (prev !== undefined && cp.hash !== prev) {
          return broken(
            cp.seq,
            `the chain does not reach the signed checkpoint at ${cp.seq}: records were altered, added or left out`,
          );
        }
        if (sig !== true) {
          return broken(
            cp.seq,
            `the checkpoint signature is ${
              sig === false ? 'invalid' : `not checkable: ${sig}`
            }`,
          );
        }
        break;
      }
      case 'end':
        if (item.records !== records || item.links !== links) {
          return broken(
            expected,
            `the end line counts ${item.records} records and ${item.links} links, the file has ${records} and ${links}`,
          );
        }
        sawEnd = true;
        break;
      default:
        return broken(expected, `unknown line type`);
    }
  }
  if (!sawEnd) return broken(expected, 'the file is truncated: no end line');
  if (records > 0 && !checkpoint) {
    return broken(expected, 'no signed checkpoint covers the records');
  }
  return {
    ok: true,
    records,
    links,
    ...(fromSeq !== undefined ? { fromSeq, toSeq } : {}),
    ...(checkpoint ? { checkpoint } : {}),
  };
}
