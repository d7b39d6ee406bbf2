import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
} from '@kubernetes/client-node';
import type { FincloudClustersService } from '@fincloud/plugin-fincloud-node';

export interface ClusterClients {
  kubeConfig: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  log: Log;
}

/** One set of clients per cluster, made on first use. */
export class ClusterClientCache {
  private readonly cache = new Map<string, ClusterClients>();

  constructor(private readonly clusters: FincloudClustersService) {}

  get(cluster: string): ClusterClients {
    let clients = this.cache.get(cluster);
    if (!clients) {
      const kubeConfig = this.clusters.getKubeConfig(cluster);
      clients = {
        kubeConfig,
        batch: kubeConfig.makeApiClient(BatchV1Api),
        core: kubeConfig.makeApiClient(CoreV1Api),
        log: new Log(kubeConfig),
      };
      this.cache.set(cluster, clients);
    }
    return clients;
  }
}

/** The HTTP status of a client-node error; undefined for network errors. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's message (a Status body), else the error's own. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as any;
    if (body && typeof body === 'object' && body.message) return body.message;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body);
        if (parsed?.message) return parsed.message;
      } catch {
        // not JSON
      }
      if (body.trim()) return body.trim().slice(0, 500);
    }
    return `HTTP ${error.code}`;
  }
  return (error as Error)?.message ?? String(error);
}

/**
 * Whether retrying later can help: network errors, 5xx, 429 and 409
 * conflicts are transient; other 4xx answers are the cluster refusing.
 */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined || status === 0) return true;
  return status >= 500 || status === 429 || status === 409;
}
