import type { PolicyHint } from '../types';
import type { TerminalPolicy } from './types';

/**
 * What a policy allows, as the hint panel shows it: each command with its
 * usage, and the notes that apply to all of them.
 *
 * @public
 */
export function policyHint(policy: TerminalPolicy): PolicyHint {
  const allowed = Object.entries(policy.commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, rule]) => {
      let args = rule.usage;
      if (args === undefined && rule.flags && rule.flags.length > 0) {
        args = `[${rule.flags.join(' ')}]`;
      }
      return {
        command,
        ...(args !== undefined ? { args } : {}),
        description: rule.description,
      };
    });
  const hasNetwork = Object.values(policy.commands).some(rule =>
    (rule.operands ?? []).some(
      o => typeof o !== 'string' && o.kind === 'url',
    ),
  );
  const notes = [
    'One plain command per line, run as typed and never through a shell: no pipes, redirections, ;, && or ||, no $(...) or backticks, no $VARIABLES, no wildcards, ~ or # comments.',
    `File arguments must be absolute paths under ${policy.allowedPaths.join(
      ', ',
    )}${
      policy.deniedPaths.length
        ? ` (never ${policy.deniedPaths.join(', ')})`
        : ''
    }; ".." is not allowed.`,
    ...(hasNetwork
      ? [
          `URLs may name only cluster-internal hosts: ${policy.allowedHosts.join(
            ', ',
          )} (* is one name), never IP addresses${
            policy.deniedHosts.length
              ? ` or ${policy.deniedHosts.join(', ')}`
              : ''
          }.`,
        ]
      : []),
    'Quote an argument with \'...\' when it contains spaces or characters such as * or |; inside single quotes they are literal.',
    'Every line, allowed or refused, is audited with your name.',
  ];
  return { allowed, notes };
}
