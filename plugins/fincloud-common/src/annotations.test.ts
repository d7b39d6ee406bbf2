import { Entity } from '@backstage/catalog-model';
import {
  FINCLOUD_ANNOTATIONS,
  getTeamLeadRefs,
  getWorkloadTarget,
  isWorkloadAvailable,
} from './annotations';

function component(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
    spec: {},
  };
}

describe('getWorkloadTarget', () => {
  it('reads clusters, namespace and workload, defaulting the workload to the entity name', () => {
    expect(
      getWorkloadTarget(
        component({
          [FINCLOUD_ANNOTATIONS.cluster]: 'sim, prod-east ',
          [FINCLOUD_ANNOTATIONS.namespace]: 'payments',
        }),
      ),
    ).toEqual({
      clusters: ['sim', 'prod-east'],
      namespace: 'payments',
      workload: 'payment-gateway',
    });
  });

  it('is undefined without a cluster or a namespace, so the UI can explain what to add', () => {
    const noCluster = component({ [FINCLOUD_ANNOTATIONS.namespace]: 'p' });
    const blankCluster = component({
      [FINCLOUD_ANNOTATIONS.cluster]: ' , ',
      [FINCLOUD_ANNOTATIONS.namespace]: 'p',
    });
    expect(getWorkloadTarget(noCluster)).toBeUndefined();
    expect(isWorkloadAvailable(blankCluster)).toBe(false);
  });
});

describe('getTeamLeadRefs', () => {
  it('turns names and refs into full user refs in the group namespace', () => {
    const group: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: 'team-risk',
        namespace: 'bank',
        annotations: {
          [FINCLOUD_ANNOTATIONS.teamLeads]: 'rita, user:default/olga',
        },
      },
      spec: {},
    };
    expect(getTeamLeadRefs(group)).toEqual([
      'user:bank/rita',
      'user:default/olga',
    ]);
  });

  it('is empty when the group names no lead', () => {
    const group: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'audit-team' },
      spec: {},
    };
    expect(getTeamLeadRefs(group)).toEqual([]);
  });
});
