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
];

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

  // --- builds, releases, terminal, monitoring: add their endpoints here -----
];
