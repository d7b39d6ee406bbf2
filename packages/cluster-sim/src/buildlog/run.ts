/**
 * What a `RUN` command prints: Maven, npm, Go, pip and package managers get
 * their usual output; anything else runs silently.
 */
import type { Random } from './random';

export interface RunSink {
  emit(text: string, dt?: number): void;
  /** `count` generated lines over `span` nominal ms. */
  block(count: number, span: number, line: (i: number) => string): void;
}

export interface RunOptions {
  app: string;
  rng: Random;
  /** Make the command fail (compile error). */
  fail: boolean;
  /** Extra generated lines (log-lines annotation). */
  extraLines: number;
}

const JAVA_PACKAGES = [
  'payments',
  'ledger',
  'fx',
  'risk',
  'audit',
  'web',
  'iso20022',
];
const NODE_DIRS = ['components', 'pages', 'hooks', 'api', 'utils', 'styles'];

/** Extra lines, each unique and cheap to produce. */
export function extraLine(
  kind: 'java' | 'node' | 'generic',
  i: number,
): string {
  const n = String(i).padStart(7, '0');
  switch (kind) {
    case 'java':
      return `[DEBUG] Compiling com/fincloud/${
        JAVA_PACKAGES[i % JAVA_PACKAGES.length]
      }/gen/Generated${n}.java (${((i * 37) % 900) + 40} lines)`;
    case 'node':
      return `transforming src/${
        NODE_DIRS[i % NODE_DIRS.length]
      }/generated-${n}.tsx (${((i * 13) % 90) / 10 + 0.4} kB)`;
    default:
      return `step output line ${n}`;
  }
}

export function isDependencyStep(cmd: string): boolean {
  return /dependency:go-offline|dependency:resolve|npm ci|npm install|yarn install|go mod download|pip install|apk add|apt-get|microdnf|dnf install/.test(
    cmd,
  );
}

export function simulateRun(cmd: string, o: RunOptions, sink: RunSink): void {
  const { rng } = o;
  if (/\bmvn\b|\.\/mvnw\b/.test(cmd)) {
    maven(cmd, o, sink);
    return;
  }
  if (/\bgradle\b|\.\/gradlew\b/.test(cmd)) {
    sink.emit('> Task :compileJava', 300);
    sink.block(o.extraLines, 1500, i => extraLine('java', i));
    if (o.fail) {
      sink.emit(
        `/workspace/src/main/java/com/fincloud/${o.app.replace(
          /-/g,
          '',
        )}/Service.java:87: error: cannot find symbol`,
        600,
      );
      sink.emit('> Task :compileJava FAILED', 20);
      sink.emit('BUILD FAILED in 41s', 20);
      return;
    }
    sink.emit('> Task :processResources', 400);
    sink.emit('> Task :bootJar', 600);
    sink.emit('BUILD SUCCESSFUL in 38s', 50);
    sink.emit(
      `${rng.int(4, 9)} actionable tasks: ${rng.int(3, 8)} executed`,
      5,
    );
    return;
  }
  if (/\bnpm\b|\byarn\b|\bpnpm\b/.test(cmd)) {
    npm(cmd, o, sink);
    return;
  }
  if (/\bgo build\b/.test(cmd)) {
    sink.block(
      o.extraLines,
      1500,
      i => `# compiling package github.com/fincloud/${o.app}/internal/gen${i}`,
    );
    if (o.fail) {
      sink.emit(`# github.com/fincloud/${o.app}/internal/limits`, 900);
      sink.emit('internal/limits/desk.go:42:9: undefined: ExposureCap', 5);
    }
    return;
  }
  if (/\bgo mod download\b/.test(cmd)) {
    sink.emit(
      `go: downloading github.com/prometheus/client_golang v1.20.2`,
      300,
    );
    sink.emit(`go: downloading k8s.io/client-go v0.31.0`, 200);
    return;
  }
  if (/\bpip3? install\b/.test(cmd)) {
    for (const p of [
      'fastapi==0.112.2',
      'uvicorn==0.30.6',
      'pydantic==2.8.2',
    ]) {
      sink.emit(`Collecting ${p}`, 200);
    }
    sink.emit(
      'Successfully installed fastapi-0.112.2 pydantic-2.8.2 uvicorn-0.30.6',
      500,
    );
    return;
  }
  if (/\bapk add\b/.test(cmd)) {
    sink.emit(
      'fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz',
      300,
    );
    sink.emit(`OK: ${rng.int(8, 40)} MiB in ${rng.int(18, 60)} packages`, 400);
    return;
  }
  if (/\bapt-get\b/.test(cmd)) {
    sink.emit(
      'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]',
      300,
    );
    sink.emit('Reading package lists...', 300);
    sink.emit('Setting up ca-certificates (20230311) ...', 400);
    return;
  }
  sink.block(o.extraLines, 1000, i => extraLine('generic', i));
  if (o.fail) sink.emit(`/bin/sh: 1: ${cmd.split(/\s+/)[0]}: not found`, 300);
}

function maven(cmd: string, o: RunOptions, sink: RunSink): void {
  const { rng, app } = o;
  sink.emit('[INFO] Scanning for projects...', 200);
  const header = `< com.fincloud:${app} >`;
  const pad = Math.max(0, 72 - header.length);
  sink.emit(
    `[INFO] ${'-'.repeat(Math.floor(pad / 2))}${header}${'-'.repeat(
      Math.ceil(pad / 2),
    )}`,
    20,
  );
  sink.emit(`[INFO] Building ${app} 1.${rng.int(0, 9)}.${rng.int(0, 20)}`, 5);
  sink.emit('[INFO]   from pom.xml', 5);
  sink.emit(
    '[INFO] --------------------------------[ jar ]---------------------------------',
    5,
  );
  if (/dependency:(go-offline|resolve)/.test(cmd)) {
    sink.emit(
      `[INFO] --- dependency:3.7.0:go-offline (default-cli) @ ${app} ---`,
      200,
    );
    sink.emit(`[INFO] Resolved plugin: maven-compiler-plugin-3.13.0.jar`, 600);
    sink.emit(
      `[INFO] Resolved dependency: spring-boot-starter-web-3.3.4.jar`,
      400,
    );
    sink.emit(
      '[INFO] ------------------------------------------------------------------------',
      300,
    );
    sink.emit('[INFO] BUILD SUCCESS', 5);
    sink.emit(
      '[INFO] ------------------------------------------------------------------------',
      5,
    );
    return;
  }
  const sources = rng.int(90, 420);
  sink.emit(
    `[INFO] --- resources:3.3.1:resources (default-resources) @ ${app} ---`,
    200,
  );
  sink.emit(
    `[INFO] Copying ${rng.int(
      2,
      9,
    )} resources from src/main/resources to target/classes`,
    50,
  );
  sink.emit(
    `[INFO] --- compiler:3.13.0:compile (default-compile) @ ${app} ---`,
    100,
  );
  sink.emit(
    `[INFO] Recompiling the module because of changed source code.`,
    20,
  );
  sink.emit(
    `[INFO] Compiling ${sources} source files with javac [debug release 21] to target/classes`,
    40,
  );
  sink.block(o.extraLines, 2000, i => extraLine('java', i));
  if (o.fail) {
    const file = `/build/src/main/java/com/fincloud/${app.replace(
      /-/g,
      '',
    )}/CaptureService.java`;
    sink.emit(
      '[INFO] -------------------------------------------------------------',
      1500,
    );
    sink.emit('[ERROR] COMPILATION ERROR : ', 5);
    sink.emit(
      '[INFO] -------------------------------------------------------------',
      5,
    );
    sink.emit(`[ERROR] ${file}:[87,41] cannot find symbol`, 5);
    sink.emit('  symbol:   method idempotencyKey()', 5);
    sink.emit(
      '  location: variable request of type com.fincloud.payments.CaptureRequest',
      5,
    );
    sink.emit('[INFO] 1 error', 5);
    sink.emit(
      '[INFO] ------------------------------------------------------------------------',
      5,
    );
    sink.emit('[INFO] BUILD FAILURE', 5);
    sink.emit(
      '[INFO] ------------------------------------------------------------------------',
      5,
    );
    sink.emit(
      `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile (default-compile) on project ${app}: Compilation failure`,
      5,
    );
    return;
  }
  sink.emit(`[INFO] --- surefire:3.2.5:test (default-test) @ ${app} ---`, 1800);
  sink.emit('[INFO] Tests are skipped.', 5);
  sink.emit(`[INFO] --- jar:3.4.1:jar (default-jar) @ ${app} ---`, 200);
  sink.emit('[INFO] Building jar: /build/target/app.jar', 300);
  sink.emit(
    `[INFO] --- spring-boot:3.3.4:repackage (repackage) @ ${app} ---`,
    100,
  );
  sink.emit(
    '[INFO] Replacing main artifact /build/target/app.jar with repackaged archive',
    300,
  );
  sink.emit(
    '[INFO] ------------------------------------------------------------------------',
    50,
  );
  sink.emit('[INFO] BUILD SUCCESS', 5);
  sink.emit(
    '[INFO] ------------------------------------------------------------------------',
    5,
  );
}

function npm(cmd: string, o: RunOptions, sink: RunSink): void {
  const { rng, app } = o;
  if (/\bnpm ci\b|\bnpm install\b|\byarn install\b/.test(cmd)) {
    const pkgs = rng.int(300, 1200);
    sink.emit('', 200);
    sink.emit(
      `added ${pkgs} packages, and audited ${pkgs + 1} packages in ${rng.int(
        6,
        30,
      )}s`,
      900,
    );
    sink.emit('', 5);
    sink.emit(`${rng.int(60, 180)} packages are looking for funding`, 5);
    sink.emit('  run `npm fund` for details', 5);
    sink.emit('', 5);
    sink.emit('found 0 vulnerabilities', 5);
  }
  if (/run build|yarn build|npm run build/.test(cmd)) {
    sink.emit('', 100);
    sink.emit(`> ${app}@2.${rng.int(0, 9)}.0 build`, 5);
    sink.emit('> tsc -b && vite build', 5);
    sink.emit('', 5);
    if (o.fail) {
      sink.emit(
        `src/pages/Transfers.tsx(42,7): error TS2322: Type 'string' is not assignable to type 'number'.`,
        1500,
      );
      sink.emit('npm error Lifecycle script `build` failed with error:', 20);
      sink.emit('npm error code 2', 5);
      sink.emit(`npm error path /usr/src/app`, 5);
      sink.emit('npm error command failed', 5);
      sink.emit('npm error command sh -c tsc -b && vite build', 5);
      return;
    }
    sink.emit('vite v5.4.2 building for production...', 300);
    sink.block(o.extraLines, 2000, i => extraLine('node', i));
    sink.emit(`✓ ${rng.int(300, 1500)} modules transformed.`, 1200);
    sink.emit('dist/index.html                   0.46 kB │ gzip:  0.30 kB', 50);
    sink.emit(
      `dist/assets/index-${rng.hex(8)}.css    ${rng.int(8, 40)}.${rng.int(
        10,
        99,
      )} kB │ gzip:  4.11 kB`,
      5,
    );
    sink.emit(
      `dist/assets/index-${rng.hex(8)}.js   ${rng.int(180, 600)}.${rng.int(
        10,
        99,
      )} kB │ gzip: 61.02 kB`,
      5,
    );
    sink.emit(`✓ built in ${(2 + rng.next() * 8).toFixed(2)}s`, 5);
    return;
  }
  if (/\bnpm test\b|run test/.test(cmd)) {
    sink.emit(`Tests:       ${rng.int(40, 300)} passed`, 1200);
    return;
  }
  if (o.fail) sink.emit('npm error code 1', 300);
}
