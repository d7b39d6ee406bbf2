import { ConfigReader } from '@backstage/config';
import { readBuildsConfig } from './config';
import { DEFAULT_TEMPLATES } from './dockerfiles/defaultTemplates';

const read = (builds: object) =>
  readBuildsConfig(new ConfigReader({ fincloud: { builds } }));

describe('readBuildsConfig', () => {
  it('has working defaults with nothing configured', () => {
    const config = readBuildsConfig(new ConfigReader({}));
    expect(config).toMatchObject({
      namespace: 'fincloud-builds',
      registry: 'registry.fincloud.example',
      builder: 'kaniko',
      images: { builder: 'gcr.io/kaniko-project/executor:v1.23.2' },
      scan: { enabled: true, failOn: 'high', maxWaiverDays: 30 },
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 600,
      logs: { store: 'database', chunkLines: 2000 },
      controller: { intervalMs: 5000, leaseMs: 30_000 },
    });
    expect(config.templates.go).toEqual(DEFAULT_TEMPLATES.go);
  });

  it('reads placement, annotations with dotted keys and a template override', () => {
    const go =
      'FROM golang:1.23 AS b\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\nUSER 1\n';
    const config = read({
      placement: {
        nodeSelector: { 'fincloud.io/pool': 'builds' },
        tolerations: [
          {
            key: 'dedicated',
            operator: 'Equal',
            value: 'builds',
            effect: 'NoSchedule',
          },
        ],
      },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      templates: { go: { compileThenBuild: go } },
      builder: 'buildkit',
      controller: { frequency: { seconds: 2 } },
    });
    expect(config.nodeSelector).toEqual({ 'fincloud.io/pool': 'builds' });
    expect(config.tolerations).toEqual([
      {
        key: 'dedicated',
        operator: 'Equal',
        value: 'builds',
        effect: 'NoSchedule',
      },
    ]);
    expect(config.podAnnotations).toEqual({
      'sidecar.istio.io/inject': 'false',
    });
    expect(config.templates.go).toEqual({
      generic: DEFAULT_TEMPLATES.go.generic,
      compileThenBuild: go,
    });
    expect(config.images.builder).toBe('moby/buildkit:v0.16.0-rootless');
    expect(config.controller.intervalMs).toBe(2000);
  });

  it.each([
    [
      { namespace: 'Builds_NS' },
      /namespace "Builds_NS" is not a Kubernetes namespace name/,
    ],
    [
      { scan: { failOn: 'severe' } },
      /scan.failOn must be one of critical, high, medium, low/,
    ],
    [{ builder: 'docker' }, /builder must be kaniko or buildkit/],
    [{ logs: { store: 's3' } }, /logs.store must be database or filesystem/],
    [
      { templates: { rust: { generic: 'FROM rust' } } },
      /templates.rust: unknown language/,
    ],
    [
      {
        templates: { node: { generic: 'FROM node\nCOPY --from=nope /a /b\n' } },
      },
      /templates.node.generic is not a valid Dockerfile: line 2: COPY --from=nope/,
    ],
    [
      { activeDeadlineSeconds: 0 },
      /activeDeadlineSeconds must be a positive number/,
    ],
    [{ podAnnotations: { a: 1 } }, /podAnnotations.a must be a string/],
  ])('stops the backend on %j', (builds, message) => {
    expect(() => read(builds)).toThrow(message);
  });
});
