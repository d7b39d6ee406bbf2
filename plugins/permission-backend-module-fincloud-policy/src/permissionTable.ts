import { PERMISSION_RULES, PermissionRule } from './rules';

type Cell = PermissionRule[keyof Omit<PermissionRule, 'resourceType'>];

/**
 * What a role actually gets, with the columns it inherits: everybody is a
 * reader and a developer of what they own; a team lead and a platform member
 * too; an auditor gets only the auditor and reader columns.
 */
function effective(cells: Cell[]): string {
  if (cells.includes('allow')) {
    return 'allow';
  }
  const conditions = [
    cells.includes('owner') ? 'owner' : undefined,
    cells.includes('lead') ? 'lead of owner' : undefined,
  ].filter(Boolean);
  return conditions.length > 0
    ? `conditional (${conditions.join(' or ')})`
    : 'deny';
}

/**
 * The README's permission × role table, generated from the rules so the two
 * cannot drift (policy.test.ts compares them).
 *
 * @public
 */
export function renderPermissionTable(
  rules: Readonly<Record<string, PermissionRule>> = PERMISSION_RULES,
): string {
  const lines = [
    '| Permission | Kind | developer | team lead | platform | auditor | reader |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, rule] of Object.entries(rules)) {
    const dev = [rule.reader, rule.developer];
    lines.push(
      `| \`${name}\` | ${rule.resourceType ?? 'basic'} | ${[
        effective(dev),
        effective([...dev, rule.teamLead]),
        effective([...dev, rule.platform]),
        effective([rule.reader, rule.auditor]),
        effective([rule.reader]),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
