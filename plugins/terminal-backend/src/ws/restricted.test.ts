import request from 'supertest';
import { MASK } from '@fincloud/plugin-terminal-common';
import { PG, startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { TerminalClient } from '../__testUtils__/client';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';

jest.setTimeout(120_000);

describe('restricted mode over the WebSocket', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  let pod: string;
  let pete: string;

  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({
      sim,
      terminal: {
        limits: { commandTimeoutSeconds: 1, maxOutputBytesPerCommand: 20_000 },
      },
    });
    pod = sim.podOf('payments', 'payment-gateway');
    pete = await backend.tokenFor('pete');
  });

  afterAll(async () => {
    await backend?.stop();
    await sim?.stop();
  });

  const open = () =>
    TerminalClient.connect({
      port: backend.port,
      token: pete,
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
    });

  it('runs ls and ps in the pod and streams what they print', async () => {
    const client = open();
    const ready = await client.ready();
    expect(ready).toMatchObject({ mode: 'restricted', recording: true });
    expect(Date.parse(ready.expiresAt!)).toBeGreaterThan(Date.now() + 59 * 60_000);

    const ls = await client.run('ls -l /var/log/app');
    expect(ls.decision).toEqual({ allowed: true, rule: 'allowed:ls', message: 'ls is allowed.' });
    expect(ls.output).toMatch(/app\.log\r\n/);
    expect(ls.output).not.toMatch(/[^\r]\n/); // CRLF line ends for the terminal
    expect(ls.exit).toMatchObject({ code: 0 });

    const ps = await client.run('ps aux');
    expect(ps.output).toContain('java');
    expect(ps.exit?.code).toBe(0);

    const missing = await client.run('cat /var/log/app/nope.log');
    expect(missing.exit?.code).toBe(1);
    expect(missing.output).toContain('No such file');
    client.close();
    expect((await client.closed).code).toBe(1000);
  });

  it('refuses rm -rf / with the rule, audits it, and nothing reaches the pod', async () => {
    const client = open();
    await client.ready();
    const before = sim.execs.length;
    const result = await client.run('rm -rf /');
    expect(result.decision).toMatchObject({ allowed: false, rule: 'binary-not-allowed:rm' });
    expect(result.decision.message).toContain('not on the allow-list');
    await new Promise(r => setTimeout(r, 100));
    expect(sim.execs.length).toBe(before);
    const audit = backend.audit
      .of('terminal-command', 'failed')
      .find(e => e.meta.line === 'rm -rf /');
    expect(audit).toMatchObject({
      severityLevel: 'medium',
      actor: 'user:default/pete',
      meta: {
        entityRef: PG,
        cluster: 'sim',
        namespace: 'payments',
        pod,
        container: 'payment-gateway',
        argv: ['rm', '-rf', '/'],
        decision: 'refused',
        rule: 'binary-not-allowed:rm',
      },
    });
    client.close();
  });

  it('audits an allowed command with argv, exit code, duration and bytes', async () => {
    const client = open();
    const { sessionId } = await client.ready();
    const result = await client.run('head -n 3 /var/log/app/app.log');
    const done = backend.audit
      .of('terminal-command', 'succeeded')
      .find(e => e.meta.sessionId === sessionId);
    expect(done).toMatchObject({
      actor: 'user:default/pete',
      meta: {
        entityRef: PG,
        argv: ['head', '-n', '3', '/var/log/app/app.log'],
        decision: 'allowed',
        rule: 'allowed:head',
        exitCode: 0,
        bytesOut: Buffer.byteLength(result.output.replace(/\r\n/g, '\n')),
      },
    });
    expect(done!.meta.durationMs).toEqual(expect.any(Number));
    client.close();
    await client.closed;

    // The command log (GET /sessions/:id/commands) has the same.
    const log = await request(backend.server)
      .get(`/api/terminal/sessions/${sessionId}/commands`)
      .set('authorization', `Bearer ${pete}`);
    expect(log.status).toBe(200);
    expect(log.body.items).toEqual([
      expect.objectContaining({
        seq: 1,
        line: 'head -n 3 /var/log/app/app.log',
        argv: ['head', '-n', '3', '/var/log/app/app.log'],
        allowed: true,
        rule: 'allowed:head',
        exitCode: 0,
      }),
    ]);
  });

  it('masks secret values in env output, including the Secret the pod references', async () => {
    const client = open();
    await client.ready();
    const env = await client.run('env');
    expect(env.output).toContain('JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75');
    expect(env.output).toContain(`DB_CREDENTIAL=${MASK}`);
    expect(env.output).not.toContain('Tr0ub4dor-and-3-horses');
    client.close();
  });

  it('reaches cluster Services with curl and refuses hosts that are not Services', async () => {
    const client = open();
    await client.ready();
    const ok = await client.run('curl -s http://risk-engine.risk.svc.cluster.local:8080/actuator/health');
    expect(ok.decision.allowed).toBe(true);
    expect(ok.output).toContain('risk-engine');
    const no = await client.run('curl -s http://ledger-db:5432/');
    expect(no.decision).toMatchObject({ allowed: false, rule: 'host-not-allowed:curl ledger-db' });
    client.close();
  });

  it('stops a command at the timeout, on Ctrl-C, and when its output passes the cap', async () => {
    const client = open();
    await client.ready();
    // jstat samples on the simulator's clock, which does not move here: it would wait forever.
    const slow = await client.run('jstat -gc 1 1s 5');
    expect(slow.exit?.code).toBe(124);
    expect(client.messages.some(m => m.type === 'notice' && /stopped after 1 s/.test((m as any).message))).toBe(true);

    const from = client.messages.length;
    client.send({ type: 'line', line: 'jstat -gcutil 1 1s 5' });
    await client.waitFor('decision', { from });
    await new Promise(r => setTimeout(r, 200));
    client.send({ type: 'stdin', data: '\u0003' });
    const interrupted = await client.waitFor('exit', { from });
    expect(interrupted.code).toBe(130);

    const big = await client.run('cat /var/log/app/app.log');
    expect(big.exit?.code).toBe(141);
    expect(Buffer.byteLength(big.output)).toBeLessThan(30_000);
    client.close();
  });

  it('accepts one command at a time', async () => {
    const client = open();
    await client.ready();
    const from = client.messages.length;
    client.send({ type: 'line', line: 'jstat -gc 1 1s 5' });
    await client.waitFor('decision', { from });
    client.send({ type: 'line', line: 'ls' });
    const notice = await client.waitFor('notice', { from });
    expect(notice.message).toMatch(/still running/);
    await client.waitFor('exit', { from });
    client.close();
  });

  it('keeps the session on bad messages and tells why', async () => {
    const client = open();
    await client.ready();
    client.ws.send('not json');
    expect((await client.waitFor('notice')).message).toMatch(/not JSON/);
    client.ws.send(JSON.stringify({ nope: 1 }));
    client.ws.send(Buffer.from([1, 2, 3]));
    const ls = await client.run('ls');
    expect(ls.exit?.code).toBe(0);
    client.close();
  });
});
