/**
 * The PostgreSQL the fault tests stop and start. They need a real server:
 * without one they are skipped with a message on a laptop, and fail in CI
 * (FINCLOUD_CI=1).
 */
export const PG_URL = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;

export function describeWithPostgres(name: string, fn: (url: string) => void) {
  if (PG_URL) {
    describe(name, () => fn(PG_URL));
    return;
  }
  if (process.env.FINCLOUD_CI) {
    describe(name, () => {
      it('needs PostgreSQL', () => {
        throw new Error(
          'PostgreSQL is required in CI: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING',
        );
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(
    `skipped "${name}": PostgreSQL is not configured (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)`,
  );
  describe.skip(`${name} (skipped: no PostgreSQL)`, () => fn(''));
}

export function pgTarget(url: string): { host: string; port: number; user: string; password?: string } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
