// Test helpers (not exported from the package): the sample organisation as
// the catalog would hold it, and a way to evaluate a policy decision the way
// the catalog applies it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  AuthorizeResult,
  PermissionCondition,
  PermissionCriteria,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import { parseAllDocuments } from 'yaml';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');

/**
 * The sample catalog (catalog/*.yaml) with the ownedBy / memberOf relations the
 * catalog's processors would add, so the catalog's own rules can be applied.
 */
export function loadSampleCatalog(): Entity[] {
  const entities = ['org.yaml', 'systems.yaml'].flatMap(file =>
    parseAllDocuments(
      readFileSync(resolve(repoRoot, 'catalog', file), 'utf8'),
    ).map(doc => doc.toJSON() as Entity),
  );
  return entities.map(withRelations);
}

export function withRelations(entity: Entity): Entity {
  const spec = (entity.spec ?? {}) as { owner?: string; memberOf?: string[] };
  const namespace = entity.metadata.namespace ?? 'default';
  const ref = (raw: string) =>
    stringifyEntityRef(
      parseEntityRef(raw, {
        defaultKind: 'group',
        defaultNamespace: namespace,
      }),
    );
  return {
    ...entity,
    relations: [
      ...(spec.owner ? [{ type: 'ownedBy', targetRef: ref(spec.owner) }] : []),
      ...(spec.memberOf ?? []).map(g => ({
        type: 'memberOf',
        targetRef: ref(g),
      })),
    ],
  };
}

/** What the sign-in resolver puts in a user's token: the user and their groups. */
export function ownershipOf(entities: Entity[], userRef: string): string[] {
  const user = entities.find(e => stringifyEntityRef(e) === userRef);
  if (!user) {
    return [userRef];
  }
  return [
    userRef,
    ...(user.relations ?? [])
      .filter(r => r.type === 'memberOf')
      .map(r => r.targetRef),
  ];
}

function matches(
  entity: Entity,
  criteria: PermissionCriteria<PermissionCondition<'catalog-entity'>>,
): boolean {
  if ('anyOf' in criteria) {
    return criteria.anyOf.some(c => matches(entity, c));
  }
  if ('allOf' in criteria) {
    return criteria.allOf.every(c => matches(entity, c));
  }
  if ('not' in criteria) {
    return !matches(entity, criteria.not);
  }
  const rule = Object.values(permissionRules).find(
    r => r.name === criteria.rule,
  );
  if (!rule) {
    throw new Error(`The catalog has no rule ${criteria.rule}`);
  }
  return rule.apply(entity, criteria.params as never);
}

/**
 * ALLOW or DENY for one entity, applying a conditional decision with the
 * catalog's own rules as the catalog's apply-conditions endpoint does.
 */
export function resolveFor(
  decision: PolicyDecision,
  entity?: Entity,
): 'ALLOW' | 'DENY' {
  if (decision.result !== AuthorizeResult.CONDITIONAL) {
    return decision.result === AuthorizeResult.ALLOW ? 'ALLOW' : 'DENY';
  }
  if (!entity) {
    throw new Error('A conditional decision needs an entity to resolve');
  }
  return matches(
    entity,
    decision.conditions as PermissionCriteria<
      PermissionCondition<'catalog-entity'>
    >,
  )
    ? 'ALLOW'
    : 'DENY';
}
