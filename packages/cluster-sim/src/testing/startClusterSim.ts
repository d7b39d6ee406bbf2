import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ManualClock } from '../controllers/clock';
import type { K8sObject } from '../store/ObjectStore';
import type { ContainerLog } from '../store/logs';
import { Simulator, SimulatorOptions } from '../server/Simulator';
import { applyObjects, parseManifests } from '../server/seed';
import type { FaultInjector } from './faults';

export interface StartClusterSimOptions
  extends Omit<SimulatorOptions, 'manualClock'> {
  /** Time moves only on `clock.advance()`; default false (real time). */
  manualClock?: boolean;
}

export interface ClusterSimStore {
  /** An object by apiVersion, kind, namespace and name, as stored (read-only). */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): K8sObject | undefined;
  /** Objects of a kind (optionally in one namespace), sorted by namespace/name. */
  list(apiVersion: string, kind: string, namespace?: string): K8sObject[];
  /** Events about an object, oldest first. */
  events(namespace: string, name: string): K8sObject[];
  /** A container's log text as `pods/log` would send it. */
  logText(namespace: string, pod: string, container: string): string;
  /** Appends lines to a running container's log (the benchmark, log-viewer tests). */
  writeLog(
    namespace: string,
    pod: string,
    container: string,
    lines: string[],
  ): void;
}

export interface ClusterSim {
  /** API server URL, e.g. `http://127.0.0.1:43121`. */
  url: string;
  /** Bearer token of the API server. */
  token: string;
  /** A client-node KubeConfig for the simulator (with its CA over HTTPS; skipTLSVerify for the default plain HTTP). */
  kubeConfig(): KubeConfig;
  /** Base64 PEM CA when started with `tls: true`. */
  caData?: string;
  /** The same as a kubeconfig file. */
  kubeconfigYaml(): string;
  clock: {
    /** Milliseconds since the epoch on the simulator's clock. */
    now(): number;
    /** Moves a manual clock forward, running the controllers as time passes. */
    advance(ms: number): void;
  };
  /** Creates (or replaces) objects through the API rules; YAML text or objects. */
  apply(objects: string | K8sObject | K8sObject[]): K8sObject[];
  faults: FaultInjector;
  store: ClusterSimStore;
  /** Runs the controllers until nothing is queued. */
  settle(): void;
  /** The simulator itself (controllers, server), for what the helpers above do not cover. */
  simulator: Simulator;
  stop(): Promise<void>;
}

/** A kubeconfig file for the simulator: token auth; the CA when it serves HTTPS, skip-verify for plain HTTP. */
export function kubeconfigFor(
  url: string,
  token: string,
  name = 'fincloud-sim',
  caData?: string,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: url,
          ...(caData
            ? { 'certificate-authority-data': caData }
            : { 'insecure-skip-tls-verify': true }),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [
      {
        name,
        context: { cluster: name, user: `${name}-admin`, namespace: 'default' },
      },
    ],
    'current-context': name,
  });
}

/**
 * Starts a simulated cluster in this process on a free port, for tests.
 *
 *     const sim = await startClusterSim({ manualClock: true });
 *     const core = sim.kubeConfig().makeApiClient(CoreV1Api);
 *     ...
 *     await sim.stop();
 */
export async function startClusterSim(
  options: StartClusterSimOptions = {},
): Promise<ClusterSim> {
  const simulator = await Simulator.start({
    ...options,
    manualClock: options.manualClock ?? false,
  });
  const { cluster } = simulator;
  const resourceOf = (apiVersion: string, kind: string) => {
    const r = cluster.registry.forKind(apiVersion, kind);
    if (!r) throw new Error(`no resource serves ${apiVersion} ${kind}`);
    return r;
  };
  const podLog = (
    namespace: string,
    pod: string,
    container: string,
  ): ContainerLog => {
    const p = cluster.tryGet(cluster.resource('', 'pods'), namespace, pod);
    if (!p) throw new Error(`pod ${namespace}/${pod} not found`);
    const log = cluster.logs.get(p.metadata.uid!, container);
    if (!log)
      throw new Error(
        `container ${container} of ${namespace}/${pod} has not started`,
      );
    return log;
  };
  return {
    url: simulator.url,
    token: simulator.token,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [
          simulator.caData
            ? {
                name: 'fincloud-sim',
                server: simulator.url,
                caData: simulator.caData,
                skipTLSVerify: false,
              }
            : {
                name: 'fincloud-sim',
                server: simulator.url,
                skipTLSVerify: true,
              },
        ],
        users: [{ name: 'fincloud-sim-admin', token: simulator.token }],
        contexts: [
          {
            name: 'fincloud-sim',
            cluster: 'fincloud-sim',
            user: 'fincloud-sim-admin',
            namespace: 'default',
          },
        ],
        currentContext: 'fincloud-sim',
      });
      return kc;
    },
    caData: simulator.caData,
    kubeconfigYaml: () =>
      kubeconfigFor(
        simulator.url,
        simulator.token,
        'fincloud-sim',
        simulator.caData,
      ),
    clock: {
      now: () => simulator.clock.now(),
      advance(ms: number) {
        if (!(simulator.clock instanceof ManualClock)) {
          throw new Error(
            'the clock is real time: start the simulator with { manualClock: true } to advance it',
          );
        }
        simulator.clock.advance(ms);
      },
    },
    apply(objects) {
      let list: K8sObject[];
      if (typeof objects === 'string') list = parseManifests(objects);
      else list = Array.isArray(objects) ? objects : [objects];
      const result = applyObjects(cluster, list);
      simulator.settle();
      return result;
    },
    faults: simulator.faults,
    store: {
      get: (apiVersion, kind, namespace, name) =>
        cluster.tryGet(resourceOf(apiVersion, kind), namespace, name),
      list: (apiVersion, kind, namespace) =>
        cluster.store.list(
          cluster.key(resourceOf(apiVersion, kind)),
          namespace,
        ),
      events: (namespace, name) =>
        cluster.store
          .list('core/events', namespace)
          .filter(e => e.involvedObject?.name === name)
          .sort(
            (a, b) =>
              Number(a.metadata.resourceVersion) -
              Number(b.metadata.resourceVersion),
          ),
      logText: (namespace, pod, container) =>
        podLog(namespace, pod, container).text(),
      writeLog: (namespace, pod, container, lines) =>
        podLog(namespace, pod, container).appendLines(
          simulator.clock.now(),
          lines,
        ),
    },
    settle: () => simulator.settle(),
    simulator,
    stop: () => simulator.stop(),
  };
}
