import { parseCommandLine } from './parse';
import { TERMINAL_RULES } from './rules';

function ruleOf(line: string): string {
  const r = parseCommandLine(line);
  return r.ok ? `argv:${JSON.stringify(r.argv)}` : r.decision.rule;
}

describe('parseCommandLine', () => {
  it.each([
    ['ls', ['ls']],
    ['  ls   -la   /var/log  ', ['ls', '-la', '/var/log']],
    ["grep 'ERROR|WARN' /var/log/app/app.log", ['grep', 'ERROR|WARN', '/var/log/app/app.log']],
    ['grep "two words" /tmp/x', ['grep', 'two words', '/tmp/x']],
    ["find /var/log -name '*.log'", ['find', '/var/log', '-name', '*.log']],
    ["a''b", ['ab']],
    ["ls ''", ['ls', '']],
    ["grep 'ERROR$' /tmp/x", ['grep', 'ERROR$', '/tmp/x']],
    ["grep 'für' /tmp/x", ['grep', 'für', '/tmp/x']],
    ['curl -H "Accept: application/json" http://svc/', ['curl', '-H', 'Accept: application/json', 'http://svc/']],
  ])('reads %j as argv', (line, argv) => {
    expect(parseCommandLine(line)).toEqual({ ok: true, argv });
  });

  it.each([
    ['ls | sh', 'no-pipes'],
    ['ls |& sh', 'no-pipes'],
    ['ls; id', 'no-chaining'],
    ['ls && id', 'no-chaining'],
    ['ls || id', 'no-chaining'],
    ['ls &', 'no-background'],
    ['ls > /tmp/x', 'no-redirection'],
    ['ls >> /tmp/x', 'no-redirection'],
    ['ls &> /tmp/x', 'no-redirection'],
    ['cat < /etc/passwd', 'no-redirection'],
    ['cat <<EOF', 'no-heredoc'],
    ['cat <<< hi', 'no-heredoc'],
    ['cat <(id)', 'no-substitution'],
    ['ls $(id)', 'no-substitution'],
    ['ls "$(id)"', 'no-substitution'],
    ['ls `id`', 'no-substitution'],
    ['ls "`id`"', 'no-substitution'],
    ['ls $((1+1))', 'no-substitution'],
    ['ls $HOME', 'no-variables'],
    ['ls ${HOME}', 'no-variables'],
    ['ls "$HOME"', 'no-variables'],
    ['ls $IFS', 'no-variables'],
    ["ls $'\\x2f'", 'no-ansi-c-quoting'],
    ['ls *', 'no-globs'],
    ['ls /var/lo?', 'no-globs'],
    ['ls /var/[l]og', 'no-globs'],
    ['ls {a,b}', 'no-globs'],
    ['ls ~', 'no-tilde'],
    ['ls ~root', 'no-tilde'],
    ['ls # hidden', 'no-comments'],
    ['ls /tmp#x', 'no-comments'],
    ['ls !!', 'no-history-expansion'],
    ['ls "a!b"', 'no-history-expansion'],
    ['l\\s', 'no-backslash'],
    ['ls "a\\"b"', 'no-backslash'],
    ['(ls)', 'no-subshell'],
    ["ls 'unclosed", 'unbalanced-quotes'],
    ['ls "unclosed', 'unbalanced-quotes'],
    ['ls\nid', 'control-character'],
    ['ls \\\nid', 'control-character'],
    ['ls\rid', 'control-character'],
    ['ls\tid', 'control-character'],
    ['ls\u0000id', 'control-character'],
    ['ls \u001b[31m', 'control-character'],
    ['ls\u007f', 'control-character'],
    ['ls \u009b', 'control-character'],
    ['ls ；id', 'unicode-lookalike'],
    ['ls ｜ sh', 'unicode-lookalike'],
    ['ｌｓ', 'unicode-lookalike'],
    ['ls \u2215etc', 'non-ascii'],
    ["ls '\u200b'", 'unicode-lookalike'],
    ["ls '\u202e'", 'unicode-lookalike'],
    ["ls '；'", 'unicode-lookalike'],
    ["ls 'e\u0301'", 'unicode-lookalike'],
    ['ls\u00a0-la', 'unicode-lookalike'],
    ['', 'empty'],
    ['    ', 'empty'],
    ["''", 'argv:[""]'],
  ])('refuses %j (%s)', (line, rule) => {
    expect(ruleOf(line)).toBe(rule);
  });

  it('refuses over-long lines and too many arguments', () => {
    expect(ruleOf(`ls ${'a'.repeat(2000)}`)).toBe('line-too-long');
    expect(
      parseCommandLine('ls a', { maxLineLength: 3 }).ok,
    ).toBe(false);
    expect(ruleOf(`ls ${'a '.repeat(100)}`)).toBe('too-many-arguments');
  });

  it('names the look-alike in its message', () => {
    const r = parseCommandLine('ls ；id');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.decision.message).toContain('";"');
  });

  it('only produces rule ids that are documented', () => {
    const lines = [
      'ls | sh', 'ls; id', 'ls &', 'ls > x', 'cat <<E', 'ls $(id)', 'ls $X',
      "ls $'x'", 'ls *', 'ls ~', 'ls #', 'ls !', 'l\\s', '(ls)', "ls '",
      'ls\n', 'ls ；', 'ls é', '', `ls ${'a'.repeat(2000)}`,
    ];
    const rules = lines.map(line => {
      const r = parseCommandLine(line);
      return r.ok ? 'parsed' : r.decision.rule;
    });
    for (const rule of rules) expect(TERMINAL_RULES).toHaveProperty(rule);
  });
});
