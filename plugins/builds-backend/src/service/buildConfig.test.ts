import { ConfigReader } from '@backstage/config';
import { readBuildsConfig } from '../config';
import { component } from '../__testUtils__/harness';
import {
  StaticBuildsRepoReader,
  UrlReaderBuildsRepoReader,
} from '../repo/BuildsRepoReader';
import {
  detectLanguage,
  resolveBuildConfig,
  sourceRepoOf,
} from './buildConfig';

const REPO = 'https://git.fincloud.example/payments/gateway.git';
const config = readBuildsConfig(
  new ConfigReader({
    fincloud: {
      builds: {
        sourceRepoTemplate: 'https://git.fincloud.example/{owner}/{name}.git',
      },
    },
  }),
);

describe('build configuration', () => {
  it('takes the repository from the annotation, the source location, then the template', () => {
    expect(
      sourceRepoOf(
        component('gw', { 'fincloud.io/source-repo': REPO }),
        config,
      ),
    ).toBe(REPO);
    expect(
      sourceRepoOf(
        component('gw', {
          'backstage.io/source-location':
            'url:https://github.com/bank/gw/tree/main/',
        }),
        config,
      ),
    ).toBe('https://github.com/bank/gw');
    expect(
      sourceRepoOf(component('gw', {}, 'group:default/team-payments'), config),
    ).toBe('https://git.fincloud.example/team-payments/gw.git');
    expect(
      sourceRepoOf(component('gw', {}), readBuildsConfig(new ConfigReader({}))),
    ).toBeUndefined();
  });

  it('detects the language from the files of the repository', async () => {
    const reader = new StaticBuildsRepoReader({
      [REPO]: { 'go.mod': 'module x', 'package.json': '{}' },
    });
    expect(await detectLanguage(reader, REPO, 'main')).toBe('go');
    expect(
      await detectLanguage(
        new StaticBuildsRepoReader({ [REPO]: { 'index.html': '<p>' } }),
        REPO,
        'main',
      ),
    ).toBe('static');
    expect(
      await detectLanguage(new StaticBuildsRepoReader(), REPO, 'main'),
    ).toBeUndefined();
  });

  it('lets .fincloud/build.yaml win over the annotation, and the annotation name the language', async () => {
    const entity = component('gw', {
      'fincloud.io/source-repo': REPO,
      'fincloud.io/build-type': 'generic',
    });
    const reader = new StaticBuildsRepoReader({
      [REPO]: {
        '.fincloud/build.yaml':
          'buildType: in-repo-dockerfile\ndockerfile: build/Dockerfile\ncontext: app\n',
        'pom.xml': '<project/>',
      },
    });
    const resolved = await resolveBuildConfig(entity, config, reader);
    expect(resolved.view).toEqual({
      buildType: 'in-repo-dockerfile',
      language: 'java',
      sourceRepo: REPO,
      scanEnabled: true,
      scanThreshold: 'high',
      availableTypes: [
        'generic',
        'compile-then-build',
        'in-repo-dockerfile',
        'custom-dockerfile',
      ],
    });
    expect(resolved.settings).toEqual({
      buildType: 'in-repo-dockerfile',
      dockerfile: 'build/Dockerfile',
      context: 'app',
    });
  });

  it('offers only Dockerfile build types without a language', async () => {
    const entity = component('site', {
      'fincloud.io/source-repo': REPO,
      'fincloud.io/build-type': 'custom-dockerfile',
    });
    const { view } = await resolveBuildConfig(
      entity,
      config,
      new StaticBuildsRepoReader(),
    );
    expect(view.availableTypes).toEqual([
      'in-repo-dockerfile',
      'custom-dockerfile',
    ]);
    expect(view.language).toBeUndefined();
  });

  it.each([
    ['buildType: jenkins\n', /buildType/],
    ['dockerfile: ../../etc/passwd\n', /must be a path inside the repository/],
    ['scan: { enabled: false }\n', /Unrecognized key/],
    ['buildType: [unclosed\n', /not valid YAML/],
  ])('refuses a repository file %j with the reason', async (text, message) => {
    const entity = component('gw', {
      'fincloud.io/source-repo': REPO,
      'fincloud.io/language': 'go',
    });
    const reader = new StaticBuildsRepoReader({
      [REPO]: { '.fincloud/build.yaml': text },
    });
    await expect(resolveBuildConfig(entity, config, reader)).rejects.toThrow(
      message,
    );
  });

  it('refuses an annotation naming an unknown type or language', async () => {
    const reader = new StaticBuildsRepoReader();
    await expect(
      resolveBuildConfig(
        component('gw', {
          'fincloud.io/build-type': 'jenkins',
          'fincloud.io/source-repo': REPO,
        }),
        config,
        reader,
      ),
    ).rejects.toThrow(/fincloud.io\/build-type: "jenkins"; use one of/);
    await expect(
      resolveBuildConfig(
        component('gw', {
          'fincloud.io/language': 'cobol',
          'fincloud.io/source-repo': REPO,
        }),
        config,
        reader,
      ),
    ).rejects.toThrow(/fincloud.io\/language: "cobol"/);
  });

  it('reads repository files through their web address', () => {
    expect(
      UrlReaderBuildsRepoReader.fileUrl(
        'https://github.com/bank/gw.git',
        'feature/x',
        '.fincloud/build.yaml',
      ),
    ).toBe('https://github.com/bank/gw/blob/feature/x/.fincloud/build.yaml');
    expect(
      UrlReaderBuildsRepoReader.fileUrl(
        'https://gitlab.example/bank/gw',
        'main',
        'go.mod',
      ),
    ).toBe('https://gitlab.example/bank/gw/-/blob/main/go.mod');
  });
});
