import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import type { SimClock } from '../contracts';
import { ManualClock, RealClock } from '../controllers/clock';
import type { SimBehaviours } from '../controllers/context';
import { ControllerManager } from '../controllers/manager';
import { schedulePod } from '../scheduler';
import { scriptPod } from '../buildlog';
import { createEmulatedContainer } from '../exec';
import { createTrafficSimulator } from '../traffic';
import { Cluster } from '../store/Cluster';
import type { K8sObject } from '../store/ObjectStore';
import { ObjectStore } from '../store/ObjectStore';
import { ResourceRegistry } from '../store/resources';
import { FaultInjector } from '../testing/faults';
import { ApiServer } from './ApiServer';
import { DEFAULT_OBJECTS, applyObjects, readManifests } from './seed';

export interface SimulatorOptions {
  /** A seed YAML path or objects; default: namespace `default` and three nodes. */
  seed?: string | K8sObject[];
  /** Time moves only on `advance()` (tests); default real time. */
  manualClock?: boolean;
  /** Start of a manual clock (ms since the epoch). */
  startTime?: number;
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The bearer token; random by default. */
  token?: string;
  /** Serve HTTPS: `true` makes a self-signed certificate for 127.0.0.1 / localhost (see `caData`). */
  tls?: boolean | { key: string | Buffer; cert: string | Buffer };
  /** Changes kept per resource for watches to resume from (default 5000); older versions get 410 Expired. */
  watchHistory?: number;
  /** Real ms between watch BOOKMARK events (default 60 000). */
  bookmarkIntervalMs?: number;
  /** Ms between access-log lines of service pods (default 2000). */
  accessLogIntervalMs?: number;
  /** Ms of sim time between traffic ticks (default 1000; 0 switches traffic off). */
  trafficIntervalMs?: number;
  /** Replace behaviour modules (tests of the API server itself). */
  behaviours?: Partial<SimBehaviours>;
  log?: (message: string) => void;
}

/** A self-signed certificate for the loopback addresses, valid for 30 days. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const pems = generate(
    [{ name: 'commonName', value: 'fincloud-cluster-sim' }],
    {
      days: 30,
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        {
          name: 'keyUsage',
          keyCertSign: true,
          digitalSignature: true,
          keyEncipherment: true,
        },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert };
}

export function defaultBehaviours(): SimBehaviours {
  return {
    schedulePod,
    scriptPod,
    createEmulatedContainer,
    traffic: createTrafficSimulator(),
  };
}

/** A whole simulated cluster: storage, controllers and the API server. */
export class Simulator {
  readonly faults = new FaultInjector();
  private constructor(
    readonly cluster: Cluster,
    readonly controllers: ControllerManager,
    readonly server: ApiServer,
    readonly clock: SimClock,
    readonly token: string,
    readonly behaviours: SimBehaviours,
    /** Base64 PEM of the certificate when serving HTTPS (a kubeconfig's certificate-authority-data). */
    readonly caData?: string,
  ) {}

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const clock: SimClock = options.manualClock
      ? new ManualClock(options.startTime)
      : new RealClock();
    const registry = new ResourceRegistry();
    const store = new ObjectStore({ historyLimit: options.watchHistory });
    const cluster = new Cluster(registry, store, clock);
    const behaviours: SimBehaviours = {
      ...defaultBehaviours(),
      ...options.behaviours,
    };
    const log = options.log ?? (() => {});

    // Seed before the controllers start, so the first reconcile sees it all.
    const seed =
      typeof options.seed === 'string'
        ? readManifests(options.seed)
        : options.seed ?? DEFAULT_OBJECTS;
    const hasNamespace = seed.some(
      o => o.kind === 'Namespace' && o.metadata?.name === 'default',
    );
    applyObjects(
      cluster,
      hasNamespace
        ? seed
        : [
            {
              apiVersion: 'v1',
              kind: 'Namespace',
              metadata: { name: 'default' },
            },
            ...seed,
          ],
    );

    const controllers = new ControllerManager(cluster, clock, behaviours, {
      accessLogIntervalMs: options.accessLogIntervalMs,
      trafficIntervalMs: options.trafficIntervalMs,
      onError: (error, where) =>
        log(`controller error in ${where}: ${error.stack ?? error.message}`),
    });
    if (clock instanceof ManualClock) {
      clock.afterEach = () => controllers.drain();
    }
    controllers.drain();
    const token = options.token ?? randomBytes(24).toString('base64url');
    const tls =
      options.tls === true ? selfSignedCertificate() : options.tls || undefined;
    const sim: Simulator = new Simulator(
      cluster,
      controllers,
      undefined as unknown as ApiServer,
      clock,
      token,
      behaviours,
      tls ? Buffer.from(tls.cert).toString('base64') : undefined,
    );
    const server = new ApiServer({
      cluster,
      controllers,
      behaviours,
      faults: sim.faults,
      token,
      host: options.host,
      port: options.port,
      tls,
      bookmarkIntervalMs: options.bookmarkIntervalMs,
      advanceClock:
        clock instanceof ManualClock ? ms => clock.advance(ms) : undefined,
      log,
    });
    (sim as { server: ApiServer }).server = server;
    await server.start();
    return sim;
  }

  get url(): string {
    return this.server.url;
  }

  /** Runs the controllers until nothing is queued. */
  settle() {
    this.controllers.drain();
  }

  async stop() {
    this.controllers.stop();
    if (this.clock instanceof RealClock) this.clock.stop();
    await this.server.stop();
  }
}
