import { InputError } from '@backstage/errors';
import { activeFreeze, nextFreeze } from './freeze';
import { planToSteps } from './plan';
import {
  RoutingInvariantError,
  assertValidRoutes,
  buildHttpRoutes,
  canaryReplicas,
  weightsOfRoutes,
} from './routing';
import { DEFAULT_SCHEDULING_PROFILES, checkProfile } from './scheduling';
import {
  diffText,
  lintTrafficPolicy,
  parseTrafficPolicy,
  policyToCluster,
} from './trafficPolicy';
import { versionDeploymentName, versionFromImage } from './version';

describe('routes', () => {
  it('splits the primary route, adds header / cookie matches and mirroring to the canary', () => {
    const routes = buildHttpRoutes({
      host: 'payment-gateway',
      subsets: ['stable', 'canary'],
      canaryWeight: 20,
      routing: {
        header: { name: 'X-Canary', value: 'always' },
        cookie: { name: 'beta', value: 'yes' },
        mirrorPercent: 10,
      },
    });
    expect(routes).toEqual([
      {
        name: 'canary-header',
        match: [{ headers: { 'x-canary': { exact: 'always' } } }],
        route: [
          {
            destination: { host: 'payment-gateway', subset: 'canary' },
            weight: 100,
          },
        ],
      },
      {
        name: 'canary-cookie',
        match: [
          { headers: { cookie: { regex: '^(.*?;\\s*)?beta=yes(;.*)?$' } } },
        ],
        route: [
          {
            destination: { host: 'payment-gateway', subset: 'canary' },
            weight: 100,
          },
        ],
      },
      {
        name: 'primary',
        route: [
          {
            destination: { host: 'payment-gateway', subset: 'stable' },
            weight: 80,
          },
          {
            destination: { host: 'payment-gateway', subset: 'canary' },
            weight: 20,
          },
        ],
        mirror: { host: 'payment-gateway', subset: 'canary' },
        mirrorPercentage: { value: 10 },
      },
    ]);
    expect(weightsOfRoutes(routes)).toEqual({ stable: 80, canary: 20 });
  });

  it('refuses weights that do not add up to 100 and subsets that do not exist', () => {
    expect(() =>
      buildHttpRoutes({ host: 'a', subsets: ['stable'], canaryWeight: 10 }),
    ).toThrow(RoutingInvariantError);
    expect(() =>
      buildHttpRoutes({
        host: 'a',
        subsets: ['stable', 'canary'],
        canaryWeight: 10.5,
      }),
    ).toThrow(/integer/);
    expect(() =>
      assertValidRoutes(
        [
          {
            name: 'p',
            route: [
              { destination: { host: 'a', subset: 'stable' }, weight: 90 },
            ],
          },
        ],
        ['stable'],
      ),
    ).toThrow(/add up to 90, not 100/);
    expect(() =>
      assertValidRoutes(
        [
          {
            name: 'p',
            route: [
              { destination: { host: 'a', subset: 'canary' }, weight: 100 },
            ],
          },
        ],
        ['stable'],
      ),
    ).toThrow(/does not define/);
  });

  it('sizes the canary to carry its share, at least one pod', () => {
    expect([1, 5, 20, 50, 99, 100].map(w => canaryReplicas(3, w))).toEqual([
      1, 1, 1, 2, 3, 3,
    ]);
  });
});

describe('plans and versions', () => {
  it('checks plans per strategy', () => {
    expect(
      planToSteps('canary', [
        { weight: 10, pause: { seconds: 30 } },
        { weight: 100 },
      ]),
    ).toEqual([
      { index: 0, weight: 10, pause: { seconds: 30 }, status: 'pending' },
      { index: 1, weight: 100, status: 'pending' },
    ]);
    expect(() =>
      planToSteps('canary', [{ weight: 50 }, { weight: 20 }, { weight: 100 }]),
    ).toThrow(/increase/);
    expect(() => planToSteps('canary', [{ weight: 50 }])).toThrow(/last step/);
    expect(() =>
      planToSteps('blue-green', [{ weight: 10 }, { weight: 100 }]),
    ).toThrow(/preview/);
    expect(() =>
      planToSteps('rolling', [{ weight: 50 }, { weight: 100 }]),
    ).toThrow(/one step/);
    expect(() => planToSteps('canary', [{ weight: 100.5 }])).toThrow(
      InputError,
    );
  });

  it('derives a label-safe version from the image, never an implicit latest', () => {
    expect(
      versionFromImage(
        'registry.fincloud.example/payments/payment-gateway:2.8.0',
      ),
    ).toBe('2.8.0');
    expect(versionFromImage('registry.local:5000/a/b:Release_2024.1')).toBe(
      'release-2024.1',
    );
    expect(
      versionFromImage(`registry.local/a/b@sha256:${'ab'.repeat(32)}`),
    ).toBe('sha-abababababab');
    expect(() => versionFromImage('registry.local/a/b')).toThrow(
      /implicit "latest"/,
    );
    expect(() => versionFromImage('Registry/UPPER:1')).toThrow(InputError);
    expect(() =>
      versionDeploymentName('a'.repeat(50), '1.2.3-rc.1234567'),
    ).toThrow(/63/);
  });
});

describe('change freezes', () => {
  const windows = [
    {
      name: 'weekend',
      system: 'core-banking',
      cron: '0 18 * * 5',
      durationHours: 62,
      timezone: 'UTC',
    },
    {
      name: 'year-end',
      cron: '0 0 28 12 *',
      durationHours: 96,
      timezone: 'Europe/Berlin',
    },
  ];

  it('is in force from each cron start for its duration, for its system only', () => {
    const friday = Date.parse('2026-11-27T18:00:00Z');
    expect(activeFreeze(windows, 'core-banking', friday)?.window.name).toBe(
      'weekend',
    );
    expect(activeFreeze(windows, 'core-banking', friday - 1)).toBeUndefined();
    expect(
      activeFreeze(windows, 'core-banking', Date.parse('2026-11-30T07:59:59Z'))
        ?.until,
    ).toBe(Date.parse('2026-11-30T08:00:00Z'));
    expect(
      activeFreeze(windows, 'core-banking', Date.parse('2026-11-30T08:00:00Z')),
    ).toBeUndefined();
    expect(activeFreeze(windows, 'other', friday)).toBeUndefined();
    // Time zones: 28 December 00:00 in Berlin is 27 December 23:00 UTC.
    expect(
      activeFreeze(windows, 'other', Date.parse('2026-12-27T23:00:00Z'))?.window
        .name,
    ).toBe('year-end');
    expect(
      nextFreeze(windows, 'core-banking', Date.parse('2026-11-30T08:00:00Z'))
        ?.from,
    ).toBe(Date.parse('2026-12-04T18:00:00Z'));
  });
});

describe('scheduling profiles', () => {
  const node = (
    name: string,
    labels: Record<string, string>,
    taints: any[] = [],
  ) => ({
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: { taints },
  });
  const hp = (name: string) =>
    node(name, { 'fincloud.io/pool': 'high-performance' }, [
      { key: 'dedicated', value: 'high-performance', effect: 'NoSchedule' },
    ]);
  const profile = DEFAULT_SCHEDULING_PROFILES[0];

  it('finds the nodes a profile can use and warns when anti-affinity needs more', () => {
    const nodes = [
      hp('hp-1'),
      hp('hp-2'),
      node('g-1', { 'fincloud.io/pool': 'general' }),
    ];
    expect(checkProfile(profile, nodes, 2)).toMatchObject({
      satisfiable: true,
      nodes: ['hp-1', 'hp-2'],
    });
    expect(checkProfile(profile, nodes, 3)).toMatchObject({
      satisfiable: false,
      message:
        'Profile "high-performance" spreads pods across kubernetes.io/hostname: 3 replicas need 3 distinct nodes, only 2 fit (hp-1, hp-2).',
    });
    expect(
      checkProfile(
        profile,
        [node('g-1', { 'fincloud.io/pool': 'general' })],
        1,
      ),
    ).toMatchObject({
      satisfiable: false,
      message: expect.stringContaining('1 excluded by node affinity'),
    });
    // The general profile never lands on the tainted pool.
    expect(
      checkProfile(DEFAULT_SCHEDULING_PROFILES[1], nodes, 3).nodes,
    ).toEqual(['g-1']);
  });
});

describe('traffic policies', () => {
  it('refuses unknown fields and bad values with the path', () => {
    expect(() =>
      parseTrafficPolicy({ connectionPool: { tcp: { maxConnection: 1 } } }),
    ).toThrow(/connectionPool.tcp/);
    expect(() =>
      parseTrafficPolicy({ outlierDetection: { maxEjectionPercent: 120 } }),
    ).toThrow(/outlierDetection.maxEjectionPercent/);
    expect(() =>
      parseTrafficPolicy({ outlierDetection: { interval: 'often' } }),
    ).toThrow(/duration/);
  });

  it('lints the known pitfalls', () => {
    const rules = (policy: any, ctx: any = {}) =>
      lintTrafficPolicy(parseTrafficPolicy(policy), {
        replicas: 2,
        subsets: ['stable'],
        requestRate: 60,
        ...ctx,
      }).map(l => `${l.severity} ${l.rule}`);
    expect(rules({ connectionPool: { tcp: { maxConnections: 10 } } })).toEqual([
      'warning pending-requests-unbounded',
    ]);
    expect(
      rules({
        outlierDetection: { maxEjectionPercent: 100, consecutive5xxErrors: 1 },
      }),
    ).toEqual(['warning eject-every-host', 'warning eject-on-first-error']);
    expect(
      rules({ outlierDetection: { maxEjectionPercent: 100 } }, { replicas: 3 }),
    ).toEqual([]);
    expect(
      rules({
        rateLimit: {
          maxTokens: 10,
          tokensPerFill: 10,
          fillIntervalSeconds: 1,
          mode: 'shadow',
        },
      }),
    ).toEqual(['warning rate-limit-below-traffic']);
    expect(
      rules({
        rateLimit: {
          maxTokens: 100,
          tokensPerFill: 100,
          fillIntervalSeconds: 1,
          mode: 'enforce',
        },
      }),
    ).toEqual(['warning enforce-without-shadow']);
    expect(
      rules({
        outlierDetection: { consecutive5xxErrors: 5 },
        subset: 'canary',
      }),
    ).toEqual(['error subset-exists']);
  });

  it('turns a policy into the DestinationRule policy and the local rate limit EnvoyFilter (shadow = enforce 0 %)', () => {
    const cluster = policyToCluster(
      {
        outlierDetection: { consecutive5xxErrors: 5 },
        rateLimit: {
          maxTokens: 50,
          tokensPerFill: 50,
          fillIntervalSeconds: 1,
          mode: 'shadow',
        },
        subset: 'canary',
      },
      'payment-gateway',
      { stable: 'v1', canary: '2.8.0' },
    );
    expect(cluster.destinationRule).toEqual({
      subsets: [
        {
          name: 'canary',
          trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } },
        },
        { name: 'stable' },
      ],
    });
    const filter = cluster.envoyFilter as any;
    expect(filter.workloadSelector).toEqual({
      labels: { app: 'payment-gateway', version: '2.8.0' },
    });
    const value = filter.configPatches[0].patch.value;
    expect(value.name).toBe('envoy.filters.http.local_ratelimit');
    expect(value.typed_config.value.token_bucket).toEqual({
      max_tokens: 50,
      tokens_per_fill: 50,
      fill_interval: '1000ms',
    });
    expect(
      value.typed_config.value.filter_enforced.default_value.numerator,
    ).toBe(0);
    expect(
      value.typed_config.value.filter_enabled.default_value.numerator,
    ).toBe(100);
  });

  it('diffs what the cluster has against the proposal', () => {
    const diff = diffText(
      { destinationRule: { subsets: [{ name: 'stable' }] }, envoyFilter: null },
      {
        destinationRule: {
          trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } } },
          subsets: [{ name: 'stable' }],
        },
        envoyFilter: null,
      },
    );
    expect(diff).toContain('--- in cluster');
    expect(diff).toContain('+  trafficPolicy:');
    expect(diff).toContain('+        maxConnections: 100');
    expect(diffText({ a: 1 }, { a: 1 })).toBe('');
  });
});
