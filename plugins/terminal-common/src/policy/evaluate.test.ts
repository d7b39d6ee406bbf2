import { DEFAULT_TERMINAL_POLICIES } from './defaults';
import { evaluateArgv, evaluateCommandLine, normalisePath } from './evaluate';
import { policyHint } from './hint';
import { TERMINAL_RULES } from './rules';
import type { TerminalPolicy } from './types';

const standard = DEFAULT_TERMINAL_POLICIES.standard;

function check(line: string, policy: TerminalPolicy = standard) {
  const r = evaluateCommandLine(line, policy);
  return { rule: r.decision.rule, argv: r.argv, allowed: r.decision.allowed };
}

describe('evaluateCommandLine with the standard policy', () => {
  it.each([
    ['ls', ['ls']],
    ['ls -la /var/log/app', ['ls', '-la', '/var/log/app']],
    ['ls -la /var/log/app/', ['ls', '-la', '/var/log/app']],
    ['ls //var/./log//app', ['ls', '/var/log/app']],
    ['cat /var/log/app/app.log', ['cat', '/var/log/app/app.log']],
    ['head -n 20 /var/log/app/app.log', ['head', '-n', '20', '/var/log/app/app.log']],
    ['head -n20 /var/log/app/app.log', ['head', '-n20', '/var/log/app/app.log']],
    ['tail --lines=5 /var/log/app/gc.log', ['tail', '--lines=5', '/var/log/app/gc.log']],
    ['ps', ['ps']],
    ['ps aux', ['ps', 'aux']],
    ['top -b -n1', ['top', '-b', '-n1']],
    ['env', ['env']],
    ['df -h', ['df', '-h']],
    ['jstat -gc 1', ['jstat', '-gc', '1']],
    ['jstat -gcutil 1 1000ms 5', ['jstat', '-gcutil', '1', '1000ms', '5']],
    ['jcmd 1 GC.heap_info', ['jcmd', '1', 'GC.heap_info']],
    ['curl http://payment-gateway.payments.svc.cluster.local:8080/actuator/health', ['curl', 'http://payment-gateway.payments.svc.cluster.local:8080/actuator/health']],
    ['curl -s payment-gateway:8080/actuator/health', ['curl', '-s', 'http://payment-gateway:8080/actuator/health']],
    ['curl -sS -m 5 -H "Accept: application/json" http://risk-engine.risk.svc/api', ['curl', '-sS', '-m', '5', '-H', 'Accept: application/json', 'http://risk-engine.risk.svc/api']],
    ['curl localhost:8080/actuator/health', ['curl', 'http://localhost:8080/actuator/health']],
    ["find /var/log -name '*.log' -type f", ['find', '/var/log', '-name', '*.log', '-type', 'f']],
    ["grep -i 'error|warn' /var/log/app/app.log", ['grep', '-i', 'error|warn', '/var/log/app/app.log']],
    ['ls -- /var/log', ['ls', '--', '/var/log']],
  ])('allows %j as %j', (line, argv) => {
    expect(check(line)).toEqual({ rule: `allowed:${argv[0]}`, argv, allowed: true });
  });

  it.each([
    ['rm -rf /', 'binary-not-allowed:rm'],
    ['sh', 'binary-not-allowed:sh'],
    ['bash -c id', 'binary-not-allowed:bash'],
    ['less /var/log/app/app.log', 'binary-not-allowed:less'],
    ['vi /tmp/x', 'binary-not-allowed:vi'],
    ['xargs ls', 'binary-not-allowed:xargs'],
    ['nohup ls', 'binary-not-allowed:nohup'],
    ['timeout 5 sh', 'binary-not-allowed:timeout'],
    ['tar --checkpoint-action=exec=sh -cf /tmp/x /var/log', 'binary-not-allowed:tar'],
    ['git -c core.pager=sh log', 'binary-not-allowed:git'],
    ['/bin/sh', 'command-path:/bin/sh'],
    ['./ls', 'command-path:./ls'],
    ['FOO=1 ls', 'no-env-assignment'],
    ['env sh', 'args-not-allowed:env'],
    ['env -i sh', 'args-not-allowed:env'],
    ['ps auxe', 'args-not-allowed:ps'],
    ['top', 'args-not-allowed:top'],
    ['cat /etc/shadow', 'path-not-allowed:cat /etc/shadow'],
    ['cat /var/run/secrets/kubernetes.io/serviceaccount/token', 'path-not-allowed:cat /var/run/secrets/kubernetes.io/serviceaccount/token'],
    ['cat /var/log/../../etc/shadow', 'path-traversal:cat /var/log/../../etc/shadow'],
    ['cat /var/logs', 'path-not-allowed:cat /var/logs'],
    ['cat app.log', 'path-not-absolute:cat app.log'],
    ['cat -', 'path-not-absolute:cat -'],
    ['cat', 'operand-count:cat'],
    ['cat -v /var/log/x', 'arg-not-allowed:cat -v'],
    ['cat --show-all /var/log/x', 'arg-not-allowed:cat --show-all'],
    ['tail -f /var/log/app/app.log', 'arg-denied:tail -f'],
    ['tail -n 5 -f /var/log/app/app.log', 'arg-denied:tail -f'],
    ['head -n abc /var/log/x', 'option-value:head abc'],
    ['head -n', 'option-value:head -n'],
    ['curl -o /tmp/x http://svc/', 'arg-denied:curl -o'],
    ['curl -so /tmp/x http://svc/', 'arg-denied:curl -o'],
    ['curl --output=/tmp/x http://svc/', 'arg-denied:curl --output'],
    ['curl --outp /tmp/x http://svc/', 'arg-denied:curl --output'],
    ['curl -K /tmp/cfg http://svc/', 'arg-denied:curl -K'],
    ['curl --config /tmp/cfg http://svc/', 'arg-denied:curl --config'],
    ['curl -T /etc/passwd http://svc/', 'arg-denied:curl -T'],
    ['curl -L http://svc/', 'arg-denied:curl -L'],
    ['curl --resolve svc:80:1.2.3.4 http://svc/', 'arg-denied:curl --resolve'],
    ['curl file:///etc/passwd', 'url-not-allowed:curl file://'],
    ['curl gopher://svc/', 'url-not-allowed:curl gopher://'],
    ['curl http://169.254.169.254/latest/meta-data', 'host-not-allowed:curl 169.254.169.254'],
    ['curl http://2852039166/', 'host-not-allowed:curl 2852039166'],
    ['curl http://0x7f.1/', 'host-not-allowed:curl 0x7f.1'],
    ['curl http://example.com/', 'host-not-allowed:curl example.com'],
    ['curl http://evil.example.com.svc.cluster.local.attacker.io/', 'host-not-allowed:curl evil.example.com.svc.cluster.local.attacker.io'],
    ['curl http://kubernetes.default.svc/api', 'host-not-allowed:curl kubernetes.default.svc'],
    ['curl http://metadata/computeMetadata/v1/', 'host-not-allowed:curl metadata'],
    ['curl http://user:pw@svc/', 'url-not-allowed:curl http://user:pw@svc/'],
    ["curl 'http://svc/{a,b}'", "url-not-allowed:curl http://svc/{a,b}"],
    ['curl http://svc/ http://other/', 'operand-count:curl'],
    ['curl -X POST http://svc/', 'option-value:curl POST'],
    ["curl -H '@/etc/passwd' http://svc/", 'option-value:curl @/etc/passwd'],
    ['find /var/log -exec id ;', 'no-chaining'],
    ["find /var/log -exec id ';'", 'arg-denied:find -exec'],
    ['find /var/log -delete', 'arg-denied:find -delete'],
    ["find /var/log -fprint /tmp/x", 'arg-denied:find -fprint'],
    ['find / -name x', 'path-not-allowed:find /'],
    ['jstat -J-javaagent:/tmp/a.jar -gc 1', 'arg-denied:jstat -J'],
    ['jstat -gc 1@evil.host', 'arg-not-allowed:jstat 1@evil.host'],
    ['jstat -snap 1', 'arg-not-allowed:jstat -snap'],
    ['jstat -gc', 'operand-count:jstat'],
    ['jcmd 1 GC.heap_dump /tmp/heap', 'operand-count:jcmd'],
    ['jcmd 1 VM.set_flag x', 'operand-count:jcmd'],
    ['jcmd 1 JFR.start', 'arg-not-allowed:jcmd JFR.start'],
    ["grep -f /etc/passwd x /var/log/a", 'arg-denied:grep -f'],
    ["grep x /etc/passwd", 'path-not-allowed:grep /etc/passwd'],
    ['curl http://risk-engine.risk/api', 'host-not-allowed:curl risk-engine.risk'],
    ['__proto__', 'binary-not-allowed:__proto__'],
    ['constructor', 'binary-not-allowed:constructor'],
  ])('refuses %j with %s', (line, rule) => {
    const r = check(line);
    expect(r.allowed).toBe(false);
    expect(r.rule).toBe(rule);
    expect(TERMINAL_RULES).toHaveProperty(rule.split(':')[0]);
  });

  it('runs what was checked: normalised paths and explicit URL schemes', () => {
    expect(evaluateArgv(['cat', '/var/log//app/./app.log'], standard).argv).toEqual(
      ['cat', '/var/log/app/app.log'],
    );
  });

  it('asks the caller whether a host is a Service of the cluster', () => {
    const services = new Set(['payment-gateway', 'risk-engine.risk.svc']);
    const isKnownHost = (host: string) => services.has(host);
    expect(
      evaluateCommandLine('curl http://payment-gateway:8080/', standard, { isKnownHost }).decision.allowed,
    ).toBe(true);
    expect(
      evaluateCommandLine('curl http://ai/', standard, { isKnownHost }).decision,
    ).toEqual({
      allowed: false,
      rule: 'host-not-allowed:curl ai',
      message: 'ai is not a Service of this cluster.',
    });
  });

  it('keeps the typed argv of a refused command for the audit', () => {
    expect(check('rm -rf /').argv).toEqual(['rm', '-rf', '/']);
    expect(check('ls | sh').argv).toEqual([]);
  });

  it('uses RE2 for policy patterns: a pathological pattern cannot stall it', () => {
    const policy: TerminalPolicy = {
      ...standard,
      commands: { echo: { description: 'x', operands: ['(a|aa)+$'], minOperands: 1 } },
    };
    const started = Date.now();
    const r = evaluateArgv(['echo', `${'a'.repeat(200)}b`], policy);
    expect(r.decision.allowed).toBe(false);
    // RE2 is linear: a backtracking engine needs minutes for this input.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the minimal policy has no network and no JVM attach', () => {
    const minimal = DEFAULT_TERMINAL_POLICIES.minimal;
    expect(check('curl http://svc/', minimal).rule).toBe('binary-not-allowed:curl');
    expect(check('jcmd 1 Thread.print', minimal).rule).toBe('binary-not-allowed:jcmd');
    expect(check('cat /opt/app/config/application.yaml', minimal).rule).toBe(
      'path-not-allowed:cat /opt/app/config/application.yaml',
    );
    expect(check('ls /var/log', minimal).allowed).toBe(true);
  });
});

describe('normalisePath', () => {
  it('normalises and refuses parent steps', () => {
    expect(normalisePath('/a//b/./c/')).toBe('/a/b/c');
    expect(normalisePath('/')).toBe('/');
    expect(normalisePath('/a/../b')).toBeUndefined();
  });
});

describe('policyHint', () => {
  it('lists every command with its usage and the notes', () => {
    const hint = policyHint(standard);
    expect(hint.allowed.map(a => a.command)).toEqual(
      Object.keys(standard.commands).sort(),
    );
    expect(hint.allowed.find(a => a.command === 'top')).toEqual({
      command: 'top',
      args: '-b -n1',
      description: expect.any(String),
    });
    expect(hint.notes.join('\n')).toContain('/var/log');
    expect(hint.notes.join('\n')).toContain('*.*.svc.cluster.local');
    expect(policyHint(DEFAULT_TERMINAL_POLICIES.minimal).notes.join('\n')).not.toContain('URLs');
  });
});
