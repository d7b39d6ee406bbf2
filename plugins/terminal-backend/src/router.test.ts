import request from 'supertest';
import { component, PG, RISK, startTerminalBackend, TerminalBackend, TEST_ENTITIES } from './__testUtils__/backend';
import { TerminalClient } from './__testUtils__/client';
import { startRecordingSim, RecordingSim } from './__testUtils__/sim';

jest.setTimeout(120_000);

describe('the terminal HTTP API', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  const tokens: Record<string, string> = {};
  const sessions: Record<string, string> = {};

  const get = (path: string, user?: string) => {
    const req = request(backend.server).get(`/api/terminal${path}`);
    return user ? req.set('authorization', `Bearer ${tokens[user]}`) : req;
  };
  const post = (path: string, body: object, user?: string) => {
    const req = request(backend.server).post(`/api/terminal${path}`).send(body);
    return user ? req.set('authorization', `Bearer ${tokens[user]}`) : req;
  };

  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({
      sim,
      entities: [
        ...TEST_ENTITIES,
        component('ledger', 'payments', 'team-payments', {
          'fincloud.io/terminal-policy': 'minimal',
        }),
        component('typo', 'payments', 'team-payments', {
          'fincloud.io/terminal-policy': 'does-not-exist',
        }),
      ],
    });
    for (const user of ['pete', 'paula', 'oscar', 'amy', 'gary']) {
      tokens[user] = await backend.tokenFor(user);
    }
    // A few sessions: pete and oscar on payment-gateway, oscar on risk-engine.
    const run = async (user: string, entityRef: string, namespace: string, app: string) => {
      const client = TerminalClient.connect({
        port: backend.port,
        token: tokens[user],
        entityRef,
        namespace,
        pod: sim.podOf(namespace, app),
        container: app,
      });
      const { sessionId } = await client.ready();
      await client.run('ls /tmp');
      await client.run('cat /etc/shadow');
      client.close();
      await client.closed;
      return sessionId;
    };
    sessions.petePg = await run('pete', PG, 'payments', 'payment-gateway');
    sessions.oscarPg = await run('oscar', PG, 'payments', 'payment-gateway');
    sessions.oscarRisk = await run('oscar', RISK, 'risk', 'risk-engine');
  });

  afterAll(async () => {
    await backend?.stop();
    await sim?.stop();
  });

  describe('GET /entities/:kind/:namespace/:name/targets', () => {
    it("lists the entity's pods with their containers, per cluster", async () => {
      const res = await get('/entities/component/default/payment-gateway/targets', 'pete');
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        {
          cluster: 'sim',
          namespace: 'payments',
          pod: sim.podOf('payments', 'payment-gateway'),
          containers: ['payment-gateway'],
          phase: 'Running',
          ready: true,
        },
      ]);
    });

    it('is 401 without a token and 403 without terminal.exec', async () => {
      expect((await get('/entities/component/default/payment-gateway/targets')).status).toBe(401);
      expect((await get('/entities/component/default/payment-gateway/targets', 'gary')).status).toBe(403);
      expect((await get('/entities/component/default/payment-gateway/targets', 'amy')).status).toBe(403);
      expect((await get('/entities/component/default/risk-engine/targets', 'pete')).status).toBe(403);
      expect((await get('/entities/component/default/nope/targets', 'oscar')).status).toBe(404);
    });

    it('is 503 with the reason when no cluster of the entity answers', async () => {
      const id = sim.faults.failRequests({ verbs: ['list'], resources: ['pods'], status: 500 });
      const res = await get('/entities/component/default/payment-gateway/targets', 'pete');
      sim.faults.remove(id);
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(/No cluster of component:default\/payment-gateway answered: cluster sim: Kubernetes API 500/);
    });
  });

  describe('GET /entities/:kind/:namespace/:name/policy', () => {
    it('describes what restricted mode allows', async () => {
      const res = await get('/entities/component/default/payment-gateway/policy', 'pete');
      expect(res.status).toBe(200);
      expect(res.body.notes[0]).toBe('Policy "standard".');
      expect(res.body.allowed).toContainEqual({
        command: 'top',
        args: '-b -n1',
        description: expect.any(String),
      });
    });

    it("follows the entity's annotation, and refuses an unknown policy name", async () => {
      const minimal = await get('/entities/component/default/ledger/policy', 'oscar');
      expect(minimal.body.notes[0]).toBe('Policy "minimal".');
      expect(minimal.body.allowed.map((a: any) => a.command)).not.toContain('curl');
      const typo = await get('/entities/component/default/typo/policy', 'oscar');
      expect(typo.status).toBe(400);
      expect(typo.body.error.message).toMatch(/names terminal policy "does-not-exist"/);
    });
  });

  describe('POST /entities/:kind/:namespace/:name/check', () => {
    it('decides a line without running it', async () => {
      const before = sim.execs.length;
      const ok = await post('/entities/component/default/payment-gateway/check', { line: 'ls -la /var/log/app' }, 'pete');
      expect(ok.body).toEqual({ allowed: true, rule: 'allowed:ls', message: 'ls is allowed.' });
      const rm = await post('/entities/component/default/payment-gateway/check', { line: 'rm -rf /' }, 'pete');
      expect(rm.body).toMatchObject({ allowed: false, rule: 'binary-not-allowed:rm' });
      const curl = await post('/entities/component/default/payment-gateway/check', { line: 'curl http://risk-engine.risk.svc:8080/' }, 'pete');
      expect(curl.body.allowed).toBe(true);
      expect(sim.execs.length).toBe(before);
    });

    it('is 400 for a body without a line, 403 without terminal.exec', async () => {
      expect((await post('/entities/component/default/payment-gateway/check', {}, 'pete')).status).toBe(400);
      expect((await post('/entities/component/default/payment-gateway/check', { line: 'ls' }, 'gary')).status).toBe(403);
    });
  });

  describe('GET /sessions', () => {
    it('gives platform and auditors every session, newest first', async () => {
      for (const user of ['oscar', 'amy']) {
        const res = await get('/sessions', user);
        expect(res.status).toBe(200);
        expect(res.body.items.map((s: any) => s.id)).toEqual([
          sessions.oscarRisk,
          sessions.oscarPg,
          sessions.petePg,
        ]);
      }
    });

    it('gives owners the sessions of what they own only', async () => {
      const res = await get('/sessions', 'pete');
      expect(res.status).toBe(200);
      expect(res.body.items.map((s: any) => s.id)).toEqual([sessions.oscarPg, sessions.petePg]);
      expect((await get(`/sessions?entityRef=${encodeURIComponent(RISK)}`, 'pete')).status).toBe(403);
      // a conditional answer that matches nothing is an empty list, not an error
      const gary = await get('/sessions', 'gary');
      expect(gary.status).toBe(200);
      expect(gary.body.items).toEqual([]);
      expect((await get(`/sessions?entityRef=${encodeURIComponent(PG)}`, 'gary')).status).toBe(403);
      expect((await get('/sessions')).status).toBe(401);
    });

    it('filters by user, mode and liveness, and pages with a cursor', async () => {
      const mine = await get('/sessions?user=user:default/oscar', 'amy');
      expect(mine.body.items.map((s: any) => s.id)).toEqual([sessions.oscarRisk, sessions.oscarPg]);
      expect((await get('/sessions?mode=shell', 'amy')).body.items).toEqual([]);
      expect((await get('/sessions?live=true', 'amy')).body.items).toEqual([]);
      const first = await get('/sessions?limit=2', 'amy');
      expect(first.body.items).toHaveLength(2);
      const second = await get(`/sessions?limit=2&cursor=${first.body.nextCursor}`, 'amy');
      expect(second.body.items.map((s: any) => s.id)).toEqual([sessions.petePg]);
      expect(second.body.nextCursor).toBeUndefined();
      expect((await get('/sessions?cursor=garbage', 'amy')).status).toBe(400);
      expect((await get('/sessions?limit=0', 'amy')).status).toBe(400);
      expect((await get('/sessions?mode=root', 'amy')).status).toBe(400);
    });

    it('counts commands, refusals and bytes per session', async () => {
      const res = await get(`/sessions/${sessions.petePg}`, 'pete');
      expect(res.body).toMatchObject({
        entityRef: PG,
        user: 'user:default/pete',
        mode: 'restricted',
        commands: 1,
        refused: 1,
        live: false,
        endReason: 'closed',
        hasRecording: true,
      });
    });
  });

  describe('GET /sessions/:id, /commands, /recording', () => {
    it('are for those who may read the entity\'s sessions', async () => {
      expect((await get(`/sessions/${sessions.oscarRisk}`, 'pete')).status).toBe(403);
      expect((await get(`/sessions/${sessions.oscarRisk}/commands`, 'pete')).status).toBe(403);
      expect((await get(`/sessions/${sessions.oscarRisk}/recording`, 'pete')).status).toBe(403);
      expect((await get(`/sessions/${sessions.oscarRisk}`, 'amy')).status).toBe(200);
      expect((await get(`/sessions/${sessions.petePg}`, 'gary')).status).toBe(403);
      expect((await get(`/sessions/${sessions.petePg}`)).status).toBe(401);
      expect((await get('/sessions/00000000-0000-4000-8000-000000000000', 'amy')).status).toBe(404);
      expect((await get('/sessions/not-a-uuid', 'amy')).status).toBe(400);
    });

    it('returns the command log of a restricted session', async () => {
      const res = await get(`/sessions/${sessions.petePg}/commands`, 'amy');
      expect(res.body.items).toEqual([
        expect.objectContaining({ seq: 1, argv: ['ls', '/tmp'], allowed: true, rule: 'allowed:ls', exitCode: 0 }),
        expect.objectContaining({ seq: 2, argv: ['cat', '/etc/shadow'], allowed: false, rule: 'path-not-allowed:cat /etc/shadow' }),
      ]);
    });

    it('serves the recording of a restricted session as a transcript, and audits who watched it', async () => {
      const res = await get(`/sessions/${sessions.petePg}/recording`, 'amy').buffer(true).parse((r, cb) => {
        let data = '';
        r.on('data', (c: Buffer) => {
          data += c.toString();
        });
        r.on('end', () => cb(null, data));
      });
      expect(res.status).toBe(200);
      expect(res.body).toContain('"$ ls /tmp\\r\\n"');
      expect(res.body).toContain('refused (path-not-allowed:cat /etc/shadow)');
      const watched = backend.audit.of('terminal-recording-read', 'succeeded');
      expect(watched.at(-1)).toMatchObject({
        severityLevel: 'medium',
        actor: 'user:default/amy',
        meta: { entityRef: PG, sessionId: sessions.petePg, user: 'user:default/pete' },
      });
    });
  });
});
