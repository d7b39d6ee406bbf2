import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';

/**
 * Reads single files of a service's repository at a branch or commit: the
 * `.fincloud/build.yaml` build settings and the files language detection
 * looks for. The builds plugin never clones; the build pod does.
 *
 * @public
 */
export interface BuildsRepoReader {
  /** The file's text, or undefined when the repository has no such file (or cannot be read). */
  readFile(
    repo: string,
    ref: string,
    path: string,
  ): Promise<string | undefined>;
}

/**
 * A reader on Backstage's `UrlReaderService`: works for every host with a
 * configured integration (GitHub, GitLab, Bitbucket, Azure, Gitea ...),
 * through the file's web address `<repo>/blob/<ref>/<path>` (GitLab
 * `<repo>/-/blob/<ref>/<path>`). A repository the backend cannot read
 * answers "no file": the entity's annotations decide alone.
 *
 * @public
 */
export class UrlReaderBuildsRepoReader implements BuildsRepoReader {
  private readonly warned = new Set<string>();

  constructor(
    private readonly urlReader: UrlReaderService,
    private readonly logger: LoggerService,
  ) {}

  static fileUrl(repo: string, ref: string, path: string): string {
    const base = repo.replace(/\.git$/, '').replace(/\/+$/, '');
    const clean = path.replace(/^\/+/, '');
    const blob = /gitlab/i.test(new URL(base).host) ? '-/blob' : 'blob';
    return `${base}/${blob}/${encodeURIComponent(ref).replace(
      /%2F/g,
      '/',
    )}/${clean}`;
  }

  async readFile(repo: string, ref: string, path: string) {
    let url: string;
    try {
      url = UrlReaderBuildsRepoReader.fileUrl(repo, ref, path);
    } catch {
      return undefined;
    }
    try {
      const response = await this.urlReader.readUrl(url);
      return (await response.buffer()).toString('utf8');
    } catch (error) {
      const name = (error as Error)?.name;
      if (name !== 'NotFoundError' && !this.warned.has(repo)) {
        this.warned.add(repo);
        this.logger.info(
          `builds: cannot read files of ${repo} (${
            (error as Error)?.message
          }); the catalog annotations decide how it is built`,
        );
      }
      return undefined;
    }
  }
}

/**
 * Files given up front, by repository and path (tests, and installations that
 * know their repositories' settings some other way). The ref is ignored.
 *
 * @public
 */
export class StaticBuildsRepoReader implements BuildsRepoReader {
  constructor(
    private readonly files: Record<string, Record<string, string>> = {},
  ) {}

  async readFile(repo: string, _ref: string, path: string) {
    return this.files[repo]?.[path.replace(/^\/+/, '')];
  }
}

/**
 * The repository reader the builds backend uses; replace it with
 * `createServiceFactory({ service: buildsRepoReaderServiceRef, ... })`.
 *
 * @public
 */
export const buildsRepoReaderServiceRef = createServiceRef<BuildsRepoReader>({
  id: 'fincloud.builds.repoReader',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        urlReader: coreServices.urlReader,
        logger: coreServices.logger,
      },
      factory: ({ urlReader, logger }) =>
        new UrlReaderBuildsRepoReader(urlReader, logger),
    }),
});
