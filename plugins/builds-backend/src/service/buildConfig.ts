import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  BUILD_TYPES,
  BuildConfigView,
  BuildType,
} from '@fincloud/plugin-builds-common';
import {
  FINCLOUD_ANNOTATIONS,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { BuildsConfig } from '../config';
import {
  TEMPLATE_LANGUAGES,
  TemplateLanguage,
} from '../dockerfiles/defaultTemplates';
import type { BuildsRepoReader } from '../repo/BuildsRepoReader';

/** The repository file a team uses to choose how its service is built. */
export const REPO_SETTINGS_PATH = '.fincloud/build.yaml';

const relativePath = z
  .string()
  .min(1)
  .max(255)
  .refine(
    p => !p.startsWith('/') && !p.split('/').includes('..'),
    'must be a path inside the repository (no leading / and no ..)',
  );

const repoSettingsSchema = z
  .object({
    buildType: z.enum(BUILD_TYPES as [BuildType, ...BuildType[]]).optional(),
    language: z
      .enum(TEMPLATE_LANGUAGES as [TemplateLanguage, ...TemplateLanguage[]])
      .optional(),
    dockerfile: relativePath.optional(),
    context: relativePath.optional(),
  })
  .strict();

export type RepoBuildSettings = z.infer<typeof repoSettingsSchema>;

/** Reads and checks `.fincloud/build.yaml`; a broken file is the team's to fix, said clearly. */
export async function readRepoSettings(
  reader: BuildsRepoReader,
  repo: string,
  ref: string,
): Promise<RepoBuildSettings> {
  const text = await reader.readFile(repo, ref, REPO_SETTINGS_PATH);
  if (text === undefined) return {};
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (error) {
    throw new InputError(
      `${REPO_SETTINGS_PATH} of ${repo} (${ref}) is not valid YAML: ${
        (error as Error).message
      }`,
    );
  }
  const parsed = repoSettingsSchema.safeParse(data);
  if (!parsed.success) {
    throw new InputError(
      `${REPO_SETTINGS_PATH} of ${repo} (${ref}): ${parsed.error.issues
        .map(i => `${i.path.join('.') || '(file)'}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/** Files that tell a repository's language, in the order they are looked for. */
export const LANGUAGE_MARKERS: Array<[string, TemplateLanguage]> = [
  ['pom.xml', 'java'],
  ['build.gradle', 'java'],
  ['build.gradle.kts', 'java'],
  ['go.mod', 'go'],
  ['requirements.txt', 'python'],
  ['pyproject.toml', 'python'],
  ['package.json', 'node'],
  ['index.html', 'static'],
];

export async function detectLanguage(
  reader: BuildsRepoReader,
  repo: string,
  ref: string,
): Promise<TemplateLanguage | undefined> {
  for (const [file, language] of LANGUAGE_MARKERS) {
    if ((await reader.readFile(repo, ref, file)) !== undefined) return language;
  }
  return undefined;
}

/**
 * The repository a build clones: `fincloud.io/source-repo`, else Backstage's
 * `backstage.io/source-location` (`url:` form), else
 * `fincloud.builds.sourceRepoTemplate`.
 */
export function sourceRepoOf(
  entity: Entity,
  config: BuildsConfig,
): string | undefined {
  const annotated = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.sourceRepo,
  );
  if (annotated) return annotated;
  const location =
    entity.metadata.annotations?.['backstage.io/source-location'];
  if (location?.startsWith('url:')) {
    return location
      .slice(4)
      .replace(/\/(tree|blob|-\/tree)\/.*$/, '')
      .replace(/\/+$/, '');
  }
  if (config.sourceRepoTemplate) {
    const owner = entity.spec?.owner ? String(entity.spec.owner) : '';
    return config.sourceRepoTemplate
      .replace(/\{namespace\}/g, entity.metadata.namespace ?? 'default')
      .replace(/\{name\}/g, entity.metadata.name)
      .replace(
        /\{owner\}/g,
        owner ? parseEntityRef(owner, { defaultKind: 'group' }).name : '',
      );
  }
  return undefined;
}

/** Whether the entity says anything about being built (else `/config` is 404). */
export function hasBuildAnnotations(entity: Entity): boolean {
  return Boolean(
    readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.buildType) ??
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.language) ??
      readFincloudAnnotation(entity, FINCLOUD_ANNOTATIONS.sourceRepo),
  );
}

export interface ResolvedBuildConfig {
  view: BuildConfigView;
  settings: RepoBuildSettings;
}

/**
 * How an entity is built, at a ref. Precedence, most specific first: the
 * build request's choice, `.fincloud/build.yaml` in the repository, the
 * catalog annotations, then `generic`. The language comes from
 * `fincloud.io/language`, else the repository file, else detection.
 */
export async function resolveBuildConfig(
  entity: Entity,
  config: BuildsConfig,
  reader: BuildsRepoReader,
  ref?: string,
): Promise<ResolvedBuildConfig> {
  const sourceRepo = sourceRepoOf(entity, config);
  const at = ref ?? config.defaultBranch;
  const settings = sourceRepo
    ? await readRepoSettings(reader, sourceRepo, at)
    : {};
  const annotatedType = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.buildType,
  );
  if (annotatedType && !BUILD_TYPES.includes(annotatedType as BuildType)) {
    throw new InputError(
      `${stringifyEntityRef(entity)} has ${
        FINCLOUD_ANNOTATIONS.buildType
      }: "${annotatedType}"; use one of ${BUILD_TYPES.join(', ')}`,
    );
  }
  const annotatedLanguage = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.language,
  );
  if (
    annotatedLanguage &&
    !TEMPLATE_LANGUAGES.includes(annotatedLanguage as TemplateLanguage)
  ) {
    throw new InputError(
      `${stringifyEntityRef(entity)} has ${
        FINCLOUD_ANNOTATIONS.language
      }: "${annotatedLanguage}"; fincloud generates Dockerfiles for ${TEMPLATE_LANGUAGES.join(
        ', ',
      )}`,
    );
  }
  const language =
    annotatedLanguage ??
    settings.language ??
    (sourceRepo ? await detectLanguage(reader, sourceRepo, at) : undefined);
  const buildType: BuildType =
    settings.buildType ?? (annotatedType as BuildType | undefined) ?? 'generic';
  const availableTypes = BUILD_TYPES.filter(
    t => language || (t !== 'generic' && t !== 'compile-then-build'),
  );
  const view: BuildConfigView = {
    buildType,
    scanEnabled: config.scan.enabled,
    scanThreshold: config.scan.failOn,
    availableTypes,
  };
  if (language) view.language = language;
  if (sourceRepo) view.sourceRepo = sourceRepo;
  return { view, settings };
}
