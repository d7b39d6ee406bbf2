import { ConfigReader } from '@backstage/config';
import { MONITORING_PANEL_IDS } from '@fincloud/plugin-monitoring-common';
import { readMonitoringConfig } from './readConfig';

const read = (monitoring: object) =>
  readMonitoringConfig(new ConfigReader({ fincloud: { monitoring } }));

const prom = { name: 'sim', url: 'http://127.0.0.1:9090' };

describe('readMonitoringConfig', () => {
  it('ships the RED and USE panels when none are configured', () => {
    const config = read({ prometheus: [prom] });
    expect(config.panels.map(p => p.id)).toEqual(
      Object.values(MONITORING_PANEL_IDS),
    );
    expect(config.prometheus[0]).toMatchObject({
      name: 'sim',
      scrapeIntervalSeconds: 15,
      timeoutMs: 10_000,
    });
    expect(config.markers.map(m => m.plugin)).toEqual(['builds', 'releases']);
    expect(config.alertWorkloadLabels).toEqual(['workload', 'app']);
  });

  it('is empty, not an error, without any monitoring config', () => {
    const config = readMonitoringConfig(new ConfigReader({}));
    expect(config.prometheus).toEqual([]);
    expect(config.panels.length).toBeGreaterThanOrEqual(6);
  });

  it('refuses a panel template that would paste a value into PromQL unescaped, at start', () => {
    expect(() =>
      read({
        prometheus: [prom],
        panels: [
          {
            id: 'bad',
            title: 'Bad',
            unit: 'count',
            query: 'sum(up{namespace=$namespace})',
          },
        ],
      }),
    ).toThrow(
      /fincloud\.monitoring\.panels\[0\]\.query \$namespace outside a string literal/,
    );
  });

  it.each([
    [{ prometheus: [prom, prom] }, /prometheus\[1\]\.name duplicates "sim"/],
    [
      { prometheus: [{ ...prom, url: 'ftp://x' }] },
      /prometheus\[0\]\.url must be http/,
    ],
    [
      { prometheus: [{ ...prom, url: 'http://user:pw@x' }] },
      /must not carry credentials/,
    ],
    [{ prometheus: [{ ...prom, alertmanager: 'nope' }] }, /names "nope"/],
    [
      { prometheus: [{ ...prom, tenantHeader: 'X Bad' }] },
      /tenantHeader is not an HTTP header name/,
    ],
    [
      {
        prometheus: [prom],
        extraPanels: [{ id: 'cpu', title: 'x', unit: 'count', query: 'up' }],
      },
      /"cpu" is already a panel/,
    ],
    [
      {
        prometheus: [prom],
        panels: [{ id: 'x', title: 'x', unit: 'furlongs', query: 'up' }],
      },
      /unit must be one of/,
    ],
    [
      {
        prometheus: [prom],
        ruleSync: { directory: '/tmp/x', prometheus: 'other' },
      },
      /ruleSync\.prometheus must name/,
    ],
    [
      { prometheus: [prom], alertWorkloadLabels: ['app-name'] },
      /invalid label name/,
    ],
  ])('refuses %j', (monitoring, message) => {
    expect(() => read(monitoring)).toThrow(message);
  });

  it('never puts a secret in its messages', () => {
    const token = 'super-secret-token-value';
    let message = '';
    try {
      read({
        prometheus: [{ ...prom, token, authHeader: `Basic ${token}` }],
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/token or authHeader, not both/);
    expect(message).not.toContain(token);
  });
});
