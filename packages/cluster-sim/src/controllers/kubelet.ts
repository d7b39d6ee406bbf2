import type { V1Pod } from '@kubernetes/client-node';
import type {
  ContainerContext,
  EmulatedContainer,
  ScriptedStep,
} from '../contracts';
import type { K8sObject, StoreEvent } from '../store/ObjectStore';
import { isoSeconds } from '../store/Cluster';
import type { ContainerLog } from '../store/logs';
import { accessLine, shutdownLine, startupLines } from './applogs';
import type { Controller, ControllerContext } from './context';
import { buildWorld, resolveHost } from './traffic';
import { controllerRef, fnv32a, jitter, setCondition } from './util';

type ContainerKind = 'init' | 'main' | 'ephemeral';

interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: number;
  finishedAt: number;
  message?: string;
}

interface ContainerRun {
  name: string;
  kind: ContainerKind;
  spec: any;
  state: 'waiting' | 'running' | 'terminated';
  waitingReason: string;
  waitingMessage?: string;
  startedAt?: number;
  terminated?: Terminated;
  lastTerminated?: Terminated;
  restartCount: number;
  ready: boolean;
  created: boolean;
  log?: ContainerLog;
}

interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  scripted: boolean;
  containers: Map<string, ContainerRun>;
  timers: Set<() => void>;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  initialized: boolean;
  terminating: boolean;
  startTime: number;
  podIp: string;
  hostIp: string;
  emulated: Map<string, EmulatedContainer>;
  removal?: () => void;
  accessIndex: number;
}

const COMPONENT = 'kubelet';

/** Annotations (pod or pod template) that make a service pod misbehave, for release and monitoring tests. */
export const SIM_POD_ANNOTATIONS = {
  /** "true": the readiness probe never passes (a stuck rollout). */
  neverReady: 'sim.fincloud.io/never-ready',
  /** "true": the app exits with code 1 after starting, and restarts with back-off (CrashLoopBackOff). */
  crashLoop: 'sim.fincloud.io/crash-loop',
  /** "true": the image cannot be pulled (ErrImagePull / ImagePullBackOff). */
  imagePullError: 'sim.fincloud.io/image-pull-error',
} as const;

function containerId(uid: string, name: string, restart: number) {
  const a = fnv32a(`${uid}/${name}/${restart}`).toString(16).padStart(8, '0');
  const b = fnv32a(`${name}/${uid}/${restart}`).toString(16).padStart(8, '0');
  return `containerd://${(a + b).repeat(4)}`;
}

function imageId(image: string) {
  const h = fnv32a(image).toString(16).padStart(8, '0');
  const ref = image.split(':')[0];
  return `${
    ref.includes('/') ? ref : `docker.io/library/${ref}`
  }@sha256:${h.repeat(8)}`;
}

/**
 * The kubelet of every simulated node: runs the pods bound to nodes as
 * timed state machines (image pull, container start, readiness, scripted
 * Job steps with their logs, graceful termination), writes their status and
 * events, and owns the emulated containers `pods/exec` talks to.
 */
export class Kubelet implements Controller {
  private readonly runs = new Map<string, PodRun>();
  private readonly ipCounters = new Map<string, number>();
  private readonly pulled = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly options: { accessLogIntervalMs?: number } = {},
  ) {}

  onEvent(event: StoreEvent) {
    if (event.key !== 'core/pods') return;
    const pod = event.object;
    if (event.type === 'DELETED') {
      this.forget(pod.metadata.uid!);
      return;
    }
    if (!pod.spec?.nodeName) return;
    const { namespace, name, uid } = pod.metadata;
    this.ctx.queue.add(`kubelet:${uid}`, () =>
      this.sync(namespace!, name, uid!),
    );
  }

  /** Called by the API layer when a pod leaves storage. */
  forget(uid: string) {
    const run = this.runs.get(uid);
    if (!run) return;
    for (const cancel of run.timers) cancel();
    run.removal?.();
    run.timers.clear();
    run.emulated.clear();
    this.runs.delete(uid);
  }

  stop() {
    for (const uid of [...this.runs.keys()]) this.forget(uid);
  }

  // ---------------------------------------------------------------- exec support

  /**
   * The emulated container behind `pods/exec` for a running container of a
   * pod (one per container, its filesystem kept across execs). An error
   * message when the container is not running.
   */
  containerFor(
    pod: K8sObject,
    containerName: string,
  ): EmulatedContainer | string {
    const run = this.runs.get(pod.metadata.uid!);
    const c = run?.containers.get(containerName);
    if (!run || !c) return `container not found ("${containerName}")`;
    if (c.state !== 'running') {
      return c.state === 'waiting'
        ? `container ${containerName} is waiting to start: ${c.waitingReason}`
        : `container not found ("${containerName}")`;
    }
    let emulated = run.emulated.get(containerName);
    if (!emulated) {
      emulated = this.ctx.behaviours.createEmulatedContainer(
        this.contextFor(pod, run, c),
      );
      run.emulated.set(containerName, emulated);
    }
    return emulated;
  }

  private contextFor(
    pod: K8sObject,
    run: PodRun,
    c: ContainerRun,
  ): ContainerContext {
    const { cluster, clock, behaviours } = this.ctx;
    const namespace = run.namespace;
    return {
      namespace,
      podName: run.name,
      containerName: c.name,
      image: String(c.spec?.image ?? ''),
      env: this.envFor(pod, c.spec),
      podIp: run.podIp,
      nodeName: run.node,
      labels: { ...(pod.metadata.labels ?? {}) },
      clock,
      async httpRequest(request) {
        let url: URL;
        try {
          url = new URL(
            request.url.includes('://') ? request.url : `http://${request.url}`,
          );
        } catch {
          return undefined;
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          return undefined;
        const host = resolveHost(cluster, url.hostname, namespace);
        if (!host) return undefined;
        const response = behaviours.traffic.request(buildWorld(cluster), {
          host,
          path: `${url.pathname}${url.search}`,
          headers: {
            ...request.headers,
            'x-sim-source': `${namespace}/${run.name}`,
          },
        });
        if (!response) return undefined;
        return {
          status: response.status,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            server: 'istio-envoy',
            'x-envoy-upstream-service-time': String(
              Math.round(response.latencyMs),
            ),
            ...(response.version ? { 'x-sim-version': response.version } : {}),
          },
          body: response.body,
        };
      },
    };
  }

  private envFor(pod: K8sObject, spec: any): Record<string, string> {
    const { cluster } = this.ctx;
    const namespace = pod.metadata.namespace!;
    const env: Record<string, string> = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: pod.metadata.name,
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    };
    if (pod.spec?.enableServiceLinks !== false) {
      for (const svc of cluster.store.list('core/services', namespace)) {
        const prefix = svc.metadata.name.toUpperCase().replace(/-/g, '_');
        const port = svc.spec?.ports?.[0]?.port;
        if (
          !svc.spec?.clusterIP ||
          svc.spec.clusterIP === 'None' ||
          port === undefined
        )
          continue;
        env[`${prefix}_SERVICE_HOST`] = svc.spec.clusterIP;
        env[`${prefix}_SERVICE_PORT`] = String(port);
      }
    }
    const configValue = (
      kind: 'configmaps' | 'secrets',
      name: string,
      key: string,
    ): string | undefined => {
      const obj = cluster.store.get(`core/${kind}`, namespace, name);
      if (!obj) return undefined;
      if (kind === 'secrets') {
        const raw = obj.data?.[key];
        return raw === undefined
          ? undefined
          : Buffer.from(raw, 'base64').toString('utf8');
      }
      return obj.data?.[key];
    };
    for (const from of spec?.envFrom ?? []) {
      const prefix = from.prefix ?? '';
      let source: K8sObject | undefined;
      if (from.configMapRef)
        source = cluster.store.get(
          'core/configmaps',
          namespace,
          from.configMapRef.name,
        );
      else if (from.secretRef)
        source = cluster.store.get(
          'core/secrets',
          namespace,
          from.secretRef.name,
        );
      for (const [key, value] of Object.entries(source?.data ?? {})) {
        env[`${prefix}${key}`] = from.secretRef
          ? Buffer.from(String(value), 'base64').toString('utf8')
          : String(value);
      }
    }
    for (const e of spec?.env ?? []) {
      if (!e?.name) continue;
      if (e.value !== undefined) {
        env[e.name] = String(e.value).replace(
          /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
          (m, v) => env[v] ?? m,
        );
        continue;
      }
      const vf = e.valueFrom ?? {};
      let value: string | undefined;
      if (vf.fieldRef?.fieldPath) {
        const path: string = vf.fieldRef.fieldPath;
        const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(
          path,
        );
        if (labelMatch)
          value = (pod.metadata as any)[labelMatch[1]]?.[labelMatch[2]];
        else if (path === 'metadata.name') value = pod.metadata.name;
        else if (path === 'metadata.namespace') value = namespace;
        else if (path === 'metadata.uid') value = pod.metadata.uid;
        else if (path === 'spec.nodeName') value = pod.spec?.nodeName;
        else if (path === 'spec.serviceAccountName')
          value = pod.spec?.serviceAccountName;
        else if (path === 'status.podIP')
          value = this.runs.get(pod.metadata.uid!)?.podIp;
        else if (path === 'status.hostIP')
          value = this.runs.get(pod.metadata.uid!)?.hostIp;
      } else if (vf.configMapKeyRef) {
        value = configValue(
          'configmaps',
          vf.configMapKeyRef.name,
          vf.configMapKeyRef.key,
        );
      } else if (vf.secretKeyRef) {
        value = configValue(
          'secrets',
          vf.secretKeyRef.name,
          vf.secretKeyRef.key,
        );
      } else if (vf.resourceFieldRef) {
        const c = (pod.spec?.containers ?? []).find(
          (x: any) =>
            x.name === (vf.resourceFieldRef.containerName ?? spec?.name),
        );
        const [kind, res] = String(vf.resourceFieldRef.resource).split('.');
        value = c?.resources?.[kind]?.[res];
      }
      if (value !== undefined) env[e.name] = value;
    }
    return env;
  }

  // ---------------------------------------------------------------- lifecycle

  private sync(namespace: string, name: string, uid: string) {
    const pod = this.ctx.cluster.tryGet(
      this.ctx.resources.pods,
      namespace,
      name,
    );
    if (!pod || pod.metadata.uid !== uid || !pod.spec?.nodeName) return;
    let run = this.runs.get(uid);
    if (!run) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return;
      run = this.start(pod);
    }
    if (pod.metadata.deletionTimestamp && !run.terminating) {
      this.terminate(run, pod);
    }
    if (!run.terminating) {
      for (const spec of pod.spec?.ephemeralContainers ?? []) {
        if (!run.containers.has(spec.name)) this.startEphemeral(run, spec);
      }
    }
  }

  private allocateIp(node: string): string {
    const nodes = this.ctx.cluster.store.list('core/nodes');
    const index = Math.max(
      0,
      nodes.findIndex(n => n.metadata.name === node),
    );
    const next = (this.ipCounters.get(node) ?? 1) + 1;
    this.ipCounters.set(node, next > 250 ? 2 : next);
    return `10.244.${index}.${next}`;
  }

  private hostIpOf(node: string): string {
    const n = this.ctx.cluster.store.get('core/nodes', undefined, node);
    const address = (n?.status?.addresses ?? []).find(
      (a: any) => a.type === 'InternalIP',
    )?.address;
    if (address) return address;
    const nodes = this.ctx.cluster.store.list('core/nodes');
    return `192.168.49.${
      10 +
      Math.max(
        0,
        nodes.findIndex(x => x.metadata.name === node),
      )
    }`;
  }

  private start(pod: K8sObject): PodRun {
    const node = pod.spec.nodeName;
    const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
    const run: PodRun = {
      uid: pod.metadata.uid!,
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      node,
      scripted: restartPolicy !== 'Always',
      containers: new Map(),
      timers: new Set(),
      phase: 'Pending',
      initialized: (pod.spec?.initContainers ?? []).length === 0,
      terminating: false,
      startTime: this.ctx.clock.now(),
      podIp: this.allocateIp(node),
      hostIp: this.hostIpOf(node),
      emulated: new Map(),
      accessIndex: 0,
    };
    this.runs.set(run.uid, run);
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    for (const spec of pod.spec?.initContainers ?? []) {
      run.containers.set(
        spec.name,
        this.newContainer(spec, 'init', 'PodInitializing'),
      );
    }
    for (const spec of pod.spec?.containers ?? []) {
      run.containers.set(
        spec.name,
        this.newContainer(
          spec,
          'main',
          hasInit ? 'PodInitializing' : 'ContainerCreating',
        ),
      );
    }
    this.writeStatus(run);
    const steps = run.scripted ? this.scriptSteps(pod) : undefined;
    this.runInit(run, pod, 0, steps);
    return run;
  }

  private newContainer(
    spec: any,
    kind: ContainerKind,
    waitingReason: string,
  ): ContainerRun {
    return {
      name: spec.name,
      kind,
      spec,
      state: 'waiting',
      waitingReason,
      restartCount: 0,
      ready: false,
      created: false,
    };
  }

  private scriptSteps(pod: K8sObject): ScriptedStep[] {
    try {
      const configMaps = new Map<string, Record<string, string>>();
      for (const cm of this.ctx.cluster.store.list(
        'core/configmaps',
        pod.metadata.namespace,
      )) {
        configMaps.set(cm.metadata.name, { ...(cm.data ?? {}) });
      }
      return this.ctx.behaviours.scriptPod(pod as unknown as V1Pod, {
        configMaps,
      });
    } catch (error) {
      this.ctx.queue.onError(
        error as Error,
        `scriptPod ${pod.metadata.namespace}/${pod.metadata.name}`,
      );
      return [];
    }
  }

  private stepFor(
    steps: ScriptedStep[] | undefined,
    name: string,
  ): ScriptedStep {
    return (
      steps?.find(s => s.container === name) ?? {
        container: name,
        lines: [],
        durationMs: 1000,
        exitCode: 0,
      }
    );
  }

  private later(run: PodRun, ms: number, fn: () => void) {
    const cancel = this.ctx.clock.setTimeout(() => {
      run.timers.delete(cancel);
      if (this.runs.get(run.uid) !== run) return;
      fn();
    }, ms);
    run.timers.add(cancel);
  }

  private currentPod(run: PodRun): K8sObject | undefined {
    const pod = this.ctx.cluster.tryGet(
      this.ctx.resources.pods,
      run.namespace,
      run.name,
    );
    return pod && pod.metadata.uid === run.uid ? pod : undefined;
  }

  private event(
    run: PodRun,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    const pod = this.currentPod(run);
    if (pod)
      this.ctx.cluster.recordEvent(
        pod,
        type,
        reason,
        message,
        COMPONENT,
        run.node,
      );
  }

  private annotation(pod: K8sObject, key: string): string | undefined {
    return pod.metadata.annotations?.[key];
  }

  /** Pull (or find) the image, create and start the container, then call `started`. */
  private startContainer(
    run: PodRun,
    pod: K8sObject,
    c: ContainerRun,
    started: () => void,
  ) {
    const image = String(c.spec?.image ?? '');
    const pullPolicy = c.spec?.imagePullPolicy ?? 'IfNotPresent';
    const present =
      this.pulled.has(`${run.node}/${image}`) && pullPolicy !== 'Always';
    const seed = `${run.uid}/${c.name}/${c.restartCount}`;
    if (
      this.annotation(pod, SIM_POD_ANNOTATIONS.imagePullError) === 'true' &&
      c.kind !== 'ephemeral'
    ) {
      this.event(run, 'Normal', 'Pulling', `Pulling image "${image}"`);
      this.later(run, 800, () => {
        const message = `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
        this.event(run, 'Warning', 'Failed', message);
        this.event(run, 'Warning', 'Failed', 'Error: ErrImagePull');
        c.waitingReason = 'ErrImagePull';
        c.waitingMessage = message;
        this.writeStatus(run);
        this.later(run, 1000, () => {
          this.event(
            run,
            'Normal',
            'BackOff',
            `Back-off pulling image "${image}"`,
          );
          this.event(run, 'Warning', 'Failed', 'Error: ImagePullBackOff');
          c.waitingReason = 'ImagePullBackOff';
          c.waitingMessage = `Back-off pulling image "${image}"`;
          this.writeStatus(run);
        });
      });
      return;
    }
    const pullMs = present ? 0 : 600 + Math.round(jitter(seed) * 1400);
    if (present) {
      this.event(
        run,
        'Normal',
        'Pulled',
        `Container image "${image}" already present on machine`,
      );
    } else {
      this.event(run, 'Normal', 'Pulling', `Pulling image "${image}"`);
    }
    this.later(run, pullMs + 100, () => {
      if (!present) {
        this.pulled.add(`${run.node}/${image}`);
        const seconds = (pullMs / 1000).toFixed(3);
        const size = 40_000_000 + (fnv32a(image) % 200_000_000);
        this.event(
          run,
          'Normal',
          'Pulled',
          `Successfully pulled image "${image}" in ${seconds}s (${seconds}s including waiting). Image size: ${size} bytes.`,
        );
      }
      this.event(run, 'Normal', 'Created', `Created container: ${c.name}`);
      this.event(run, 'Normal', 'Started', `Started container ${c.name}`);
      c.created = true;
      c.state = 'running';
      c.startedAt = this.ctx.clock.now();
      c.log = this.ctx.cluster.logs.start(run.uid, c.name);
      c.waitingReason = '';
      c.waitingMessage = undefined;
      started();
    });
  }

  private finishContainer(
    run: PodRun,
    c: ContainerRun,
    exitCode: number,
    reason?: string,
    at?: number,
  ) {
    c.state = 'terminated';
    c.ready = false;
    c.terminated = {
      exitCode,
      reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      startedAt: c.startedAt ?? this.ctx.clock.now(),
      finishedAt: at ?? this.ctx.clock.now(),
    };
    c.log?.end();
    run.emulated.delete(c.name);
  }

  /** Plays a scripted step: its lines at their times, then its exit. */
  private playStep(
    run: PodRun,
    c: ContainerRun,
    step: ScriptedStep,
    done: (exitCode: number) => void,
  ) {
    const lines = step.lines;
    const total = lines.length;
    let i = 0;
    const start = c.startedAt!;
    const flush = (upTo: number) => {
      while (i < total) {
        const line = lines[i];
        if (line.atMs > upTo) break;
        c.log?.append(start + line.atMs, line.text);
        i++;
      }
    };
    const pump = () => {
      const elapsed = this.ctx.clock.now() - start;
      flush(Math.min(elapsed, step.durationMs));
      if (elapsed >= step.durationMs) {
        flush(Number.POSITIVE_INFINITY);
        this.finishContainer(
          run,
          c,
          step.exitCode,
          step.reason,
          start + step.durationMs,
        );
        done(step.exitCode);
        return;
      }
      const nextAt =
        i < total ? Math.min(lines[i].atMs, step.durationMs) : step.durationMs;
      this.later(run, Math.max(nextAt - elapsed, 20), pump);
    };
    pump();
  }

  private restartBackoff(c: ContainerRun): number {
    return Math.min(300_000, 10_000 * 2 ** Math.max(0, c.restartCount - 1));
  }

  private runInit(
    run: PodRun,
    pod: K8sObject,
    index: number,
    steps: ScriptedStep[] | undefined,
  ) {
    const inits: any[] = pod.spec?.initContainers ?? [];
    if (index >= inits.length) {
      run.initialized = true;
      this.startMains(run, pod, steps);
      return;
    }
    const c = run.containers.get(inits[index].name)!;
    const step = run.scripted
      ? this.stepFor(steps, c.name)
      : { container: c.name, lines: [], durationMs: 800, exitCode: 0 };
    this.writeStatus(run);
    this.startContainer(run, pod, c, () => {
      this.writeStatus(run);
      this.playStep(run, c, step, code => {
        if (code === 0) {
          this.runInit(run, pod, index + 1, steps);
          return;
        }
        if ((pod.spec?.restartPolicy ?? 'Always') === 'Never') {
          run.phase = 'Failed';
          this.writeStatus(run);
          return;
        }
        this.scheduleRestart(run, c, () =>
          this.runInit(run, pod, index, steps),
        );
      });
    });
  }

  private scheduleRestart(run: PodRun, c: ContainerRun, again: () => void) {
    const delay = this.restartBackoff({
      ...c,
      restartCount: c.restartCount + 1,
    });
    c.lastTerminated = c.terminated;
    c.terminated = undefined;
    c.state = 'waiting';
    c.waitingReason = 'CrashLoopBackOff';
    c.waitingMessage = `back-off ${Math.round(
      delay / 1000,
    )}s restarting failed container=${c.name} pod=${run.name}_${
      run.namespace
    }(${run.uid})`;
    c.restartCount++;
    this.event(
      run,
      'Warning',
      'BackOff',
      'Back-off restarting failed container ' +
        `${c.name} in pod ${run.name}_${run.namespace}(${run.uid})`,
    );
    this.writeStatus(run);
    this.later(run, delay, again);
  }

  private startMains(
    run: PodRun,
    pod: K8sObject,
    steps: ScriptedStep[] | undefined,
  ) {
    const mains = [...run.containers.values()].filter(c => c.kind === 'main');
    for (const c of mains) {
      if (c.waitingReason === 'PodInitializing')
        c.waitingReason = 'ContainerCreating';
    }
    this.writeStatus(run);
    for (const c of mains) {
      if (run.scripted)
        this.runScriptedMain(run, pod, c, this.stepFor(steps, c.name));
      else this.runService(run, pod, c);
    }
  }

  private runScriptedMain(
    run: PodRun,
    pod: K8sObject,
    c: ContainerRun,
    step: ScriptedStep,
  ) {
    this.startContainer(run, pod, c, () => {
      run.phase = 'Running';
      this.writeStatus(run);
      this.playStep(run, c, step, code => {
        if (code !== 0 && pod.spec?.restartPolicy === 'OnFailure') {
          this.scheduleRestart(run, c, () =>
            this.runScriptedMain(run, pod, c, step),
          );
          return;
        }
        const mains = [...run.containers.values()].filter(
          x => x.kind === 'main',
        );
        if (mains.every(x => x.state === 'terminated')) {
          run.phase = mains.every(x => x.terminated?.exitCode === 0)
            ? 'Succeeded'
            : 'Failed';
        }
        this.writeStatus(run);
      });
    });
  }

  private runService(run: PodRun, pod: K8sObject, c: ContainerRun) {
    this.startContainer(run, pod, c, () => {
      run.phase = 'Running';
      const started = c.startedAt!;
      const lines = startupLines(pod, c.spec, started);
      const bootMs = lines.length ? lines[lines.length - 1].atMs : 0;
      for (const line of lines) {
        this.later(
          run,
          line.atMs,
          () =>
            c.state === 'running' &&
            c.log?.append(started + line.atMs, line.text),
        );
      }
      this.writeStatus(run);
      if (this.annotation(pod, SIM_POD_ANNOTATIONS.crashLoop) === 'true') {
        this.later(run, bootMs + 200, () => {
          c.log?.append(
            this.ctx.clock.now(),
            'Exception in application startup: java.lang.IllegalStateException: required configuration "database.url" is missing',
          );
          this.finishContainer(run, c, 1, 'Error');
          this.writeStatus(run);
          this.scheduleRestart(run, c, () => this.runService(run, pod, c));
        });
        return;
      }
      const probe = c.spec?.readinessProbe;
      const readyAfter = probe
        ? Math.max(bootMs, (probe.initialDelaySeconds ?? 0) * 1000) + 500
        : 0;
      if (this.annotation(pod, SIM_POD_ANNOTATIONS.neverReady) === 'true') {
        const period = (probe?.periodSeconds ?? 10) * 1000;
        const fail = () => {
          this.event(
            run,
            'Warning',
            'Unhealthy',
            'Readiness probe failed: HTTP probe failed with statuscode: 503',
          );
          this.later(run, period, fail);
        };
        this.later(run, readyAfter || bootMs, fail);
      } else {
        this.later(run, readyAfter, () => {
          if (c.state !== 'running') return;
          c.ready = true;
          this.writeStatus(run);
        });
      }
      this.scheduleAccessLogs(run, pod, c, bootMs);
    });
  }

  private behaviourOf(pod: K8sObject): {
    errorRatio: number;
    latencyMs: number;
  } {
    let annotations = pod.metadata.annotations ?? {};
    const rsRef = controllerRef(pod);
    if (rsRef?.kind === 'ReplicaSet') {
      const rs = this.ctx.cluster.store.get(
        'apps/replicasets',
        pod.metadata.namespace,
        rsRef.name,
      );
      const depRef = rs && controllerRef(rs);
      const dep =
        depRef &&
        this.ctx.cluster.store.get(
          'apps/deployments',
          pod.metadata.namespace,
          depRef.name,
        );
      if (dep) annotations = { ...dep.metadata.annotations, ...annotations };
    }
    const ratio = Number(annotations['sim.fincloud.io/error-ratio'] ?? 0);
    const latency = Number(annotations['sim.fincloud.io/latency-ms'] ?? 25);
    return {
      errorRatio: Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0,
      latencyMs: Number.isFinite(latency) && latency > 0 ? latency : 25,
    };
  }

  private scheduleAccessLogs(
    run: PodRun,
    pod: K8sObject,
    c: ContainerRun,
    bootMs: number,
  ) {
    const interval = this.options.accessLogIntervalMs ?? 2000;
    const tick = () => {
      if (c.state !== 'running' || run.terminating) return;
      const current = this.currentPod(run) ?? pod;
      const behaviour = this.behaviourOf(current);
      const count = 1 + (fnv32a(`${run.uid}/${run.accessIndex}`) % 3);
      const now = this.ctx.clock.now();
      for (let k = 0; k < count; k++) {
        c.log?.append(
          now,
          accessLine(current, c.spec, now, run.accessIndex++, behaviour),
        );
      }
      this.later(run, interval, tick);
    };
    this.later(run, bootMs + interval, tick);
  }

  private startEphemeral(run: PodRun, spec: any) {
    const c = this.newContainer(spec, 'ephemeral', 'ContainerCreating');
    run.containers.set(spec.name, c);
    const pod = this.currentPod(run);
    if (!pod) return;
    this.writeStatus(run);
    this.startContainer(run, pod, c, () => this.writeStatus(run));
  }

  private terminate(run: PodRun, pod: K8sObject) {
    run.terminating = true;
    for (const cancel of run.timers) cancel();
    run.timers.clear();
    const now = this.ctx.clock.now();
    for (const c of run.containers.values()) {
      if (c.state !== 'running') continue;
      this.event(run, 'Normal', 'Killing', `Stopping container ${c.name}`);
      if (!run.scripted && c.kind === 'main')
        c.log?.append(now, shutdownLine(pod, c.spec, now));
      this.finishContainer(
        run,
        c,
        run.scripted || c.kind === 'ephemeral' ? 143 : 0,
        run.scripted || c.kind === 'ephemeral' ? 'Error' : 'Completed',
      );
    }
    if (run.scripted && run.phase !== 'Succeeded') {
      const mains = [...run.containers.values()].filter(x => x.kind === 'main');
      run.phase =
        mains.every(x => x.terminated?.exitCode === 0) && mains.length > 0
          ? 'Succeeded'
          : 'Failed';
    }
    this.writeStatus(run);
    const due = Date.parse(pod.metadata.deletionTimestamp!) - now;
    run.removal = this.ctx.clock.setTimeout(() => {
      const current = this.currentPod(run);
      if (!current) return;
      this.ctx.cluster.delete(
        this.ctx.resources.pods,
        run.namespace,
        run.name,
        { gracePeriodSeconds: 0 },
      );
    }, Math.max(0, due));
  }

  // ---------------------------------------------------------------- status

  private containerStatus(run: PodRun, c: ContainerRun) {
    const iso = (ms: number) => isoSeconds(ms);
    const term = (t: Terminated) => ({
      terminated: {
        exitCode: t.exitCode,
        reason: t.reason,
        startedAt: iso(t.startedAt),
        finishedAt: iso(t.finishedAt),
        containerID: containerId(run.uid, c.name, c.restartCount),
        ...(t.message ? { message: t.message } : {}),
      },
    });
    let state: any;
    if (c.state === 'running')
      state = { running: { startedAt: iso(c.startedAt!) } };
    else if (c.state === 'terminated') state = term(c.terminated!);
    else
      state = {
        waiting: {
          reason: c.waitingReason,
          ...(c.waitingMessage ? { message: c.waitingMessage } : {}),
        },
      };
    const image = String(c.spec?.image ?? '');
    return {
      name: c.name,
      image,
      imageID: c.created ? imageId(image) : '',
      ...(c.created
        ? { containerID: containerId(run.uid, c.name, c.restartCount) }
        : {}),
      ready: c.ready,
      restartCount: c.restartCount,
      started: c.state === 'running',
      state,
      lastState: c.lastTerminated ? term(c.lastTerminated) : {},
    };
  }

  private writeStatus(run: PodRun) {
    const { cluster, resources, clock } = this.ctx;
    const now = isoSeconds(clock.now());
    cluster.mutate(resources.pods, run.namespace, run.name, draft => {
      if (draft.metadata.uid !== run.uid) return draft;
      const list = [...run.containers.values()];
      const mains = list.filter(c => c.kind === 'main');
      const containersReady = mains.length > 0 && mains.every(c => c.ready);
      let conditions = draft.status?.conditions ?? [];
      conditions = setCondition(
        conditions,
        { type: 'PodReadyToStartContainers', status: 'True' },
        now,
      );
      conditions = setCondition(
        conditions,
        run.initialized
          ? { type: 'Initialized', status: 'True' }
          : {
              type: 'Initialized',
              status: 'False',
              reason: 'ContainersNotInitialized',
              message: `containers with incomplete status: [${list
                .filter(c => c.kind === 'init' && c.terminated?.exitCode !== 0)
                .map(c => c.name)
                .join(' ')}]`,
            },
        now,
      );
      const notReady = mains
        .filter(c => !c.ready)
        .map(c => c.name)
        .join(' ');
      const completed = run.phase === 'Succeeded' || run.phase === 'Failed';
      const readyCondition = (type: string) =>
        containersReady
          ? { type, status: 'True' }
          : {
              type,
              status: 'False',
              reason: completed ? 'PodCompleted' : 'ContainersNotReady',
              ...(completed
                ? {}
                : { message: `containers with unready status: [${notReady}]` }),
            };
      conditions = setCondition(
        conditions,
        readyCondition('ContainersReady'),
        now,
      );
      conditions = setCondition(conditions, readyCondition('Ready'), now);
      const order = [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ];
      conditions = conditions
        .map((c: any) => ({ lastProbeTime: null, ...c }))
        .sort(
          (a: any, b: any) => order.indexOf(a.type) - order.indexOf(b.type),
        );
      const inits = list.filter(c => c.kind === 'init');
      const ephemerals = list.filter(c => c.kind === 'ephemeral');
      draft.status = {
        ...draft.status,
        phase: run.phase,
        conditions,
        hostIP: run.hostIp,
        hostIPs: [{ ip: run.hostIp }],
        podIP: run.podIp,
        podIPs: [{ ip: run.podIp }],
        startTime: isoSeconds(run.startTime),
        ...(inits.length
          ? {
              initContainerStatuses: inits.map(c =>
                this.containerStatus(run, c),
              ),
            }
          : {}),
        containerStatuses: mains.map(c => this.containerStatus(run, c)),
        ...(ephemerals.length
          ? {
              ephemeralContainerStatuses: ephemerals.map(c =>
                this.containerStatus(run, c),
              ),
            }
          : {}),
      };
      return draft;
    });
  }
}
