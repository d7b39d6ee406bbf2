import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  authProvidersExtensionPoint,
  createProxyAuthenticator,
  createProxyAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import request from 'supertest';
import { WebSocket } from 'ws';
import {
  Caller,
  CALLER_USERS,
  CALLERS,
  GUEST_USER_REF,
  MATRIX_FIXTURES,
  MatrixCall,
  PERMISSION_MATRIX,
  TERMINAL_WS_MATRIX,
} from './permissionMatrix';
import {
  MATRIX_FEATURES,
  matrixFeatureConfig,
} from './permissionMatrixFeatures';

const repoRoot = resolve(__dirname, '..', '..', '..');
const SERVICE_TOKEN = 'permission-matrix-service-token-0123456789';

/**
 * A test-only sign-in provider for the "guest" caller: the real auth plugin
 * issues a real token for a user the catalog does not have.
 */
const guestProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'permission-matrix-guest',
  register(reg) {
    reg.registerInit({
      deps: { providers: authProvidersExtensionPoint },
      async init({ providers }) {
        providers.registerProvider({
          providerId: 'matrix-guest',
          factory: createProxyAuthProviderFactory({
            authenticator: createProxyAuthenticator({
              defaultProfileTransform: async () => ({ profile: {} }),
              initialize: () => ({}),
              authenticate: async () => ({ result: {} }),
            }),
            signInResolver: async (_info, ctx) =>
              ctx.issueToken({
                claims: { sub: GUEST_USER_REF, ent: [GUEST_USER_REF] },
              }),
          }),
        });
      },
    });
  },
});

type Server = Parameters<typeof request>[0];

async function waitFor<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

/** Signs in through the real auth plugin and returns the Backstage token. */
async function signIn(server: Server, provider: string, user?: string) {
  const req = request(server).get(`/api/auth/${provider}/refresh`);
  if (user) req.set('x-fincloud-dev-user', user);
  const res = await req;
  if (res.status !== 200) {
    throw new Error(
      `sign-in as ${user ?? provider} failed: ${res.status} ${res.text}`,
    );
  }
  return res.body.backstageIdentity.token as string;
}

/** What the auth plugin says a token's user is and owns. */
async function userInfo(server: Server, header: string) {
  const res = await request(server)
    .get('/api/auth/v1/userinfo')
    .set('authorization', header);
  return res.body.claims;
}

/** Opens the terminal WebSocket as a browser would and resolves with its close code. */
function terminalSocketCloseCode(
  server: Server,
  token: string | undefined,
  entity: string,
  mode: string,
): Promise<number> {
  const address = (server as any).address();
  const query = new URLSearchParams({
    entityRef: `component:default/${entity}`,
    cluster: 'sim',
    namespace: entity === 'risk-engine' ? 'risk' : 'payments',
    pod: `${entity}-matrix`,
    container: entity,
    mode,
  });
  const ws = new WebSocket(
    `ws://127.0.0.1:${address.port}/api/terminal/ws?${query}`,
    token ? ['fincloud.terminal.v1', `bearer.${token}`] : ['fincloud.terminal.v1'],
  );
  ws.on('open', () => {
    if (mode === 'shell') {
      ws.send(JSON.stringify({ type: 'justification', text: 'permission matrix: a written reason' }));
    }
  });
  return new Promise((settle, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('the terminal WebSocket did not close within 20 s'));
    }, 20_000);
    ws.on('error', () => undefined);
    ws.on('close', code => {
      clearTimeout(timer);
      settle(code);
    });
  });
}

describe('the permission matrix', () => {
  let server: Server;
  let stop: () => Promise<void>;
  const tmp = mkdtempSync(join(tmpdir(), 'fincloud-permission-matrix-'));
  const headers = {} as Record<Caller, string | undefined>;
  const call: MatrixCall = async (caller, method, path, body) => {
    const verb = method.toLowerCase() as
      | 'get'
      | 'post'
      | 'put'
      | 'patch'
      | 'delete';
    let req = request(server)[verb](path);
    if (headers[caller]) req = req.set('authorization', headers[caller]!);
    const res = body ? await req.send(body) : await req;
    return { status: res.status, body: res.body };
  };

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        // Real tokens end to end: the default auth, httpAuth and userInfo
        // services instead of the test mocks (whose users own nothing).
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: {
              baseUrl: 'http://localhost:7007',
              database: { client: 'better-sqlite3', connection: ':memory:' },
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: { token: SERVICE_TOKEN, subject: 'matrix' },
                  },
                ],
              },
            },
            auth: {
              providers: {
                'fincloud-dev': { dangerouslyAllowOutsideDevelopment: true },
                'matrix-guest': {},
              },
            },
            permission: { enabled: true },
            ...matrixFeatureConfig(tmp),
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'Domain',
                    'API',
                    'Resource',
                    'Location',
                    'Group',
                    'User',
                  ],
                },
              ],
              locations: [
                {
                  type: 'file',
                  target: resolve(repoRoot, 'catalog-info.yaml'),
                },
              ],
            },
          },
        }),
        guestProvider,
        ...MATRIX_FEATURES,
      ],
    });
    server = backend.server;
    stop = () => backend.stop();

    // The catalog has read the sample organisation when pete's group
    // membership and payment-gateway's owner are both stitched in.
    const service = `Bearer ${SERVICE_TOKEN}`;
    await waitFor('the sample catalog', async () => {
      const [pete, pg] = await Promise.all([
        request(server)
          .get('/api/catalog/entities/by-name/user/default/pete')
          .set('authorization', service),
        request(server)
          .get(
            '/api/catalog/entities/by-name/component/default/payment-gateway',
          )
          .set('authorization', service),
      ]);
      const ready =
        pete.status === 200 &&
        pg.status === 200 &&
        pete.body.relations?.some((r: any) => r.type === 'memberOf') &&
        pg.body.relations?.some((r: any) => r.type === 'ownedBy');
      return ready ? true : undefined;
    });

    for (const [caller, user] of Object.entries(CALLER_USERS)) {
      headers[caller as Caller] = `Bearer ${await signIn(
        server,
        'fincloud-dev',
        user,
      )}`;
    }
    headers.guest = `Bearer ${await signIn(server, 'matrix-guest')}`;
    headers.service = service;
    headers.none = undefined;

    for (const fixture of MATRIX_FIXTURES) {
      try {
        await fixture.run(call);
      } catch (error) {
        throw new Error(`matrix fixture "${fixture.name}" failed: ${error}`);
      }
    }
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('signs the callers in with real tokens that carry their catalog groups', async () => {
    expect(await userInfo(server, headers.developer!)).toMatchObject({
      sub: 'user:default/pete',
      ent: ['user:default/pete', 'group:default/team-payments'],
    });
    expect(await userInfo(server, headers.lead!)).toMatchObject({
      sub: 'user:default/paula',
      ent: ['user:default/paula', 'group:default/team-payments'],
    });
    expect(await userInfo(server, headers.auditor!)).toMatchObject({
      sub: 'user:default/amy',
      ent: ['user:default/amy', 'group:default/audit-team'],
    });
    expect(await userInfo(server, headers.guest!)).toMatchObject({
      sub: GUEST_USER_REF,
      ent: [GUEST_USER_REF],
    });
  });

  describe.each(
    PERMISSION_MATRIX.map(row => [
      `${row.method} ${row.path}${
        row.body ? ` ${JSON.stringify(row.body)}` : ''
      }`,
      row,
    ]),
  )('%s', (_title, row) => {
    it.each(CALLERS)('as %s', async caller => {
      const res = await call(caller, row.method, row.path, row.body);
      expect({ caller, status: res.status }).toEqual({
        caller,
        status: row.expect[caller],
      });
      if (row.returns && res.status >= 200 && res.status < 300) {
        row.returns(res.body, caller);
      }
    });
  });

  // The terminal's WebSocket: its own small table (close codes, not statuses).
  describe.each(
    TERMINAL_WS_MATRIX.map(row => [
      `WS /api/terminal/ws ${row.mode} ${row.entity}`,
      row,
    ]),
  )('%s', (_title, row) => {
    it.each(CALLERS)('as %s', async caller => {
      const code = await terminalSocketCloseCode(
        server,
        headers[caller]?.replace(/^Bearer /, ''),
        row.entity,
        row.mode,
      );
      expect({ caller, code }).toEqual({ caller, code: row.expect[caller] });
    });
  });

  it('covers every fincloud backend feature that packages/backend registers', () => {
    const index = readFileSync(resolve(__dirname, 'index.ts'), 'utf8');
    // Every fincloud package index.ts names (backend.add(import(...)) or a
    // static import of a service factory).
    const registered = [...index.matchAll(/'(@fincloud\/[^']+)'/g)].map(
      m => m[1],
    );
    expect(registered.length).toBeGreaterThan(0);
    const inMatrix = readFileSync(
      resolve(__dirname, 'permissionMatrixFeatures.ts'),
      'utf8',
    );
    for (const pkg of registered) {
      expect({ pkg, inMatrix: inMatrix.includes(`'${pkg}'`) }).toEqual({
        pkg,
        inMatrix: true,
      });
    }
  });
});
