import path from 'node:path';
import { describeWithPrograms, requireProgram } from '@fincloud/cluster-sim';
import {
  buildahPath,
  LocalBuildah,
  SAMPLE_APPS,
} from '../__testUtils__/buildah';
import { DEFAULT_TEMPLATES } from './defaultTemplates';
import { validateDockerfile } from './validate';

/*
 * The platform's templates, built for real with buildah from the sample
 * apps: generic (one stage, toolchain image) against compile-then-build
 * (builder stage, slim runtime). Base images are built locally from this
 * machine's files (no registry); see src/__testUtils__/buildah.ts.
 */

jest.setTimeout(20 * 60_000);

const buildah = buildahPath();
const INSTALL = 'sudo apt-get install -y buildah';

describeWithPrograms(
  { programs: { buildah }, install: INSTALL },
  'templates built with buildah (vfs, chroot)',
  () => {
    let local: LocalBuildah;
    let bases: Awaited<ReturnType<LocalBuildah['ensureBaseImages']>>;
    const built: string[] = [];

    beforeAll(async () => {
      requireProgram('buildah', buildah, INSTALL);
      local = new LocalBuildah();
      bases = await local.ensureBaseImages();
    });

    afterAll(async () => {
      for (const image of built) await local?.remove(image);
    });

    const apps = [
      {
        language: 'node' as const,
        dir: 'node',
        artifact: '/app/dist/server.js',
        args: () => ({
          NODE_BUILD_IMAGE: bases.nodeToolchain,
          NODE_RUNTIME_IMAGE: bases.nodeRuntime,
        }),
      },
      {
        language: 'static' as const,
        dir: 'static-site',
        artifact: '/usr/share/nginx/html/index.html',
        args: () => ({
          NODE_BUILD_IMAGE: bases.nodeToolchain,
          STATIC_RUNTIME_IMAGE: bases.staticServer,
        }),
      },
    ];

    it.each(apps)(
      'builds the $language sample both ways; compile-then-build is smaller and carries the artifact only',
      async app => {
        const templates = DEFAULT_TEMPLATES[app.language];
        for (const text of [templates.generic, templates.compileThenBuild]) {
          expect(
            validateDockerfile(text).filter(d => d.severity === 'error'),
          ).toEqual([]);
        }
        const context = path.join(SAMPLE_APPS, app.dir);
        const tag = `localhost/fincloud-test/${app.dir}`;
        const generic = await local.build({
          dockerfile: templates.generic,
          context,
          image: `${tag}:generic`,
          buildArgs: app.args(),
        });
        built.push(generic.image);
        const slim = await local.build({
          dockerfile: templates.compileThenBuild,
          context,
          image: `${tag}:compile-then-build`,
          buildArgs: app.args(),
        });
        built.push(slim.image);

        expect(generic.sizeBytes).toBeGreaterThan(0);
        expect(slim.sizeBytes).toBeLessThan(generic.sizeBytes);

        // The generic image keeps the toolchain and the sources; the slim one
        // has the built artifact and no compiler, npm or sources.
        const inGeneric = await local.pathsIn(generic.image, [
          '/usr/bin/gcc',
          '/usr/lib/node_modules/npm',
          '/app/package.json',
        ]);
        expect(inGeneric).toEqual({
          '/usr/bin/gcc': true,
          '/usr/lib/node_modules/npm': true,
          '/app/package.json': true,
        });
        const inSlim = await local.pathsIn(slim.image, [
          app.artifact,
          '/usr/bin/gcc',
          '/usr/lib/node_modules/npm',
          '/app/scripts/build.js',
        ]);
        expect(inSlim).toEqual({
          [app.artifact]: true,
          '/usr/bin/gcc': false,
          '/usr/lib/node_modules/npm': false,
          '/app/scripts/build.js': false,
        });
      },
    );
  },
);
