import {
  ConflictError,
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { PROMETHEUS_RULE, PrometheusRuleObject } from './alertRules';

/** The Kubernetes API's message from an ApiException body, without the headers the exception's own message carries. */
export function kubernetesMessage(error: unknown): string {
  if (error instanceof ApiException) {
    let body: any = error.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        // keep the text
      }
    }
    let message = `HTTP ${error.code}`;
    if (typeof body === 'string') message = body;
    else if (body && typeof body.message === 'string') message = body.message;
    return message.length > 800 ? `${message.slice(0, 800)}…` : message;
  }
  return (error as Error)?.message ?? String(error);
}

/** Turns a Kubernetes API failure into the matching Backstage error. */
export function kubernetesError(error: unknown, what: string): Error {
  if (error instanceof ApiException) {
    const message = `${what}: ${kubernetesMessage(error)}`;
    switch (error.code) {
      case 400:
      case 422:
        return new InputError(message);
      case 403:
        return new NotAllowedError(message);
      case 409:
        return new ConflictError(message);
      default:
        return new ServiceUnavailableError(message);
    }
  }
  return new ServiceUnavailableError(
    `${what}: the cluster is unreachable (${
      (error as Error)?.message ?? error
    })`,
  );
}

/**
 * Reads and writes PrometheusRule objects through the cluster API
 * (`@kubernetes/client-node`, credentials from fincloud-node). Writes are
 * read-modify-replace with the object's resourceVersion, retried on a
 * conflict, so two replicas (or two people) editing one service's rules
 * never lose each other's rule.
 */
export class PrometheusRuleStore {
  constructor(private readonly clusters: FincloudClustersService) {}

  private api(cluster: string) {
    return this.clusters.getKubeConfig(cluster).makeApiClient(CustomObjectsApi);
  }

  async get(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<PrometheusRuleObject | undefined> {
    try {
      return (await this.api(cluster).getNamespacedCustomObject({
        ...PROMETHEUS_RULE,
        namespace,
        name,
      })) as PrometheusRuleObject;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw kubernetesError(
        error,
        `reading PrometheusRule ${namespace}/${name} in cluster ${cluster}`,
      );
    }
  }

  /**
   * Applies `change` to the current object (undefined when there is none)
   * and writes the result; `change` returning undefined deletes the object.
   * Retried from a fresh read when someone else wrote in between.
   */
  async update(
    cluster: string,
    namespace: string,
    name: string,
    change: (
      current: PrometheusRuleObject | undefined,
    ) => PrometheusRuleObject | undefined,
  ): Promise<PrometheusRuleObject | undefined> {
    const api = this.api(cluster);
    const what = `writing PrometheusRule ${namespace}/${name} in cluster ${cluster}`;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(cluster, namespace, name);
      const next = change(current);
      try {
        if (!next) {
          if (current) {
            await api.deleteNamespacedCustomObject({
              ...PROMETHEUS_RULE,
              namespace,
              name,
              body: {
                preconditions: {
                  resourceVersion: current.metadata.resourceVersion,
                },
              },
            });
          }
          return undefined;
        }
        if (!current) {
          return (await api.createNamespacedCustomObject({
            ...PROMETHEUS_RULE,
            namespace,
            body: next,
          })) as PrometheusRuleObject;
        }
        return (await api.replaceNamespacedCustomObject({
          ...PROMETHEUS_RULE,
          namespace,
          name,
          body: {
            ...next,
            metadata: {
              ...next.metadata,
              resourceVersion: current.metadata.resourceVersion,
            },
          },
        })) as PrometheusRuleObject;
      } catch (error) {
        const conflict =
          error instanceof ApiException &&
          (error.code === 409 || (error.code === 404 && !!current));
        if (conflict && attempt < 4) continue;
        throw kubernetesError(error, what);
      }
    }
  }

  /** Every PrometheusRule with `role: alert-rules` in a cluster (the dev rule sync). */
  async listAll(cluster: string): Promise<PrometheusRuleObject[]> {
    try {
      const list = (await this.api(cluster).listClusterCustomObject({
        group: PROMETHEUS_RULE.group,
        version: PROMETHEUS_RULE.version,
        plural: PROMETHEUS_RULE.plural,
        labelSelector: 'role=alert-rules',
      })) as { items?: PrometheusRuleObject[] };
      return list.items ?? [];
    } catch (error) {
      throw kubernetesError(
        error,
        `listing PrometheusRules in cluster ${cluster}`,
      );
    }
  }
}
