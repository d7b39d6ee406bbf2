/**
 * The PostgreSQL the fault tests stop and start. They need a real server:
 * without one they are skipped with a message on a laptop, and fail in CI
 * (FINCLOUD_CI=1).
 */
export const PG_URL =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;

/** True when the PostgreSQL fault tests must run (a server, or CI where its absence is a failure). */
export const RUN_PG_FAULT_TESTS = Boolean(PG_URL || process.env.FINCLOUD_CI);

export function requirePostgres(): string {
  if (!PG_URL) {
    throw new Error(
      'PostgreSQL is required in CI: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING',
    );
  }
  return PG_URL;
}

export function warnSkipped(what: string) {
  if (!RUN_PG_FAULT_TESTS) {
    // eslint-disable-next-line no-console
    console.warn(
      `skipped "${what}": PostgreSQL is not configured (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)`,
    );
  }
}

export function pgTarget(url: string): {
  host: string;
  port: number;
  user: string;
  password?: string;
} {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
