import { ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

jest.setTimeout(120_000);

function onPath(name: string) {
  return (process.env.PATH ?? '').split(delimiter).some(dir => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const haveBinaries = onPath('prometheus') && onPath('prometheus-alertmanager');
const ci = !!process.env.FINCLOUD_CI;
if (!haveBinaries && !ci) {
  // eslint-disable-next-line no-console
  console.warn(
    'skipping the start-script test: prometheus / prometheus-alertmanager are not installed (apt-get install -y prometheus prometheus-alertmanager)',
  );
}
const maybe = haveBinaries || ci ? describe : describe.skip;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

maybe('yarn workspace @fincloud/cluster-sim start', () => {
  let child: ChildProcess | undefined;
  let state: string;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  });

  it('serves the seed, starts Prometheus scraping it with the rules given and Alertmanager, and stops them all on SIGTERM', async () => {
    expect(haveBinaries).toBe(true);
    state = mkdtempSync(join(tmpdir(), 'fincloud-sim-'));
    mkdirSync(join(state, 'rules'));
    writeFileSync(
      join(state, 'rules', 'test.yml'),
      'groups:\n  - name: sim-test\n    rules:\n      - alert: PaymentGatewayTraffic\n        expr: sum(rate(istio_requests_total{destination_service_name="payment-gateway"}[10s])) > 0\n        labels: { severity: info }\n',
    );
    const [prometheusPort, alertmanagerPort] = [
      await freePort(),
      await freePort(),
    ];
    child = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        resolve(__dirname, 'start.ts'),
        '--port',
        '0',
        '--state-dir',
        state,
        '--prometheus-port',
        String(prometheusPort),
        '--alertmanager-port',
        String(alertmanagerPort),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', d => {
      output += d.toString();
    });
    child.stderr!.on('data', d => {
      output += d.toString();
    });
    const info = await waitFor('sim.json', async () =>
      existsSync(join(state, 'sim.json'))
        ? JSON.parse(readFileSync(join(state, 'sim.json'), 'utf8'))
        : undefined,
    );
    expect(info.prometheusUrl).toBe(`http://127.0.0.1:${prometheusPort}`);
    const pods = await (
      await fetch(`${info.url}/api/v1/pods`, {
        headers: { authorization: `Bearer ${info.token}` },
      })
    ).json();
    expect(pods.items.length).toBe(7);
    const portalConfig = readFileSync(
      join(state, 'app-config.sim.yaml'),
      'utf8',
    );
    expect(portalConfig).toContain(`url: ${info.url}`);
    expect(readFileSync(join(state, 'kubeconfig'), 'utf8')).toContain(
      info.token,
    );

    // Prometheus scrapes the simulator's Istio metrics and fires the rule from <state>/rules.
    await waitFor('istio_requests_total in Prometheus', async () => {
      const r = await (
        await fetch(
          `${info.prometheusUrl}/api/v1/query?query=istio_requests_total`,
        )
      ).json();
      return r.data.result.length > 0 ? r : undefined;
    });
    const alerts = await waitFor(
      'the alert in Alertmanager',
      async () => {
        const r = await (
          await fetch(`http://127.0.0.1:${alertmanagerPort}/api/v2/alerts`)
        ).json();
        return r.some(
          (a: any) => a.labels.alertname === 'PaymentGatewayTraffic',
        )
          ? r
          : undefined;
      },
      90_000,
    );
    expect(alerts[0].labels.severity).toBe('info');

    const exited = new Promise<number | null>(r =>
      child!.once('exit', code => r(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain(
      'SIGTERM: stopping the simulator, Prometheus and Alertmanager',
    );
    await expect(fetch(`${info.prometheusUrl}/-/ready`)).rejects.toThrow();
    await expect(
      fetch(`http://127.0.0.1:${alertmanagerPort}/-/ready`),
    ).rejects.toThrow();
    await expect(fetch(`${info.url}/healthz`)).rejects.toThrow();
  });
});
