import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { FincloudPermissionPolicy } from './policy';

const user = {
  identity: {
    type: 'user',
    userEntityRef: 'user:default/pete',
    ownershipEntityRefs: ['user:default/pete', 'group:default/team-payments'],
  },
  token: 'token',
  credentials: {} as PolicyQueryUser['credentials'],
  info: {
    userEntityRef: 'user:default/pete',
    ownershipEntityRefs: ['user:default/pete', 'group:default/team-payments'],
  },
} as PolicyQueryUser;

const read = createPermission({
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
  resourceType: 'catalog-entity',
});
const unknown = createPermission({
  name: 'something.nobody.named',
  attributes: { action: 'update' },
});

describe('FincloudPermissionPolicy', () => {
  const policy = new FincloudPermissionPolicy();

  it('lets a signed-in user read the catalog', async () => {
    expect(await policy.handle({ permission: read }, user)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });

  it('denies a permission it does not know, even to a signed-in user', async () => {
    expect(await policy.handle({ permission: unknown }, user)).toEqual({
      result: AuthorizeResult.DENY,
    });
  });

  it('denies catalog reads without a user', async () => {
    expect(await policy.handle({ permission: read })).toEqual({
      result: AuthorizeResult.DENY,
    });
  });
});
