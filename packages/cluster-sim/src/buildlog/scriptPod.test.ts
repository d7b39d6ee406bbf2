import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { scriptPod } from './scriptPod';
import type { ScriptedStep } from '../contracts';

const REPO = 'https://git.fincloud.example/payments/payment-gateway.git';
const IMAGE = 'registry.fincloud.example/payments/payment-gateway';
const PUSHED = /(?:^|\] )Pushed (\S+)@sha256:([0-9a-f]{64})$/;

const clone = (env: Record<string, string> = {}): V1Container => ({
  name: 'clone',
  image: 'alpine/git:2.45.2',
  args: ['clone', '--branch', env.GIT_BRANCH ?? 'main', REPO, '/workspace'],
  env: Object.entries(env).map(([name, value]) => ({ name, value })),
});
const scan = (env: Record<string, string> = {}): V1Container => ({
  name: 'scan',
  image: 'returntocorp/semgrep:1.85.0',
  command: [
    'semgrep',
    'scan',
    '--config',
    'p/owasp-top-ten',
    '--sarif',
    '/workspace',
  ],
  env: Object.entries(env).map(([name, value]) => ({ name, value })),
});
const kaniko = (
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): V1Container => ({
  name: 'build',
  image: 'gcr.io/kaniko-project/executor:v1.23.2',
  args: [
    '--dockerfile=Dockerfile',
    '--context=dir:///workspace',
    `--destination=${IMAGE}:1.4.0`,
    ...extraArgs,
  ],
  env: Object.entries(env).map(([name, value]) => ({ name, value })),
});

function buildPod(
  opts: {
    annotations?: Record<string, string>;
    init?: V1Container[];
    containers?: V1Container[];
    uid?: string;
    volumes?: V1Pod['spec'] extends infer S
      ? S extends { volumes?: infer V }
        ? V
        : never
      : never;
  } = {},
): V1Pod {
  return {
    metadata: {
      name: 'payment-gateway-build-7',
      namespace: 'payments',
      uid: opts.uid ?? 'uid-build-7',
      annotations: opts.annotations,
    },
    spec: {
      restartPolicy: 'Never',
      initContainers: opts.init ?? [clone({ GIT_BRANCH: 'main' }), scan()],
      containers: opts.containers ?? [kaniko(['--cache=true'])],
      volumes: opts.volumes,
    },
  };
}

const texts = (s: ScriptedStep) => s.lines.map(l => l.text);
const lastLine = (s: ScriptedStep) => s.lines[s.lines.length - 1].text;
const step = (steps: ScriptedStep[], name: string) =>
  steps.find(s => s.container === name)!;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('scriptPod', () => {
  it('gives one step per container: init containers in order, then containers', () => {
    const steps = scriptPod(
      buildPod({
        init: [clone(), scan()],
        containers: [
          kaniko(),
          {
            name: 'notify',
            image: 'curlimages/curl:8.9.1',
            command: ['sh', '-c', 'echo done'],
          },
        ],
      }),
    );
    expect(steps.map(s => s.container)).toEqual([
      'clone',
      'scan',
      'build',
      'notify',
    ]);
    expect(steps.every(s => s.exitCode === 0 && s.reason === undefined)).toBe(
      true,
    );
  });

  it('is deterministic for the same pod and differs for another build', () => {
    const a = scriptPod(buildPod());
    const b = scriptPod(buildPod());
    expect(a).toEqual(b);
    const other = scriptPod(buildPod({ uid: 'uid-build-8' }));
    expect(lastLine(step(other, 'build'))).not.toEqual(
      lastLine(step(a, 'build')),
    );
  });

  describe('clone step', () => {
    it('clones the repository and checks out the requested commit', () => {
      const sha = '3f9c2a17be4d5c6e7f8091a2b3c4d5e6f7a8b9c0';
      const s = step(
        scriptPod(
          buildPod({
            init: [clone({ GIT_BRANCH: 'main', GIT_REVISION: sha })],
          }),
        ),
        'clone',
      );
      const t = texts(s);
      expect(t).toContain("Cloning into '/workspace'...");
      expect(
        t.some(l => /^remote: Enumerating objects: \d+, done\.$/.test(l)),
      ).toBe(true);
      expect(
        t.some(l =>
          /^Receiving objects: 100% \(\d+\/\d+\), [\d.]+ MiB \| [\d.]+ MiB\/s, done\.$/.test(
            l,
          ),
        ),
      ).toBe(true);
      expect(t).toContain(`Note: switching to '${sha}'.`);
      expect(lastLine(s)).toMatch(/^HEAD is now at 3f9c2a1 \S.*$/);
      expect(s.exitCode).toBe(0);
    });

    it('reads the repository from env when there are no args', () => {
      const s = step(
        scriptPod(
          buildPod({
            init: [
              {
                name: 'git',
                image: 'bitnami/git',
                command: [
                  '/bin/sh',
                  '-c',
                  'git clone "$GIT_URL" /src && cd /src && git checkout "$GIT_REVISION"',
                ],
                env: [
                  { name: 'GIT_URL', value: REPO },
                  { name: 'GIT_REVISION', value: 'abc1234' },
                ],
              },
            ],
          }),
        ),
        'git',
      );
      expect(texts(s)).toContain("Cloning into '/src'...");
      expect(lastLine(s)).toMatch(/^HEAD is now at abc1234 /);
    });

    it('fails on a branch named sim-fail-clone the way git does', () => {
      const s = step(
        scriptPod(
          buildPod({ init: [clone({ GIT_BRANCH: 'feature/sim-fail-clone' })] }),
        ),
        'clone',
      );
      expect(s.exitCode).toBe(1);
      expect(s.reason).toBe('Error');
      expect(lastLine(s)).toBe(
        'fatal: Remote branch feature/sim-fail-clone not found in upstream origin',
      );
    });
  });

  describe('scan step', () => {
    it('passes by default: no finding above low', () => {
      const s = step(scriptPod(buildPod()), 'scan');
      expect(s.exitCode).toBe(0);
      const summary = texts(s).find(l => l.startsWith('SCAN SUMMARY'))!;
      expect(summary).toMatch(
        /critical=0 high=0 medium=0 low=\d+ info=\d+ threshold=high result=PASSED/,
      );
    });

    it('reports the annotated findings as SARIF and fails on high', () => {
      const s = step(
        scriptPod(
          buildPod({
            annotations: { 'sim.fincloud.io/scan-findings': 'high=2,medium=5' },
            init: [clone(), scan({ SCAN_FAIL_ON: 'high' })],
          }),
        ),
        'scan',
      );
      expect(s.exitCode).toBe(1);
      expect(s.reason).toBe('Error');
      const t = texts(s);
      expect(t[t.length - 2]).toBe(
        'SCAN SUMMARY tool=semgrep critical=0 high=2 medium=5 low=0 info=0 threshold=high result=FAILED',
      );
      expect(lastLine(s).startsWith('SARIF {')).toBe(true);
      const sarif = JSON.parse(lastLine(s).slice('SARIF '.length));
      expect(sarif.version).toBe('2.1.0');
      const results = sarif.runs[0].results;
      expect(results).toHaveLength(7);
      expect(results.filter((r: any) => r.level === 'error')).toHaveLength(2);
      expect(
        results.filter((r: any) => r.properties.severity === 'medium'),
      ).toHaveLength(5);
      expect(
        results[0].locations[0].physicalLocation.artifactLocation.uri,
      ).toMatch(/\.java$/);
      expect(t).toContain(
        "error: 2 finding(s) at or above 'high' (SCAN_FAIL_ON=high); failing the build",
      );
    });

    it('finds the same rules in the same commit whatever the pod, so a waiver holds on re-run', () => {
      const rulesOf = (uid: string, revision: string) => {
        const s = step(
          scriptPod(
            buildPod({
              uid,
              annotations: { 'sim.fincloud.io/scan-findings': 'high=2' },
              init: [
                clone({ GIT_BRANCH: 'main', GIT_REVISION: revision }),
                scan({ SCAN_FAIL_ON: 'high' }),
              ],
            }),
          ),
          'scan',
        );
        const sarif = JSON.parse(lastLine(s).slice('SARIF '.length));
        return sarif.runs[0].results.map((r: any) => r.ruleId).sort();
      };
      const commit = '3f2a9c1d4b5e6f708192a3b4c5d6e7f809112233';
      expect(rulesOf('uid-first-run', commit)).toEqual(
        rulesOf('uid-re-run', commit),
      );
    });

    it('passes the same findings when the threshold is critical', () => {
      const s = step(
        scriptPod(
          buildPod({
            annotations: { 'sim.fincloud.io/scan-findings': 'high=2,medium=5' },
            init: [clone(), scan({ SCAN_FAIL_ON: 'critical' })],
          }),
        ),
        'scan',
      );
      expect(s.exitCode).toBe(0);
      expect(texts(s).find(l => l.startsWith('SCAN SUMMARY'))).toMatch(
        /result=PASSED$/,
      );
    });

    it('fails on a medium finding when the threshold is medium', () => {
      const s = step(
        scriptPod(
          buildPod({
            annotations: { 'sim.fincloud.io/scan-findings': 'medium=1' },
            init: [scan({ SCAN_FAIL_ON: 'medium' })],
          }),
        ),
        'scan',
      );
      expect(s.exitCode).toBe(1);
    });

    it.each([
      [
        'eslint',
        'node:20-alpine',
        ['npx', 'eslint', '-f', '@microsoft/eslint-formatter-sarif', '.'],
        /^✖ 3 problems \(3 errors, 0 warnings\)$/,
      ],
      [
        'trivy',
        'aquasec/trivy:0.55.2',
        ['trivy', 'fs', '--format', 'sarif', '/workspace'],
        /^Total: 3 \(CRITICAL: 0, HIGH: 3/,
      ],
    ])(
      '%s flavour has its own output and the same closing lines',
      (name, image, command, marker) => {
        const s = step(
          scriptPod(
            buildPod({
              annotations: { 'sim.fincloud.io/scan-findings': 'high=3' },
              init: [
                { name: `${name}-scan`, image, command: command as string[] },
              ],
            }),
          ),
          `${name}-scan`,
        );
        expect(texts(s).some(l => (marker as RegExp).test(l))).toBe(true);
        expect(texts(s).find(l => l.startsWith('SCAN SUMMARY'))).toBe(
          `SCAN SUMMARY tool=${name} critical=0 high=3 medium=0 low=0 info=0 threshold=high result=FAILED`,
        );
        expect(JSON.parse(lastLine(s).slice(6)).runs[0].results).toHaveLength(
          3,
        );
      },
    );
  });

  describe('build step', () => {
    it('kaniko: executes the default multi-stage Dockerfile and ends with the pushed digest', () => {
      const s = step(scriptPod(buildPod()), 'build');
      const t = texts(s);
      expect(s.exitCode).toBe(0);
      expect(
        t.some(l =>
          l.endsWith(
            "Building stage 'maven:3.9-eclipse-temurin-21' [idx: '0', base-idx: '-1']",
          ),
        ),
      ).toBe(true);
      expect(
        t.some(l =>
          l.endsWith(
            "Building stage 'eclipse-temurin:21-jre' [idx: '1', base-idx: '-1']",
          ),
        ),
      ).toBe(true);
      expect(t.some(l => l.endsWith('RUN mvn -B package -DskipTests'))).toBe(
        true,
      );
      expect(t).toContain('[INFO] BUILD SUCCESS');
      expect(
        t.some(l =>
          l.endsWith(
            'Using caching version of cmd: RUN mvn -B -q dependency:go-offline',
          ),
        ),
      ).toBe(true);
      expect(t.some(l => l.endsWith(`Pushing image to ${IMAGE}:1.4.0`))).toBe(
        true,
      );
      const m = PUSHED.exec(lastLine(s));
      expect(m?.[1]).toBe(IMAGE);
      expect(lastLine(s)).toMatch(/^INFO\[\d{4}\] Pushed /);
    });

    it('prints the instructions of DOCKERFILE_INLINE (base64)', () => {
      const dockerfile = [
        'FROM gradle:8.10-jdk21 AS compile',
        'WORKDIR /src',
        'COPY . .',
        'RUN gradle bootJar --no-daemon',
        'FROM gcr.io/distroless/java21-debian12',
        'COPY --from=compile /src/build/libs/app.jar /app.jar',
        'CMD ["/app.jar"]',
      ].join('\n');
      const s = step(
        scriptPod(
          buildPod({
            containers: [kaniko([], { DOCKERFILE_INLINE: b64(dockerfile) })],
          }),
        ),
        'build',
      );
      const t = texts(s);
      expect(
        t.some(l => l.endsWith('Using Dockerfile from DOCKERFILE_INLINE')),
      ).toBe(true);
      expect(
        t.some(l =>
          l.endsWith(
            "Building stage 'gradle:8.10-jdk21' [idx: '0', base-idx: '-1']",
          ),
        ),
      ).toBe(true);
      expect(t.some(l => l.endsWith('RUN gradle bootJar --no-daemon'))).toBe(
        true,
      );
      expect(t).toContain('BUILD SUCCESSFUL in 38s');
      expect(
        t.some(l =>
          l.endsWith('COPY --from=compile /src/build/libs/app.jar /app.jar'),
        ),
      ).toBe(true);
      expect(
        t.some(l =>
          l.endsWith('Saving file /src/build/libs/app.jar for later use'),
        ),
      ).toBe(true);
      expect(lastLine(s)).toMatch(PUSHED);
    });

    it('reads a Dockerfile mounted from a ConfigMap when the data is given', () => {
      const pod = buildPod({
        containers: [
          {
            ...kaniko(),
            args: [
              '--dockerfile=/config/Dockerfile',
              '--context=dir:///workspace',
              `--destination=${IMAGE}:cm`,
            ],
            volumeMounts: [{ name: 'dockerfile', mountPath: '/config' }],
          },
        ],
        volumes: [
          {
            name: 'dockerfile',
            configMap: { name: 'payment-gateway-dockerfile' },
          },
        ],
      });
      const s = step(
        scriptPod(pod, {
          configMaps: new Map([
            [
              'payment-gateway-dockerfile',
              {
                Dockerfile:
                  'FROM alpine:3.20\nRUN apk add --no-cache ca-certificates\nUSER 65534',
              },
            ],
          ]),
        }),
        'build',
      );
      const t = texts(s);
      expect(
        t.some(l =>
          l.endsWith('Using Dockerfile /config/Dockerfile (ConfigMap)'),
        ),
      ).toBe(true);
      expect(
        t.some(l => l.endsWith('RUN apk add --no-cache ca-certificates')),
      ).toBe(true);
      expect(t.some(l => /^OK: \d+ MiB in \d+ packages$/.test(l))).toBe(true);
      expect(lastLine(s)).toMatch(PUSHED);
    });

    it('rejects a DOCKERFILE_INLINE that is not a Dockerfile', () => {
      const s = step(
        scriptPod(
          buildPod({
            containers: [kaniko([], { DOCKERFILE_INLINE: b64('echo hello') })],
          }),
        ),
        'build',
      );
      expect(s.exitCode).toBe(1);
      expect(lastLine(s)).toBe(
        'error: DOCKERFILE_INLINE does not decode (base64) to a Dockerfile with a FROM instruction',
      );
    });

    it('kaniko without a destination fails as kaniko does', () => {
      const s = step(
        scriptPod(
          buildPod({
            containers: [
              {
                name: 'build',
                image: 'gcr.io/kaniko-project/executor:v1.23.2',
                args: ['--context=dir:///workspace'],
              },
            ],
          }),
        ),
        'build',
      );
      expect(s.exitCode).toBe(1);
      expect(lastLine(s)).toBe(
        'Error: you must provide --destination, or use --no-push',
      );
    });

    it('pushes to every destination with one digest', () => {
      const s = step(
        scriptPod(
          buildPod({ containers: [kaniko([`--destination=${IMAGE}:latest`])] }),
        ),
        'build',
      );
      const pushed = texts(s).filter(l => PUSHED.test(l));
      expect(pushed).toHaveLength(2);
      expect(new Set(pushed.map(l => PUSHED.exec(l)![2])).size).toBe(1);
    });

    it('BuildKit: vertex log and the same closing line', () => {
      const s = step(
        scriptPod(
          buildPod({
            containers: [
              {
                name: 'build',
                image: 'moby/buildkit:v0.15.2-rootless',
                command: ['buildctl-daemonless.sh'],
                args: [
                  'build',
                  '--frontend',
                  'dockerfile.v0',
                  '--local',
                  'context=/workspace',
                  '--local',
                  'dockerfile=/workspace',
                  '--output',
                  `type=image,name=${IMAGE}:1.4.0,push=true`,
                ],
              },
            ],
          }),
        ),
        'build',
      );
      const t = texts(s);
      expect(t[0]).toBe('#1 [internal] load build definition from Dockerfile');
      expect(
        t.some(l =>
          /^#\d+ \[build \d\/\d\] RUN mvn -B package -DskipTests$/.test(l),
        ),
      ).toBe(true);
      expect(
        t.some(l =>
          /^#\d+ pushing manifest for .*:1\.4\.0@sha256:[0-9a-f]{64} 0\.\ds done$/.test(
            l,
          ),
        ),
      ).toBe(true);
      expect(PUSHED.exec(lastLine(s))?.[1]).toBe(IMAGE);
    });

    it('buildah: STEP n/m lines, commit, push and the same closing line', () => {
      const s = step(
        scriptPod(
          buildPod({
            containers: [
              {
                name: 'build',
                image: 'quay.io/buildah/buildah:v1.37',
                command: [
                  'sh',
                  '-c',
                  `buildah bud --layers -t ${IMAGE}:1.4.0 -f Dockerfile /workspace && buildah push ${IMAGE}:1.4.0`,
                ],
              },
            ],
          }),
        ),
        'build',
      );
      const t = texts(s);
      expect(
        t.some(l =>
          /^STEP 1\/\d+: FROM maven:3\.9-eclipse-temurin-21 AS build$/.test(l),
        ),
      ).toBe(true);
      expect(t).toContain(`COMMIT ${IMAGE}:1.4.0`);
      expect(t).toContain(`Successfully tagged ${IMAGE}:1.4.0`);
      expect(PUSHED.exec(lastLine(s))?.[1]).toBe(IMAGE);
    });
  });

  describe('failure injection', () => {
    it('fail-at annotation fails that step with a realistic error, the others succeed', () => {
      const steps = scriptPod(
        buildPod({ annotations: { 'sim.fincloud.io/fail-at': 'build' } }),
      );
      expect(steps.map(s => [s.container, s.exitCode])).toEqual([
        ['clone', 0],
        ['scan', 0],
        ['build', 1],
      ]);
      const build = step(steps, 'build');
      expect(build.reason).toBe('Error');
      expect(texts(build)).toContain('[INFO] BUILD FAILURE');
      expect(lastLine(build)).toBe(
        'error building image: error building stage: failed to execute command: waiting for process to exit: exit status 1',
      );
      expect(texts(build).some(l => PUSHED.test(l))).toBe(false);
    });

    it('a branch named after the step fails it (sim-fail-<container>)', () => {
      const steps = scriptPod(
        buildPod({
          init: [clone({ GIT_BRANCH: 'fix/sim-fail-scan' }), scan()],
        }),
      );
      expect(steps.map(s => s.exitCode)).toEqual([0, 1, 0]);
      const s = step(steps, 'scan');
      expect(texts(s).find(l => l.startsWith('SCAN SUMMARY'))).toMatch(
        /critical=1 .* result=FAILED$/,
      );
    });

    it('the revision can carry the marker too', () => {
      const steps = scriptPod(
        buildPod({
          init: [
            clone({ GIT_BRANCH: 'main', GIT_REVISION: 'sim-fail-build' }),
            scan(),
          ],
        }),
      );
      expect(steps.map(s => s.exitCode)).toEqual([0, 0, 1]);
    });

    it('a generic step fails with its command named', () => {
      const steps = scriptPod(
        buildPod({
          annotations: { 'sim.fincloud.io/fail-at': 'deploy' },
          init: [],
          containers: [
            {
              name: 'deploy',
              image: 'bitnami/kubectl',
              command: ['kubectl', 'apply', '-f', 'manifests/'],
            },
          ],
        }),
      );
      expect(steps[0].exitCode).toBe(1);
      expect(lastLine(steps[0])).toBe(
        'error: command "kubectl apply -f manifests/" exited with code 1',
      );
    });
  });

  describe('timing and volume', () => {
    it('lines are in time order within the step; defaults take a few seconds', () => {
      for (const s of scriptPod(buildPod())) {
        const at = s.lines.map(l => l.atMs);
        expect(at).toEqual([...at].sort((a, b) => a - b));
        expect(at[at.length - 1]).toBeLessThanOrEqual(s.durationMs);
        expect(s.durationMs).toBeGreaterThanOrEqual(1000);
        expect(s.durationMs).toBeLessThanOrEqual(20000);
      }
    });

    it('sim.fincloud.io/step-ms scales every step', () => {
      const normal = scriptPod(buildPod());
      const fast = scriptPod(
        buildPod({ annotations: { 'sim.fincloud.io/step-ms': '10' } }),
      );
      fast.forEach((s, i) => {
        expect(s.durationMs).toBeCloseTo(normal[i].durationMs / 100, -1);
        expect(texts(s)).toEqual(
          texts(normal[i]).map((t, j) =>
            /^INFO\[\d{4}\]/.test(t) ? texts(s)[j] : t,
          ),
        );
      });
    });

    it('sim.fincloud.io/log-lines adds millions of lines lazily to the build step', () => {
      const before = process.memoryUsage().heapUsed;
      const steps = scriptPod(
        buildPod({
          annotations: {
            'sim.fincloud.io/log-lines': '5000000',
            'sim.fincloud.io/step-ms': '1',
          },
        }),
      );
      const build = step(steps, 'build');
      const growth = process.memoryUsage().heapUsed - before;
      expect(build.lines.length).toBeGreaterThan(5_000_000);
      // 5 million materialised line objects would need hundreds of MB.
      expect(growth).toBeLessThan(100 * 1024 * 1024);
      expect(build.lines[1_000_000].text).toMatch(
        /^\[DEBUG\] Compiling com\/fincloud\/\w+\/gen\/Generated\d{7}\.java/,
      );
      expect(build.lines[1_000_000].text).not.toEqual(
        build.lines[1_000_001].text,
      );
      expect(build.lines[1_000_000].atMs).toBeLessThanOrEqual(
        build.lines[1_000_001].atMs,
      );
      expect(lastLine(build)).toMatch(PUSHED);
      expect(build.lines.slice(-1)[0].text).toEqual(lastLine(build));
      expect(Array.isArray(build.lines)).toBe(true);
      // The other steps are untouched.
      expect(step(steps, 'clone').lines.length).toBeLessThan(20);
    });
  });

  describe('other steps', () => {
    it('echoes a generic command and what echo prints, and succeeds', () => {
      const s = scriptPod(
        buildPod({
          init: [],
          containers: [
            {
              name: 'notify',
              image: 'curlimages/curl:8.9.1',
              command: [
                'sh',
                '-c',
                'echo "build $BUILD_ID done"; curl -fsS http://notifier/hook',
              ],
              env: [{ name: 'BUILD_ID', value: '42' }],
            },
          ],
        }),
      )[0];
      expect(texts(s)).toEqual([
        '+ echo "build $BUILD_ID done"',
        'build 42 done',
        '+ curl -fsS http://notifier/hook',
      ]);
      expect(s.exitCode).toBe(0);
    });

    it('recognises a test step and prints its summary', () => {
      const s = scriptPod(
        buildPod({
          init: [],
          containers: [
            {
              name: 'unit-tests',
              image: 'maven:3.9-eclipse-temurin-21',
              command: ['mvn', '-B', 'test'],
            },
          ],
        }),
      )[0];
      expect(
        texts(s).some(l =>
          /^\[INFO\] Tests run: \d+, Failures: 0, Errors: 0, Skipped: \d+$/.test(
            l,
          ),
        ),
      ).toBe(true);
      expect(lastLine(s)).toBe('[INFO] BUILD SUCCESS');
    });
  });
});
