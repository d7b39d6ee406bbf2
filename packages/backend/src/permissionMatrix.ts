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
  return Object.fromEntries(
    CALLERS.map(c => [
      c,
      c === 'none' ? 401 : c === 'service' || who.includes(c as never) ? 200 : 403,
    ]),
  ) as Record<Caller, number>;
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
      throw new Error(`expected events of ${entityRef}, got ${JSON.stringify(body)}`);
    }
    const others = body.items.filter((e: any) => e.entityRef !== entityRef);
    if (others.length > 0) {
      throw new Error(
        `events of other entities leaked: ${others.map((e: any) => e.entityRef).join(', ')}`,
      );
    }
  };
}

export const PERMISSION_MATRIX: MatrixRow[] = [
  // --- the development sign-in (plugins/auth-backend-module-dev-sign-in) -----
  // Public by design: the sign-in page lists the users before anyone is signed in.
  { method: 'GET', path: '/api/auth/fincloud-dev-users', expect: everybody() },

  // --- Backstage's catalog, decided by the fincloud policy ------------------
  // (These run first: their audit events are what the audit rows read.)
  { method: 'GET', path: '/api/catalog/entities/by-name/component/default/payment-gateway', expect: allowed(...SIGNED_IN) },
  { method: 'POST', path: '/api/catalog/refresh', body: { entityRef: PG }, expect: allowed('developer', 'lead', 'platform') },
  { method: 'POST', path: '/api/catalog/refresh', body: { entityRef: RISK }, expect: allowed('platform') },
  { method: 'DELETE', path: '/api/catalog/locations/00000000-0000-4000-8000-000000000000', expect: { ...allowed(), platform: 404, service: 404 } },
];
