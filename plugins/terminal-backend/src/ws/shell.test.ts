import { TestDatabases } from '@backstage/backend-test-utils';
import { MASK } from '@fincloud/plugin-terminal-common';
import request from 'supertest';
import { PG, startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { TerminalClient } from '../__testUtils__/client';
import { parseCast, replay, Screen } from '../__testUtils__/headless';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const JUSTIFICATION = 'INC-4711: payment timeouts, checking the JVM and the config';

describe.each(databases.eachSupportedId())('break-glass shell on %p', databaseId => {
  let sim: RecordingSim;
  let pod: string;
  const started: TerminalBackend[] = [];

  async function backendWith(terminal: Record<string, unknown> = {}) {
    const knex = await databases.init(databaseId);
    const backend = await startTerminalBackend({
      sim,
      knex,
      terminal: { recording: { flushMillis: 100 }, ...terminal },
    });
    started.push(backend);
    return { backend, knex };
  }

  beforeAll(async () => {
    sim = await startRecordingSim();
    pod = sim.podOf('payments', 'payment-gateway');
  });

  afterAll(async () => {
    for (const b of started) await b.stop();
    await sim?.stop();
  });

  function openShell(backend: TerminalBackend, token: string, extra: object = {}) {
    return TerminalClient.connect({
      port: backend.port,
      token,
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
      mode: 'shell',
      cols: 100,
      rows: 30,
      ...extra,
    });
  }

  /** Types a line and waits until the shell prints its prompt again. */
  async function type(client: TerminalClient, _screen: Screen | undefined, text: string) {
    const from = client.messages.length;
    client.send({ type: 'stdin', data: text });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const out = client.output(from);
      if (/# $/.test(out) && out.includes('\r\n')) break;
      if (Date.now() > deadline) throw new Error(`no prompt after ${JSON.stringify(text)}: ${JSON.stringify(out)}`);
      await new Promise(r => setTimeout(r, 20));
    }
    return client.output(from);
  }

  async function recordingOf(backend: TerminalBackend, sessionId: string) {
    const amy = await backend.tokenFor('amy');
    const res = await request(backend.server)
      .get(`/api/terminal/sessions/${sessionId}/recording`)
      .set('authorization', `Bearer ${amy}`)
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.on('data', (c: Buffer) => {
          data += c.toString();
        });
        r.on('end', () => cb(null, data));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-asciicast/);
    return res.body as string;
  }

  it('opens a recorded shell for platform with a justification, and the recording replays to exactly what the terminal showed', async () => {
    const { backend } = await backendWith();
    const oscar = await backend.tokenFor('oscar');
    const client = openShell(backend, oscar);
    client.send({ type: 'justification', text: JUSTIFICATION });
    const ready = await client.ready();
    expect(ready.mode).toBe('shell');
    expect(ready.recording).toBe(true);
    const left = Date.parse(ready.expiresAt!) - Date.now();
    expect(left).toBeGreaterThan(14 * 60_000);
    expect(left).toBeLessThanOrEqual(15 * 60_000);

    // What the browser's xterm.js shows: every output message, resized when the browser resizes.
    const live = new Screen(100, 30);
    let seen = 0;
    const follow = () => {
      for (; seen < client.messages.length; seen++) {
        const m = client.messages[seen];
        if (m.type === 'output') live.write(m.data);
      }
    };
    await client.waitFor('output', { where: m => /# $/.test(m.data) });
    follow();
    follow();
    expect(await type(client, live, 'echo hello from the shell\r')).toContain('hello from the shell\r\n');
    follow();
    await type(client, live, 'ls /opt/app\r');
    follow();
    client.send({ type: 'resize', cols: 120, rows: 40 });
    await new Promise(r => setTimeout(r, 100));
    live.resize(120, 40);
    expect(await type(client, live, 'stty size\r')).toContain('40 120');
    follow();
    await type(client, live, 'ps\r');
    follow();
    client.send({ type: 'stdin', data: 'exit\r' });
    const closed = await client.closed;
    follow();
    expect(closed.code).toBe(1000);
    expect(client.messages.at(-1)).toEqual({ type: 'closed', reason: 'closed' });

    // The shell ran as one TTY exec of /bin/sh in the app container.
    expect(sim.execs.filter(e => e.tty)).toEqual([
      { namespace: 'payments', pod, container: 'payment-gateway', argv: ['/bin/sh'], tty: true },
    ]);

    const cast = await recordingOf(backend, ready.sessionId);
    const { header, events } = parseCast(cast);
    expect(header).toMatchObject({ version: 2, width: 100, height: 30 });
    expect(events.filter(e => e[1] === 'i').map(e => e[2]).join('')).toBe(
      'echo hello from the shell\rls /opt/app\rstty size\rps\rexit\r',
    );
    expect(events.filter(e => e[1] === 'r').map(e => e[2])).toEqual(['120x40']);
    // times never go backwards
    for (let i = 1; i < events.length; i++) {
      expect(events[i][0]).toBeGreaterThanOrEqual(events[i - 1][0]);
    }
    const replayed = await replay(cast);
    expect(await replayed.lines()).toEqual(await live.lines());
    expect(await replayed.cursor()).toEqual(await live.cursor());
    expect((await live.lines()).join('\n')).toContain('hello from the shell');

    // The session, as the sessions API shows it to an auditor.
    const amy = await backend.tokenFor('amy');
    const summary = await request(backend.server)
      .get(`/api/terminal/sessions/${ready.sessionId}`)
      .set('authorization', `Bearer ${amy}`);
    expect(summary.body).toMatchObject({
      id: ready.sessionId,
      entityRef: PG,
      user: 'user:default/oscar',
      mode: 'shell',
      justification: JUSTIFICATION,
      live: false,
      endReason: 'closed',
      hasRecording: true,
    });
    expect(summary.body.bytesOut).toBeGreaterThan(0);

    // Start and end are high audit events, by oscar, with the justification.
    const [start] = backend.audit.of('terminal-session', 'initiated');
    expect(start).toMatchObject({
      severityLevel: 'high',
      actor: 'user:default/oscar',
      meta: { entityRef: PG, mode: 'shell', justification: JUSTIFICATION, sessionId: ready.sessionId },
    });
    const [end] = backend.audit.of('terminal-session', 'succeeded');
    expect(end).toMatchObject({
      severityLevel: 'high',
      actor: 'user:default/oscar',
      meta: { endReason: 'closed', exitCode: 0 },
    });
  });

  it('masks secrets in the recording while the live terminal shows what the pod printed', async () => {
    const { backend } = await backendWith();
    const client = openShell(backend, await backend.tokenFor('oscar'));
    client.send({ type: 'justification', text: JUSTIFICATION });
    const { sessionId } = await client.ready();
    await client.waitFor('output', { where: m => /# $/.test(m.data) });
    const token = await type(client, undefined, 'cat /var/run/secrets/kubernetes.io/serviceaccount/token\r');
    expect(token).toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
    const env = await type(client, undefined, 'env\r');
    expect(env).toContain('DB_CREDENTIAL=Tr0ub4dor-and-3-horses');
    await type(client, undefined, 'export API_TOKEN=opensesame-4242\r');
    await type(client, undefined, 'echo Authorization: Bearer abcdefghijklmnop\r');
    client.send({ type: 'stdin', data: 'exit\r' });
    await client.closed;

    const cast = await recordingOf(backend, sessionId);
    expect(cast).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(cast).not.toContain('Tr0ub4dor-and-3-horses');
    expect(cast).not.toContain('opensesame-4242');
    expect(cast).not.toContain('abcdefghijklmnop');
    expect(cast).toContain(`DB_CREDENTIAL=${MASK}`);
    expect(cast).toContain(`API_TOKEN=${MASK}`);
    // still a faithful transcript otherwise
    expect((await (await replay(cast)).lines()).join('\n')).toContain('/var/run/secrets/kubernetes.io/serviceaccount/token');
  });

  it('lets a team lead open a shell on their own service, and refuses a short justification', async () => {
    const { backend } = await backendWith();
    const paula = openShell(backend, await backend.tokenFor('paula'));
    paula.send({ type: 'justification', text: 'Checking the config after the failed release 2.7.0' });
    await paula.ready();
    paula.send({ type: 'stdin', data: 'exit\r' });
    expect((await paula.closed).code).toBe(1000);

    const before = sim.execs.length;
    const short = openShell(backend, await backend.tokenFor('oscar'));
    short.send({ type: 'justification', text: 'because' });
    const closed = await short.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/at least 20 characters/);
    expect(sim.execs.length).toBe(before);
  });

  it('ends a shell at its time box and an idle session, with 4408', async () => {
    const { backend } = await backendWith({
      shell: { maxMinutes: 0.04 },
      limits: { idleMinutes: 0.05 },
    });
    const boxed = openShell(backend, await backend.tokenFor('oscar'));
    boxed.send({ type: 'justification', text: JUSTIFICATION });
    const ready = await boxed.ready();
    expect(Date.parse(ready.expiresAt!) - Date.now()).toBeLessThan(3000);
    const closed = await boxed.closed;
    expect(closed.code).toBe(4408);
    expect(boxed.messages.find(m => m.type === 'closed')).toEqual({ type: 'closed', reason: 'max-duration' });
    expect(boxed.messages.some(m => m.type === 'notice' && /time box ends in/.test((m as any).message))).toBe(true);

    const idle = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor('pete'),
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
    });
    const { sessionId } = await idle.ready();
    const idleClosed = await idle.closed;
    expect(idleClosed.code).toBe(4408);
    expect(idle.messages.some(m => m.type === 'notice' && /No input for a while/.test((m as any).message))).toBe(true);
    const amy = await backend.tokenFor('amy');
    const summary = await request(backend.server)
      .get(`/api/terminal/sessions/${sessionId}`)
      .set('authorization', `Bearer ${amy}`);
    expect(summary.body).toMatchObject({ live: false, endReason: 'idle-timeout' });
  });

  it('ends the session with 4500 when the recording cannot be written (fail-closed)', async () => {
    const { backend, knex } = await backendWith();
    const client = openShell(backend, await backend.tokenFor('oscar'));
    client.send({ type: 'justification', text: JUSTIFICATION });
    const { sessionId } = await client.ready();
    await client.waitFor('output', { where: m => /# $/.test(m.data) });
    // The recording store loses its table: every write fails from now on.
    await knex.schema.dropTable('terminal_recording_chunks');
    client.send({ type: 'stdin', data: 'echo still here\r' });
    const closed = await client.closed;
    expect(closed.code).toBe(4500);
    expect(client.messages.find(m => m.type === 'closed')).toEqual({ type: 'closed', reason: 'recorder-failed' });
    const execsAfter = sim.execs.length;
    const row = await knex('terminal_sessions').where({ id: sessionId }).first();
    expect(row.end_reason).toBe('recorder-failed');
    expect(row.ended_at).not.toBeNull();
    const failed = backend.audit.of('terminal-session', 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].meta).toMatchObject({ endReason: 'recorder-failed' });
    // The socket is gone: nothing else can be typed into the pod.
    expect(sim.execs.length).toBe(execsAfter);
  });

  it('does not start a session the audit trail cannot record (4500), and runs nothing', async () => {
    const { backend, knex } = await backendWith();
    backend.audit.failHigh = true;
    const before = sim.execs.length;
    const client = openShell(backend, await backend.tokenFor('oscar'));
    client.send({ type: 'justification', text: JUSTIFICATION });
    const closed = await client.closed;
    expect(closed.code).toBe(4500);
    expect(closed.reason).toMatch(/audit trail/);
    expect(client.messages.some(m => m.type === 'ready')).toBe(false);
    expect(sim.execs.length).toBe(before);
    const rows = await knex('terminal_sessions').select('end_reason', 'ended_at');
    expect(rows).toEqual([{ end_reason: 'error', ended_at: expect.anything() }]);
  });
});
