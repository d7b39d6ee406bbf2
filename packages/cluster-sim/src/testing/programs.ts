/*
 * Real programs the suites drive (Debian's prometheus, alertmanager,
 * promtool, buildah): where to find them, a free port to run them on, and
 * the one rule for a missing program: on a developer's machine its suites
 * are skipped with a line saying what to install; in CI (FINCLOUD_CI=1)
 * they run, and fail on what is missing.
 */
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The first of `names` that is an executable on the PATH, or undefined. */
export function findProgram(...names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** A TCP port nothing listens on now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `describe` when every program of `needs.programs` was found, or in CI
 * (FINCLOUD_CI=1), where the suite must run and its setup fails on what is
 * missing (see `requireProgram`); otherwise the suite is skipped, saying
 * which programs are missing and `needs.install`.
 */
export function describeWithPrograms(
  needs: { programs: Record<string, string | undefined>; install: string },
  name: string,
  fn: () => void,
) {
  const missing = Object.keys(needs.programs).filter(p => !needs.programs[p]);
  if (missing.length === 0 || process.env.FINCLOUD_CI) {
    // eslint-disable-next-line jest/valid-title, jest/valid-describe-callback
    describe(name, fn);
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(
    `SKIPPED "${name}": ${missing.join(', ')} not installed; install with \`${
      needs.install
    }\` (in CI, FINCLOUD_CI=1, this is a failure)`,
  );
  // Skipped only on a machine without the programs and outside CI (said above).
  // eslint-disable-next-line jest/valid-title, jest/valid-describe-callback, jest/no-disabled-tests
  describe.skip(name, fn);
}

/** The program's path; throws, naming the package to install, when it is missing (CI). */
export function requireProgram(
  name: string,
  path: string | undefined,
  install: string,
): string {
  if (!path) {
    throw new Error(
      `${name} is not installed (${install}), and FINCLOUD_CI is set: the suites that need it must run in CI`,
    );
  }
  return path;
}
