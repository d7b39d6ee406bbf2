import { ConfigReader } from '@backstage/config';
import { loadConfig } from '@backstage/config-loader';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');

async function load(...files: string[]) {
  const { appConfigs } = await loadConfig({
    configRoot: root,
    configTargets: files.map(file => ({ path: resolve(root, file) })),
  });
  return ConfigReader.fromConfigs(appConfigs);
}

describe('the portal configuration', () => {
  const env = process.env;
  beforeAll(() => {
    process.env = { ...env, APP_BASE_URL: 'https://portal.fincloud.example' };
  });
  afterAll(() => {
    process.env = env;
  });

  it('development: SQLite, the sample catalog, the development sign-in and permissions on', async () => {
    const config = await load('app-config.yaml');
    expect(config.getString('backend.database.client')).toBe('better-sqlite3');
    expect(config.has('auth.providers.fincloud-dev')).toBe(true);
    expect(config.getBoolean('permission.enabled')).toBe(true);
    expect(
      config.getConfigArray('catalog.locations')[0].getString('target'),
    ).toBe('../../catalog-info.yaml');
  });

  it('production: the development sign-in is gone even though app-config.yaml sets it', async () => {
    const config = await load('app-config.yaml', 'app-config.production.yaml');
    expect(config.has('auth.providers.fincloud-dev')).toBe(false);
    expect(config.getConfig('auth.providers').keys()).toEqual(['github']);
    expect(config.getString('backend.database.client')).toBe('pg');
    expect(config.getBoolean('permission.enabled')).toBe(true);
  });
});
