import { timingSafeEqual } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Cluster, PatchType, PropagationPolicy } from '../store/Cluster';
import { StatusError } from '../store/errors';
import type { K8sObject } from '../store/ObjectStore';
import type { ResourceType } from '../store/resources';
import { apiVersionOf } from '../store/resources';
import type { ControllerManager } from '../controllers/manager';
import type { SimBehaviours } from '../controllers/context';
import { buildWorld } from '../controllers/traffic';
import type { FaultInjector, FaultVerb } from '../testing/faults';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  SERVER_VERSION,
} from './discovery';
import { ExecEndpoint } from './exec';
import { chooseContainer, servePodLog } from './logs';
import {
  parseBody,
  readBody,
  sendJson,
  sendStatus,
  warningHeader,
} from './respond';
import { WatchStream, objectJson } from './watch';

export interface ApiServerOptions {
  cluster: Cluster;
  controllers: ControllerManager;
  behaviours: SimBehaviours;
  faults: FaultInjector;
  /** The bearer token every API request must carry. */
  token: string;
  host?: string;
  port?: number;
  /** PEM key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Real ms between watch BOOKMARKs (default 60 000). */
  bookmarkIntervalMs?: number;
  /** Advances a manual clock (`POST /sim/clock`); absent when the clock is real. */
  advanceClock?: (ms: number) => void;
  log?: (message: string) => void;
}

interface Route {
  resource: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function escapeLabel(value: string) {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/**
 * The simulator's HTTP(S) API server: Kubernetes REST paths, discovery,
 * bearer-token auth, watch streams, pods/log, pods/exec over WebSocket,
 * `/metrics`, and the `/sim/*` admin endpoints (faults, clock, traffic).
 */
export class ApiServer {
  private server?: http.Server | https.Server;
  private readonly exec = new ExecEndpoint();
  private readonly watches = new Set<WatchStream>();
  private readonly requests = new Map<string, number>();
  private execSessions = 0;
  private execTotal = 0;
  private readonly unregisterWatchDropper: () => void;
  private readonly sockets = new Set<Duplex>();
  url = '';

  constructor(private readonly options: ApiServerOptions) {
    this.unregisterWatchDropper = options.faults.registerWatchDropper(
      (resource, graceful) => {
        let n = 0;
        for (const watch of [...this.watches]) {
          if (!resource || watch.plural === resource) {
            if (graceful) watch.close();
            else watch.drop();
            n++;
          }
        }
        return n > 0;
      },
    );
  }

  async start(): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(error => this.fail(res, error));
    };
    this.server = this.options.tls
      ? https.createServer(
          { key: this.options.tls.key, cert: this.options.tls.cert },
          handler,
        )
      : http.createServer(handler);
    this.server.keepAliveTimeout = 65_000;
    this.server.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket, head).catch(error => {
        const status =
          error instanceof StatusError
            ? error
            : StatusError.internal(String(error?.message ?? error));
        const body = JSON.stringify(status.toStatus());
        socket.end(
          `HTTP/1.1 ${status.code} ${
            http.STATUS_CODES[status.code] ?? 'Error'
          }\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(
            body,
          )}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
    });
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://${host}:${
      address.port
    }`;
    return this.url;
  }

  async stop() {
    this.unregisterWatchDropper();
    for (const watch of [...this.watches]) watch.drop();
    this.exec.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  get openWatches() {
    return this.watches.size;
  }

  // ---------------------------------------------------------------- auth

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return false;
    const given = Buffer.from(m[1].trim());
    const expected = Buffer.from(this.options.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private count(verb: string, resource: string, code: number) {
    const key = `${verb}|${resource}|${code}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  private fail(res: ServerResponse, error: unknown) {
    const status =
      error instanceof StatusError
        ? error
        : StatusError.internal(String((error as Error)?.message ?? error));
    if (!(error instanceof StatusError)) {
      this.options.log?.(`internal error: ${(error as Error)?.stack ?? error}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, status);
  }

  // ---------------------------------------------------------------- routing

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();

    if (
      method === 'GET' &&
      (path === '/healthz' || path === '/livez' || path === '/readyz')
    ) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (method === 'GET' && path === '/version') {
      sendJson(res, 200, SERVER_VERSION);
      return;
    }
    if (method === 'GET' && path === '/metrics') {
      const text = this.metrics();
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      });
      res.end(text);
      return;
    }
    if (!this.authorized(req)) {
      this.count(method.toLowerCase(), '', 401);
      sendStatus(res, StatusError.unauthorized());
      return;
    }
    if (path.startsWith('/sim/')) {
      await this.admin(req, res, method, path);
      return;
    }
    if (method === 'GET') {
      const discovery = this.discovery(path, req);
      if (discovery !== undefined) {
        if (discovery === null)
          throw new StatusError(
            404,
            'NotFound',
            'the server could not find the requested resource',
          );
        sendJson(res, 200, discovery);
        return;
      }
    }
    const route = this.route(path);
    if (!route) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    await this.resourceRequest(req, res, method, route, url.searchParams);
  }

  private discovery(
    path: string,
    req: IncomingMessage,
  ): unknown | null | undefined {
    const { registry } = this.options.cluster;
    if (path === '/api') return apiVersions(req.headers.host ?? '127.0.0.1');
    if (path === '/api/v1') return apiResourceList(registry, '', 'v1') ?? null;
    if (path === '/apis') return apiGroupList(registry);
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (m) {
      if (!m[2]) return apiGroup(registry, m[1]) ?? null;
      return apiResourceList(registry, m[1], m[2]) ?? null;
    }
    return undefined;
  }

  private route(path: string): Route | undefined {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1];
      version = parts[2];
      rest = parts.slice(3);
    } else {
      return undefined;
    }
    const { registry } = this.options.cluster;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const resource = registry.find(group, version, rest[2]);
      if (resource?.namespaced) {
        if (rest.length > 5) return undefined;
        return {
          resource,
          version,
          namespace: rest[1],
          name: rest[3],
          subresource: rest[4],
        };
      }
      if (
        group !== '' ||
        !['status', 'finalize'].includes(rest[2]) ||
        rest.length > 3
      )
        return undefined;
    }
    const resource = registry.find(group, version, rest[0]);
    if (!resource || rest.length > 3) return undefined;
    if (rest.length > 1 && resource.namespaced) {
      // A namespaced resource by name needs its namespace in the path.
      return undefined;
    }
    return { resource, version, name: rest[1], subresource: rest[2] };
  }

  private verbOf(
    method: string,
    route: Route,
    query: URLSearchParams,
  ): FaultVerb | undefined {
    // The all-namespaces path of a namespaced resource only lists and watches.
    if (route.resource.namespaced && !route.namespace && method !== 'GET') {
      return undefined;
    }
    if (route.subresource === 'log')
      return method === 'GET' ? 'log' : undefined;
    if (route.subresource === 'exec') return 'exec';
    switch (method) {
      case 'GET':
        if (!route.name)
          return ['true', '1'].includes(query.get('watch') ?? '')
            ? 'watch'
            : 'list';
        return 'get';
      case 'POST':
        return route.name && !route.subresource ? undefined : 'create';
      case 'PUT':
        return route.name ? 'update' : undefined;
      case 'PATCH':
        return route.name ? 'patch' : undefined;
      case 'DELETE':
        return route.name ? 'delete' : 'deletecollection';
      default:
        return undefined;
    }
  }

  private dryRun(query: URLSearchParams, body?: any): boolean {
    const values = [
      ...query.getAll('dryRun'),
      ...(Array.isArray(body?.dryRun) ? body.dryRun : []),
    ];
    for (const v of values) {
      if (v !== 'All')
        throw StatusError.badRequest(
          `Invalid dry run value: "${v}"; the only supported value is "All"`,
        );
    }
    return values.length > 0;
  }

  private fieldValidation(
    query: URLSearchParams,
  ): 'Strict' | 'Warn' | 'Ignore' | undefined {
    const v = query.get('fieldValidation');
    if (v === null || v === '') return undefined;
    if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
    throw StatusError.badRequest(
      `fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${v}"`,
    );
  }

  private async resourceRequest(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    route: Route,
    query: URLSearchParams,
  ) {
    const { faults } = this.options;
    const { resource, namespace, name, subresource } = route;
    const resourceName = resource.group
      ? `${resource.plural}.${resource.group}`
      : resource.plural;
    const verb = this.verbOf(method, route, query);
    if (!verb) {
      this.count(method.toLowerCase(), resourceName, 405);
      throw StatusError.methodNotAllowed();
    }
    if (subresource && !resource.subresources.includes(subresource)) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const decision = faults.decide(
      verb,
      resource.group,
      resource.plural,
      namespace,
      name,
    );
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.error) {
      this.count(verb, resourceName, decision.error.code);
      throw decision.error;
    }
    let code = 200;
    try {
      code = await this.dispatch(req, res, method, verb, route, query);
    } catch (error) {
      code = error instanceof StatusError ? error.code : 500;
      throw error;
    } finally {
      this.count(verb, resourceName, code);
    }
  }

  private send(
    res: ServerResponse,
    code: number,
    route: Route,
    object: K8sObject,
    warnings: string[] = [],
  ) {
    const json = objectJson(
      this.options.cluster,
      route.resource,
      object,
      route.version,
    );
    sendJson(res, code, json, warningHeader(warnings));
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    verb: FaultVerb,
    route: Route,
    query: URLSearchParams,
  ): Promise<number> {
    const { cluster } = this.options;
    const { resource, version, namespace, name, subresource } = route;

    if (subresource === 'log') {
      const pod = cluster.get(resource, namespace, name!);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      await servePodLog(cluster, pod, query, res, abort.signal);
      return 200;
    }
    if (subresource === 'exec') {
      throw StatusError.badRequest(
        'Upgrade request required: pods/exec speaks WebSocket (v5.channel.k8s.io, v4.channel.k8s.io)',
      );
    }

    switch (verb) {
      case 'get': {
        const object = cluster.get(resource, namespace, name!);
        if (subresource === 'scale') {
          sendJson(res, 200, cluster.scaleOf(resource, object));
        } else {
          this.send(res, 200, route, object);
        }
        return 200;
      }
      case 'list': {
        const limitRaw = query.get('limit');
        const limit = limitRaw ? Number(limitRaw) : undefined;
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
          throw StatusError.badRequest(
            `limit: expected a non-negative integer, got "${limitRaw}"`,
          );
        }
        const result = cluster.list(resource, namespace, {
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
          limit,
          continue: query.get('continue') ?? undefined,
        });
        const metadata: Record<string, unknown> = {
          resourceVersion: result.resourceVersion,
        };
        if (result.continue) metadata.continue = result.continue;
        if (result.remainingItemCount !== undefined)
          metadata.remainingItemCount = result.remainingItemCount;
        const items = result.items
          .map(item => objectJson(cluster, resource, item, version))
          .join(',');
        const body = `{"kind":"${
          resource.kind
        }List","apiVersion":"${apiVersionOf(
          resource.group,
          version,
        )}","metadata":${JSON.stringify(metadata)},"items":[${items}]}`;
        sendJson(res, 200, body);
        return 200;
      }
      case 'watch': {
        const timeoutRaw = query.get('timeoutSeconds');
        const watch: WatchStream = new WatchStream(
          cluster,
          res,
          {
            resource,
            version,
            namespace,
            labelSelector: query.get('labelSelector') ?? undefined,
            fieldSelector: query.get('fieldSelector') ?? undefined,
            resourceVersion: query.get('resourceVersion') ?? undefined,
            allowWatchBookmarks: query.get('allowWatchBookmarks') === 'true',
            sendInitialEvents: query.get('sendInitialEvents') === 'true',
            timeoutSeconds: timeoutRaw ? Number(timeoutRaw) : undefined,
          },
          {
            bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 60_000,
            maxBufferedBytes: 64 * 1024 * 1024,
            defaultTimeoutSeconds: 1800,
          },
          () => this.watches.delete(watch),
        );
        this.watches.add(watch);
        try {
          watch.start();
        } catch (error) {
          this.watches.delete(watch);
          throw error;
        }
        return 200;
      }
      case 'create': {
        const raw = await readBody(req);
        const body: any = parseBody(raw, req.headers['content-type']);
        if (subresource === 'eviction') {
          return this.evict(res, route, body, query);
        }
        if (subresource === 'binding') {
          return this.bind(res, route, body);
        }
        if (subresource) throw StatusError.methodNotAllowed();
        const result = cluster.create(resource, namespace, body, {
          dryRun: this.dryRun(query),
          fieldValidation: this.fieldValidation(query),
        });
        this.send(res, 201, route, result.object, result.warnings);
        return 201;
      }
      case 'update': {
        const raw = await readBody(req);
        const body = parseBody(raw, req.headers['content-type']);
        if (subresource === 'scale') {
          const result = cluster.updateScale(resource, namespace, name!, body, {
            dryRun: this.dryRun(query),
          });
          sendJson(res, 200, result.object);
          return 200;
        }
        if (subresource === 'finalize') {
          const result = cluster.update(resource, namespace, name!, body, {
            dryRun: this.dryRun(query),
          });
          this.send(res, 200, route, result.object, result.warnings);
          return 200;
        }
        const result = cluster.update(resource, namespace, name!, body, {
          dryRun: this.dryRun(query),
          fieldValidation: this.fieldValidation(query),
          subresource,
        });
        this.send(res, 200, route, result.object, result.warnings);
        return 200;
      }
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '')
          .split(';')[0]
          .trim()
          .toLowerCase();
        const type = PATCH_TYPES[contentType];
        if (!type) {
          throw StatusError.unsupportedMediaType(
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${
              resource.custom ? '' : ', application/strategic-merge-patch+json'
            }`,
          );
        }
        const raw = await readBody(req);
        const body = parseBody(
          raw,
          type === 'apply' ? 'application/yaml' : 'application/json',
        );
        const result = cluster.patch(resource, namespace, name!, type, body, {
          dryRun: this.dryRun(query),
          fieldValidation: this.fieldValidation(query),
          subresource,
          fieldManager: query.get('fieldManager') ?? undefined,
          force: query.get('force') === 'true',
        });
        if (subresource === 'scale') {
          sendJson(res, 200, result.object);
        } else {
          this.send(res, 200, route, result.object, result.warnings);
        }
        return 200;
      }
      case 'delete': {
        const options = await this.deleteOptions(req, query);
        const result = cluster.delete(resource, namespace, name!, options);
        if (result.object) {
          this.send(res, 200, route, result.object, result.warnings);
          return 200;
        }
        sendJson(res, 200, result.status, warningHeader(result.warnings));
        return 200;
      }
      case 'deletecollection': {
        const options = await this.deleteOptions(req, query);
        const items = options.dryRun
          ? cluster.list(resource, namespace, {
              labelSelector: query.get('labelSelector') ?? undefined,
              fieldSelector: query.get('fieldSelector') ?? undefined,
            }).items
          : cluster.deleteCollection(
              resource,
              namespace,
              {
                labelSelector: query.get('labelSelector') ?? undefined,
                fieldSelector: query.get('fieldSelector') ?? undefined,
              },
              options,
            );
        const body = `{"kind":"${
          resource.kind
        }List","apiVersion":"${apiVersionOf(
          resource.group,
          version,
        )}","metadata":{"resourceVersion":"${
          cluster.store.currentRevision
        }"},"items":[${items
          .map(item => objectJson(cluster, resource, item, version))
          .join(',')}]}`;
        sendJson(res, 200, body);
        return 200;
      }
      default:
        void method;
        throw StatusError.methodNotAllowed();
    }
  }

  private async deleteOptions(req: IncomingMessage, query: URLSearchParams) {
    const raw = await readBody(req);
    const body: any =
      raw.length > 0 && raw.toString().trim() !== ''
        ? parseBody(raw, 'application/json')
        : {};
    const grace = query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    let policy = (query.get('propagationPolicy') ?? body.propagationPolicy) as
      | PropagationPolicy
      | undefined;
    const orphan = query.get('orphanDependents') ?? body.orphanDependents;
    if (!policy && orphan !== undefined && orphan !== null) {
      policy = String(orphan) === 'true' ? 'Orphan' : 'Background';
    }
    const gracePeriodSeconds =
      grace === undefined || grace === null ? undefined : Number(grace);
    if (
      gracePeriodSeconds !== undefined &&
      (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0)
    ) {
      throw StatusError.badRequest(
        `gracePeriodSeconds must be a non-negative integer, got "${grace}"`,
      );
    }
    return {
      dryRun: this.dryRun(query, body),
      gracePeriodSeconds,
      propagationPolicy: policy,
      preconditions: body.preconditions,
    };
  }

  private evict(
    res: ServerResponse,
    route: Route,
    body: any,
    query: URLSearchParams,
  ): number {
    const { cluster } = this.options;
    if (body?.metadata?.name && body.metadata.name !== route.name) {
      throw StatusError.badRequest(
        `name in URL does not match name in Eviction object`,
      );
    }
    const pod = cluster.get(route.resource, route.namespace, route.name!);
    const dryRun = this.dryRun(query, body?.deleteOptions);
    cluster.delete(route.resource, route.namespace, route.name!, {
      dryRun,
      gracePeriodSeconds: body?.deleteOptions?.gracePeriodSeconds,
      preconditions: body?.deleteOptions?.preconditions,
    });
    if (!dryRun) {
      cluster.recordEvent(
        pod,
        'Normal',
        'Evicted',
        'Evicted by the eviction API',
        'eviction-api',
      );
    }
    sendJson(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    return 201;
  }

  private bind(res: ServerResponse, route: Route, body: any): number {
    const { cluster } = this.options;
    const target = body?.target?.name;
    if (!target) throw StatusError.badRequest('a Binding needs target.name');
    const pod = cluster.get(route.resource, route.namespace, route.name!);
    if (pod.spec?.nodeName) {
      throw StatusError.conflict(
        '',
        'pods',
        route.name!,
        `pod ${route.name} is already assigned to node "${pod.spec.nodeName}"`,
      );
    }
    cluster.mutate(route.resource, route.namespace, route.name!, draft => {
      draft.spec.nodeName = target;
    });
    sendJson(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    return 201;
  }

  // ---------------------------------------------------------------- exec

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (!this.authorized(req)) throw StatusError.unauthorized();
    const route = this.route(url.pathname.replace(/\/+$/, ''));
    if (
      !route ||
      route.subresource !== 'exec' ||
      route.resource.kind !== 'Pod'
    ) {
      throw new StatusError(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    }
    const { cluster, faults, controllers } = this.options;
    const decision = faults.decide(
      'exec',
      '',
      'pods',
      route.namespace,
      route.name,
    );
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.error) throw decision.error;
    const q = url.searchParams;
    const command = q.getAll('command');
    const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
    const stdin = flag('stdin');
    const stdout = flag('stdout');
    const stderr = flag('stderr');
    const tty = flag('tty');
    if (command.length === 0)
      throw StatusError.badRequest(
        'you must specify at least one command for the container',
      );
    if (!stdin && !stdout && !stderr)
      throw StatusError.badRequest(
        'you must specify at least 1 of stdin, stdout, stderr',
      );
    const pod = cluster.get(route.resource, route.namespace, route.name!);
    const containerName = chooseContainer(pod, q.get('container'), 'exec');
    if (!pod.spec?.nodeName)
      throw StatusError.badRequest(
        `pod ${pod.metadata.name} does not have a host assigned`,
      );
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      throw StatusError.badRequest(
        `cannot exec into a container in a completed pod; current phase is ${phase}`,
      );
    }
    const container = controllers.kubelet.containerFor(pod, containerName);
    if (typeof container === 'string')
      throw StatusError.badRequest(
        `unable to upgrade connection: ${container}`,
      );
    this.exec.upgrade(
      req,
      socket,
      head,
      { container, command, stdin, stdout, stderr, tty },
      {
        onStart: () => {
          this.execSessions++;
          this.execTotal++;
        },
        onEnd: () => {
          this.execSessions--;
        },
        register: drop => faults.registerExecDropper(drop),
      },
    );
  }

  // ---------------------------------------------------------------- admin

  private async admin(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
  ) {
    const { faults, behaviours, cluster } = this.options;
    const body = async () => {
      const raw = await readBody(req);
      return raw.length ? (parseBody(raw, 'application/json') as any) : {};
    };
    if (path === '/sim/faults') {
      if (method === 'GET')
        return sendJson(res, 200, { faults: faults.list() });
      if (method === 'POST')
        return sendJson(res, 201, { id: faults.add(await body()) });
      if (method === 'DELETE') {
        faults.clear();
        return sendJson(res, 200, { faults: [] });
      }
    }
    const one = /^\/sim\/faults\/([0-9a-f-]{36})$/.exec(path);
    if (one && method === 'DELETE') {
      if (!faults.remove(one[1]))
        throw new StatusError(404, 'NotFound', `no fault ${one[1]}`);
      return sendJson(res, 200, { removed: one[1] });
    }
    if (path === '/sim/faults/drop-watches' && method === 'POST') {
      const b = await body();
      return sendJson(res, 200, {
        dropped: faults.dropWatches(
          typeof b.resource === 'string' ? b.resource : undefined,
          { graceful: b.graceful === true },
        ),
      });
    }
    if (path === '/sim/faults/drop-exec' && method === 'POST') {
      return sendJson(res, 200, { dropped: faults.dropExecSessions() });
    }
    if (path === '/sim/clock') {
      if (method === 'GET')
        return sendJson(res, 200, {
          now: cluster.clock.now(),
          manual: !!this.options.advanceClock,
        });
      if (method === 'POST') {
        const b = await body();
        if (!this.options.advanceClock)
          throw StatusError.badRequest(
            'the clock is real time; start the simulator with a manual clock to advance it',
          );
        if (
          typeof b.advanceMs !== 'number' ||
          b.advanceMs < 0 ||
          b.advanceMs > 86_400_000
        ) {
          throw StatusError.badRequest(
            'advanceMs must be a number of milliseconds between 0 and 86400000',
          );
        }
        this.options.advanceClock(b.advanceMs);
        return sendJson(res, 200, { now: cluster.clock.now() });
      }
    }
    if (path === '/sim/traffic' && method === 'POST') {
      const b = await body();
      if (
        typeof b.namespace !== 'string' ||
        typeof b.service !== 'string' ||
        typeof b.rps !== 'number' ||
        b.rps < 0 ||
        b.rps > 100_000
      ) {
        throw StatusError.badRequest(
          'expected {"namespace": "...", "service": "...", "rps": 0..100000}',
        );
      }
      if (!cluster.store.get('core/services', b.namespace, b.service)) {
        throw StatusError.notFound('', 'services', b.service);
      }
      behaviours.traffic.setRate(b.namespace, b.service, b.rps);
      return sendJson(res, 200, {
        namespace: b.namespace,
        service: b.service,
        rps: b.rps,
      });
    }
    const ratio = /^\/sim\/deployments\/([^/]+)\/([^/]+)\/behaviour$/.exec(
      path,
    );
    if (ratio && method === 'POST') {
      const b = await body();
      const annotations: Record<string, string> = {};
      if (b.errorRatio !== undefined) {
        if (
          typeof b.errorRatio !== 'number' ||
          b.errorRatio < 0 ||
          b.errorRatio > 1
        )
          throw StatusError.badRequest('errorRatio must be between 0 and 1');
        annotations['sim.fincloud.io/error-ratio'] = String(b.errorRatio);
      }
      if (b.latencyMs !== undefined) {
        if (typeof b.latencyMs !== 'number' || b.latencyMs < 0)
          throw StatusError.badRequest(
            'latencyMs must be a non-negative number',
          );
        annotations['sim.fincloud.io/latency-ms'] = String(b.latencyMs);
      }
      const result = cluster.patch(
        cluster.resource('apps', 'deployments'),
        ratio[1],
        ratio[2],
        'merge',
        {
          metadata: { annotations },
        },
      );
      return sendJson(res, 200, {
        annotations: result.object.metadata.annotations,
      });
    }
    throw new StatusError(
      404,
      'NotFound',
      `no admin endpoint ${method} ${path}`,
    );
  }

  // ---------------------------------------------------------------- metrics

  private metrics(): string {
    const { cluster, behaviours, controllers } = this.options;
    let text = '';
    try {
      text = behaviours.traffic.renderMetrics(buildWorld(cluster));
      if (text && !text.endsWith('\n')) text += '\n';
    } catch (error) {
      this.options.log?.(`renderMetrics failed: ${(error as Error).message}`);
    }
    const lines: string[] = [];
    lines.push(
      '# HELP sim_api_requests_total API requests the simulator served, by verb, resource and HTTP code.',
    );
    lines.push('# TYPE sim_api_requests_total counter');
    for (const [key, n] of this.requests) {
      const [verb, resource, code] = key.split('|');
      lines.push(
        `sim_api_requests_total{verb="${escapeLabel(
          verb,
        )}",resource="${escapeLabel(resource)}",code="${code}"} ${n}`,
      );
    }
    lines.push('# HELP sim_objects Objects stored, by resource.');
    lines.push('# TYPE sim_objects gauge');
    for (const resource of cluster.registry.resources) {
      const n = cluster.store.count(cluster.key(resource));
      lines.push(
        `sim_objects{resource="${
          resource.group
            ? `${resource.plural}.${resource.group}`
            : resource.plural
        }"} ${n}`,
      );
    }
    lines.push(
      '# HELP sim_resource_version The current resourceVersion (global revision).',
    );
    lines.push('# TYPE sim_resource_version gauge');
    lines.push(`sim_resource_version ${cluster.store.currentRevision}`);
    lines.push('# HELP sim_watch_streams Open watch streams.');
    lines.push('# TYPE sim_watch_streams gauge');
    lines.push(`sim_watch_streams ${this.watches.size}`);
    lines.push('# HELP sim_exec_sessions Open exec sessions.');
    lines.push('# TYPE sim_exec_sessions gauge');
    lines.push(`sim_exec_sessions ${this.execSessions}`);
    lines.push('# HELP sim_exec_sessions_total Exec sessions started.');
    lines.push('# TYPE sim_exec_sessions_total counter');
    lines.push(`sim_exec_sessions_total ${this.execTotal}`);
    lines.push(
      '# HELP sim_controller_errors_total Errors raised by the simulated controllers.',
    );
    lines.push('# TYPE sim_controller_errors_total counter');
    lines.push(
      `sim_controller_errors_total ${controllers.queue.errors.length}`,
    );
    lines.push('# HELP sim_traffic_ticks_total Ticks of the traffic model.');
    lines.push('# TYPE sim_traffic_ticks_total counter');
    lines.push(`sim_traffic_ticks_total ${controllers.traffic?.ticks ?? 0}`);
    return `${text}${lines.join('\n')}\n`;
  }
}
