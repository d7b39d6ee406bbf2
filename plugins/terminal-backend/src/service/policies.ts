import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  FINCLOUD_ANNOTATIONS,
  readFincloudAnnotation,
} from '@fincloud/plugin-fincloud-common';
import type { TerminalPolicy } from '@fincloud/plugin-terminal-common';
import type { TerminalConfig } from '../config';

/**
 * The policy of an entity: the platform's pin in
 * `fincloud.terminal.entityPolicies`, else the policy its
 * `fincloud.io/terminal-policy` annotation names (when that policy may be
 * selected by annotation), else the default. An annotation naming an
 * unknown or unselectable policy is an error, never a silent fallback to a
 * laxer default.
 */
export function policyForEntity(
  entity: Entity,
  config: TerminalConfig,
): TerminalPolicy {
  const ref = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
  const pinned = config.entityPolicies.get(ref);
  if (pinned) return config.policies.get(pinned)!;
  const named = readFincloudAnnotation(
    entity,
    FINCLOUD_ANNOTATIONS.terminalPolicy,
  );
  if (named) {
    const policy = config.policies.get(named);
    if (!policy) {
      throw new InputError(
        `${ref} names terminal policy "${named}" in ${
          FINCLOUD_ANNOTATIONS.terminalPolicy
        }, but fincloud.terminal.policies has no such policy (known: ${[
          ...config.policies.keys(),
        ].join(', ')})`,
      );
    }
    if (policy.selectableByAnnotation === false) {
      throw new InputError(
        `Terminal policy "${named}" cannot be selected by the ${FINCLOUD_ANNOTATIONS.terminalPolicy} annotation; the platform team assigns it in fincloud.terminal.entityPolicies`,
      );
    }
    return policy;
  }
  return config.policies.get(config.defaultPolicy)!;
}
