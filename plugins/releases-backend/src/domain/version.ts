import { InputError } from '@backstage/errors';

/**
 * Image references fincloud accepts: `[registry[:port]/]path[:tag][@sha256:digest]`,
 * lowercase path components as the distribution spec requires.
 */
const IMAGE =
  /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@sha256:([0-9a-f]{64}))?$/;

/** Checks an image reference and returns its tag and digest. */
export function parseImage(image: string): { tag?: string; digest?: string } {
  const match = IMAGE.exec(image);
  if (!match || image.length > 512) {
    throw new InputError(
      `"${image}" is not an image reference (registry/path:tag or registry/path@sha256:<digest>)`,
    );
  }
  if (!match[1] && !match[2]) {
    throw new InputError(
      `image "${image}" needs a tag or a digest: fincloud never releases an implicit "latest"`,
    );
  }
  return { tag: match[1], digest: match[2] };
}

/**
 * The version a release stands for: the image tag (or the digest's first 12
 * characters), made a valid label value and DNS label part, because it names
 * the `version` label, the DestinationRule subset's selector and the
 * Deployment `<workload>-<version>`.
 */
export function versionFromImage(image: string): string {
  const { tag, digest } = parseImage(image);
  const raw = tag ?? `sha-${digest!.slice(0, 12)}`;
  const version = raw
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '')
    .slice(0, 40)
    .replace(/[^a-z0-9]+$/, '');
  if (!version) {
    throw new InputError(`image "${image}" has no usable version in its tag`);
  }
  return version;
}

/** The Deployment of a version: `<workload>-<version>`, within 63 characters. */
export function versionDeploymentName(workload: string, version: string) {
  const name = `${workload}-${version}`;
  if (name.length > 63) {
    throw new InputError(
      `Deployment name "${name}" would be longer than 63 characters; use a shorter tag`,
    );
  }
  return name;
}
