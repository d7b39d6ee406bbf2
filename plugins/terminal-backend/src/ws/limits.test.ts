import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { PG, startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { TerminalClient } from '../__testUtils__/client';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('session limits and termination on %p', databaseId => {
  let sim: RecordingSim;
  let pod: string;
  /** Two replicas of the backend on one database. */
  let a: TerminalBackend;
  let b: TerminalBackend;

  beforeAll(async () => {
    sim = await startRecordingSim();
    pod = sim.podOf('payments', 'payment-gateway');
    const knex = await databases.init(databaseId);
    const terminal = {
      heartbeatSeconds: 0.2,
      limits: { maxSessionsPerUser: 2, maxSessionsPerEntity: 3 },
    };
    a = await startTerminalBackend({ sim, knex, terminal });
    b = await startTerminalBackend({ sim, knex, terminal });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await sim?.stop();
  });

  const open = async (backend: TerminalBackend, user: string) => {
    const client = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor(user),
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
    });
    return client;
  };

  it('limits live sessions per user and per entity, across replicas (4409)', async () => {
    const p1 = await open(a, 'pete');
    const p2 = await open(b, 'pete');
    await Promise.all([p1.ready(), p2.ready()]);
    const p3 = await open(a, 'pete');
    const refused = await p3.closed;
    expect(refused.code).toBe(4409);
    expect(refused.reason).toMatch(/You have 2 terminal sessions open/);

    const l1 = await open(b, 'paula');
    await l1.ready();
    const o1 = await open(a, 'oscar');
    const full = await o1.closed;
    expect(full.code).toBe(4409);
    expect(full.reason).toMatch(/component:default\/payment-gateway has 3 terminal sessions open/);

    p1.close();
    await p1.closed;
    const o2 = await open(a, 'oscar');
    await o2.ready();
    for (const c of [p2, l1, o2]) c.close();
    await Promise.all([p2.closed, l1.closed, o2.closed]);
  });

  it('lets platform list live sessions and terminate one on any replica (4410, audited)', async () => {
    const pete = await open(b, 'pete');
    const { sessionId } = await pete.ready();
    const oscar = await a.tokenFor('oscar');

    const live = await request(a.server)
      .get(`/api/terminal/sessions?live=true&entityRef=${encodeURIComponent(PG)}`)
      .set('authorization', `Bearer ${oscar}`);
    expect(live.status).toBe(200);
    expect(live.body.items.map((s: any) => s.id)).toContain(sessionId);
    expect(live.body.items.every((s: any) => s.live)).toBe(true);

    // developers and leads may not terminate
    for (const user of ['pete', 'paula', 'amy']) {
      const res = await request(a.server)
        .post(`/api/terminal/sessions/${sessionId}/terminate`)
        .set('authorization', `Bearer ${await a.tokenFor(user)}`)
        .send({ reason: 'no' });
      expect(res.status).toBe(403);
    }
    const missing = await request(a.server)
      .post(`/api/terminal/sessions/${sessionId}/terminate`)
      .set('authorization', `Bearer ${oscar}`)
      .send({});
    expect(missing.status).toBe(400);

    // replica a terminates a session replica b holds
    const res = await request(a.server)
      .post(`/api/terminal/sessions/${sessionId}/terminate`)
      .set('authorization', `Bearer ${oscar}`)
      .send({ reason: 'Suspicious activity, INC-9' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: sessionId,
      live: false,
      endReason: 'terminated',
      terminatedBy: 'user:default/oscar',
    });
    const closed = await pete.closed;
    expect(closed.code).toBe(4410);
    expect(closed.reason).toMatch(/terminated by user:default\/oscar: Suspicious activity/);

    const terminate = a.audit.of('terminal-session-terminate');
    expect(terminate.map(e => e.status)).toEqual(['initiated', 'succeeded']);
    expect(terminate[0]).toMatchObject({
      severityLevel: 'high',
      actor: 'user:default/oscar',
      meta: { entityRef: PG, sessionId, sessionUser: 'user:default/pete', reason: 'Suspicious activity, INC-9' },
    });
    const ended = b.audit.of('terminal-session', 'succeeded').find(e => e.meta.sessionId === sessionId);
    expect(ended?.meta).toMatchObject({ endReason: 'terminated', terminatedBy: 'user:default/oscar' });

    // terminating an ended session changes nothing
    const again = await request(a.server)
      .post(`/api/terminal/sessions/${sessionId}/terminate`)
      .set('authorization', `Bearer ${oscar}`)
      .send({ reason: 'again' });
    expect(again.status).toBe(200);
    expect(again.body.terminatedBy).toBe('user:default/oscar');
  });

  it('terminates a session on the same replica at once', async () => {
    const pete = await open(a, 'pete');
    const { sessionId } = await pete.ready();
    const started = Date.now();
    const res = await request(a.server)
      .post(`/api/terminal/sessions/${sessionId}/terminate`)
      .set('authorization', `Bearer ${await a.tokenFor('oscar')}`)
      .send({ reason: 'maintenance' });
    expect(res.body).toMatchObject({ live: false, endReason: 'terminated' });
    expect((await pete.closed).code).toBe(4410);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
