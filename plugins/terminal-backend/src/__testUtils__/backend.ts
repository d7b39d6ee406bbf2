import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  PermissionsService,
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { ServiceUnavailableError } from '@backstage/errors';
import authPlugin from '@backstage/plugin-auth-backend';
import {
  authProvidersExtensionPoint,
  createProxyAuthProviderFactory,
  createProxyAuthenticator,
} from '@backstage/plugin-auth-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import terminalPlugin from '../index';
import type { RecordingSim } from './sim';

/** A service's catalog entity as the sample catalog has it. */
export function component(
  name: string,
  namespace: string,
  owner: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'fincloud.io/cluster': 'sim',
        'fincloud.io/namespace': namespace,
        ...annotations,
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner },
    relations: [{ type: 'ownedBy', targetRef: `group:default/${owner}` }],
  };
}

export const PG = 'component:default/payment-gateway';
export const RISK = 'component:default/risk-engine';

export const TEST_ENTITIES = [
  component('payment-gateway', 'payments', 'team-payments'),
  component('risk-engine', 'risk', 'team-risk'),
];

/**
 * Who may do what, as the fincloud policy decides it for the sample
 * organisation (the real policy is exercised end to end by the permission
 * matrix in packages/backend): pete (developer) and paula (lead) own
 * payment-gateway; oscar is platform; amy is an auditor; gary reads.
 */
export const SAMPLE_RULES: Record<string, (user: string, entityRef: string) => boolean> = {
  'terminal.exec': (u, e) =>
    u === 'user:default/oscar' ||
    ((u === 'user:default/pete' || u === 'user:default/paula') && e === PG),
  'terminal.shell': (u, e) =>
    u === 'user:default/oscar' || (u === 'user:default/paula' && e === PG),
  'terminal.sessions.read': (u, e) =>
    u === 'user:default/oscar' ||
    u === 'user:default/amy' ||
    ((u === 'user:default/pete' || u === 'user:default/paula') && e === PG),
  'terminal.sessions.terminate': u => u === 'user:default/oscar',
};
const SEES_ALL = ['user:default/oscar', 'user:default/amy'];

/** The permissions service deciding by SAMPLE_RULES (deny anything else). */
function permissionsFactory(rules = SAMPLE_RULES) {
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory(): PermissionsService {
      const userOf = (c: any) =>
        c?.principal?.type === 'user' ? c.principal.userEntityRef : undefined;
      const service = (c: any) => c?.principal?.type === 'service';
      return {
        async authorize(requests, options) {
          const user = userOf(options?.credentials);
          return requests.map(r => {
            if (service(options?.credentials)) return { result: AuthorizeResult.ALLOW };
            const rule = rules[r.permission.name];
            const entityRef = (r as any).resourceRef as string | undefined;
            const allowed =
              !!user && !!rule && !!entityRef && rule(user, entityRef.toLocaleLowerCase('en-US'));
            return { result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
          });
        },
        async authorizeConditional(requests, options) {
          const user = userOf(options?.credentials);
          return requests.map((r): PolicyDecision => {
            if (service(options?.credentials)) return { result: AuthorizeResult.ALLOW };
            if (!isResourcePermission(r.permission) || !user) {
              return { result: AuthorizeResult.DENY };
            }
            if (SEES_ALL.includes(user) && r.permission.name === 'terminal.sessions.read') {
              return { result: AuthorizeResult.ALLOW };
            }
            // Like the fincloud policy: every signed-in user owns something (maybe nothing).
            if (rules[r.permission.name]) {
              return {
                result: AuthorizeResult.CONDITIONAL,
                pluginId: 'catalog',
                resourceType: 'catalog-entity',
                conditions: { rule: 'IS_ENTITY_OWNER', resourceType: 'catalog-entity', params: { claims: [] } },
              };
            }
            return { result: AuthorizeResult.DENY };
          });
        },
      };
    },
  });
}

/** One audit record as the terminal wrote it. */
export interface CapturedAudit {
  eventId: string;
  severityLevel: string;
  status: 'initiated' | 'succeeded' | 'failed';
  actor?: string;
  meta: Record<string, any>;
  error?: string;
}

/**
 * A recording auditor: keeps every event (with the actor the request
 * resolves to) and, when `failHigh` is set, refuses high events the way the
 * fincloud auditor does when its trail is down (503 before the action).
 */
export class CapturingAuditor {
  readonly events: CapturedAudit[] = [];
  failHigh = false;

  factory() {
    const events = this.events;
    const failHigh = () => this.failHigh;
    return createServiceFactory({
      service: coreServices.auditor,
      deps: { httpAuth: coreServices.httpAuth, auth: coreServices.auth },
      factory({ httpAuth, auth }): AuditorService {
        const actorOf = async (req: any) => {
          const credentials = req
            ? await httpAuth.credentials(req)
            : await auth.getOwnServiceCredentials();
          if (auth.isPrincipal(credentials, 'user')) {
            return credentials.principal.userEntityRef;
          }
          if (auth.isPrincipal(credentials, 'service')) {
            return credentials.principal.subject;
          }
          return undefined;
        };
        return {
          async createEvent(options: AuditorServiceCreateEventOptions) {
            if (
              failHigh() &&
              (options.severityLevel === 'high' || options.severityLevel === 'critical')
            ) {
              throw new ServiceUnavailableError('audit trail unavailable; action refused: test outage');
            }
            const actor = await actorOf(options.request);
            const base = {
              eventId: options.eventId,
              severityLevel: options.severityLevel ?? 'low',
              actor,
            };
            events.push({ ...base, status: 'initiated', meta: { ...options.meta } });
            return {
              async success(params) {
                events.push({
                  ...base,
                  status: 'succeeded',
                  meta: { ...options.meta, ...params?.meta },
                });
              },
              async fail(params) {
                events.push({
                  ...base,
                  status: 'failed',
                  meta: { ...options.meta, ...params?.meta },
                  error: String(params.error?.message ?? params.error),
                });
              },
            };
          },
        };
      },
    });
  }

  of(eventId: string, status?: CapturedAudit['status']) {
    return this.events.filter(
      e => e.eventId === eventId && (!status || e.status === status),
    );
  }
}

/** A test-only sign-in provider: the real auth plugin issues a real token for the user named in `x-test-user`. */
const testSignIn = createBackendModule({
  pluginId: 'auth',
  moduleId: 'terminal-test-sign-in',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'terminal-test',
          factory: createProxyAuthProviderFactory({
            authenticator: createProxyAuthenticator({
              defaultProfileTransform: async () => ({ profile: {} }),
              initialize: () => ({}),
              authenticate: async ({ req }) => ({
                result: { user: String(req.header('x-test-user')) },
              }),
            }),
            signInResolver: async (info, ctx) => {
              const ref = `user:default/${(info.result as any).user}`;
              return ctx.issueToken({ claims: { sub: ref, ent: [ref] } });
            },
          }),
        });
      },
    });
  },
});

export interface TerminalBackend {
  server: Server;
  port: number;
  audit: CapturingAuditor;
  /** A real Backstage user token for `user:default/<name>`. */
  tokenFor(name: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A backend with the real auth plugin (real tokens), the terminal plugin,
 * the catalog holding `entities`, the simulator as cluster `sim`, decisions
 * by SAMPLE_RULES and a capturing auditor.
 */
export async function startTerminalBackend(options: {
  sim: RecordingSim;
  terminal?: Record<string, unknown>;
  entities?: Entity[];
  knex?: Knex;
  extraFeatures?: any[];
  auditor?: 'capture' | 'none';
}): Promise<TerminalBackend> {
  const audit = new CapturingAuditor();
  // A database per plugin (the terminal's may come from TestDatabases),
  // each closed when the backend stops, so no pool outlives the test.
  const databases = createServiceFactory({
    service: coreServices.database,
    deps: {
      lifecycle: coreServices.rootLifecycle,
      plugin: coreServices.pluginMetadata,
    },
    factory({ lifecycle, plugin }) {
      const given = plugin.getId() === 'terminal' ? options.knex : undefined;
      const knex =
        given ??
        knexFactory({
          client: 'better-sqlite3',
          connection: ':memory:',
          useNullAsDefault: true,
        });
      if (!given) lifecycle.addShutdownHook(() => knex.destroy());
      return { getClient: async () => knex, migrations: { skip: false } };
    },
  });
  const tmp = mkdtempSync(join(tmpdir(), 'terminal-backend-test-'));
  const backend = await startTestBackend({
    features: [
      authServiceFactory,
      httpAuthServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          backend: {
            baseUrl: 'http://localhost:7007',
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          auth: {
            providers: { 'terminal-test': {} },
          },
          fincloud: {
            clusters: [
              {
                name: 'sim',
                url: options.sim.url,
                serviceAccountToken: options.sim.token,
                skipTLSVerify: true,
              },
            ],
            terminal: (options.terminal ?? {}) as JsonObject,
          },
          tmpDir: tmp,
        },
      }),
      databases,
      permissionsFactory(),
      ...(options.auditor === 'none' ? [] : [audit.factory()]),
      catalogServiceMock.factory({ entities: options.entities ?? TEST_ENTITIES }),
      authPlugin,
      testSignIn,
      terminalPlugin,
      ...(options.extraFeatures ?? []),
    ],
  });
  const server = backend.server as unknown as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    port,
    audit,
    async tokenFor(name: string) {
      const res = await request(server)
        .get('/api/auth/terminal-test/refresh')
        .set('x-test-user', name);
      if (res.status !== 200) {
        throw new Error(`sign-in of ${name} failed: ${res.status} ${res.text}`);
      }
      return res.body.backstageIdentity.token;
    },
    stop: () => backend.stop(),
  };
}
