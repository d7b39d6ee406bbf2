import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { stringify } from 'yaml';
import { PrometheusClient } from '../clients/PrometheusClient';
import { PrometheusRuleObject } from '../service/alertRules';
import { PrometheusRuleStore } from '../service/PrometheusRuleStore';

/*
 * DEVELOPMENT ONLY. In a real cluster the Prometheus operator turns
 * PrometheusRule objects into rule files. The simulator has no operator, so
 * this task plays its part for `./fincloud start`: it copies every
 * PrometheusRule labelled `role: alert-rules` into the directory the
 * simulator's Prometheus loads rule files from (`.fincloud/rules`), removes
 * the files of deleted objects, and asks Prometheus to reload
 * (`--web.enable-lifecycle`). It only touches files named
 * `fincloud-sync-*.yml`.
 */

export const SYNC_PREFIX = 'fincloud-sync-';

const GROUP_FIELDS = ['name', 'interval', 'limit', 'rules'];
const RULE_FIELDS = [
  'alert',
  'record',
  'expr',
  'for',
  'keep_firing_for',
  'labels',
  'annotations',
];

function pick(object: Record<string, unknown>, fields: string[]) {
  return Object.fromEntries(
    fields.filter(f => object[f] !== undefined).map(f => [f, object[f]]),
  );
}

/** The rule file Prometheus reads for one PrometheusRule (fields Prometheus knows only). */
export function ruleFileFor(object: PrometheusRuleObject): string {
  return stringify({
    groups: (object.spec?.groups ?? []).map(group => ({
      ...pick(group, GROUP_FIELDS),
      rules: (group.rules ?? []).map(rule =>
        pick(rule as Record<string, unknown>, RULE_FIELDS),
      ),
    })),
  });
}

function fileName(cluster: string, object: PrometheusRuleObject) {
  const safe = (s: string) => s.replace(/[^a-zA-Z0-9.-]/g, '_');
  return `${SYNC_PREFIX}${safe(cluster)}-${safe(
    object.metadata.namespace,
  )}-${safe(object.metadata.name)}.yml`;
}

export interface RuleSyncOptions {
  store: PrometheusRuleStore;
  clusters: string[];
  directory: string;
  prometheus: PrometheusClient;
  logger: LoggerService;
  /** Log a failed reload at debug level only (it was already reported). */
  quiet?: boolean;
  /** Carried between passes: a reload that failed is tried again. */
  state?: { reloadPending: boolean };
}

/** One pass; returns what changed. */
export async function syncRules(options: RuleSyncOptions) {
  const { directory, logger } = options;
  mkdirSync(directory, { recursive: true });
  const wanted = new Map<string, string>();
  for (const cluster of options.clusters) {
    for (const object of await options.store.listAll(cluster)) {
      wanted.set(fileName(cluster, object), ruleFileFor(object));
    }
  }
  const written: string[] = [];
  const removed: string[] = [];
  for (const [name, text] of wanted) {
    const path = join(directory, name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    // Write then rename: Prometheus never reads half a file.
    const tmp = join(directory, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
    written.push(name);
  }
  for (const name of readdirSync(directory)) {
    if (
      name.startsWith(SYNC_PREFIX) &&
      name.endsWith('.yml') &&
      !wanted.has(name)
    ) {
      rmSync(join(directory, name), { force: true });
      removed.push(name);
    }
  }
  const state = options.state ?? { reloadPending: false };
  if (written.length || removed.length || state.reloadPending) {
    try {
      await options.prometheus.reload();
      state.reloadPending = false;
      logger.info(
        `Synced alert rules to ${directory} (${written.length} written, ${removed.length} removed); Prometheus reloaded`,
      );
    } catch (error) {
      state.reloadPending = true;
      (options.quiet ? logger.debug : logger.warn).call(
        logger,
        `Synced alert rules to ${directory}, but Prometheus did not reload: ${
          (error as Error).message
        }`,
      );
    }
  }
  return { written, removed };
}
