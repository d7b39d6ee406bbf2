import { Entity } from '@backstage/catalog-model';
import {
  BUILD_TYPES,
  buildsPermissions,
  buildsSignalChannel,
  isBuildFinished,
  isBuildsAvailable,
  isBuildType,
} from './index';

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'user-portal', annotations },
    spec: {},
  };
}

describe('builds permissions', () => {
  it('are resource permissions on catalog entities with the names the policy maps', () => {
    expect(buildsPermissions.map(p => p.name)).toEqual([
      'builds.read',
      'builds.trigger',
      'builds.cancel',
      'builds.dockerfile.write',
      'builds.waiver.approve',
    ]);
    for (const permission of buildsPermissions) {
      expect(permission).toMatchObject({
        type: 'resource',
        resourceType: 'catalog-entity',
      });
    }
  });
});

describe('builds wire names', () => {
  it('names the signal channel after the entity ref', () => {
    expect(buildsSignalChannel('component:default/user-portal')).toBe(
      'fincloud-builds:component:default/user-portal',
    );
  });

  it('knows the four build types and which statuses are final', () => {
    expect(BUILD_TYPES).toHaveLength(4);
    expect(isBuildType('compile-then-build')).toBe(true);
    expect(isBuildType('jenkins')).toBe(false);
    expect(isBuildFinished('running')).toBe(false);
    expect(isBuildFinished('cancelled')).toBe(true);
  });

  it('offers builds only to entities that declare how they are built', () => {
    expect(
      isBuildsAvailable(component({ 'fincloud.io/build-type': 'generic' })),
    ).toBe(true);
    expect(isBuildsAvailable(component({ 'fincloud.io/language': 'go' }))).toBe(
      true,
    );
    expect(isBuildsAvailable(component({ 'fincloud.io/cluster': 'sim' }))).toBe(
      false,
    );
    expect(
      isBuildsAvailable(component({ 'fincloud.io/build-type': ' ' })),
    ).toBe(false);
  });
});
