import { Entity } from '@backstage/catalog-model';

/**
 * True for the entities the Terminal tab is shown on: Components (things that
 * run in pods). The tab itself explains a missing `fincloud.io/cluster` /
 * `fincloud.io/namespace` annotation with `MissingAnnotationEmptyState`.
 *
 * @public
 */
export function isTerminalAvailable(entity: Entity): boolean {
  return entity.kind.toLocaleLowerCase('en-US') === 'component';
}
