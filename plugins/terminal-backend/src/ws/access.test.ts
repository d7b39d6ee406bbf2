import { TERMINAL_WS_PROTOCOL } from '@fincloud/plugin-terminal-common';
import { WebSocket } from 'ws';
import { startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { ConnectOptions, TerminalClient } from '../__testUtils__/client';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';

jest.setTimeout(120_000);

describe('who may open which terminal', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  let pod: string;

  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({
      sim,
      terminal: { shell: { approvalNamespaces: ['sim/risk'] } },
    });
    pod = sim.podOf('payments', 'payment-gateway');
  });

  afterAll(async () => {
    await backend?.stop();
    await sim?.stop();
  });

  async function attempt(options: Partial<ConnectOptions>) {
    const before = sim.execs.length;
    const client = TerminalClient.connect({
      port: backend.port,
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
      ...options,
    });
    const closed = await client.closed;
    return {
      ...closed,
      ready: client.messages.some(m => m.type === 'ready'),
      closedMessage: client.messages.find(m => m.type === 'closed') as any,
      execs: sim.execs.length - before,
    };
  }

  it('closes with 4401 without a token, with a forged, a garbage or a cut token', async () => {
    const none = await attempt({});
    expect(none).toMatchObject({ code: 4401, ready: false, execs: 0 });
    expect(none.closedMessage.reason).toMatch(/Sign in/);

    const forged = await attempt({ token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvb3NjYXIifQ.' });
    expect(forged).toMatchObject({ code: 4401, ready: false, execs: 0 });

    const garbage = await attempt({ token: 'not-a-token' });
    expect(garbage.code).toBe(4401);

    // A real token, but cut: its signature no longer matches.
    const real = await backend.tokenFor('oscar');
    const cut = await attempt({ token: real.slice(0, -4) });
    expect(cut.code).toBe(4401);
  });

  it('selects the terminal sub-protocol and never echoes the token', async () => {
    const token = await backend.tokenFor('pete');
    const ws = new WebSocket(
      `ws://127.0.0.1:${backend.port}/api/terminal/ws?${new URLSearchParams({
        entityRef: 'component:default/payment-gateway',
        cluster: 'sim',
        namespace: 'payments',
        pod,
        container: 'payment-gateway',
      })}`,
      [TERMINAL_WS_PROTOCOL, `bearer.${token}`],
    );
    const upgraded = new Promise<any>(resolve => ws.on('upgrade', resolve));
    const opened = new Promise(resolve => ws.on('open', resolve));
    const upgrade = await upgraded;
    await opened;
    expect(ws.protocol).toBe(TERMINAL_WS_PROTOCOL);
    expect(JSON.stringify(upgrade.headers)).not.toContain(token);
    ws.close();
  });

  it('closes with 4403 for users without terminal.exec on the entity', async () => {
    const gary = await attempt({ token: await backend.tokenFor('gary') });
    expect(gary).toMatchObject({ code: 4403, ready: false, execs: 0 });
    expect(gary.closedMessage.reason).toContain('terminal.exec');
    // amy (auditor) reads sessions but may not open one
    const amy = await attempt({ token: await backend.tokenFor('amy') });
    expect(amy.code).toBe(4403);
    // pete owns payment-gateway, not risk-engine
    const risk = await attempt({
      token: await backend.tokenFor('pete'),
      entityRef: 'component:default/risk-engine',
      namespace: 'risk',
      pod: sim.podOf('risk', 'risk-engine'),
      container: 'risk-engine',
    });
    expect(risk.code).toBe(4403);
  });

  it('refuses a break-glass shell to a developer (terminal.shell)', async () => {
    const pete = await attempt({ token: await backend.tokenFor('pete'), mode: 'shell' });
    expect(pete).toMatchObject({ code: 4403, ready: false, execs: 0 });
    expect(pete.closedMessage.reason).toContain('terminal.shell');
  });

  it('only opens pods and containers of the entity', async () => {
    const token = await backend.tokenFor('pete');
    // another team's pod in the same namespace
    const ledger = await attempt({ token, pod: sim.podOf('payments', 'ledger'), container: 'ledger' });
    expect(ledger.code).toBe(4403);
    expect(ledger.closedMessage.reason).toMatch(/not a pod of component:default\/payment-gateway/);
    // the entity's pod, in a namespace it does not run in
    const ns = await attempt({ token, namespace: 'risk' });
    expect(ns.code).toBe(4403);
    // a container the pod does not have
    const container = await attempt({ token, container: 'istio-proxy' });
    expect(container.code).toBe(4403);
    // a cluster the entity does not name
    const cluster = await attempt({ token, cluster: 'prod-east' });
    expect(cluster.code).toBe(4403);
    // an entity the catalog does not have
    const ghost = await attempt({ token, entityRef: 'component:default/ghost' });
    expect(ghost.code).toBe(4403);
    // a pod that does not exist
    const missing = await attempt({ token, pod: 'payment-gateway-nope' });
    expect(missing.code).toBe(4403);
    expect(sim.execs.length).toBe(0);
  });

  it('refuses malformed requests with 4403 and the reason', async () => {
    const token = await backend.tokenFor('pete');
    const bad = await attempt({ token, pod: 'Not_A_Pod' });
    expect(bad.code).toBe(4403);
    expect(bad.closedMessage.reason).toMatch(/Bad request: pod/);
    const mode = await attempt({ token, mode: 'root' as any });
    expect(mode.code).toBe(4403);
  });

  it('needs approval for a shell in an approval namespace', async () => {
    const oscar = await attempt({
      token: await backend.tokenFor('oscar'),
      mode: 'shell',
      entityRef: 'component:default/risk-engine',
      namespace: 'risk',
      pod: sim.podOf('risk', 'risk-engine'),
      container: 'risk-engine',
    });
    expect(oscar.code).toBe(4403);
    expect(oscar.closedMessage.reason).toMatch(/second person's approval/);
  });

  const upgradeStatus = (path: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${backend.port}${path}`);
    return new Promise(resolve => {
      ws.on('open', () => {
        resolve('open');
        ws.terminate();
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
  };

  it('answers an upgrade on another path of the plugin with an HTTP error, not a hang', async () => {
    expect(await upgradeStatus('/api/terminal/other')).toBe(401);
  });

  it('keeps working once another plugin listens for upgrades (as the signals backend does)', async () => {
    // Like signals: a listener that ignores URLs it does not own. From now on
    // Node gives upgrades to the listeners only, never to Express.
    const other = (req: any) => void req;
    backend.server.on('upgrade', other);
    try {
      const client = TerminalClient.connect({
        port: backend.port,
        token: await backend.tokenFor('pete'),
        namespace: 'payments',
        pod,
        container: 'payment-gateway',
      });
      await client.ready();
      expect((await client.run('ls /tmp')).exit?.code).toBe(0);
      client.close();
      expect((await client.closed).code).toBe(1000);
      // and another path under the plugin is refused rather than left hanging
      expect(await upgradeStatus('/api/terminal/other')).toBe(404);
    } finally {
      backend.server.off('upgrade', other);
    }
  });
});
