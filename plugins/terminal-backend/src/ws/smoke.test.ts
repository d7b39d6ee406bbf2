import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';
import { startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { TerminalClient } from '../__testUtils__/client';

jest.setTimeout(60_000);

describe('smoke', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({ sim });
  });
  afterAll(async () => {
    await backend?.stop();
    await sim?.stop();
  });

  it('runs ls', async () => {
    const token = await backend.tokenFor('pete');
    const pod = sim.podOf('payments', 'payment-gateway');
    const client = TerminalClient.connect({ port: backend.port, token, namespace: 'payments', pod, container: 'payment-gateway' });
    const ready = await client.ready();
    console.log(ready);
    const r = await client.run('ls -la /var/log/app');
    console.log(r);
    const r2 = await client.run('rm -rf /');
    console.log(r2);
    console.log(sim.execs);
    client.close();
    console.log(await client.closed);
    console.log(JSON.stringify(backend.audit.events, null, 1).slice(0, 3000));
  });
});
