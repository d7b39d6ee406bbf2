import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import authPlugin from '@backstage/plugin-auth-backend';
import request from 'supertest';
import { authModuleDevSignIn } from './module';

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'pete', description: 'Developer, Payments.' },
    spec: {
      profile: { displayName: 'Pete Dev', email: 'pete@fincloud.example' },
      memberOf: ['team-payments'],
    },
    relations: [{ type: 'memberOf', targetRef: 'group:default/team-payments' }],
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'team-payments' },
    spec: { type: 'team', children: [] },
  },
];

async function startAuth(providerConfig?: object) {
  const { server } = await startTestBackend({
    features: [
      authPlugin,
      authModuleDevSignIn,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: {
            session: { secret: 'test' },
            ...(providerConfig
              ? { providers: { 'fincloud-dev': providerConfig } }
              : {}),
          },
        },
      }),
    ],
  });
  return server;
}

function decodeJwt(token: string) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

describe('the development sign-in', () => {
  it('signs the caller in as the picked catalog user, with that user groups', async () => {
    const server = await startAuth({
      dangerouslyAllowOutsideDevelopment: true,
    });
    const res = await request(server)
      .get('/api/auth/fincloud-dev/refresh')
      .set('x-fincloud-dev-user', 'pete');

    expect(res.status).toBe(200);
    expect(res.body.profile).toEqual({
      displayName: 'Pete Dev',
      email: 'pete@fincloud.example',
    });
    expect(res.body.backstageIdentity.identity).toEqual({
      type: 'user',
      userEntityRef: 'user:default/pete',
      ownershipEntityRefs: ['user:default/pete', 'group:default/team-payments'],
    });
    expect(decodeJwt(res.body.backstageIdentity.token).sub).toBe(
      'user:default/pete',
    );
  });

  it('refuses a user the catalog does not have, a non-user and a missing choice', async () => {
    const server = await startAuth({
      dangerouslyAllowOutsideDevelopment: true,
    });
    const unknown = await request(server)
      .get('/api/auth/fincloud-dev/refresh')
      .set('x-fincloud-dev-user', 'mallory');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(
      'There is no user user:default/mallory in the catalog',
    );

    const group = await request(server)
      .get('/api/auth/fincloud-dev/refresh')
      .set('x-fincloud-dev-user', 'group:default/team-payments');
    expect(group.status).toBe(400);
    expect(group.body.error.message).toMatch(/only users can sign in/);

    const none = await request(server).get('/api/auth/fincloud-dev/refresh');
    expect(none.status).toBe(401);
  });

  it('lists the catalog users for the sign-in page', async () => {
    const server = await startAuth({
      dangerouslyAllowOutsideDevelopment: true,
    });
    const res = await request(server).get('/api/auth/fincloud-dev-users');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      users: [
        {
          userRef: 'user:default/pete',
          displayName: 'Pete Dev',
          description: 'Developer, Payments.',
          groups: ['team-payments'],
        },
      ],
    });
  });

  it('is off unless configured: no user list and no sign-in', async () => {
    const server = await startAuth();
    expect(
      (await request(server).get('/api/auth/fincloud-dev-users')).status,
    ).toBe(404);
    expect(
      (
        await request(server)
          .get('/api/auth/fincloud-dev/refresh')
          .set('x-fincloud-dev-user', 'pete')
      ).status,
    ).toBe(404);
  });

  it('refuses to run outside development unless explicitly allowed', async () => {
    // Jest runs with NODE_ENV=test, which is not development.
    const server = await startAuth({});
    expect(
      (await request(server).get('/api/auth/fincloud-dev-users')).status,
    ).toBe(404);
    const res = await request(server)
      .get('/api/auth/fincloud-dev/refresh')
      .set('x-fincloud-dev-user', 'pete');
    expect(res.status).toBe(403);
  });
});
