import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import {
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  kubernetesClustersReadPermission,
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  auditEntityEventsReadPermission,
  auditEventsReadPermission,
  auditExportPermission,
} from '@fincloud/plugin-audit-common';
import {
  monitoringNoiseReadPermission,
  monitoringReadPermission,
  monitoringRulesWritePermission,
  monitoringSilencePermission,
} from '@fincloud/plugin-monitoring-common';
import {
  releasesApprovePermission,
  releasesBreakGlassPermission,
  releasesCreatePermission,
  releasesPolicyWritePermission,
  releasesPromotePermission,
  releasesReadPermission,
  releasesRollbackPermission,
} from '@fincloud/plugin-releases-common';
import {
  buildsCancelPermission,
  buildsDockerfileWritePermission,
  buildsReadPermission,
  buildsTriggerPermission,
  buildsWaiverApprovePermission,
} from '@fincloud/plugin-builds-common';
import {
  terminalExecPermission,
  terminalSessionsReadPermission,
  terminalSessionsTerminatePermission,
  terminalShellPermission,
} from '@fincloud/plugin-terminal-common';
import { readPolicyOptions } from './config';
import { renderPermissionTable } from './permissionTable';
import { FincloudPermissionPolicy, TeamLeadLookup } from './policy';
import { PERMISSION_RULES } from './rules';
import { TeamLeadDirectory } from './teamLeads';
import {
  loadSampleCatalog,
  ownershipOf,
  resolveFor,
  withRelations,
} from './__testUtils__/sampleCatalog';

const sample = loadSampleCatalog();

function entity(entities: Entity[], ref: string): Entity {
  const found = entities.find(
    e =>
      `${e.kind.toLocaleLowerCase('en-US')}:default/${e.metadata.name}` === ref,
  );
  if (!found) throw new Error(`no ${ref} in the sample catalog`);
  return found;
}

/** A signed-in user as the permission plugin hands it to the policy. */
function userQuery(userRef: string): PolicyQueryUser {
  const credentials = {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: userRef },
  } as BackstageCredentials;
  return {
    credentials,
    info: { userEntityRef: userRef, ownershipEntityRefs: [] },
  } as unknown as PolicyQueryUser;
}

/** userInfo as the real service answers from a token the catalog resolver issued. */
function userInfoFrom(entities: Entity[]) {
  return {
    async getUserInfo(credentials: BackstageCredentials) {
      const { userEntityRef } = credentials.principal as {
        userEntityRef: string;
      };
      return {
        userEntityRef,
        ownershipEntityRefs: ownershipOf(entities, userEntityRef),
      };
    },
  };
}

function makePolicy(
  options: {
    entities?: Entity[];
    config?: object;
    teamLeads?: TeamLeadLookup;
    catalog?: ReturnType<typeof catalogServiceMock>;
  } = {},
) {
  const entities = options.entities ?? sample;
  const catalog = options.catalog ?? catalogServiceMock({ entities });
  const logger = mockServices.logger.mock();
  const policyOptions = readPolicyOptions(
    new ConfigReader(options.config ?? {}),
  );
  const teamLeads =
    options.teamLeads ??
    new TeamLeadDirectory({
      catalog,
      auth: mockServices.auth(),
      logger,
      cacheTtlMs: policyOptions.teamLeadCacheTtlMs,
    });
  const policy = new FincloudPermissionPolicy({
    ...policyOptions,
    userInfo: userInfoFrom(entities),
    teamLeads,
    logger,
  });
  const decide = async (
    user: string | undefined,
    permission: Permission,
    entityRef?: string,
    within: Entity[] = entities,
  ) =>
    resolveFor(
      await policy.handle(
        { permission },
        user ? userQuery(`user:default/${user}`) : undefined,
      ),
      entityRef ? entity(within, entityRef) : undefined,
    );
  return { policy, decide, logger, catalog };
}

const A = 'ALLOW';
const D = 'DENY';
const PG = 'component:default/payment-gateway';
const RISK = 'component:default/risk-engine';

/*
 * The expected answers, written out by hand (not derived from rules.ts): each
 * role × each seeded permission. Entity permissions list [payment-gateway
 * (team-payments), risk-engine (team-risk)].
 *   pete: payments developer   paula: payments lead   rob: risk developer
 *   oscar: platform            amy: auditor           gary: no team (reader)
 */
const USERS = ['pete', 'paula', 'rob', 'oscar', 'amy', 'gary'] as const;
type User = (typeof USERS)[number];

const entityExpectations: Array<[Permission, Record<User, [string, string]>]> =
  [
    [
      catalogEntityReadPermission,
      {
        pete: [A, A],
        paula: [A, A],
        rob: [A, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [A, A],
      },
    ],
    [
      catalogEntityRefreshPermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      catalogEntityDeletePermission,
      {
        pete: [D, D],
        paula: [D, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      auditEntityEventsReadPermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [D, D],
      },
    ],
    [
      monitoringReadPermission,
      {
        pete: [A, A],
        paula: [A, A],
        rob: [A, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [A, A],
      },
    ],
    [
      monitoringSilencePermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      monitoringRulesWritePermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      buildsReadPermission,
      {
        pete: [A, A],
        paula: [A, A],
        rob: [A, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [A, A],
      },
    ],
    ...[
      buildsTriggerPermission,
      buildsCancelPermission,
      buildsDockerfileWritePermission,
    ].map(
      (p): [Permission, Record<User, [string, string]>] => [
        p,
        {
          pete: [A, D],
          paula: [A, D],
          rob: [D, A],
          oscar: [A, A],
          amy: [D, D],
          gary: [D, D],
        },
      ],
    ),
    [
      buildsWaiverApprovePermission,
      {
        pete: [D, D],
        paula: [A, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      releasesReadPermission,
      {
        pete: [A, A],
        paula: [A, A],
        rob: [A, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [A, A],
      },
    ],
    ...[
      releasesCreatePermission,
      releasesPromotePermission,
      releasesRollbackPermission,
      releasesPolicyWritePermission,
    ].map((p): [Permission, Record<User, [string, string]>] => [
      p,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ]),
    [
      releasesApprovePermission,
      {
        pete: [D, D],
        paula: [A, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      releasesBreakGlassPermission,
      {
        pete: [D, D],
        paula: [D, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      terminalExecPermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      terminalShellPermission,
      {
        pete: [D, D],
        paula: [A, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
    [
      terminalSessionsReadPermission,
      {
        pete: [A, D],
        paula: [A, D],
        rob: [D, A],
        oscar: [A, A],
        amy: [A, A],
        gary: [D, D],
      },
    ],
    [
      terminalSessionsTerminatePermission,
      {
        pete: [D, D],
        paula: [D, D],
        rob: [D, D],
        oscar: [A, A],
        amy: [D, D],
        gary: [D, D],
      },
    ],
  ];

const basicExpectations: Array<[Permission, User[]]> = [
  [catalogLocationReadPermission, [...USERS]],
  [catalogEntityCreatePermission, ['oscar']],
  [catalogLocationCreatePermission, ['oscar']],
  [catalogLocationDeletePermission, ['oscar']],
  [kubernetesClustersReadPermission, [...USERS]],
  [kubernetesResourcesReadPermission, [...USERS]],
  [kubernetesProxyPermission, ['oscar']],
  [auditEventsReadPermission, ['oscar', 'amy']],
  [auditExportPermission, ['oscar', 'amy']],
  [monitoringNoiseReadPermission, ['oscar', 'amy']],
];

describe('FincloudPermissionPolicy: each role × each seeded permission', () => {
  const { decide } = makePolicy();

  describe.each(entityExpectations.map(([p, e]) => [p.name, p, e] as const))(
    '%s',
    (_name, permission, expected) => {
      it.each(USERS)(`${permission.name} as %s`, async user => {
        expect([
          await decide(user, permission, PG),
          await decide(user, permission, RISK),
        ]).toEqual(expected[user]);
      });
    },
  );

  it.each(basicExpectations.map(([p, u]) => [p.name, p, u] as const))(
    'basic permission %s is allowed to exactly the expected users',
    async (_name, permission, allowed) => {
      const got: User[] = [];
      for (const user of USERS) {
        if ((await decide(user, permission)) === A) got.push(user);
      }
      expect(got).toEqual(allowed);
    },
  );

  it('covers every row of the table, and every row matches its permission', () => {
    const seeded = [
      ...entityExpectations.map(([p]) => p),
      ...basicExpectations.map(([p]) => p),
    ];
    expect(seeded.map(p => p.name).sort()).toEqual(
      Object.keys(PERMISSION_RULES).sort(),
    );
    for (const permission of seeded) {
      const row = PERMISSION_RULES[permission.name];
      expect([permission.name, row.resourceType ?? 'basic']).toEqual([
        permission.name,
        permission.type === 'resource' ? permission.resourceType : 'basic',
      ]);
    }
  });

  it('never lets the auditor column allow a write', () => {
    const seeded = [
      ...entityExpectations.map(([p]) => p),
      ...basicExpectations.map(([p]) => p),
    ];
    const writes = seeded.filter(
      p => p.attributes.action !== 'read' && !p.name.startsWith('audit.'),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const p of writes) {
      expect([p.name, PERMISSION_RULES[p.name].auditor]).toEqual([
        p.name,
        'deny',
      ]);
    }
  });
});

describe('FincloudPermissionPolicy: the decisions themselves', () => {
  const { policy } = makePolicy();

  it('gives a developer a catalog condition on their ownership refs, so lists filter too', async () => {
    expect(
      await policy.handle(
        { permission: catalogEntityRefreshPermission },
        userQuery('user:default/pete'),
      ),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/pete', 'group:default/team-payments'],
        },
      },
    });
  });

  it('gives a team lead owner OR lead-of-owner conditions', async () => {
    const decision = await policy.handle(
      { permission: auditEntityEventsReadPermission },
      userQuery('user:default/paula'),
    );
    expect(decision).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        anyOf: [
          {
            rule: 'IS_ENTITY_OWNER',
            params: {
              claims: ['user:default/paula', 'group:default/team-payments'],
            },
          },
          {
            rule: 'IS_ENTITY_OWNER',
            params: { claims: ['group:default/team-payments'] },
          },
        ],
      },
    });
  });

  it('denies a permission nobody named, even to the platform team', async () => {
    const unknown = createPermission({
      name: 'something.nobody.named',
      attributes: { action: 'update' },
    });
    expect(
      await policy.handle(
        { permission: unknown },
        userQuery('user:default/oscar'),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('denies everything without a user, even catalog reads', async () => {
    for (const permission of [
      catalogEntityReadPermission,
      catalogLocationReadPermission,
      auditEventsReadPermission,
    ]) {
      expect(await policy.handle({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('denies a permission whose shape does not match its row (same name, other kind)', async () => {
    const basicRead = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    const resourceAuditRead = createPermission({
      name: 'audit.events.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    for (const permission of [basicRead, resourceAuditRead]) {
      expect(
        await policy.handle({ permission }, userQuery('user:default/oscar')),
      ).toEqual({ result: AuthorizeResult.DENY });
    }
  });

  it('denies, and says why in the log, when the user identity cannot be read', async () => {
    const logger = mockServices.logger.mock();
    const failing = new FincloudPermissionPolicy({
      ...readPolicyOptions(new ConfigReader({})),
      userInfo: {
        getUserInfo: async () => {
          throw new Error('token has no ent claim');
        },
      },
      teamLeads: { groupsLedBy: async () => [] },
      logger,
    });
    expect(
      await failing.handle(
        { permission: catalogEntityReadPermission },
        userQuery('user:default/pete'),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('token has no ent claim'),
    );
  });
});

describe('team leads', () => {
  // lena leads team-risk (named in the annotation) without being a member.
  const lena = withRelations({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'lena' },
    spec: { memberOf: [] },
  });
  const withLena = (leads: string) =>
    [
      ...sample.filter(e => e.metadata.name !== 'team-risk'),
      {
        ...entity(sample, 'group:default/team-risk'),
        metadata: {
          ...entity(sample, 'group:default/team-risk').metadata,
          annotations: { 'fincloud.io/team-leads': leads },
        },
      },
      lena,
    ] as Entity[];

  it('gives a lead the lead rights on the groups naming them, found in the catalog', async () => {
    const { decide } = makePolicy({ entities: withLena('rita, lena') });
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(A);
    expect(await decide('lena', catalogEntityRefreshPermission, PG)).toBe(D);
    expect(await decide('lena', auditEntityEventsReadPermission, RISK)).toBe(A);
    // Lead rights are entity-relative only: nothing global.
    expect(await decide('lena', auditEventsReadPermission)).toBe(D);
    expect(await decide('lena', catalogEntityDeletePermission, RISK)).toBe(D);
  });

  it('reads the catalog once for many checks, and again after the cache expires', async () => {
    let now = 0;
    const catalog = catalogServiceMock({ entities: withLena('lena') });
    const spy = jest.spyOn(catalog, 'queryEntities');
    const directory = new TeamLeadDirectory({
      catalog,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      cacheTtlMs: 30_000,
      now: () => now,
    });
    // Concurrent checks share one read.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        directory.groupsLedBy('user:default/lena'),
      ),
    );
    expect(answers.every(a => a[0] === 'group:default/team-risk')).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0]).toMatchObject({ filter: { kind: 'Group' } });

    now = 29_999;
    await directory.groupsLedBy('user:default/LENA');
    expect(spy).toHaveBeenCalledTimes(1);

    now = 30_000;
    await directory.groupsLedBy('user:default/lena');
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('takes a removed lead into account after the cache time', async () => {
    let now = 0;
    const catalogWithLead = catalogServiceMock({
      entities: withLena('lena'),
    });
    const catalogWithout = catalogServiceMock({ entities: withLena('rita') });
    let current = catalogWithLead;
    const catalog = {
      queryEntities: (...args: Parameters<typeof current.queryEntities>) =>
        current.queryEntities(...args),
    } as unknown as typeof current;
    const directory = new TeamLeadDirectory({
      catalog,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      cacheTtlMs: 10_000,
      now: () => now,
    });
    const { decide } = makePolicy({
      entities: withLena('lena'),
      teamLeads: directory,
    });
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(A);
    current = catalogWithout;
    now = 10_000;
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(D);
  });

  it('fails closed when the catalog cannot answer, does not cache the failure, and keeps owner rights', async () => {
    const catalog = catalogServiceMock({ entities: withLena('lena') });
    const spy = jest
      .spyOn(catalog, 'queryEntities')
      .mockRejectedValueOnce(new Error('catalog unavailable'));
    const { decide, logger } = makePolicy({
      entities: withLena('lena'),
      catalog,
    });
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(D);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('catalog unavailable'),
    );
    // The failure was not cached: the next check reads the catalog again,
    // and lena's lead rights are back.
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(A);
    expect(spy).toHaveBeenCalledTimes(2);
    // Ownership never needed the lookup: rob refreshes his own service.
    expect(await decide('rob', catalogEntityRefreshPermission, RISK)).toBe(A);
  });

  it('ignores a malformed lead annotation on one group without losing the others', async () => {
    const entities = [
      ...withLena('lena'),
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: 'broken',
          annotations: { 'fincloud.io/team-leads': 'group:x:y:z/??' },
        },
        spec: { type: 'team', children: [] },
      } as Entity,
    ];
    const { decide } = makePolicy({ entities });
    expect(await decide('lena', catalogEntityRefreshPermission, RISK)).toBe(A);
  });
});

describe('auditors are read-only everywhere', () => {
  it('gives an auditor no write on an entity their group owns', async () => {
    const entities = [
      ...sample,
      withRelations({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'audit-tool' },
        spec: { type: 'service', owner: 'audit-team', lifecycle: 'x' },
      }),
    ];
    const { decide } = makePolicy({ entities });
    expect(
      await decide(
        'amy',
        catalogEntityRefreshPermission,
        'component:default/audit-tool',
      ),
    ).toBe(D);
    expect(
      await decide(
        'amy',
        catalogEntityReadPermission,
        'component:default/audit-tool',
      ),
    ).toBe(A);
  });
});

describe('configuration', () => {
  it('moves the platform and auditor roles to the configured groups', async () => {
    const { decide } = makePolicy({
      config: {
        fincloud: {
          permissions: {
            platformGroup: 'team-risk',
            auditGroup: 'group:default/team-payments',
          },
        },
      },
    });
    expect(await decide('rob', catalogEntityDeletePermission, PG)).toBe(A);
    expect(await decide('oscar', catalogEntityDeletePermission, PG)).toBe(D);
    expect(await decide('pete', auditEventsReadPermission)).toBe(A);
    expect(await decide('amy', auditEventsReadPermission)).toBe(D);
    // pete is now an auditor: read-only, even on his own service.
    expect(await decide('pete', catalogEntityRefreshPermission, PG)).toBe(D);
  });

  it('refuses settings that cannot be right', () => {
    expect(() =>
      readPolicyOptions(
        new ConfigReader({
          fincloud: { permissions: { platformGroup: 'user:default/oscar' } },
        }),
      ),
    ).toThrow(/must name a Group/);
    expect(() =>
      readPolicyOptions(
        new ConfigReader({
          fincloud: { permissions: { teamLeadCacheSeconds: -1 } },
        }),
      ),
    ).toThrow(/between 0 and 3600/);
  });

  it('defaults to platform-team, audit-team and 30 s', () => {
    expect(readPolicyOptions(new ConfigReader({}))).toEqual({
      platformGroup: 'group:default/platform-team',
      auditGroup: 'group:default/audit-team',
      teamLeadCacheTtlMs: 30_000,
    });
  });
});

function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map(line =>
      line
        .slice(1, -1)
        .split('|')
        .map(cell => cell.trim()),
    );
}

describe('the README permission table', () => {
  it('is the one generated from the rules (FINCLOUD_UPDATE_DOCS=1 rewrites it)', () => {
    const readmePath = resolve(__dirname, '..', 'README.md');
    const readme = readFileSync(readmePath, 'utf8');
    const start = '<!-- permission-table:start -->\n';
    const end = '\n<!-- permission-table:end -->';
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const generated = renderPermissionTable();
    if (process.env.FINCLOUD_UPDATE_DOCS === '1') {
      writeFileSync(
        readmePath,
        readme.slice(0, from + start.length) + generated + readme.slice(to),
      );
      return;
    }
    // Compared cell by cell, so Prettier's column padding does not matter.
    expect(tableCells(readme.slice(from + start.length, to))).toEqual(
      tableCells(generated),
    );
  });
});
