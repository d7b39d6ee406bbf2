import { PassThrough, Writable } from 'node:stream';
import {
  CoreV1Api,
  Exec,
  KubeConfig,
  PatchStrategy,
  V1Status,
  setHeaderOptions,
} from '@kubernetes/client-node';
import WebSocket from 'ws';
import { ClusterSim, startClusterSim } from '../testing/startClusterSim';
import { until } from '../__testUtils__/client';

// Real HTTP round trips on a busy 2-core machine: allow more than Jest's 5 s.
jest.setTimeout(60_000);

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('pods/exec over the WebSocket channel protocol', () => {
  let sim: ClusterSim;
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    sim = await startClusterSim({ manualClock: true, trafficIntervalMs: 0 });
    kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'shell' },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'busybox:1.36',
              env: [{ name: 'GREETING', value: 'hello' }],
            },
          ],
        },
      },
    });
    sim.clock.advance(10_000);
  });

  afterAll(async () => {
    await sim.stop();
  });

  /** Runs a command through client-node's Exec (v5 negotiated); resolves with output and status. */
  function run(
    command: string[],
    options: { stdin?: string; container?: string; pod?: string } = {},
  ) {
    const out = sink();
    const err = sink();
    return new Promise<{ stdout: string; stderr: string; status: V1Status }>(
      (resolve, reject) => {
        let stdin: PassThrough | null = null;
        if (options.stdin !== undefined) {
          stdin = new PassThrough();
        }
        new Exec(kc)
          .exec(
            'default',
            options.pod ?? 'shell',
            options.container ?? 'app',
            command,
            out.stream,
            err.stream,
            stdin,
            false,
            status =>
              resolve({ stdout: out.text(), stderr: err.text(), status }),
          )
          .then(ws => {
            if (stdin) {
              stdin.end(options.stdin);
            }
            return ws;
          })
          .catch(reject);
      },
    );
  }

  it('negotiates v5.channel.k8s.io and returns stdout with a Success status', async () => {
    const result = await run(['echo', 'hello', 'fincloud']);
    expect(result.stdout).toBe('hello fincloud\n');
    expect(result.status).toEqual({ metadata: {}, status: 'Success' });
  });

  it('reports a non-zero exit code as Kubernetes does (NonZeroExitCode, cause ExitCode)', async () => {
    const result = await run(['sh', '-c', 'exit 3']);
    expect(result.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('reports an unknown command like the container runtime does', async () => {
    const result = await run(['definitely-not-a-command']);
    expect(result.status.status).toBe('Failure');
    expect(result.status.message).toContain(
      'executable file not found in $PATH',
    );
  });

  it('passes stdin through and ends it with the v5 close frame', async () => {
    const result = await run(['cat'], { stdin: 'line one\nline two\n' });
    expect(result.stdout).toBe('line one\nline two\n');
    expect(result.status.status).toBe('Success');
  });

  function raw(
    protocol: string,
    query: string,
    pod = 'shell',
    token = sim.token,
  ) {
    const url = `${sim.url.replace(
      'http',
      'ws',
    )}/api/v1/namespaces/default/pods/${pod}/exec?${query}`;
    return new WebSocket(url, protocol ? [protocol] : [], {
      headers: { authorization: `Bearer ${token}` },
    });
  }

  function collect(ws: WebSocket) {
    const frames: Array<{ channel: number; data: string }> = [];
    const closed = new Promise<number>(resolve =>
      ws.on('close', code => resolve(code)),
    );
    ws.on('message', (data: Buffer) =>
      frames.push({ channel: data[0], data: data.subarray(1).toString() }),
    );
    return { frames, closed };
  }

  it('speaks v4.channel.k8s.io with a JSON status on channel 3', async () => {
    const ws = raw(
      'v4.channel.k8s.io',
      'command=sh&command=-c&command=exit%207&stdout=true&stderr=true',
    );
    const { frames, closed } = collect(ws);
    await closed;
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    const status = JSON.parse(frames.find(f => f.channel === 3)!.data);
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('speaks plain channel.k8s.io: output frames, no status on success', async () => {
    const ws = raw('channel.k8s.io', 'command=echo&command=plain&stdout=true');
    const { frames, closed } = collect(ws);
    await closed;
    expect(
      frames
        .filter(f => f.channel === 1)
        .map(f => f.data)
        .join(''),
    ).toBe('plain\n');
    expect(frames.some(f => f.channel === 3)).toBe(false);
  });

  it('refuses the upgrade without a token, without a command, or for a pod that does not run', async () => {
    const status = (ws: WebSocket) =>
      new Promise<{ code: number; body: string }>(resolve => {
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        });
        ws.on('error', () => {});
      });
    expect(
      (
        await status(
          raw('v5.channel.k8s.io', 'command=ls&stdout=true', 'shell', 'wrong'),
        )
      ).code,
    ).toBe(401);
    const noCommand = await status(raw('v5.channel.k8s.io', 'stdout=true'));
    expect(noCommand.code).toBe(400);
    expect(JSON.parse(noCommand.body).message).toBe(
      'you must specify at least one command for the container',
    );
    expect(
      (
        await status(
          raw('v5.channel.k8s.io', 'command=ls&stdout=true', 'missing'),
        )
      ).code,
    ).toBe(404);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'unplaced' },
        spec: {
          nodeSelector: { nowhere: 'true' },
          containers: [{ name: 'app', image: 'busybox:1.36' }],
        },
      },
    });
    sim.settle();
    const unplaced = await status(
      raw('v5.channel.k8s.io', 'command=ls&stdout=true', 'unplaced'),
    );
    expect(unplaced.code).toBe(400);
    expect(JSON.parse(unplaced.body).message).toBe(
      'pod unplaced does not have a host assigned',
    );
  });

  it('execs into an ephemeral debug container added through pods/ephemeralcontainers', async () => {
    await core.patchNamespacedPodEphemeralcontainers(
      {
        name: 'shell',
        namespace: 'default',
        body: {
          spec: {
            ephemeralContainers: [
              {
                name: 'debugger',
                image: 'busybox:1.36',
                targetContainerName: 'app',
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    sim.clock.advance(5_000);
    const pod = await core.readNamespacedPod({
      name: 'shell',
      namespace: 'default',
    });
    expect(pod.status?.ephemeralContainerStatuses?.[0]).toMatchObject({
      name: 'debugger',
      state: { running: expect.anything() },
    });
    const result = await run(['echo', 'from the debugger'], {
      container: 'debugger',
    });
    expect(result.stdout).toBe('from the debugger\n');
  });

  it('drops open exec sockets on demand (fault injection): the client sees the socket close without a status', async () => {
    const ws = raw('v5.channel.k8s.io', 'command=cat&stdin=true&stdout=true');
    const { frames, closed } = collect(ws);
    await new Promise(resolve => ws.on('open', resolve));
    await until(() => sim.faults.dropExecSessions() === 1 || undefined);
    const code = await closed;
    expect(code).not.toBe(1000);
    expect(frames.some(f => f.channel === 3)).toBe(false);
  });
});
