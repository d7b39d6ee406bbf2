import { parseEntityRef } from '@backstage/catalog-model';
import { AuditRecord } from '@fincloud/plugin-audit-common';
import { AuditStore } from '@fincloud/plugin-audit-node';
import { DeployMarker } from '@fincloud/plugin-monitoring-common';
import { MarkerEventConfig } from '../config/types';

/*
 * Deploy markers come from the audit trail: every plugin already records
 * its builds and releases there (coreServices.auditor → the fincloud audit
 * store), with the entity ref. That is the extension point: a plugin whose
 * audit events should mark the charts needs no code here, only a
 * `fincloud.monitoring.markers` entry (plugin, event ids, kind). By default
 * every finished (succeeded / failed) event of at least medium severity of
 * the `builds` and `releases` plugins is a marker.
 */

const DETAIL_KEYS = [
  'version',
  'toVersion',
  'strategy',
  'step',
  'image',
  'imageTag',
  'tag',
  'releaseId',
  'buildId',
];

const MAX_PAGES = 5;

function detail(meta: Record<string, unknown>): string | undefined {
  for (const key of DETAIL_KEYS) {
    const value = meta[key];
    if (typeof value === 'string' || typeof value === 'number') {
      return String(value);
    }
  }
  return undefined;
}

function linkFor(
  template: string | undefined,
  entityRef: string,
  meta: Record<string, unknown>,
): string | undefined {
  if (!template) return undefined;
  const { kind, namespace, name } = parseEntityRef(entityRef);
  let missing = false;
  const link = template.replace(/\{([a-zA-Z0-9_.]+)\}/g, (_m, key: string) => {
    let value: unknown;
    if (key === 'kind') value = kind.toLocaleLowerCase('en-US');
    else if (key === 'namespace') value = namespace;
    else if (key === 'name') value = name;
    else if (key.startsWith('meta.')) value = meta[key.slice(5)];
    if (typeof value !== 'string' && typeof value !== 'number') {
      missing = true;
      return '';
    }
    return encodeURIComponent(String(value));
  });
  // Only relative links into the portal: nothing from an event may send the
  // user elsewhere.
  if (missing || !link.startsWith('/') || link.startsWith('//'))
    return undefined;
  return link;
}

export function recordToMarker(
  record: AuditRecord,
  config: MarkerEventConfig,
  entityRef: string,
): DeployMarker {
  const meta = (record.meta ?? {}) as Record<string, unknown>;
  const extra = detail(meta);
  return {
    at: Date.parse(record.at),
    kind: config.kind,
    label: extra ? `${record.eventId} ${extra}` : record.eventId,
    status: record.status,
    ...(linkFor(config.link, entityRef, meta)
      ? { link: linkFor(config.link, entityRef, meta) }
      : {}),
  };
}

/** The markers of an entity between `from` and `to` (unix ms), oldest first. */
export async function readMarkers(
  store: Pick<AuditStore, 'query'>,
  markers: MarkerEventConfig[],
  entityRef: string,
  from: number,
  to: number,
): Promise<DeployMarker[]> {
  const out: DeployMarker[] = [];
  await Promise.all(
    markers.map(async config => {
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await store.query({
          entityRef,
          plugin: config.plugin,
          status: config.statuses,
          ...(config.eventIds?.length === 1
            ? { eventId: config.eventIds[0] }
            : {}),
          ...(config.eventIds
            ? {}
            : { severity: ['medium', 'high', 'critical'] }),
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          limit: 500,
          cursor,
        });
        for (const record of result.items) {
          if (config.eventIds && !config.eventIds.includes(record.eventId)) {
            continue;
          }
          out.push(recordToMarker(record, config, entityRef));
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
    }),
  );
  return out.sort((a, b) => a.at - b.at);
}
