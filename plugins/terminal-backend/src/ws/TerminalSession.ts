import { randomUUID } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Request } from 'express';
import {
  AuditorService,
  AuditorServiceEvent,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { FincloudClustersService } from '@fincloud/plugin-fincloud-node';
import {
  CommandLogEntry,
  SecretMasker,
  SessionEndReason,
  StreamingMasker,
  TERMINAL_CLOSE_CODES,
  TerminalClientMessage,
  TerminalMode,
  TerminalPolicy,
  TerminalServerMessage,
  evaluateCommandLine,
  terminalExecPermission,
  terminalShellPermission,
} from '@fincloud/plugin-terminal-common';
import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { TERMINAL_EVENTS } from '../auditor/events';
import type { TerminalConfig } from '../config';
import type { TerminalStore } from '../database/TerminalStore';
import { AsciicastRecorder } from '../recording/AsciicastRecorder';
import type { RecordingStore } from '../recording/RecordingStore';
import {
  KubeGateway,
  describeKubeError,
  exitCodeOf,
} from '../service/KubeGateway';
import { policyForEntity } from '../service/policies';
import { TerminalAccess } from '../service/TerminalAccess';
import type { LiveSession, SessionRegistry } from './SessionRegistry';

export interface SessionDeps {
  config: TerminalConfig;
  store: TerminalStore;
  recordings: RecordingStore;
  gateway: KubeGateway;
  access: TerminalAccess;
  auditor: AuditorService;
  catalog: CatalogService;
  clusters: FincloudClustersService;
  registry: SessionRegistry;
  logger: LoggerService;
}

/** What the browser asked for (the WebSocket URL's query). */
export interface SessionRequest {
  entityRef: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  mode: TerminalMode;
  debug: boolean;
  cols: number;
  rows: number;
}

/** A refusal before the session starts: closes the socket with `code`. */
class Refusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const JUSTIFICATION_TIMEOUT_MS = 120_000;
const CLOSE_CODE: Record<SessionEndReason, number> = {
  closed: TERMINAL_CLOSE_CODES.normal,
  'idle-timeout': TERMINAL_CLOSE_CODES.timeout,
  'max-duration': TERMINAL_CLOSE_CODES.timeout,
  terminated: TERMINAL_CLOSE_CODES.terminated,
  'recorder-failed': TERMINAL_CLOSE_CODES.recorderFailed,
  error: 1011,
};

/** WebSocket close reasons are limited to 123 bytes. */
function closeText(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -2);
  return out;
}

interface ExecRun {
  status?: V1Status;
  error?: Error;
}

/**
 * One terminal session over one browser WebSocket: the checks, the audit
 * records, the session row, the recorder, the exec streams with
 * back-pressure, and the limits (idle, time box, termination).
 */
export class TerminalSession implements LiveSession {
  readonly id = randomUUID();
  private state: 'starting' | 'live' | 'ending' | 'ended' = 'starting';
  private entityRef = '';
  private policy: TerminalPolicy | undefined;
  private pod: V1Pod | undefined;
  private execContainer = '';
  private debugContainer: string | undefined;
  private labelled = false;
  private auditEvent: AuditorServiceEvent | undefined;
  private recorder: AsciicastRecorder | undefined;
  private masker = new SecretMasker();
  private isKnownHost: (host: string) => boolean = () => false;
  private startedAt = Date.now();
  private expiresAt = 0;
  private lastInput = Date.now();
  private idleWarned = false;
  private countdownSent = new Set<number>();
  private ticker: NodeJS.Timeout | undefined;
  private boxTimer: NodeJS.Timeout | undefined;
  private justification: string | undefined;
  private justificationWaiter: ((text: string) => void) | undefined;
  private earlyJustification: string | undefined;
  private cols: number;
  private rows: number;
  private readonly queue: TerminalClientMessage[] = [];
  private execWs: WebSocket | undefined;
  private shellStdin: PassThrough | undefined;
  private pendingStdin: string[] = [];
  private pendingStdinChars = 0;
  private paused = false;
  private pauseTimer: NodeJS.Timeout | undefined;
  private running: { abort: (why: 'interrupt' | 'timeout' | 'output') => void } | undefined;
  private commandSeq = 0;
  private counters = { commands: 0, refused: 0, bytesOut: 0 };
  private lastExitCode: number | undefined;
  private endPromise: Promise<void> | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly credentials: BackstageCredentials,
    private readonly userRef: string,
    private readonly auditRequest: Request,
    private readonly request: SessionRequest,
    private readonly deps: SessionDeps,
  ) {
    this.cols = request.cols;
    this.rows = request.rows;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      if (this.state === 'starting' || this.state === 'live') {
        void this.end('closed');
      }
    });
    ws.on('error', () => {
      if (this.state === 'starting' || this.state === 'live') {
        void this.end('closed');
      }
    });
  }

  private send(message: TerminalServerMessage) {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message));
    this.pressureCheck();
  }

  /** After each output: a growing browser buffer or recording backlog pauses the pod's stream (the pause timer watches them drain). */
  private pressureCheck() {
    if (this.paused) return;
    const { limit, backlogLimit } = this.bufferLimits();
    if (
      this.ws.bufferedAmount > limit ||
      (this.recorder?.backlogBytes ?? 0) > backlogLimit
    ) {
      this.checkPressure();
    }
  }

  private notice(level: 'info' | 'warning' | 'error', message: string) {
    this.send({ type: 'notice', level, message });
  }

  // ------------------------------------------------------------------ start

  /** Runs the checks and starts the session; any refusal closes the socket with its code. */
  async start(): Promise<void> {
    try {
      await this.prepare();
    } catch (error) {
      if (error instanceof Refusal) {
        this.refuse(error.code, error.message);
        return;
      }
      this.deps.logger.error(`Terminal session failed to start: ${error}`);
      if (this.auditEvent) {
        await this.end('error', { error: error as Error });
      } else {
        this.refuse(1011, `The session could not start: ${describeKubeError(error)}`);
      }
    }
  }

  private refuse(code: number, message: string) {
    this.state = 'ended';
    this.notice('error', message);
    this.send({ type: 'closed', reason: message });
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, closeText(message));
    }
  }

  private async prepare() {
    const { deps, request } = this;
    const { config } = deps;
    const entity = await this.loadEntity();
    this.entityRef = stringifyEntityRef(entity);
    if (
      !(await deps.access.can(terminalExecPermission, this.entityRef, this.credentials))
    ) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `You may not open a terminal in ${this.entityRef} (terminal.exec)`,
      );
    }
    if (
      request.mode === 'shell' &&
      !(await deps.access.can(terminalShellPermission, this.entityRef, this.credentials))
    ) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `You may not open a break-glass shell in ${this.entityRef} (terminal.shell)`,
      );
    }
    try {
      this.policy = policyForEntity(entity, config);
    } catch (error) {
      throw new Refusal(TERMINAL_CLOSE_CODES.notAllowed, (error as Error).message);
    }
    await this.checkTarget(entity);
    if (request.mode === 'shell') {
      this.checkApproval();
      await this.awaitJustification();
    }

    // The session row, within the limits of live sessions.
    const now = Date.now();
    this.startedAt = now;
    this.expiresAt =
      now + (request.mode === 'shell' ? config.shell.maxMs : config.restricted.maxMs);
    const record = request.mode === 'shell' || config.restricted.record;
    const admitted = await deps.store.createSessionWithinLimits(
      {
        id: this.id,
        entityRef: this.entityRef,
        user: this.userRef,
        mode: request.mode,
        cluster: request.cluster,
        namespace: request.namespace,
        pod: request.pod,
        container: request.container,
        justification: this.justification,
        startedAt: now,
        hasRecording: record,
        instanceId: deps.registry.instanceId,
      },
      {
        perUser: config.limits.maxSessionsPerUser,
        perEntity: config.limits.maxSessionsPerEntity,
        staleBefore: now - deps.registry.heartbeatMs * 12,
      },
    );
    if (admitted !== 'ok') {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.tooManySessions,
        admitted === 'user-limit'
          ? `You have ${config.limits.maxSessionsPerUser} terminal sessions open already; close one first`
          : `${this.entityRef} has ${config.limits.maxSessionsPerEntity} terminal sessions open already`,
      );
    }
    deps.registry.add(this);

    // The high audit record, before anything touches the pod: when the trail
    // cannot record it, the session does not start.
    try {
      this.auditEvent = await deps.auditor.createEvent({
        eventId: TERMINAL_EVENTS.session,
        severityLevel: 'high',
        request: this.auditRequest,
        meta: {
          entityRef: this.entityRef,
          sessionId: this.id,
          mode: request.mode,
          cluster: request.cluster,
          namespace: request.namespace,
          pod: request.pod,
          container: request.container,
          debug: request.debug,
          policy: this.policy.name,
          ...(this.justification
            ? { justification: this.masker.mask(this.justification) }
            : {}),
          expiresAt: new Date(this.expiresAt).toISOString(),
        },
      });
    } catch (error) {
      deps.registry.remove(this.id);
      await deps.store
        .endSession(this.id, { endedAt: Date.now(), endReason: 'error' })
        .catch(() => undefined);
      throw new Refusal(
        TERMINAL_CLOSE_CODES.recorderFailed,
        `The audit trail cannot record this session, so it does not start: ${
          (error as Error).message
        }`,
      );
    }
    this.state = 'live';

    // Secrets the pod's environment references are masked by value too.
    this.masker = new SecretMasker({ patterns: config.masking.patterns });
    if (config.masking.podSecrets && this.pod) {
      this.masker.addLiterals(
        await deps.gateway.podSecretValues(request.cluster, this.pod, request.container),
      );
    }

    this.execContainer = request.container;
    if (request.debug) await this.startDebugContainer();

    if (record) {
      this.recorder = new AsciicastRecorder({
        sessionId: this.id,
        store: deps.recordings,
        masker: this.masker,
        width: this.cols,
        height: this.rows,
        title: `${this.userRef} ${request.mode} ${request.cluster}/${request.namespace}/${request.pod}/${this.execContainer}`,
        chunkBytes: config.recording.chunkBytes,
        flushMillis: config.recording.flushMillis,
        onFailure: error => {
          void this.end('recorder-failed', { error });
        },
      });
      try {
        await this.recorder.start();
      } catch (error) {
        await this.end('recorder-failed', { error: error as Error });
        return;
      }
      this.recorder.onDrain(() => this.checkPressure());
    }

    this.send({
      type: 'ready',
      sessionId: this.id,
      mode: request.mode,
      expiresAt: new Date(this.expiresAt).toISOString(),
      recording: Boolean(this.recorder),
    });
    this.lastInput = Date.now();
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref?.();
    // The time box ends on time, not at the next tick.
    this.boxTimer = setTimeout(
      () => void this.end('max-duration'),
      Math.max(0, this.expiresAt - Date.now()),
    );
    this.boxTimer.unref?.();

    if (request.mode === 'shell') {
      await this.startShell();
    }
    // Lines that arrived while starting.
    for (const m of this.queue.splice(0)) this.dispatch(m);
  }

  private async loadEntity(): Promise<Entity> {
    let entity: Entity | undefined;
    try {
      entity = await this.deps.catalog.getEntityByRef(this.request.entityRef, {
        credentials: this.credentials,
      });
    } catch (error) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `${this.request.entityRef} could not be read: ${(error as Error).message}`,
      );
    }
    if (!entity) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `No entity ${this.request.entityRef}`,
      );
    }
    return entity;
  }

  /** The pod must run the entity's workload, in its namespace on that cluster, and have the container. */
  private async checkTarget(entity: Entity) {
    const { deps, request } = this;
    let workload;
    try {
      workload = deps.clusters.resolveWorkload(entity, { cluster: request.cluster });
    } catch (error) {
      throw new Refusal(TERMINAL_CLOSE_CODES.notAllowed, (error as Error).message);
    }
    if (workload.namespace !== request.namespace) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `${this.entityRef} runs in namespace ${workload.namespace}, not ${request.namespace}`,
      );
    }
    const pod = await deps.gateway.getPod(request.cluster, request.namespace, request.pod);
    if (!pod || pod.metadata?.labels?.app !== workload.workload) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `${request.pod} is not a pod of ${this.entityRef} (workload ${workload.workload}) in ${request.cluster}/${request.namespace}`,
      );
    }
    if (!(pod.spec?.containers ?? []).some(c => c.name === request.container)) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `Pod ${request.pod} has no container ${request.container}`,
      );
    }
    if (pod.status?.phase !== 'Running') {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `Pod ${request.pod} is ${pod.status?.phase ?? 'not running'}`,
      );
    }
    this.pod = pod;
    this.isKnownHost = await deps.gateway.knownHosts(request.cluster, request.namespace);
  }

  private checkApproval() {
    const { request } = this;
    const listed = this.deps.config.shell.approvalNamespaces.some(
      n => n === request.namespace || n === `${request.cluster}/${request.namespace}`,
    );
    if (listed) {
      throw new Refusal(
        TERMINAL_CLOSE_CODES.notAllowed,
        `A break-glass shell in ${request.cluster}/${request.namespace} needs a second person's approval, which this version cannot grant yet; ask the platform team`,
      );
    }
  }

  private awaitJustification(): Promise<void> {
    const min = this.deps.config.shell.minJustificationLength;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.justificationWaiter = undefined;
        reject(
          new Refusal(
            TERMINAL_CLOSE_CODES.notAllowed,
            'A break-glass shell needs a written justification; none arrived',
          ),
        );
      }, JUSTIFICATION_TIMEOUT_MS);
      timer.unref?.();
      this.justificationWaiter = text => {
        clearTimeout(timer);
        this.justificationWaiter = undefined;
        const trimmed = text.trim();
        if (trimmed.length < min) {
          reject(
            new Refusal(
              TERMINAL_CLOSE_CODES.notAllowed,
              `The justification must say why, in at least ${min} characters`,
            ),
          );
          return;
        }
        this.justification = trimmed.slice(0, 2000);
        resolve();
      };
      if (this.earlyJustification !== undefined) {
        this.justificationWaiter(this.earlyJustification);
      }
    });
  }

  private async startDebugContainer() {
    const { deps, request } = this;
    const { debug } = deps.config;
    const name = `fincloud-debug-${this.id.slice(0, 8)}`;
    await deps.gateway.addDebugContainer({
      cluster: request.cluster,
      namespace: request.namespace,
      pod: request.pod,
      target: request.container,
      name,
      image: debug.image,
      command: debug.command ?? [
        'sleep',
        String(Math.ceil((this.expiresAt - Date.now()) / 1000) + 60),
      ],
      timeoutMs: debug.startTimeoutMs,
    });
    this.debugContainer = name;
    this.execContainer = name;
    await deps.store.setDebugContainer(this.id, name);
    if (debug.networkPolicy.enabled) {
      await deps.gateway.ensureDebugNetworkPolicy(
        request.cluster,
        request.namespace,
        debug.networkPolicy.egress,
      );
      await deps.gateway.labelPod(
        request.cluster,
        request.namespace,
        request.pod,
        this.id.slice(0, 8),
      );
      this.labelled = true;
    }
  }

  // ------------------------------------------------------------------ messages

  private onMessage(data: unknown, isBinary: boolean) {
    if (isBinary) {
      this.notice('error', 'Send JSON text messages.');
      return;
    }
    let message: TerminalClientMessage;
    try {
      message = JSON.parse(String(data));
    } catch {
      this.notice('error', 'A message was not JSON and was ignored.');
      return;
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') {
      this.notice('error', 'A message without a type was ignored.');
      return;
    }
    if (this.state === 'starting') {
      if (message.type === 'justification' && typeof message.text === 'string') {
        // It may arrive before the checks reach the point of waiting for it.
        if (this.justificationWaiter) this.justificationWaiter(message.text);
        else this.earlyJustification ??= message.text;
      } else if (message.type === 'resize') {
        this.applyResize(message.cols, message.rows);
      } else if (message.type === 'close') {
        this.refuse(TERMINAL_CLOSE_CODES.normal, 'closed');
      } else if (this.queue.length < 16) {
        this.queue.push(message);
      }
      return;
    }
    if (this.state === 'live') this.dispatch(message);
  }

  private dispatch(message: TerminalClientMessage) {
    switch (message.type) {
      case 'line':
        if (typeof message.line !== 'string') return;
        this.lastInput = Date.now();
        this.idleWarned = false;
        if (this.request.mode !== 'restricted') {
          this.notice('error', 'Lines are for restricted mode; a shell takes stdin.');
          return;
        }
        this.runLine(message.line).catch(error =>
          this.deps.logger.error(`Session ${this.id}: a command failed unexpectedly: ${error}`),
        );
        return;
      case 'stdin':
        if (typeof message.data !== 'string') return;
        this.lastInput = Date.now();
        this.idleWarned = false;
        if (this.request.mode === 'shell') {
          this.recorder?.input(message.data);
          this.writeStdin(message.data);
        } else if (message.data.includes('\u0003')) {
          this.running?.abort('interrupt');
        }
        return;
      case 'resize':
        this.applyResize(message.cols, message.rows);
        return;
      case 'close':
        void this.end('closed');
        return;
      default:
        return;
    }
  }

  private applyResize(cols: unknown, rows: unknown) {
    const c = Number(cols);
    const r = Number(rows);
    if (!Number.isInteger(c) || !Number.isInteger(r) || c < 1 || r < 1 || c > 1000 || r > 1000) {
      return;
    }
    this.cols = c;
    this.rows = r;
    if (this.state !== 'live') return;
    this.recorder?.resize(c, r);
    if (this.execWs && this.request.mode === 'shell') this.sendResize();
  }

  /**
   * Keystrokes straight onto the exec stream's stdin channel (0), without a
   * stream in between; held (up to 64 KiB) until the stream is open.
   */
  private writeStdin(data: string) {
    if (this.execWs?.readyState !== WebSocket.OPEN || this.pendingStdin.length > 0) {
      if (this.pendingStdinChars + data.length <= 64 * 1024) {
        this.pendingStdin.push(data);
        this.pendingStdinChars += data.length;
      }
      return;
    }
    const payload = Buffer.from(data, 'utf8');
    const frame = Buffer.allocUnsafe(payload.length + 1);
    frame[0] = 0;
    payload.copy(frame, 1);
    this.execWs.send(frame);
  }

  private sendResize() {
    if (this.execWs?.readyState !== WebSocket.OPEN) return;
    const payload = Buffer.from(JSON.stringify({ Width: this.cols, Height: this.rows }));
    this.execWs.send(Buffer.concat([Buffer.from([4]), payload]));
  }

  // ------------------------------------------------------------------ exec plumbing

  /**
   * What this session may hold in the browser's send buffer and in its
   * recording backlog: the configured limits, shrunk so that all live
   * sessions of this backend together stay within `bufferBudgetBytes`.
   */
  private bufferLimits() {
    const { limits, recording } = this.deps.config;
    const share = limits.bufferBudgetBytes / Math.max(1, this.deps.registry.size) / 2;
    return {
      limit: Math.max(16 * 1024, Math.min(limits.backpressureBytes, share)),
      backlogLimit: Math.max(
        2 * recording.chunkBytes,
        Math.min(recording.maxBacklogBytes, share),
      ),
    };
  }

  /** Pauses reading from the pod while the browser or the recorder lag behind. */
  private checkPressure() {
    const { limit, backlogLimit } = this.bufferLimits();
    const high =
      this.ws.bufferedAmount > limit ||
      (this.recorder?.backlogBytes ?? 0) > backlogLimit;
    if (high && !this.paused && this.execWs) {
      this.paused = true;
      this.execWs.pause();
      this.pauseTimer = setInterval(() => this.checkPressure(), 10);
    } else if (this.paused) {
      const low =
        this.ws.bufferedAmount <= limit / 2 &&
        (this.recorder?.backlogBytes ?? 0) <= backlogLimit / 2;
      if (low || this.ws.readyState !== WebSocket.OPEN) {
        this.paused = false;
        if (this.pauseTimer) clearInterval(this.pauseTimer);
        this.pauseTimer = undefined;
        this.execWs?.resume();
      }
    }
  }

  private runExec(
    argv: string[],
    options: {
      tty: boolean;
      stdin: PassThrough | null;
      onData: (chunk: Buffer) => void;
    },
  ): Promise<ExecRun> {
    const { request } = this;
    return new Promise(resolve => {
      let status: V1Status | undefined;
      const sink = () =>
        new Writable({
          write: (chunk: Buffer, _encoding, callback) => {
            options.onData(chunk);
            callback();
          },
        });
      this.deps.gateway
        .exec(request.cluster, request.namespace, request.pod, this.execContainer, argv, {
          stdout: sink(),
          stderr: options.tty ? null : sink(),
          stdin: options.stdin,
          tty: options.tty,
          onStatus: s => {
            status = s;
          },
        })
        .then(
          execWs => {
            this.execWs = execWs;
            // Still held back from the previous command: this stream too.
            if (this.paused) execWs.pause();
            execWs.on('close', () => {
              if (this.execWs === execWs) this.execWs = undefined;
              resolve({ status });
            });
            execWs.on('error', () => undefined);
            this.checkPressure();
          },
          error => resolve({ error }),
        );
    });
  }

  // ------------------------------------------------------------------ restricted mode

  private async runLine(line: string) {
    if (this.running) {
      this.notice('warning', 'A command is still running: wait for it, or press Ctrl-C to stop it.');
      return;
    }
    const { deps, request } = this;
    const policy = this.policy!;
    const seq = ++this.commandSeq;
    const at = new Date();
    const evaluation = evaluateCommandLine(line, policy, {
      limits: { maxLineLength: deps.config.limits.maxLineLength },
      isKnownHost: this.isKnownHost,
    });
    const { decision } = evaluation;
    const shownLine = this.masker.mask(line.slice(0, 4096));
    const argv = evaluation.argv.map(a => this.masker.mask(a));
    const entry: CommandLogEntry = {
      seq,
      at: at.toISOString(),
      line: shownLine,
      argv,
      allowed: decision.allowed,
      rule: decision.rule,
      message: decision.message,
    };
    const meta = {
      entityRef: this.entityRef,
      sessionId: this.id,
      seq,
      cluster: request.cluster,
      namespace: request.namespace,
      pod: request.pod,
      container: this.execContainer,
      line: shownLine,
      argv,
      decision: decision.allowed ? 'allowed' : 'refused',
      rule: decision.rule,
    };
    this.recorder?.input(`${line.slice(0, 4096)}\r`);
    // eslint-disable-next-line no-control-regex
    this.recorder?.output(`$ ${shownLine.replace(/[\x00-\x1f\x7f]/g, '?')}\r\n`);

    if (!decision.allowed) {
      this.counters.refused++;
      this.send({ type: 'decision', decision });
      this.recorder?.output(`\x1b[31mrefused (${decision.rule}): ${decision.message}\x1b[0m\r\n`);
      try {
        const event = await deps.auditor.createEvent({
          eventId: TERMINAL_EVENTS.command,
          severityLevel: 'medium',
          request: this.auditRequest,
          meta,
        });
        const refusal = new NotAllowedError(`${decision.rule}: ${decision.message}`);
        refusal.stack = `NotAllowedError: ${refusal.message}`; // a decision, not a fault: no trace
        await event.fail({ error: refusal });
      } catch (error) {
        deps.logger.error(`Could not audit refused command ${seq} of session ${this.id}: ${error}`);
      }
      await deps.store.appendCommand(this.id, entry).catch(e =>
        deps.logger.error(`Could not store command ${seq} of session ${this.id}: ${e}`),
      );
      return;
    }

    // Allowed: one command at a time, and nothing runs unless it is audited.
    this.running = { abort: () => undefined };
    this.send({ type: 'decision', decision });
    let event: AuditorServiceEvent;
    try {
      event = await deps.auditor.createEvent({
        eventId: TERMINAL_EVENTS.command,
        severityLevel: 'medium',
        request: this.auditRequest,
        meta,
      });
    } catch (error) {
      this.running = undefined;
      this.notice('error', `The audit trail cannot record commands right now, so nothing ran: ${(error as Error).message}`);
      this.send({ type: 'exit', code: 126, durationMs: 0 });
      return;
    }

    this.counters.commands++;
    const started = Date.now();
    let bytes = 0;
    let stopped: 'interrupt' | 'timeout' | 'output' | undefined;
    const decoders = new Map<'o', StringDecoder>([['o', new StringDecoder('utf8')]]);
    const liveMask: StreamingMasker | undefined = evaluation.command?.maskOutput
      ? this.masker.stream()
      : undefined;
    const emit = (text: string) => {
      if (!text) return;
      this.send({ type: 'output', data: text });
      this.recorder?.output(text);
      this.pressureCheck();
    };
    const limit = deps.config.limits.maxOutputBytesPerCommand;
    const abort = (why: 'interrupt' | 'timeout' | 'output') => {
      if (stopped) return;
      stopped = why;
      // A stream held back by back-pressure cannot read the pod's closing
      // handshake: cut it at once rather than after ws's 30 s close timeout.
      if (this.paused) this.execWs?.terminate();
      else this.execWs?.close();
    };
    this.running = { abort };
    const timeout = setTimeout(() => abort('timeout'), deps.config.limits.commandTimeoutMs);
    const result = await this.runExec(evaluation.argv, {
      tty: false,
      stdin: null,
      onData: chunk => {
        if (stopped) return;
        bytes += chunk.length;
        this.counters.bytesOut += chunk.length;
        if (bytes > limit) {
          abort('output');
          return;
        }
        let text = decoders.get('o')!.write(chunk).replace(/\r?\n/g, '\r\n');
        if (liveMask) text = liveMask.push(text);
        emit(text);
      },
    });
    clearTimeout(timeout);
    let rest = decoders.get('o')!.end();
    if (liveMask) rest = liveMask.push(rest.replace(/\r?\n/g, '\r\n')) + liveMask.flush();
    emit(rest);
    const durationMs = Date.now() - started;
    let code: number;
    if (result.error) {
      code = 126;
      emit(`\x1b[31m${describeKubeError(result.error)}\x1b[0m\r\n`);
    } else if (stopped === 'interrupt') {
      code = 130;
      emit('^C\r\n');
    } else if (stopped === 'timeout') {
      code = 124;
      this.notice('warning', `The command was stopped after ${Math.round(deps.config.limits.commandTimeoutMs / 1000)} s.`);
    } else if (stopped === 'output') {
      code = 141;
      this.notice('warning', `The output was cut after ${limit} bytes.`);
    } else if (result.status) {
      code = exitCodeOf(result.status);
      if (result.status.reason === 'InternalError' && result.status.message) {
        emit(`${result.status.message.replace(/\r?\n/g, '\r\n')}\r\n`);
      }
    } else {
      code = 255;
      this.notice('error', 'The connection to the pod ended before the command reported its exit code.');
    }
    this.send({ type: 'exit', code, durationMs });
    this.running = undefined;
    const done = { exitCode: code, durationMs, bytesOut: bytes };
    Object.assign(entry, done);
    if (result.error) {
      await event.fail({ error: result.error, meta: done });
    } else {
      await event.success({ meta: { ...done, ...(stopped ? { stopped } : {}) } });
    }
    await deps.store.appendCommand(this.id, entry).catch(e =>
      deps.logger.error(`Could not store command ${seq} of session ${this.id}: ${e}`),
    );
  }

  // ------------------------------------------------------------------ shell mode

  private async startShell() {
    const stdin = new PassThrough();
    this.shellStdin = stdin;
    const decoder = new StringDecoder('utf8');
    const run = this.runExec(this.deps.config.shell.command, {
      tty: true,
      stdin,
      onData: chunk => {
        this.counters.bytesOut += chunk.length;
        const text = decoder.write(chunk);
        if (!text) return;
        this.send({ type: 'output', data: text });
        this.recorder?.output(text);
        this.pressureCheck();
      },
    });
    // The terminal size, then what was typed meanwhile, once the exec stream is open.
    const opened = setInterval(() => {
      if (this.execWs || this.state !== 'live') {
        clearInterval(opened);
        if (this.execWs) {
          this.sendResize();
          const held = this.pendingStdin.splice(0);
          this.pendingStdinChars = 0;
          for (const data of held) this.writeStdin(data);
        }
      }
    }, 5);
    const result = await run;
    clearInterval(opened);
    if (this.state !== 'live') return;
    if (result.error) {
      await this.end('error', { error: result.error });
      return;
    }
    this.lastExitCode = result.status ? exitCodeOf(result.status) : undefined;
    await this.end('closed');
  }

  // ------------------------------------------------------------------ limits

  private tick() {
    if (this.state !== 'live') return;
    const now = Date.now();
    if (now >= this.expiresAt) {
      void this.end('max-duration');
      return;
    }
    const idleMs = this.deps.config.limits.idleMs;
    const idleFor = now - this.lastInput;
    const warnAt = Math.max(idleMs - 60_000, idleMs / 2);
    if (idleFor >= idleMs && !this.running) {
      void this.end('idle-timeout');
      return;
    }
    if (idleFor >= warnAt && !this.idleWarned) {
      this.idleWarned = true;
      this.notice(
        'warning',
        `No input for a while: the session ends in ${Math.max(1, Math.round((idleMs - idleFor) / 1000))} s unless you type something.`,
      );
    }
    const left = this.expiresAt - now;
    if (left <= 0) {
      void this.end('max-duration');
      return;
    }
    for (const mark of [300_000, 60_000, 10_000]) {
      if (left <= mark && !this.countdownSent.has(mark)) {
        this.countdownSent.add(mark);
        this.notice(
          'warning',
          `The session's time box ends in ${Math.round(left / 1000)} s.`,
        );
        break;
      }
    }
  }

  // ------------------------------------------------------------------ end

  terminate(by: string, reason: string): Promise<void> {
    return this.end('terminated', { terminatedBy: by, reason });
  }

  shutdown(): Promise<void> {
    return this.end('error', { error: new Error('the backend is stopping') });
  }

  async persistCounters(): Promise<void> {
    if (this.state !== 'live') return;
    await this.deps.store.updateCounters(this.id, this.counters);
  }

  /** Ends the session once; later calls wait for the first. */
  end(
    reason: SessionEndReason,
    extra: { error?: Error; terminatedBy?: string; reason?: string } = {},
  ): Promise<void> {
    if (!this.endPromise) {
      // Never rejects: callers fire and forget (a socket closing), and a
      // store that is gone (backend shutting down) must not crash the process.
      this.endPromise = this.doEnd(reason, extra).catch(error =>
        this.deps.logger.error(`Could not end session ${this.id} cleanly: ${error}`),
      );
    }
    return this.endPromise;
  }

  private async doEnd(
    requested: SessionEndReason,
    extra: { error?: Error; terminatedBy?: string; reason?: string },
  ) {
    let reason = requested;
    const { deps, request } = this;
    const wasLive = this.state === 'live' || this.auditEvent !== undefined;
    this.state = 'ending';
    if (this.ticker) clearInterval(this.ticker);
    if (this.boxTimer) clearTimeout(this.boxTimer);
    if (this.pauseTimer) clearInterval(this.pauseTimer);
    this.running?.abort('interrupt');
    this.shellStdin?.end();
    this.execWs?.close();

    let recorderError: Error | undefined =
      reason === 'recorder-failed' ? extra.error : undefined;
    if (this.recorder) {
      try {
        await this.recorder.close();
      } catch (error) {
        recorderError = error as Error;
        if (reason !== 'recorder-failed') reason = 'recorder-failed';
      }
    }
    const message = (() => {
      switch (reason) {
        case 'idle-timeout':
          return 'The session ended after a period without input.';
        case 'max-duration':
          return "The session reached the end of its time box.";
        case 'terminated':
          return `The session was terminated by ${extra.terminatedBy}${extra.reason ? `: ${extra.reason}` : ''}.`;
        case 'recorder-failed':
          return `The session ended because its recording could not be written (${recorderError?.message ?? 'storage error'}).`;
        case 'error':
          return `The session ended: ${extra.error ? describeKubeError(extra.error) : 'error'}.`;
        default:
          return 'The session ended.';
      }
    })();

    if (wasLive) {
      const endedAt = Date.now();
      await deps.store.updateCounters(this.id, this.counters).catch(() => undefined);
      await deps.store
        .endSession(this.id, {
          endedAt,
          endReason: reason,
          ...(extra.terminatedBy ? { terminatedBy: extra.terminatedBy } : {}),
          ...(extra.reason !== undefined ? { terminateReason: extra.reason } : {}),
        })
        .catch(e => deps.logger.error(`Could not end session ${this.id}: ${e}`));
      const meta = {
        endReason: reason,
        durationMs: endedAt - this.startedAt,
        ...this.counters,
        ...(this.lastExitCode !== undefined ? { exitCode: this.lastExitCode } : {}),
        ...(this.debugContainer ? { debugContainer: this.debugContainer } : {}),
        ...(extra.terminatedBy ? { terminatedBy: extra.terminatedBy } : {}),
        ...(extra.reason ? { terminateReason: this.masker.mask(extra.reason) } : {}),
      };
      try {
        if (reason === 'error' || reason === 'recorder-failed') {
          await this.auditEvent?.fail({
            error: recorderError ?? extra.error ?? new Error(reason),
            meta,
          });
        } else {
          await this.auditEvent?.success({ meta });
        }
      } catch (error) {
        deps.logger.error(`Could not audit the end of session ${this.id}: ${error}`);
      }
      if (this.labelled) {
        await deps.gateway
          .labelPod(request.cluster, request.namespace, request.pod, null)
          .catch(e =>
            deps.logger.warn(
              `Could not remove the debug label from ${request.namespace}/${request.pod}: ${describeKubeError(e)}`,
            ),
          );
      }
    }
    deps.registry.remove(this.id);
    this.state = 'ended';
    if (reason !== 'closed') this.notice(reason === 'terminated' || reason === 'error' || reason === 'recorder-failed' ? 'error' : 'warning', message);
    this.send({ type: 'closed', reason });
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(CLOSE_CODE[reason], closeText(message));
    }
  }
}
