import { Entity } from '@backstage/catalog-model';

/**
 * Whether an entity page gets the Terminal tab: every Component (things that
 * run in pods). A Component without `fincloud.io/cluster` /
 * `fincloud.io/namespace` still gets the tab, which then explains the
 * missing annotations (`MissingAnnotationEmptyState`); whether the
 * annotations are there is `isTerminalAvailable` from
 * `@fincloud/plugin-terminal-common`.
 *
 * @public
 */
export function isTerminalTabAvailable(entity: Entity): boolean {
  return entity.kind.toLocaleLowerCase('en-US') === 'component';
}
