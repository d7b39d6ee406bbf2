import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ALERT_RULE_NAME_PATTERN,
  isMonitoringAvailable,
  monitoringEntityPath,
  monitoringNoiseReadPermission,
  monitoringPermissions,
  monitoringReadPermission,
  monitoringRulesWritePermission,
  monitoringSilencePermission,
} from './index';

describe('monitoring permissions', () => {
  it('names the permissions the policy maps, on catalog entities except the noise report', () => {
    expect(monitoringPermissions.map(p => p.name)).toEqual([
      'monitoring.read',
      'monitoring.silence',
      'monitoring.rules.write',
      'monitoring.noise.read',
    ]);
    for (const permission of [
      monitoringReadPermission,
      monitoringSilencePermission,
      monitoringRulesWritePermission,
    ]) {
      expect(permission).toMatchObject({
        type: 'resource',
        resourceType: 'catalog-entity',
      });
    }
    expect(monitoringNoiseReadPermission.type).toBe('basic');
  });
});

describe('monitoring names', () => {
  const entity = (annotations: Record<string, string>) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payment-gateway', annotations },
  });

  it('is available when the entity says where it runs', () => {
    expect(
      isMonitoringAvailable(
        entity({
          'fincloud.io/cluster': 'sim',
          'fincloud.io/namespace': 'payments',
        }),
      ),
    ).toBe(true);
    expect(isMonitoringAvailable(entity({}))).toBe(false);
  });

  it('builds entity paths with every part encoded', () => {
    expect(monitoringEntityPath('component:default/payment-gateway')).toBe(
      '/entities/component/default/payment-gateway',
    );
    expect(
      monitoringEntityPath(
        stringifyEntityRef({
          kind: 'Component',
          namespace: 'a b',
          name: 'x/y',
        }),
      ),
    ).toBe('/entities/component/a%20b/x%2Fy');
  });

  it('accepts alert names Prometheus accepts', () => {
    expect(ALERT_RULE_NAME_PATTERN.test('HighErrorRatio')).toBe(true);
    expect(ALERT_RULE_NAME_PATTERN.test('_p99_over_800')).toBe(true);
    expect(ALERT_RULE_NAME_PATTERN.test('9lives')).toBe(false);
    expect(ALERT_RULE_NAME_PATTERN.test('a-b')).toBe(false);
    expect(ALERT_RULE_NAME_PATTERN.test('a"} or vector(1)')).toBe(false);
  });
});
