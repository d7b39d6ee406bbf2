import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { TerminalClient } from '../__testUtils__/client';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';
import { DEBUG_NETWORK_POLICY, DEBUG_SESSION_LABEL } from '../service/KubeGateway';

jest.setTimeout(120_000);

describe('debug containers', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;
  let pod: string;
  let clock: NodeJS.Timeout;

  beforeAll(async () => {
    sim = await startRecordingSim();
    pod = sim.podOf('payments', 'payment-gateway');
    backend = await startTerminalBackend({
      sim,
      terminal: {
        debug: {
          image: 'registry.fincloud.example/platform/debug-tools:1.4',
          networkPolicy: {
            egress: [
              {
                to: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'risk' } },
                    podSelector: { matchLabels: { app: 'risk-engine' } },
                  },
                ],
                ports: [{ protocol: 'TCP', port: 8080 }],
              },
            ],
          },
        },
      },
    });
    // The simulator's kubelet starts containers as its clock moves.
    clock = setInterval(() => sim.clock.advance(1000), 50);
  });

  afterAll(async () => {
    clearInterval(clock);
    await backend?.stop();
    await sim?.stop();
  });

  it('runs the session in an ephemeral container with the egress NetworkPolicy, leaving the app container untouched', async () => {
    const core = sim.kubeConfig().makeApiClient(CoreV1Api);
    const client = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor('oscar'),
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
      debug: true,
    });
    const { sessionId } = await client.ready();

    const during = await core.readNamespacedPod({ name: pod, namespace: 'payments' });
    const [debug] = during.spec?.ephemeralContainers ?? [];
    expect(debug).toMatchObject({
      name: `fincloud-debug-${sessionId.slice(0, 8)}`,
      image: 'registry.fincloud.example/platform/debug-tools:1.4',
      targetContainerName: 'payment-gateway',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    expect(during.status?.ephemeralContainerStatuses?.[0]?.state?.running).toBeDefined();
    expect(during.metadata?.labels?.[DEBUG_SESSION_LABEL]).toBe(sessionId.slice(0, 8));

    // The policy admission accepted: deny egress but DNS and the named destination.
    const policy = await sim
      .kubeConfig()
      .makeApiClient(NetworkingV1Api)
      .readNamespacedNetworkPolicy({ name: DEBUG_NETWORK_POLICY, namespace: 'payments' });
    expect(policy.spec?.policyTypes).toEqual(['Egress']);
    expect(policy.spec?.podSelector).toEqual({
      matchExpressions: [{ key: DEBUG_SESSION_LABEL, operator: 'Exists' }],
    });
    expect(policy.spec?.egress).toHaveLength(2);
    expect(policy.spec?.egress?.[1].ports).toEqual([{ protocol: 'TCP', port: 8080 }]);

    const ls = await client.run('ls /tmp');
    expect(ls.exit?.code).toBe(0);
    expect(sim.execs.at(-1)).toMatchObject({
      pod,
      container: debug.name,
      argv: ['ls', '/tmp'],
    });
    expect(sim.execs.some(e => e.container === 'payment-gateway')).toBe(false);

    client.close();
    await client.closed;
    const after = await core.readNamespacedPod({ name: pod, namespace: 'payments' });
    expect(after.metadata?.labels?.[DEBUG_SESSION_LABEL]).toBeUndefined();
    const session = backend.audit.of('terminal-session', 'succeeded').at(-1);
    expect(session?.meta).toMatchObject({ debug: true, debugContainer: debug.name });
  });

  it('gives a second debug session its own container', async () => {
    const client = TerminalClient.connect({
      port: backend.port,
      token: await backend.tokenFor('oscar'),
      namespace: 'payments',
      pod,
      container: 'payment-gateway',
      debug: true,
    });
    const { sessionId } = await client.ready();
    const pod2 = await sim
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: pod, namespace: 'payments' });
    expect(pod2.spec?.ephemeralContainers?.map(c => c.name)).toEqual([
      expect.stringMatching(/^fincloud-debug-/),
      `fincloud-debug-${sessionId.slice(0, 8)}`,
    ]);
    client.close();
    await client.closed;
  });
});
