import type { Writable, Readable } from 'node:stream';
import { LoggerService } from '@backstage/backend-plugin-api';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import {
  ApiException,
  CoreV1Api,
  Exec,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  V1EphemeralContainer,
  V1NetworkPolicy,
  V1Pod,
  V1Status,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { WebSocket } from 'ws';

/** The HTTP status of a Kubernetes API error (undefined for anything else). */
export function kubeStatusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A short, credential-free description of a Kubernetes API error. */
export function describeKubeError(error: unknown): string {
  if (error instanceof ApiException) {
    let message: string | undefined;
    try {
      const body =
        typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      message = body?.message;
    } catch {
      message = undefined;
    }
    return `Kubernetes API ${error.code}${message ? `: ${message}` : ''}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/Bearer\s+\S+/gi, 'Bearer [REDACTED]').slice(0, 500);
}

const mergePatch = () =>
  setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Label a pod carries while a debug session's NetworkPolicy applies to it. */
export const DEBUG_SESSION_LABEL = 'fincloud.io/terminal-debug-session';
/** Name of the NetworkPolicy the terminal manages in each namespace. */
export const DEBUG_NETWORK_POLICY = 'fincloud-terminal-debug-egress';

export interface ExecStreams {
  stdout: Writable;
  stderr: Writable | null;
  stdin: Readable | null;
  tty: boolean;
  onStatus: (status: V1Status) => void;
}

export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find(c => c.reason === 'ExitCode');
  if (cause?.message && /^[0-9]+$/.test(cause.message)) {
    return Number(cause.message);
  }
  // The runtime could not start the command (not found ...): as a shell says it.
  return /not found|no such file/i.test(status.message ?? '') ? 127 : 126;
}

/**
 * Everything the terminal does to clusters, through `@kubernetes/client-node`
 * with the KubeConfigs of `fincloudClustersServiceRef`: no credentials ever
 * leave it.
 */
export class KubeGateway {
  private readonly configs = new Map<string, KubeConfig>();
  private readonly services = new Map<
    string,
    { at: number; names: Promise<Set<string>> }
  >();

  constructor(
    private readonly clusters: FincloudClustersService,
    private readonly logger: LoggerService,
    private readonly serviceCacheMs = 30_000,
  ) {}

  private kc(cluster: string): KubeConfig {
    let kc = this.configs.get(cluster);
    if (!kc) {
      kc = this.clusters.getKubeConfig(cluster);
      this.configs.set(cluster, kc);
    }
    return kc;
  }

  private core(cluster: string) {
    return this.kc(cluster).makeApiClient(CoreV1Api);
  }

  async listWorkloadPods(
    cluster: string,
    namespace: string,
    workload: string,
  ): Promise<V1Pod[]> {
    const list = await this.core(cluster).listNamespacedPod({
      namespace,
      labelSelector: `app=${workload}`,
    });
    return list.items;
  }

  async getPod(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<V1Pod | undefined> {
    try {
      return await this.core(cluster).readNamespacedPod({ name, namespace });
    } catch (error) {
      if (kubeStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Whether a URL host names a Service of the cluster: `svc` (in the pod's
   * namespace), `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`, or
   * `localhost`. Services are listed at most every 30 s per cluster.
   */
  async knownHosts(
    cluster: string,
    namespace: string,
  ): Promise<(host: string) => boolean> {
    let entry = this.services.get(cluster);
    if (!entry || Date.now() - entry.at > this.serviceCacheMs) {
      const names = this.core(cluster)
        .listServiceForAllNamespaces()
        .then(
          list =>
            new Set(
              list.items.map(
                s => `${s.metadata?.name}.${s.metadata?.namespace}`,
              ),
            ),
        );
      entry = { at: Date.now(), names };
      this.services.set(cluster, entry);
      names.catch(() => this.services.delete(cluster));
    }
    let names: Set<string>;
    try {
      names = await entry.names;
    } catch (error) {
      this.logger.warn(
        `Could not list the Services of cluster ${cluster}: ${describeKubeError(
          error,
        )}; URLs are refused until it answers`,
      );
      names = new Set();
    }
    return (host: string) => {
      if (host === 'localhost') return true;
      const labels = host.split('.');
      if (labels.length === 1) return names.has(`${labels[0]}.${namespace}`);
      const known = names.has(`${labels[0]}.${labels[1]}`);
      const suffix = labels.slice(2).join('.');
      return known && ['', 'svc', 'svc.cluster.local'].includes(suffix);
    };
  }

  /**
   * The values of the Secrets a container's environment references
   * (`secretKeyRef`, `envFrom.secretRef`), to mask them in recordings. An
   * unreadable Secret is skipped (logged): masking by pattern still applies.
   */
  async podSecretValues(
    cluster: string,
    pod: V1Pod,
    container: string,
  ): Promise<string[]> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const spec = [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.ephemeralContainers ?? []),
    ].find(c => c.name === container);
    if (!spec) return [];
    const wanted = new Map<string, Set<string> | 'all'>();
    for (const e of spec.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref?.name) continue;
      const keys = wanted.get(ref.name);
      if (keys === 'all') continue;
      wanted.set(ref.name, new Set([...(keys ?? []), ref.key]));
    }
    for (const from of spec.envFrom ?? []) {
      if (from.secretRef?.name) wanted.set(from.secretRef.name, 'all');
    }
    const values: string[] = [];
    for (const [name, keys] of wanted) {
      try {
        const secret = await this.core(cluster).readNamespacedSecret({
          name,
          namespace,
        });
        for (const [key, b64] of Object.entries(secret.data ?? {})) {
          if (keys !== 'all' && !keys.has(key)) continue;
          values.push(Buffer.from(b64, 'base64').toString('utf8'));
        }
      } catch (error) {
        this.logger.warn(
          `Could not read Secret ${namespace}/${name} to mask its values: ${describeKubeError(
            error,
          )}`,
        );
      }
    }
    return values;
  }

  /** Runs argv in a container through the exec API; resolves with the exec WebSocket once it is open. */
  async exec(
    cluster: string,
    namespace: string,
    pod: string,
    container: string,
    argv: string[],
    streams: ExecStreams,
  ): Promise<WebSocket> {
    const exec = new Exec(this.kc(cluster));
    const ws = await exec.exec(
      namespace,
      pod,
      container,
      argv,
      streams.stdout,
      streams.stderr,
      streams.stdin,
      streams.tty,
      streams.onStatus,
    );
    return ws as unknown as WebSocket;
  }

  /**
   * Adds an ephemeral debug container targeting `target` (through the
   * `pods/ephemeralcontainers` subresource) and waits until it runs.
   */
  async addDebugContainer(options: {
    cluster: string;
    namespace: string;
    pod: string;
    target: string;
    name: string;
    image: string;
    command: string[];
    timeoutMs: number;
  }): Promise<void> {
    const core = this.core(options.cluster);
    const container: V1EphemeralContainer = {
      name: options.name,
      image: options.image,
      command: options.command,
      targetContainerName: options.target,
      stdin: true,
      tty: true,
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    };
    for (let attempt = 0; ; attempt++) {
      const current = await core.readNamespacedPod({
        name: options.pod,
        namespace: options.namespace,
      });
      current.spec = {
        ...current.spec!,
        ephemeralContainers: [
          ...(current.spec?.ephemeralContainers ?? []),
          container,
        ],
      };
      try {
        await core.replaceNamespacedPodEphemeralcontainers({
          name: options.pod,
          namespace: options.namespace,
          body: current,
        });
        break;
      } catch (error) {
        if (kubeStatusOf(error) === 409 && attempt < 3) continue;
        throw error;
      }
    }
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const pod = await core.readNamespacedPod({
        name: options.pod,
        namespace: options.namespace,
      });
      const status = pod.status?.ephemeralContainerStatuses?.find(
        s => s.name === options.name,
      );
      if (status?.state?.running) return;
      if (status?.state?.terminated) {
        throw new Error(
          `debug container ${options.name} ended: ${
            status.state.terminated.reason ?? 'terminated'
          }`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `debug container ${options.name} did not start within ${Math.round(
            options.timeoutMs / 1000,
          )} s${
            status?.state?.waiting?.reason
              ? ` (${status.state.waiting.reason})`
              : ''
          }`,
        );
      }
      await new Promise(r => setTimeout(r, 200));
    }
  }

  /**
   * The egress NetworkPolicy of debug sessions: pods labelled
   * `DEBUG_SESSION_LABEL` may reach DNS and the configured destinations only.
   * Created or updated in the namespace (idempotent).
   */
  async ensureDebugNetworkPolicy(
    cluster: string,
    namespace: string,
    egress: any[],
  ): Promise<V1NetworkPolicy> {
    const api = this.kc(cluster).makeApiClient(NetworkingV1Api);
    const body: V1NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: DEBUG_NETWORK_POLICY,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'fincloud-terminal' },
        annotations: {
          'fincloud.io/description':
            'Egress of pods while a fincloud terminal debug session runs: DNS and the platform-approved destinations only.',
        },
      },
      spec: {
        podSelector: {
          matchExpressions: [{ key: DEBUG_SESSION_LABEL, operator: 'Exists' }],
        },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: {
                  matchLabels: {
                    'kubernetes.io/metadata.name': 'kube-system',
                  },
                },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
          ...egress,
        ],
      },
    };
    try {
      const existing = await api.readNamespacedNetworkPolicy({
        name: DEBUG_NETWORK_POLICY,
        namespace,
      });
      body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      return await api.replaceNamespacedNetworkPolicy({
        name: DEBUG_NETWORK_POLICY,
        namespace,
        body,
      });
    } catch (error) {
      if (kubeStatusOf(error) !== 404) throw error;
      return await api.createNamespacedNetworkPolicy({ namespace, body });
    }
  }

  /** Puts (value) or removes (null) the debug-session label on a pod. */
  async labelPod(
    cluster: string,
    namespace: string,
    pod: string,
    value: string | null,
  ): Promise<void> {
    await this.core(cluster).patchNamespacedPod(
      {
        name: pod,
        namespace,
        body: { metadata: { labels: { [DEBUG_SESSION_LABEL]: value } } },
      },
      mergePatch(),
    );
  }
}
