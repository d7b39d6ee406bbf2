/*
 * The permission matrix: every fincloud endpoint, called as every role, and
 * the status each must get. permissionMatrix.test.ts starts a backend with the
 * real permission plugin, the fincloud policy, the catalog loaded with the
 * sample organisation (catalog/*.yaml), real sign-in tokens and every fincloud
 * backend plugin, then plays each row as each caller.
 *
 * Adding an endpoint is one row: `{ method, path, expect: allowed('platform', ...) }`.
 * Adding a backend plugin: add it to MATRIX_FEATURES below (a test fails when
 * packages/backend/src/index.ts registers a fincloud plugin the matrix lacks).
 */

/** Who calls. Users sign in through the development sign-in, with their catalog groups. */
export type Caller =
  | 'developer'
  | 'lead'
  | 'platform'
  | 'auditor'
  | 'reader'
  | 'guest'
  | 'service'
  | 'none';

/** The sample users standing for each role (catalog/org.yaml). */
export const CALLER_USERS = {
  /** team-payments developer: owns payment-gateway and user-portal through his group. */
  developer: 'pete',
  /** team-payments lead (fincloud.io/team-leads on the Group). */
  lead: 'paula',
  /** platform-team member. */
  platform: 'oscar',
  /** audit-team member. */
  auditor: 'amy',
  /** signed in, in no team. */
  reader: 'gary',
} as const;

/** A signed-in user the catalog does not know (a real token, issued by a test-only provider). */
export const GUEST_USER_REF = 'user:default/mallory';

export const CALLERS: Caller[] = [
  'developer',
  'lead',
  'platform',
  'auditor',
  'reader',
  'guest',
  'service',
  'none',
];

export interface MatrixRow {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: object;
  /** The status each caller gets. */
  expect: Record<Caller, number>;
  /**
   * For filtered reads: checked on the body of every 2xx answer, e.g. that an
   * entity's events list only that entity's events. Throw (expect) to fail.
   */
  returns?: (body: any, caller: Caller) => void;
}

/**
 * 200 for the named callers (and always for service credentials, which the
 * permission framework allows before any policy runs), 401 without a token,
 * 403 for everybody else.
 */
export function allowed(...who: Exclude<Caller, 'none' | 'service'>[]) {
  const status = (c: Caller) => {
    if (c === 'none') return 401;
    return c === 'service' || who.includes(c as never) ? 200 : 403;
  };
  return Object.fromEntries(CALLERS.map(c => [c, status(c)])) as Record<
    Caller,
    number
  >;
}

/** Every caller, even without a token, gets `status` (public endpoints). */
export function everybody(status = 200) {
  return Object.fromEntries(CALLERS.map(c => [c, status])) as Record<
    Caller,
    number
  >;
}

const SIGNED_IN = [
  'developer',
  'lead',
  'platform',
  'auditor',
  'reader',
  'guest',
] as const;

const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';

/** Every item of an audit page concerns `entityRef`, and there is at least one. */
function onlyEventsOf(entityRef: string) {
  return (body: any) => {
    if (!Array.isArray(body.items) || body.items.length === 0) {
      throw new Error(
        `expected events of ${entityRef}, got ${JSON.stringify(body)}`,
      );
    }
    const others = body.items.filter((e: any) => e.entityRef !== entityRef);
    if (others.length > 0) {
      throw new Error(
        `events of other entities leaked: ${others
          .map((e: any) => e.entityRef)
          .join(', ')}`,
      );
    }
  };
}

/** Calls the test backend as a caller; what fixtures use to seed data. */
export type MatrixCall = (
  caller: Caller,
  method: MatrixRow['method'],
  path: string,
  body?: object,
) => Promise<{ status: number; body: any }>;

/**
 * Data the rows read, created before they run (each capability adds its
 * own): `run` may call the backend and should wait until what it created is
 * visible.
 */
export interface MatrixFixture {
  name: string;
  run: (call: MatrixCall) => Promise<void>;
}

async function eventually(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** What the builds fixture made: rows read the ids when they run. */
const buildsFixture = { build: '', approveWaiver: '', rejectWaiver: '' };
const BUILDS = '/api/builds';
const PG_BUILDS = `${BUILDS}/entities/component/default/payment-gateway`;

/** `allowed(...)` with 201 for the callers that may create. */
function created(...who: Exclude<Caller, 'none' | 'service'>[]) {
  return Object.fromEntries(
    Object.entries(allowed(...who)).map(([c, s]) => [c, s === 200 ? 201 : s]),
  ) as Record<Caller, number>;
}

/** A row whose path names what a fixture created (read when the row runs). */
function withFixture(
  row: Omit<MatrixRow, 'path'>,
  path: () => string,
): MatrixRow {
  return Object.defineProperty({ ...row }, 'path', {
    get: path,
    enumerable: true,
  }) as MatrixRow;
}

const waiverBody = () => ({
  ruleIds: ['generic.secrets.security.detected-private-key'],
  reason: 'permission matrix',
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
});

const TERMINAL = '/api/terminal';
const PG_TERMINAL = `${TERMINAL}/entities/component/default/payment-gateway`;
const NO_SESSION = '00000000-0000-4000-8000-000000000000';

/** WebSocket close codes: 1011 past the permission check, 4403 without it, 4401 without a user token. */
function wsCodes(...who: Exclude<Caller, 'none' | 'service'>[]) {
  return Object.fromEntries(
    CALLERS.map(c => {
      if (c === 'none' || c === 'service') return [c, 4401];
      return [c, who.includes(c as never) ? 1011 : 4403];
    }),
  ) as Record<Caller, number>;
}

const RELEASES = '/api/releases';
const PG_RELEASES = `${RELEASES}/entities/component/default/payment-gateway`;
const RISK_RELEASES = `${RELEASES}/entities/component/default/risk-engine`;
const NO_RELEASE = '00000000-0000-4000-8000-000000000000';

/**
 * `allowed(...)` where the allowed callers get `status` instead of 200: the
 * permission was granted and the call went on (to a cluster that does not
 * answer here, 503; to an id that does not exist, 404).
 */
function allowedThen(
  status: number,
  ...who: Exclude<Caller, 'none' | 'service'>[]
) {
  return Object.fromEntries(
    Object.entries(allowed(...who)).map(([c, s]) => [
      c,
      s === 200 ? status : s,
    ]),
  ) as Record<Caller, number>;
}

export const MATRIX_FIXTURES: MatrixFixture[] = [
  {
    // Catalog refreshes are audited by the catalog (entity-mutate, medium,
    // buffered): wait until the trail holds events of both services.
    name: 'audit events of payment-gateway and risk-engine',
    async run(call) {
      for (const entityRef of [PG, RISK]) {
        await call('service', 'POST', '/api/catalog/refresh', { entityRef });
        await eventually(`audit events of ${entityRef}`, async () => {
          const res = await call(
            'service',
            'GET',
            `/api/audit/events?entityRef=${encodeURIComponent(entityRef)}`,
          );
          return res.status === 200 && res.body.items.length > 0;
        });
      }
    },
  },
  {
    // A queued build of payment-gateway (the matrix's cluster does not answer,
    // so it stays queued) and two waivers asked for by its developer.
    name: 'a build and two waivers of payment-gateway',
    async run(call) {
      const build = await call('service', 'POST', `${PG_BUILDS}/builds`, {
        branch: 'main',
      });
      if (build.status !== 201) {
        throw new Error(
          `trigger: ${build.status} ${JSON.stringify(build.body)}`,
        );
      }
      buildsFixture.build = build.body.id;
      for (const key of ['approveWaiver', 'rejectWaiver'] as const) {
        const waiver = await call(
          'developer',
          'POST',
          `${PG_BUILDS}/waivers`,
          waiverBody(),
        );
        if (waiver.status !== 201) {
          throw new Error(
            `waiver: ${waiver.status} ${JSON.stringify(waiver.body)}`,
          );
        }
        buildsFixture[key] = waiver.body.id;
      }
    },
  },
];

const MON = '/api/monitoring';
const PG_MON = `${MON}/entities/component/default/payment-gateway`;
const MON_RULE = {
  name: 'HighErrorRatio',
  metric: 'error-ratio',
  comparison: '>',
  threshold: 5,
  forMinutes: 5,
  severity: 'warning',
};

/** Events of more than one entity: the caller sees the whole trail. */
function wholeTrail(body: any) {
  const entities = new Set(
    (body.items ?? []).map((e: any) => e.entityRef).filter(Boolean),
  );
  if (!entities.has(PG) || !entities.has(RISK)) {
    throw new Error(
      `expected events of ${PG} and ${RISK}, got ${[...entities].join(', ')}`,
    );
  }
}

const q = encodeURIComponent;

// One row per endpoint, one line each (kept that way on purpose).
// prettier-ignore
export const PERMISSION_MATRIX: MatrixRow[] = [
  // --- the development sign-in (plugins/auth-backend-module-dev-sign-in) -----
  // Public by design: the sign-in page lists the users before anyone is signed in.
  { method: 'GET', path: '/api/auth/fincloud-dev-users', expect: everybody() },

  // --- Backstage's catalog, decided by the fincloud policy ------------------
  { method: 'GET', path: '/api/catalog/entities/by-name/component/default/payment-gateway', expect: allowed(...SIGNED_IN) },
  { method: 'POST', path: '/api/catalog/refresh', body: { entityRef: PG }, expect: allowed('developer', 'lead', 'platform') },
  { method: 'POST', path: '/api/catalog/refresh', body: { entityRef: RISK }, expect: allowed('platform') },
  { method: 'DELETE', path: '/api/catalog/locations/00000000-0000-4000-8000-000000000000', expect: { ...allowed(), platform: 404, service: 404 } },

  // --- the audit trail (plugins/audit-backend) ------------------------------
  { method: 'GET', path: '/api/audit/events', expect: allowed('platform', 'auditor'), returns: wholeTrail },
  { method: 'GET', path: `/api/audit/events?entityRef=${q(PG)}`, expect: allowed('developer', 'lead', 'platform', 'auditor'), returns: onlyEventsOf(PG) },
  { method: 'GET', path: `/api/audit/events?entityRef=${q(RISK)}`, expect: allowed('platform', 'auditor'), returns: onlyEventsOf(RISK) },
  { method: 'GET', path: `/api/audit/events/export?format=csv&entityRef=${q(PG)}`, expect: allowed('platform', 'auditor') },
  { method: 'GET', path: '/api/audit/events/export?format=jsonl', expect: allowed('platform', 'auditor') },
  { method: 'GET', path: '/api/audit/verify', expect: allowed('platform', 'auditor') },

  // --- builds (plugins/builds-backend) --------------------------------------
  { method: 'GET', path: `${PG_BUILDS}/builds`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_BUILDS}/stats?window=30d`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_BUILDS}/config`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_BUILDS}/dockerfiles`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_BUILDS}/waivers`, expect: allowed(...SIGNED_IN) },
  { method: 'POST', path: `${PG_BUILDS}/builds`, body: { branch: 'main' }, expect: created('developer', 'lead', 'platform') },
  { method: 'POST', path: `${BUILDS}/entities/component/default/risk-engine/builds`, body: { branch: 'main' }, expect: created('platform') },
  { method: 'POST', path: `${PG_BUILDS}/dockerfiles`, body: { content: 'FROM scratch\nUSER 10001\n', message: 'matrix' }, expect: created('developer', 'lead', 'platform') },
  { method: 'POST', path: `${BUILDS}/dockerfiles/validate`, body: { content: 'FROM scratch\n' }, expect: allowed(...SIGNED_IN) },
  { method: 'POST', path: `${PG_BUILDS}/waivers`, body: waiverBody(), expect: created('developer', 'lead', 'platform') },
  withFixture({ method: 'GET', expect: allowed(...SIGNED_IN) }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}`),
  withFixture({ method: 'GET', expect: allowed(...SIGNED_IN) }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}/log?fromLine=-100`),
  withFixture({ method: 'GET', expect: allowed(...SIGNED_IN) }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}/log/search?q=error`),
  withFixture({ method: 'GET', expect: allowed(...SIGNED_IN) }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}/log/download`),
  withFixture({ method: 'POST', expect: created('developer', 'lead', 'platform') }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}/rerun`),
  // The first allowed caller cancels it; the others get past the permission check to 409 (already cancelled).
  withFixture({ method: 'POST', body: {}, expect: { ...allowed('developer', 'lead', 'platform'), lead: 409, platform: 409, service: 409 } }, () => `${BUILDS}/builds/${buildsFixture.build || '{build}'}/cancel`),
  // Waivers: leads of the owning team and platform decide (the first one does; then 409); never a service.
  withFixture({ method: 'POST', body: { reason: 'matrix' }, expect: { ...allowed('lead', 'platform'), platform: 409, service: 403 } }, () => `${BUILDS}/waivers/${buildsFixture.approveWaiver || '{waiver}'}/approve`),
  withFixture({ method: 'POST', body: { reason: 'matrix' }, expect: { ...allowed('lead', 'platform'), platform: 409, service: 403 } }, () => `${BUILDS}/waivers/${buildsFixture.rejectWaiver || '{waiver}'}/reject`),

  // --- monitoring (plugins/monitoring-backend) --------------------------------
  // Prometheus, Alertmanager and the cluster do not answer in the matrix:
  // allowed callers get past the permission check to 503; the dashboard
  // answers 200 with every panel in error.
  { method: 'GET', path: `${PG_MON}/dashboard?from=1700000000000&to=1700003600000`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_MON}/alerts`, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'GET', path: `${PG_MON}/silences`, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'POST', path: `${PG_MON}/silences`, body: { durationMinutes: 5, comment: 'matrix' }, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'POST', path: `${MON}/entities/component/default/risk-engine/silences`, body: { durationMinutes: 5, comment: 'matrix' }, expect: allowedThen(503, 'platform') },
  { method: 'DELETE', path: `${MON}/silences/00000000-0000-4000-8000-000000000000?entityRef=${q(PG)}`, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'GET', path: `${PG_MON}/rules`, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'POST', path: `${PG_MON}/rules/preview`, body: MON_RULE, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'PUT', path: `${PG_MON}/rules/HighErrorRatio`, body: MON_RULE, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'PUT', path: `${MON}/entities/component/default/risk-engine/rules/HighErrorRatio`, body: MON_RULE, expect: allowedThen(503, 'platform') },
  { method: 'DELETE', path: `${PG_MON}/rules/HighErrorRatio`, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  // The alert center filters per entity (monitoring.read); no alert source answers here.
  { method: 'GET', path: `${MON}/alerts?groupBy=owner`, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'GET', path: `${MON}/noise?window=24h`, expect: allowedThen(503, 'platform', 'auditor') },

  // --- releases (plugins/releases-backend) ----------------------------------
  // The matrix's cluster does not answer: what needs it answers 503 after the
  // permission check; ids that do not exist answer 404 (a release's entity,
  // hence its permission, is known only from the release). Decisions on live
  // releases with this policy: plugins/releases-backend/src/permissions.e2e.test.ts.
  { method: 'GET', path: `${PG_RELEASES}/options`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_RELEASES}/releases?limit=5`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${PG_RELEASES}/releases/current`, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${PG_RELEASES}/releases`, body: { image: 'registry.fincloud.example/payments/payment-gateway:2.8.0', strategy: 'canary' }, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'POST', path: `${RISK_RELEASES}/releases`, body: { image: 'registry.fincloud.example/risk/risk-engine:1.5.0', strategy: 'canary' }, expect: allowedThen(503, 'platform') },
  // Break-glass: platform only, and never a service (a person justifies it).
  { method: 'POST', path: `${PG_RELEASES}/releases`, body: { image: 'registry.fincloud.example/payments/payment-gateway:2.8.0', strategy: 'canary', breakGlass: { justification: 'permission matrix break-glass' } }, expect: { ...allowedThen(503, 'platform'), service: 403 } },
  { method: 'GET', path: `${RELEASES}/releases/${NO_RELEASE}`, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/approve`, body: { reason: 'matrix' }, expect: { ...allowedThen(404, ...SIGNED_IN), service: 403 } },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/reject`, body: { reason: 'matrix' }, expect: { ...allowedThen(404, ...SIGNED_IN), service: 403 } },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/promote`, body: { full: false }, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/pause`, body: {}, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/resume`, body: {}, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/rollback`, body: { reason: 'matrix' }, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${RELEASES}/releases/${NO_RELEASE}/switch-back`, body: { reason: 'matrix' }, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'GET', path: `${PG_RELEASES}/traffic-policy`, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'POST', path: `${PG_RELEASES}/traffic-policy/lint`, body: { outlierDetection: { consecutive5xxErrors: 5 } }, expect: allowedThen(503, ...SIGNED_IN) },
  { method: 'POST', path: `${PG_RELEASES}/traffic-policy`, body: { outlierDetection: { consecutive5xxErrors: 5 } }, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'POST', path: `${RISK_RELEASES}/traffic-policy`, body: { outlierDetection: { consecutive5xxErrors: 5 } }, expect: allowedThen(503, 'platform') },
  { method: 'POST', path: `${RELEASES}/traffic-policies/${NO_RELEASE}/approve`, body: { reason: 'matrix' }, expect: { ...allowedThen(404, ...SIGNED_IN), service: 403 } },
  { method: 'POST', path: `${RELEASES}/traffic-policies/${NO_RELEASE}/revert`, body: { reason: 'matrix' }, expect: allowedThen(404, ...SIGNED_IN) },

  // --- terminal (plugins/terminal-backend) ------------------------------------
  // The cluster does not answer: listing pods answers 503 after the permission
  // check. No session can start, so sessions are read from an empty store:
  // filtered lists (owners see their entities' sessions only) and 404s.
  { method: 'GET', path: `${PG_TERMINAL}/targets`, expect: allowedThen(503, 'developer', 'lead', 'platform') },
  { method: 'GET', path: `${TERMINAL}/entities/component/default/risk-engine/targets`, expect: allowedThen(503, 'platform') },
  { method: 'GET', path: `${PG_TERMINAL}/policy`, expect: allowed('developer', 'lead', 'platform') },
  { method: 'POST', path: `${PG_TERMINAL}/check`, body: { line: 'rm -rf /' }, expect: allowed('developer', 'lead', 'platform'), returns: body => { if (body.allowed !== false || body.rule !== 'binary-not-allowed:rm') throw new Error(JSON.stringify(body)); } },
  { method: 'POST', path: `${TERMINAL}/entities/component/default/risk-engine/check`, body: { line: 'ls' }, expect: allowed('platform') },
  // terminal.sessions.read is conditional for owners: the list is filtered, never an error.
  { method: 'GET', path: `${TERMINAL}/sessions`, expect: allowed(...SIGNED_IN) },
  { method: 'GET', path: `${TERMINAL}/sessions?entityRef=${q(PG)}`, expect: allowed('developer', 'lead', 'platform', 'auditor') },
  { method: 'GET', path: `${TERMINAL}/sessions?entityRef=${q(RISK)}`, expect: allowed('platform', 'auditor') },
  { method: 'GET', path: `${TERMINAL}/sessions/${NO_SESSION}`, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'GET', path: `${TERMINAL}/sessions/${NO_SESSION}/recording`, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'GET', path: `${TERMINAL}/sessions/${NO_SESSION}/commands`, expect: allowedThen(404, ...SIGNED_IN) },
  { method: 'POST', path: `${TERMINAL}/sessions/${NO_SESSION}/terminate`, body: { reason: 'matrix' }, expect: allowedThen(404, ...SIGNED_IN) },

  // --- builds, releases, terminal, monitoring: add their endpoints here -----
];

/**
 * The terminal's WebSocket (`/api/terminal/ws`), played by
 * permissionMatrix.test.ts: the close code each caller gets. 4401: no user
 * token (services may not open terminals); 4403: the permission is missing;
 * 1011: the permission was granted and the session went on to the cluster,
 * which does not answer in the matrix.
 */
export const TERMINAL_WS_MATRIX: Array<{
  entity: 'payment-gateway' | 'risk-engine';
  mode: 'restricted' | 'shell';
  expect: Record<Caller, number>;
}> = [
  { entity: 'payment-gateway', mode: 'restricted', expect: wsCodes('developer', 'lead', 'platform') },
  { entity: 'risk-engine', mode: 'restricted', expect: wsCodes('platform') },
  { entity: 'payment-gateway', mode: 'shell', expect: wsCodes('lead', 'platform') },
  { entity: 'risk-engine', mode: 'shell', expect: wsCodes('platform') },
];
