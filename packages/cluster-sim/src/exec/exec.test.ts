import { CommandNotFoundError } from '../contracts';
import {
  makeContainer,
  manualClock,
  run,
  sh,
  start,
  T0,
} from './__testUtils__/harness';

const java = () => makeContainer();
const node = () =>
  makeContainer({
    podName: 'user-portal-5c7d8-abcde',
    image: 'registry.fincloud.example/web/user-portal:2.3.0',
    namespace: 'web',
    labels: { app: 'user-portal', version: 'v2' },
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: 'user-portal-5c7d8-abcde',
    },
  });

describe('images', () => {
  it('seeds a Java image: app, config, growing logs, a JVM', async () => {
    const { container } = java();
    const r = await sh(
      container,
      'ls /opt/app /opt/app/config; head -1 /var/log/app/app.log; jps; java -version 2>&1 | head -1; cat /etc/os-release | head -1',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('app.jar');
    expect(r.out).toContain('application.yaml');
    expect(r.out).toMatch(
      /INFO 1 --- \[payment-gateway\] \[ +main\] .*Starting PaymentGatewayApplication v1 using Java 21/,
    );
    expect(r.out).toMatch(/^1 app\.jar$/m);
    expect(r.out).toContain('openjdk version "21.0.4"');
    expect(r.out).toContain('PRETTY_NAME="Ubuntu 22.04.4 LTS"');
  });

  it('seeds a Node image on Alpine: package.json, server.js, node_modules, node -v', async () => {
    const { container } = node();
    const r = await sh(
      container,
      'pwd; ls; cat package.json | grep \'"name"\'; ls node_modules | head -2; node -v; cat /etc/os-release | head -1; ls -l /bin/ls',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/usr\/src\/app$/m);
    expect(r.out).toMatch(/node_modules\npackage\.json\nserver\.js/);
    expect(r.out).toContain('"name": "user-portal"');
    expect(r.out).toContain('body-parser\nexpress');
    expect(r.out).toContain('v20.17.0');
    expect(r.out).toContain('NAME="Alpine Linux"');
    expect(r.out).toMatch(/lrwxrwxrwx .* \/bin\/ls -> \/bin\/busybox/);
    const noJvm = await run(container, ['sh', '-c', 'jps']);
    expect(noJvm.code).toBe(127);
    expect(noJvm.err).toBe('sh: jps: not found\n');
  });

  it('has the pod identity and a service-account token that looks real', async () => {
    const { container, context } = java();
    const r = await sh(
      container,
      'cat /etc/hostname; hostname; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/token',
    );
    const [host1, host2, ns, token] = r.out.split('\n');
    expect(host1).toBe(context.podName);
    expect(host2).toBe(context.podName);
    expect(ns).toBe('payments');
    expect(token).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{300,}$/);
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1], 'base64url').toString(),
    );
    expect(payload.sub).toBe('system:serviceaccount:payments:default');
  });

  it('keeps its filesystem across exec sessions of the same container', async () => {
    const { container } = java();
    expect((await sh(container, 'echo persisted > /tmp/note')).code).toBe(0);
    expect((await sh(container, 'cat /tmp/note')).out).toBe('persisted\n');
  });
});

describe('exec without a shell', () => {
  it('runs argv directly', async () => {
    const { container } = java();
    const r = await run(container, ['ls', '-1', '/opt/app']);
    expect(r).toEqual({ code: 0, out: 'app.jar\nconfig\n', err: '' });
  });

  it.each([['python3'], ['perl'], ['/usr/bin/nope'], ['ｌｓ'], ['bash\0-c']])(
    'throws CommandNotFoundError for %j',
    async cmd => {
      const { container } = java();
      await expect(
        run(container, [cmd, '-c', 'print(1)']),
      ).rejects.toBeInstanceOf(CommandNotFoundError);
    },
  );

  it('rejects an empty argv', async () => {
    await expect(run(java().container, [])).rejects.toBeInstanceOf(
      CommandNotFoundError,
    );
  });
});

describe('exit codes', () => {
  it.each([
    ['exit 7', 7],
    ['false', 1],
    ['true', 0],
    ['exit 300', 44],
    ['nope-cmd', 127],
    ['/etc/passwd', 126],
    ['/tmp', 126],
    ['ls /nope', 2],
    ['grep -q root /etc/passwd', 0],
    ['grep -q nobody-here /etc/passwd', 1],
    ['! true', 1],
    ['false || true', 0],
    ['true && false', 1],
    ['(exit 3); echo $?', 0],
    ['curl -s http://example.com', 6],
    ['test -d /opt', 0],
    ['[ 1 -gt 2 ]', 1],
  ])('sh -c %j → %d', async (script, code) => {
    expect((await sh(java().container, script)).code).toBe(code);
  });

  it('prints "not found" the way the image\'s shell does', async () => {
    expect((await sh(java().container, 'nope-cmd')).err).toBe(
      'sh: 1: nope-cmd: not found\n',
    );
    expect((await sh(node().container, 'nope-cmd')).err).toBe(
      'sh: nope-cmd: not found\n',
    );
    expect((await run(java().container, ['bash', '-c', 'nope-cmd'])).err).toBe(
      'bash: nope-cmd: command not found\n',
    );
  });

  it('returns 130 when the client aborts a long-running command', async () => {
    const { container } = java();
    const s = start(container, ['sleep', '1000']);
    await new Promise(r => setTimeout(r, 20));
    s.abort();
    expect(await s.code).toBe(130);
  });
});

describe('the shell', () => {
  it.each([
    ['echo a; echo b', 'a\nb\n'],
    ['echo a && echo b || echo c', 'a\nb\n'],
    ['false && echo no || echo yes', 'yes\n'],
    ['echo hello world | tr a-z A-Z | cut -d" " -f2', 'WORLD\n'],
    ['echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f', 'one\ntwo\n'],
    ['echo x > /tmp/g; wc -l < /tmp/g', '1\n'],
    [
      'echo \'single $HOME\' "double $HOME" plain\\ space',
      'single $HOME double /root plain space\n',
    ],
    ['X=1; Y=two; echo $X ${Y} ${Z:-dflt} ${#Y}', '1 two dflt 3\n'],
    ['false; echo $?; true; echo $?', '1\n0\n'],
    [
      'cd /opt/app/config && ls *.yaml && ls /etc/host*',
      'application.yaml\n/etc/hostname\n/etc/hosts\n',
    ],
    ['echo /nomatch*', '/nomatch*\n'],
    ["export GREETING=hi; sh -c 'echo $GREETING'", 'hi\n'],
    ['UNEXPORTED=1; sh -c \'echo "[$UNEXPORTED]"\'', '[]\n'],
    ['cd /tmp; pwd; cd; pwd; cd -', '/tmp\n/root\n/tmp\n'],
    ['echo start # a comment\necho end', 'start\nend\n'],
    ['echo con\\\ntinued', 'continued\n'],
    ['echo $(echo nested $(hostname | cut -c1-7))', 'nested payment\n'],
    ['echo `echo back`ticks', 'backticks\n'],
    ['echo $((3 * (4 + 5) - 2 ** 3)) $((7 / 2)) $((7 % 3))', '19 3 1\n'],
    ['for i in 1 2 3; do echo -n "$i,"; done; echo', '1,2,3,\n'],
    ['n=0; while [ $n -lt 3 ]; do n=$((n+1)); done; echo $n', '3\n'],
    [
      'if [ -f /etc/passwd ]; then echo file; elif true; then echo no; else echo never; fi',
      'file\n',
    ],
    ['{ echo a; echo b; } | wc -l', '2\n'],
    ['(cd /tmp; pwd); pwd', '/tmp\n/opt/app\n'],
    ['echo err 1>&2 2>/dev/null', ''],
    [
      'ls /nope 2>&1 | head -1',
      "ls: cannot access '/nope': No such file or directory\n",
    ],
    ['ls /nope 2>/dev/null; echo $?', '2\n'],
    ['set -- a b c; echo $# $2 "$@"', '3 b a b c\n'],
    ['v=/opt/app/app.jar; echo ${v##*/} ${v%/*}', 'app.jar /opt/app\n'],
    ['echo "x y z" | { read a b; echo "$a-$b"; }', 'x-y z\n'],
    ['printf "%s=%03d\\n" a 7 b 42', 'a=007\nb=042\n'],
    ['type cd; command -v ls', 'cd is a shell builtin\n/bin/ls\n'],
    ['eval "echo evaluated"', 'evaluated\n'],
    [
      'echo "#!/bin/sh\necho from script \\$1" > /tmp/s.sh; chmod +x /tmp/s.sh; /tmp/s.sh arg',
      'from script arg\n',
    ],
    ['echo "echo sourced" > /tmp/lib.sh; . /tmp/lib.sh', 'sourced\n'],
  ])('%j', async (script, expected) => {
    const r = await sh(java().container, script);
    expect(r.out).toBe(expected);
  });

  it.each([
    [
      "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! | grep -cE '(a+)+$'",
      '0\n',
    ],
    [
      "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! | sed -E 's/(a|aa)+$/x/'",
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n',
    ],
    ["echo ab | sed 's/\\(a\\)\\(b\\)/\\2\\1/'", 'ba\n'],
    ["echo 'x:y:z' | awk -F: '{print $2, NF}'", 'y 3\n'],
    ["printf '%s-%s\\n' a b c d", 'a-b\nc-d\n'],
    ["echo hello | grep -o 'l\\+'", 'll\n'],
  ])('user patterns run in linear time: %j', async (script, expected) => {
    expect((await sh(java().container, script)).out).toBe(expected);
  });

  it('reports syntax errors like dash and bash', async () => {
    expect(await sh(java().container, 'echo "unterminated')).toEqual({
      code: 2,
      out: '',
      err: 'sh: 1: syntax error: unterminated quoted string\n',
    });
    expect(
      (await run(java().container, ['bash', '-c', 'if true; then echo'])).err,
    ).toBe('bash: syntax error: unexpected end of file\n');
    expect((await run(java().container, ['bash', '-c', 'fi'])).err).toBe(
      "bash: syntax error near unexpected token `fi'\n",
    );
  });

  it('runs commands arriving on a non-terminal stdin (kubectl exec -i ... sh)', async () => {
    const r = await run(
      java().container,
      ['sh'],
      'echo first\ncd /etc\npwd\nexit 4\necho never\n',
    );
    expect(r).toEqual({ code: 4, out: 'first\n/etc\n', err: '' });
  });

  it('stops an endless loop when aborted, without starving the event loop', async () => {
    const s = start(java().container, ['sh', '-c', 'while true; do :; done']);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await new Promise(r => setTimeout(r, 60));
    s.abort();
    expect(await s.code).toBe(130);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('commands', () => {
  it('ls -la, -h, -R', async () => {
    const { container } = java();
    const la = await sh(container, 'ls -la /opt/app');
    expect(la.out).toMatch(
      /^total \d+\ndrwxr-xr-x +\d+ root root +4096 \w{3} [ \d]\d \d\d:\d\d \.\ndrwxr-xr-x .* \.\.\n-rw-r--r-- +1 root root 52441145 .* app\.jar\ndrwxr-xr-x .* config\n$/,
    );
    expect((await sh(container, 'ls -lh /opt/app/app.jar')).out).toMatch(
      / 51M .* \/opt\/app\/app\.jar/,
    );
    expect(
      (
        await sh(
          container,
          'mkdir -p /tmp/r/s && touch /tmp/r/s/t && ls -R /tmp/r',
        )
      ).out,
    ).toBe('/tmp/r:\ns\n\n/tmp/r/s:\nt\n');
  });

  it('cat, head, tail, wc, grep', async () => {
    const { container } = java();
    const r = await sh(
      container,
      [
        'printf "alpha\\nBeta\\ngamma\\nbeta\\n" > /tmp/t',
        'head -n 2 /tmp/t',
        'tail -1 /tmp/t',
        'wc -l /tmp/t',
        'grep -i beta /tmp/t',
        'grep -v -n a /tmp/t; echo "rc=$?"',
        'grep -c a /tmp/t',
        'grep -r -l "mvn\\|spring" /opt/app/config',
        'cat -n /tmp/t | tail -1',
      ].join('; '),
    );
    expect(r.out).toBe(
      'alpha\nBeta\nbeta\n4 /tmp/t\nBeta\nbeta\nrc=1\n4\n/opt/app/config/application.yaml\n/opt/app/config/logback-spring.xml\n     4\tbeta\n',
    );
  });

  it('streams a huge file in chunks and honours a slow reader (back-pressure hook)', async () => {
    const { container } = java();
    let inFlight = 0;
    let maxInFlight = 0;
    let bytes = 0;
    const s = start(
      container,
      ['cat', '/var/log/app/archive/app-2024-11-27.log'],
      {
        stdout: chunk => {
          bytes += chunk.length;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return new Promise<void>(resolve =>
            setImmediate(() => {
              inFlight--;
              resolve();
            }),
          );
        },
      },
    );
    expect(await s.code).toBe(0);
    expect(bytes).toBe(64 * 1024 * 1024);
    expect(s.chunks.length).toBeGreaterThan(500);
    expect(Math.max(...s.chunks.map(c => c.length))).toBeLessThanOrEqual(
      64 * 1024,
    );
    expect(maxInFlight).toBe(1);
  });

  it('stops the writer of a pipe when the reader is done (cat huge | head)', async () => {
    const r = await sh(
      java().container,
      'cat /var/log/app/archive/app-2024-11-27.log | head -2 | wc -l',
    );
    expect(r.out).toBe('2\n');
  });

  it('tail -f follows the growing app log on the container clock until aborted', async () => {
    const { container, clock } = java();
    const s = start(container, [
      'tail',
      '-n',
      '1',
      '-f',
      '/var/log/app/app.log',
    ]);
    await s.waitFor(o => o.split('\n').length === 2, 'the last line');
    const before = s.out().split('\n').length;
    await clock.advance(5000);
    await s.waitFor(
      o => o.split('\n').length > before + 3,
      'new lines after 5 s',
    );
    s.abort();
    expect(await s.code).toBe(130);
    expect(s.out()).toMatch(/Captured payment/);
  });

  it('ps, top, free, df, uptime, id, whoami, date use the container and its clock', async () => {
    const { container } = java();
    const r = await sh(
      container,
      'ps aux; ps -ef | head -2; top -b -n1 | head -1; free -m | head -1; df -h | head -2; uptime; id; whoami; date; date -u +%s',
    );
    expect(r.out).toMatch(
      /^USER +PID %CPU %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND\nroot +1 .* java -XX:MaxRAMPercentage=75 -XX:\+UseG1GC -jar \/opt\/app\/app\.jar\n/,
    );
    expect(r.out).toMatch(/root +\d+ .* ps aux\n/);
    expect(r.out).toMatch(/UID +PID +PPID +C STIME TTY +TIME CMD\nroot +1 +0 /);
    expect(r.out).toMatch(
      /top - 10:42:01 up 2 days, .* load average: [\d.]+, [\d.]+, [\d.]+\n/,
    );
    expect(r.out).toMatch(
      / +total +used +free +shared +buff\/cache +available\n/,
    );
    expect(r.out).toMatch(
      /Filesystem +Size +Used +Avail +Use% +Mounted on\noverlay +98G/,
    );
    expect(r.out).toMatch(/^ 10:42:01 up 2 days, /m);
    expect(r.out).toContain(
      'uid=0(root) gid=0(root) groups=0(root)\nroot\nThu Nov 28 10:42:01 UTC 2024\n',
    );
    expect(r.out.trim().split('\n').pop()).toBe(String(T0 / 1000));
  });

  it('env and printenv show the container env', async () => {
    const r = await sh(
      java().container,
      'env | grep ^KUBERNETES_SERVICE_HOST; printenv HOSTNAME; printenv NOPE; echo $?',
    );
    expect(r.out).toBe(
      'KUBERNETES_SERVICE_HOST=10.96.0.1\npayment-gateway-7d9f8b6c5-x2k4p\n1\n',
    );
  });

  it('mkdir, touch, cp, mv, rm -rf work on the in-memory filesystem only', async () => {
    const r = await sh(
      java().container,
      'mkdir /tmp/d && touch /tmp/d/a && cp /tmp/d/a /tmp/d/b && mv /tmp/d/b /tmp/d/c && ls /tmp/d && rm -rf /tmp/d && ls /tmp/d; echo $?; rm -rf /',
    );
    expect(r.out).toBe('a\nc\n2\n');
    expect(r.err).toContain(
      "rm: it is dangerous to operate recursively on '/'",
    );
  });

  it('find -name, -type, -exec runs the emulated command', async () => {
    const r = await sh(
      java().container,
      'find /opt/app -type f -name "*.yaml"; find /opt/app -maxdepth 1 -type d; find /opt/app/config -name "*.xml" -exec wc -l {} \\;',
    );
    expect(r.out).toMatch(
      /^\/opt\/app\/config\/application\.yaml\n\/opt\/app\n\/opt\/app\/config\n\d+ \/opt\/app\/config\/logback-spring\.xml\n$/,
    );
  });

  it('sleep waits on the container clock; kill stops a background job', async () => {
    const { container, clock } = java();
    const s = start(container, ['sh', '-c', 'sleep 30; echo woke']);
    await new Promise(r => setTimeout(r, 20));
    expect(s.out()).toBe('');
    await clock.advance(30_000);
    expect(await s.code).toBe(0);
    expect(s.out()).toBe('woke\n');
    const k = start(container, [
      'sh',
      '-c',
      'sleep 1000 & kill %1; wait; echo $?',
    ]);
    expect(await k.code).toBe(0);
    expect(k.out()).toBe('143\n');
  });

  it('PID 1 ignores kill from inside the container', async () => {
    const r = await sh(
      java().container,
      "kill -9 1; echo $?; ps aux | awk '$2==1' | wc -l",
    );
    expect(r.out).toBe('0\n1\n');
  });

  it('netstat, ss and nslookup describe the pod network', async () => {
    const r = await sh(
      java().container,
      'netstat -tlnp; ss -tlnp | tail -1; nslookup risk-engine.risk; nslookup no-such-svc; echo rc=$?',
    );
    expect(r.out).toContain(
      'tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      1/java',
    );
    expect(r.out).toMatch(
      /LISTEN 0 +100 +\*:8080 +\*:\* +users:\(\("java",pid=1,fd=11\)\)/,
    );
    expect(r.out).toContain(
      'Name:\trisk-engine.risk.svc.cluster.local\nAddress: 10.96.14.201\n',
    );
    expect(r.out).toContain(
      "** server can't find no-such-svc.payments.svc.cluster.local: NXDOMAIN",
    );
    expect(r.out).toMatch(/rc=1\n$/);
  });

  it('curl reaches cluster Services through httpRequest only', async () => {
    const { container, calls } = java();
    const r = await sh(
      container,
      'curl -s http://risk-engine.risk:8080/score; echo; curl -s -o /tmp/out -w "%{http_code}\\n" risk-engine.risk/x; cat /tmp/out; echo; curl -sf risk-engine.risk/fail; echo rc=$?; curl -s https://example.com; echo rc=$?',
    );
    expect(r.out).toBe(
      '{"workload":"risk-engine","version":"v2","status":"UP"}\n200\n{"workload":"risk-engine","version":"v2","status":"UP"}\nrc=22\nrc=6\n',
    );
    expect(calls.map(c => `${c.method} ${c.url}`)).toEqual([
      'GET http://risk-engine.risk:8080/score',
      'GET http://risk-engine.risk/x',
      'GET http://risk-engine.risk/fail',
      'GET https://example.com/',
    ]);
    const loud = await sh(container, 'curl http://example.com');
    expect(loud.err).toBe('curl: (6) Could not resolve host: example.com\n');
  });

  it("curl to localhost reaches the container's own app; metadata endpoints never answer", async () => {
    const { container, calls } = java();
    const r = await sh(
      container,
      'curl -s localhost:8080/actuator/health; echo; curl -s http://127.0.0.1:9999/; echo rc=$?; curl -s http://169.254.169.254/latest/meta-data/; echo rc=$?',
    );
    expect(r.out).toBe(
      '{"status":"UP","groups":["liveness","readiness"]}\nrc=7\nrc=7\n',
    );
    expect(calls).toEqual([]);
  });

  it('wget saves to the in-memory filesystem', async () => {
    const r = await sh(
      java().container,
      'wget -q -O /tmp/w http://risk-engine.risk/; cat /tmp/w; echo; wget -q http://nowhere.example; echo rc=$?',
    );
    expect(r.out).toBe(
      '{"workload":"risk-engine","version":"v2","status":"UP"}\nrc=4\n',
    );
  });

  it('jstat and jcmd inspect the JVM', async () => {
    const r = await sh(
      java().container,
      'jstat -gc 1; jstat -gcutil 1; jcmd 1 VM.flags; jcmd 1 GC.heap_info; jstat -gc 42',
    );
    expect(r.out).toMatch(
      /^ +S0C +S1C +S0U +S1U +EC +EU +OC +OU +MC +MU +CCSC +CCSU +YGC +YGCT +FGC +FGCT +CGC +CGCT +GCT *\n( +[\d.]+){19}\n/,
    );
    expect(r.out).toMatch(
      / +S0 +S1 +E +O +M +CCS +YGC +YGCT +FGC +FGCT +CGC +CGCT +GCT *\n( +[\d.]+){13}\n/,
    );
    expect(r.out).toMatch(/1:\n-XX:CICompilerCount=3 .*-XX:\+UseG1GC/);
    expect(r.out).toMatch(/1:\n garbage-first heap +total 524288K, used \d+K/);
    expect(r.err).toBe('42 not found\n');
  });

  it('jstat with an interval prints on the clock until the count', async () => {
    const { container, clock } = java();
    const s = start(container, ['jstat', '-gcutil', '1', '1000', '3']);
    await s.waitFor(o => o.split('\n').length === 3, 'first sample');
    await clock.advance(1000);
    await s.waitFor(o => o.split('\n').length === 4, 'second sample');
    await clock.advance(1000);
    expect(await s.code).toBe(0);
    expect(s.out().trim().split('\n')).toHaveLength(4);
  });

  it('vi refuses politely; java -jar does not start a second app', async () => {
    const r = await sh(
      java().container,
      'vi /etc/hosts; echo rc=$?; java -jar /opt/app/app.jar | grep "Port 8080 was"',
    );
    expect(r.err).toMatch(
      /^vi: editing files is not supported in this emulated container/,
    );
    expect(r.out).toContain('rc=1\n');
    expect(r.out).toContain(
      'Web server failed to start. Port 8080 was already in use.',
    );
  });

  it('node -e and friends never run code', async () => {
    const r = await sh(
      node().container,
      "node -e \"require('child_process').execSync('id')\"; echo rc=$?",
    );
    expect(r.out).toBe('rc=1\n');
    expect(r.err).toMatch(
      /node: running JavaScript is not supported in this emulated container/,
    );
  });
});

describe('interactive terminal', () => {
  it('shows a prompt, echoes keys, handles backspace and CR LF', async () => {
    const s = start(node().container, ['sh'], { tty: true, stdin: true });
    await s.waitFor(o => o.endsWith('/usr/src/app # '), 'the prompt');
    s.keyboard.type('echo hellx');
    s.keyboard.type('\x7f');
    s.keyboard.type('o\r');
    await s.waitFor(o => o.includes('hello\r\n/usr/src/app # '), 'the output');
    expect(s.out()).toContain('echo hellx\b \bo\r\nhello\r\n');
    s.keyboard.type('exit 5\r');
    expect(await s.code).toBe(5);
  });

  it('^C interrupts the running command with 130 and returns to the prompt', async () => {
    const s = start(java().container, ['bash'], { tty: true, stdin: true });
    await s.waitFor(
      o => o.endsWith('root@payment-gateway-7d9f8b6c5-x2k4p:/opt/app# '),
      'the bash prompt',
    );
    s.keyboard.type('sleep 100\r');
    await s.waitFor(o => o.includes('sleep 100\r\n'), 'the command');
    s.keyboard.type('\x03');
    await s.waitFor(o => o.includes('^C'), '^C');
    s.keyboard.type('echo $?\r');
    await s.waitFor(o => o.includes('130\r\n'), 'status 130');
    s.keyboard.type('\x04');
    expect(await s.code).toBe(0);
  });

  it('resizing changes stty size and tput cols', async () => {
    const s = start(java().container, ['sh'], { tty: true, stdin: true });
    await s.waitFor(o => o.endsWith('# '), 'the prompt');
    s.resize(132, 43);
    s.keyboard.type('stty size; tput cols\r');
    await s.waitFor(o => o.includes('43 132\r\n132\r\n'), 'the new size');
    s.keyboard.type('exit\r');
    expect(await s.code).toBe(0);
  });

  it('continues an incomplete line with PS2 and recalls history with the up arrow', async () => {
    const s = start(node().container, ['sh'], { tty: true, stdin: true });
    await s.waitFor(o => o.endsWith('# '), 'the prompt');
    s.keyboard.type('echo "a\r');
    await s.waitFor(o => o.endsWith('> '), 'PS2');
    s.keyboard.type('b"\r');
    await s.waitFor(o => o.includes('a\r\nb\r\n'), 'the joined output');
    s.keyboard.type('\x1b[A');
    s.keyboard.type('\r');
    await s.waitFor(
      o => o.split('a\r\nb\r\n').length === 3,
      'the recalled command',
    );
    s.keyboard.type('exit\r');
    expect(await s.code).toBe(0);
  });

  it('less prints the file and refuses !command escapes', async () => {
    const s = start(java().container, ['less', '/etc/hostname'], {
      tty: true,
      stdin: true,
    });
    await s.waitFor(o => o.includes('(END)'), 'the pager');
    s.keyboard.type('!id\r');
    await s.waitFor(o => o.includes('!id: not supported'), 'the refusal');
    s.keyboard.type('q');
    expect(await s.code).toBe(0);
    expect(s.out()).toContain('payment-gateway-7d9f8b6c5-x2k4p\r\n');
    expect(s.out()).not.toContain('uid=0');
  });

  it('top without -n refreshes until q', async () => {
    const { container, clock } = java();
    const s = start(container, ['top'], { tty: true, stdin: true });
    await s.waitFor(o => o.includes('PID USER'), 'the first frame');
    await clock.advance(3000);
    await s.waitFor(o => o.split('PID USER').length === 3, 'the second frame');
    s.keyboard.type('q');
    expect(await s.code).toBe(0);
  });
});

describe('clock', () => {
  it('uses the injected clock for date and uptime', async () => {
    const clock = manualClock(Date.UTC(2025, 0, 2, 3, 4, 5));
    const { container } = makeContainer({}, clock);
    expect((await sh(container, 'date +"%F %T"')).out).toBe(
      '2025-01-02 03:04:05\n',
    );
  });
});
