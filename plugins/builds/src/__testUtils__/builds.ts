import { Entity } from '@backstage/catalog-model';
import { Build, BuildStats, Waiver } from '@fincloud/plugin-builds-common';

export const UP = 'component:default/user-portal';
export const BASE = 'http://example.com/api/builds';
export const ENTITY_BASE = `${BASE}/entities/component/default/user-portal`;

export const userPortal: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'user-portal',
    annotations: {
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'web',
      'fincloud.io/language': 'node',
      'fincloud.io/build-type': 'generic',
    },
  },
  spec: { type: 'website', owner: 'team-payments', lifecycle: 'production' },
};

/** Runs in a cluster but says nothing about how it is built. */
export const unbuilt: Entity = {
  ...userPortal,
  metadata: {
    name: 'ledger',
    annotations: {
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'core',
    },
  },
};

export const DIGEST =
  'sha256:4f1c2a9be0d37c6a5e8b19f02d7c4e6a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e';

export function build(overrides: Partial<Build> = {}): Build {
  return {
    id: 'b-12',
    number: 12,
    entityRef: UP,
    status: 'succeeded',
    buildType: 'generic',
    language: 'node',
    branch: 'main',
    commit: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
    triggeredBy: 'user:default/pete',
    createdAt: '2026-11-29T10:00:00.000Z',
    startedAt: '2026-11-29T10:00:03.000Z',
    finishedAt: '2026-11-29T10:01:08.000Z',
    queueMs: 3000,
    runMs: 65_000,
    image: {
      ref: 'registry.fincloud.example/web/user-portal:12',
      digest: DIGEST,
    },
    steps: [
      {
        name: 'clone',
        status: 'succeeded',
        startedAt: '2026-11-29T10:00:03.000Z',
        finishedAt: '2026-11-29T10:00:05.000Z',
        exitCode: 0,
      },
      {
        name: 'scan',
        status: 'succeeded',
        startedAt: '2026-11-29T10:00:05.000Z',
        finishedAt: '2026-11-29T10:00:07.000Z',
        exitCode: 0,
      },
      {
        name: 'build',
        status: 'succeeded',
        startedAt: '2026-11-29T10:00:07.000Z',
        finishedAt: '2026-11-29T10:01:08.000Z',
        exitCode: 0,
      },
    ],
    cluster: 'sim',
    namespace: 'builds',
    jobName: 'build-user-portal-12',
    ...overrides,
  };
}

export function stats(overrides: Partial<BuildStats> = {}): BuildStats {
  return {
    window: '30d',
    total: 40,
    succeeded: 36,
    failed: 3,
    cancelled: 1,
    successRate: 36 / 39,
    durationP50Ms: 65_000,
    durationP90Ms: 125_000,
    queueP50Ms: 2_000,
    trend: [
      { day: '2026-11-27', succeeded: 10, failed: 1, durationP50Ms: 60_000 },
      { day: '2026-11-28', succeeded: 14, failed: 2, durationP50Ms: 70_000 },
      { day: '2026-11-29', succeeded: 12, failed: 0, durationP50Ms: 65_000 },
    ],
    ...overrides,
  };
}

export function waiver(overrides: Partial<Waiver> = {}): Waiver {
  return {
    id: 'w-1',
    entityRef: UP,
    ruleIds: ['js/hardcoded-secret'],
    reason: 'Test fixture key, not a real secret',
    requestedBy: 'user:default/pete',
    status: 'pending',
    expiresAt: '2099-12-31T23:59:59.000Z',
    createdAt: '2026-11-29T11:00:00.000Z',
    ...overrides,
  };
}

export const config = {
  buildType: 'generic' as const,
  language: 'node',
  scanEnabled: true,
  scanThreshold: 'high',
  availableTypes: [
    'generic' as const,
    'compile-then-build' as const,
    'in-repo-dockerfile' as const,
    'custom-dockerfile' as const,
  ],
};
