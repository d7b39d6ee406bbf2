/**
 * The seams between the simulator's API server (store, HTTP, controllers) and
 * its behaviour modules (exec emulator, scheduler, build logs, traffic and
 * metrics). Both sides code against these types; change them only together.
 */
import type {
  V1Deployment,
  V1Node,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';

// ---------------------------------------------------------------- clock

/** Deterministic time: the server uses real time, tests advance it by hand. */
export interface SimClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once the clock has reached now() + ms. Returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

// ---------------------------------------------------------------- exec (src/exec)

/** What a container's emulated process can reach and read. */
export interface ContainerContext {
  namespace: string;
  podName: string;
  containerName: string;
  image: string;
  /** Container env (from the pod spec) plus HOSTNAME, KUBERNETES_SERVICE_HOST etc. */
  env: Record<string, string>;
  podIp: string;
  nodeName?: string;
  /** The pod's labels (app, version, ...). */
  labels: Record<string, string>;
  clock: SimClock;
  /**
   * Optional (added compatibly): when the container started (ms since the
   * epoch), so uptime, `ps` and the app's growing logs match the pod's age.
   * Default: 20 minutes before the emulated container is created.
   */
  startedAt?: number;
  /**
   * A simulated HTTP request to a cluster address (Service DNS name such as
   * `risk-engine.risk.svc.cluster.local`, short `risk-engine`, or a ClusterIP).
   * Never reaches the host network. Undefined result = no such host.
   */
  httpRequest(request: {
    url: string;
    method: string;
    headers: Record<string, string>;
  }): Promise<
    | { status: number; headers: Record<string, string>; body: string }
    | undefined
  >;
  /**
   * Optional (added compatibly): the cluster DNS answer for a name (Service
   * DNS name, short or qualified, or a pod IP's name) as an IP address, for
   * `nslookup`, `getent` and `curl -v`. Undefined = NXDOMAIN. Without it the
   * emulator falls back to the `<SVC>_SERVICE_HOST` env vars.
   */
  resolve?(host: string): string | undefined;
}

export interface ExecIO {
  /** Data written to the stdin channel; ends when the client closes stdin. Null without stdin. */
  stdin: AsyncIterable<Buffer> | null;
  stdout(chunk: string | Buffer): void;
  stderr(chunk: string | Buffer): void;
  tty: boolean;
  /** Terminal size changes (resize channel 4), when tty. */
  onResize(listener: (size: { cols: number; rows: number }) => void): void;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
}

/** Thrown by `exec` when argv[0] is not a command of the emulated image. */
export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(
      `exec: "${command}": executable file not found in $PATH: unknown`,
    );
    this.name = 'CommandNotFoundError';
  }
}

/**
 * One emulated container: an in-memory filesystem seeded per image and a set
 * of emulated commands. Never starts a host process.
 */
export interface EmulatedContainer {
  /** Runs argv (no shell unless argv[0] is a shell); resolves with the exit code. */
  exec(argv: string[], io: ExecIO): Promise<number>;
}

export type CreateEmulatedContainer = (
  context: ContainerContext,
) => EmulatedContainer;

// ---------------------------------------------------------------- scheduler (src/scheduler)

export interface ScheduleInput {
  pod: V1Pod;
  nodes: V1Node[];
  /** Pods already bound to each node (by node name), for resources and anti-affinity. */
  podsByNode: ReadonlyMap<string, V1Pod[]>;
}

export type ScheduleResult =
  | { node: string }
  | {
      unschedulable: true;
      /** As kube-scheduler writes it in the FailedScheduling event, e.g. "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: high-performance}, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling." */
      message: string;
    };

export type SchedulePod = (input: ScheduleInput) => ScheduleResult;

// ---------------------------------------------------------------- build logs (src/buildlog)

/** One container of a Job pod run as a scripted step. */
export interface ScriptedStep {
  /** The container name (init containers first, in spec order, then containers). */
  container: string;
  /** Log lines with their offset from the step's start. */
  lines: Array<{ atMs: number; text: string }>;
  /** How long the step runs. */
  durationMs: number;
  exitCode: number;
  /** Termination reason when exitCode != 0 ("Error", "DeadlineExceeded" ...). */
  reason?: string;
}

/**
 * The scripted run of a Job's pod, derived from its spec only (images,
 * args, env, annotations; see the README for the conventions, e.g. how a test
 * makes a build fail at a chosen step). Every container of a Job pod gets a
 * step; unknown images get a generic step that succeeds.
 */
export type ScriptPod = (
  pod: V1Pod,
  context?: ScriptPodContext,
) => ScriptedStep[];

/**
 * Optional extra input for `ScriptPod` (added compatibly): the data of the
 * ConfigMaps in the pod's namespace, by name, so that a Dockerfile mounted
 * from a ConfigMap is printed instruction by instruction. Without it the
 * build step uses `DOCKERFILE_INLINE` or a default Dockerfile.
 */
export interface ScriptPodContext {
  configMaps?: ReadonlyMap<string, Record<string, string>>;
}

// ---------------------------------------------------------------- traffic and metrics (src/traffic)

/** The objects the traffic model reads each tick. */
export interface TrafficWorld {
  services: V1Service[];
  /** Deployments carry per-version behaviour in annotations (sim.fincloud.io/*). */
  deployments: V1Deployment[];
  pods: V1Pod[];
  nodes: V1Node[];
  /** networking.istio.io VirtualServices (v1beta1 or v1), as plain objects. */
  virtualServices: any[];
  destinationRules: any[];
  envoyFilters: any[];
}

export interface RoutedResponse {
  status: number;
  latencyMs: number;
  /** The workload (Deployment) and version that answered; undefined when nothing did. */
  workload?: string;
  version?: string;
  body: string;
}

export interface TrafficSimulator {
  /** Advances the model: sends the configured load for dtMs and records metrics. */
  tick(world: TrafficWorld, dtMs: number): void;
  /** One request (from curl in a container, or a test), routed like any other. */
  request(
    world: TrafficWorld,
    request: { host: string; path: string; headers: Record<string, string> },
  ): RoutedResponse | undefined;
  /** Requests per second sent to a Service (namespace/name); default from the seed. */
  setRate(namespace: string, service: string, rps: number): void;
  /** Prometheus text exposition (istio_*, container_*, kube_* metric families). */
  renderMetrics(world: TrafficWorld): string;
}
