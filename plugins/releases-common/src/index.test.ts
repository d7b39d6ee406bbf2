import { Entity } from '@backstage/catalog-model';
import {
  getReleaseStrategy,
  isReleaseFinished,
  isReleasesAvailable,
  parseReleaseApprovals,
  releasesPermissions,
  releasesSignalChannel,
  RELEASES_ROUTES,
} from './index';

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
    spec: {},
  };
}

describe('releases permissions', () => {
  it('are resource permissions on catalog-entity with the names the policy maps', () => {
    expect(releasesPermissions.map(p => p.name)).toEqual([
      'releases.read',
      'releases.create',
      'releases.approve',
      'releases.promote',
      'releases.rollback',
      'releases.policy.write',
      'releases.breakglass',
    ]);
    for (const permission of releasesPermissions) {
      expect(permission).toMatchObject({
        type: 'resource',
        resourceType: 'catalog-entity',
      });
    }
  });
});

describe('routes', () => {
  it('encodes entity refs and ids into the API paths', () => {
    const entity = { kind: 'Component', namespace: 'default', name: 'a b' };
    expect(RELEASES_ROUTES.releases(entity)).toBe(
      '/entities/Component/default/a%20b/releases',
    );
    expect(RELEASES_ROUTES.action('r/1', 'switch-back')).toBe(
      '/releases/r%2F1/switch-back',
    );
    expect(RELEASES_ROUTES.trafficPolicyAction('p1', 'revert')).toBe(
      '/traffic-policies/p1/revert',
    );
    expect(releasesSignalChannel('component:default/payment-gateway')).toBe(
      'fincloud-releases:component:default/payment-gateway',
    );
  });
});

describe('annotations', () => {
  it('reads availability and the default strategy', () => {
    const entity = component({
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'payments',
      'fincloud.io/release-strategy': 'blue-green',
    });
    expect(isReleasesAvailable(entity)).toBe(true);
    expect(getReleaseStrategy(entity)).toBe('blue-green');
    expect(isReleasesAvailable(component({}))).toBe(false);
    expect(
      getReleaseStrategy(component({ 'fincloud.io/release-strategy': 'yolo' })),
    ).toBeUndefined();
  });

  it('parses N and N-of-M approvals and refuses anything else', () => {
    expect(parseReleaseApprovals(undefined)).toBeUndefined();
    expect(parseReleaseApprovals('1')).toEqual({ required: 1 });
    expect(parseReleaseApprovals('2-of-3')).toEqual({ required: 2, of: 3 });
    expect(() => parseReleaseApprovals('3-of-2')).toThrow(/cannot exceed/);
    expect(() => parseReleaseApprovals('two')).toThrow(/N-of-M/);
  });

  it('knows which states are final', () => {
    expect(isReleaseFinished('rolled-back')).toBe(true);
    expect(isReleaseFinished('paused')).toBe(false);
  });
});
