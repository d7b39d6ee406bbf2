/**
 * `yarn workspace @fincloud/cluster-sim start`: serves the simulated cluster
 * on loopback, writes a kubeconfig and a Backstage config fragment for the
 * portal, and (when the Debian binaries are installed) starts Prometheus
 * scraping the simulator and Alertmanager next to it. Stops everything on
 * SIGINT / SIGTERM.
 *
 * This folder is the one place in the package allowed to start processes
 * (see .eslintrc.js): Prometheus and Alertmanager, nothing a request can name.
 */
import { ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { Simulator } from '../server/Simulator';
import { kubeconfigFor } from '../testing/startClusterSim';

interface Options {
  host: string;
  port: number;
  seed: string;
  stateDir: string;
  prometheus: boolean;
  prometheusPort: number;
  alertmanagerPort: number;
  clusterName: string;
  tls: boolean;
}

const packageRoot = resolve(__dirname, '..', '..');
const repoRoot = resolve(packageRoot, '..', '..');

function usage(): never {
  process.stdout
    .write(`usage: yarn workspace @fincloud/cluster-sim start [options]

  --port <n>              API port (default $FINCLOUD_SIM_PORT or 6443; 0 = any free port)
  --host <addr>           listen address (default 127.0.0.1)
  --seed <file>           seed YAML (default seed/default.yaml)
  --state-dir <dir>       where kubeconfig, config and Prometheus data go (default <repo>/.fincloud)
  --no-prometheus         do not start Prometheus and Alertmanager
  --prometheus-port <n>   default $FINCLOUD_PROMETHEUS_PORT or 9090
  --alertmanager-port <n> default $FINCLOUD_ALERTMANAGER_PORT or 9093
  --cluster-name <name>   the cluster's name in the portal config (default sim)
  --tls                   serve HTTPS with a self-signed certificate (its CA goes into the kubeconfig and portal config)
`);
  process.exit(0);
}

function parseArgs(argv: string[]): Options {
  const env = process.env;
  const options: Options = {
    host: '127.0.0.1',
    port: Number(env.FINCLOUD_SIM_PORT ?? 6443),
    seed: join(packageRoot, 'seed', 'default.yaml'),
    stateDir: env.FINCLOUD_STATE_DIR ?? join(repoRoot, '.fincloud'),
    prometheus: true,
    prometheusPort: Number(env.FINCLOUD_PROMETHEUS_PORT ?? 9090),
    alertmanagerPort: Number(env.FINCLOUD_ALERTMANAGER_PORT ?? 9093),
    clusterName: 'sim',
    tls: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port':
        options.port = Number(value());
        break;
      case '--host':
        options.host = value();
        break;
      case '--seed':
        options.seed = resolve(value());
        break;
      case '--state-dir':
        options.stateDir = resolve(value());
        break;
      case '--no-prometheus':
        options.prometheus = false;
        break;
      case '--prometheus-port':
        options.prometheusPort = Number(value());
        break;
      case '--alertmanager-port':
        options.alertmanagerPort = Number(value());
        break;
      case '--cluster-name':
        options.clusterName = value();
        break;
      case '--tls':
        options.tls = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  for (const [name, port] of [
    ['--port', options.port],
    ['--prometheus-port', options.prometheusPort],
    ['--alertmanager-port', options.alertmanagerPort],
  ] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`${name} must be a port number`);
  }
  return options;
}

function findBinary(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The token survives restarts, so a running portal keeps working with a restarted simulator. */
function tokenFor(stateDir: string): string {
  const file = join(stateDir, 'sim-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function writePrivate(path: string, text: string) {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function portalConfig(
  name: string,
  url: string,
  token: string,
  options: Options,
  monitoring: boolean,
  caData?: string,
): string {
  const trust = caData ? { caData } : { skipTLSVerify: true };
  const header = [
    '# Written by the cluster simulator (packages/cluster-sim, `yarn workspace @fincloud/cluster-sim start`).',
    "# Loaded by ./fincloud start after app-config.yaml. Holds the simulator's token: never commit it.",
    ...(monitoring
      ? [
          `# Prometheus: http://127.0.0.1:${options.prometheusPort}  Alertmanager: http://127.0.0.1:${options.alertmanagerPort}`,
        ]
      : [
          '# Prometheus and Alertmanager are not running (not installed, or --no-prometheus).',
        ]),
    '',
  ].join('\n');
  return (
    header +
    stringify({
      kubernetes: {
        serviceLocatorMethod: { type: 'multiTenant' },
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name,
                url,
                authProvider: 'serviceAccount',
                serviceAccountToken: token,
                ...trust,
                skipMetricsLookup: true,
              },
            ],
          },
        ],
      },
      fincloud: {
        clusters: [{ name, url, serviceAccountToken: token, ...trust }],
      },
    })
  );
}

let stopping = false;

function startChild(
  name: string,
  command: string,
  args: string[],
  logFile: string,
): ChildProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', out, out] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(
        `${name} exited (${signal ?? code}); see ${logFile}\n`,
      );
    }
  });
  return child;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const token = tokenFor(options.stateDir);
  const sim = await Simulator.start({
    host: options.host,
    port: options.port,
    seed: options.seed,
    token,
    tls: options.tls,
    log: message => process.stderr.write(`${message}\n`),
  });
  const url = sim.url;
  const children: ChildProcess[] = [];

  let monitoring = false;
  if (options.prometheus) {
    const prometheus = findBinary(['prometheus']);
    const alertmanager = findBinary([
      'prometheus-alertmanager',
      'alertmanager',
    ]);
    if (!prometheus || !alertmanager) {
      process.stdout.write(
        [
          'Prometheus and Alertmanager are not installed, so monitoring has no data source.',
          'Install them (Debian/Ubuntu): sudo apt-get install -y prometheus prometheus-alertmanager',
          'then start again; the simulator still serves its metrics on /metrics.',
          '',
        ].join('\n'),
      );
    } else {
      const promDir = join(options.stateDir, 'prometheus');
      const amDir = join(options.stateDir, 'alertmanager');
      const rulesDir = join(options.stateDir, 'rules');
      for (const dir of [
        promDir,
        amDir,
        rulesDir,
        join(promDir, 'data'),
        join(amDir, 'data'),
      ])
        mkdirSync(dir, { recursive: true });
      const target = new URL(url).host;
      writeFileSync(
        join(promDir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [join(rulesDir, '*.yml'), join(rulesDir, '*.yaml')],
          alerting: {
            alertmanagers: [
              {
                static_configs: [
                  { targets: [`127.0.0.1:${options.alertmanagerPort}`] },
                ],
              },
            ],
          },
          scrape_configs: [
            {
              job_name: 'fincloud-sim',
              scrape_interval: '1s',
              metrics_path: '/metrics',
              scheme: url.startsWith('https') ? 'https' : 'http',
              ...(url.startsWith('https')
                ? { tls_config: { insecure_skip_verify: true } }
                : {}),
              static_configs: [
                { targets: [target], labels: { cluster: options.clusterName } },
              ],
            },
          ],
        }),
      );
      writeFileSync(
        join(amDir, 'alertmanager.yml'),
        stringify({
          route: {
            receiver: 'fincloud',
            group_by: ['alertname', 'namespace'],
            group_wait: '5s',
            group_interval: '30s',
            repeat_interval: '4h',
          },
          receivers: [{ name: 'fincloud' }],
        }),
      );
      children.push(
        startChild(
          'alertmanager',
          alertmanager,
          [
            `--config.file=${join(amDir, 'alertmanager.yml')}`,
            `--storage.path=${join(amDir, 'data')}`,
            `--web.listen-address=127.0.0.1:${options.alertmanagerPort}`,
            '--cluster.listen-address=',
          ],
          join(options.stateDir, 'alertmanager.log'),
        ),
      );
      children.push(
        startChild(
          'prometheus',
          prometheus,
          [
            `--config.file=${join(promDir, 'prometheus.yml')}`,
            `--storage.tsdb.path=${join(promDir, 'data')}`,
            `--web.listen-address=127.0.0.1:${options.prometheusPort}`,
            '--web.enable-lifecycle',
          ],
          join(options.stateDir, 'prometheus.log'),
        ),
      );
      monitoring = true;
    }
  }

  writePrivate(
    join(options.stateDir, 'kubeconfig'),
    kubeconfigFor(url, token, options.clusterName, sim.caData),
  );
  writePrivate(
    join(options.stateDir, 'app-config.sim.yaml'),
    portalConfig(
      options.clusterName,
      url,
      token,
      options,
      monitoring,
      sim.caData,
    ),
  );
  writePrivate(
    join(options.stateDir, 'sim.json'),
    `${JSON.stringify(
      {
        url,
        token,
        pid: process.pid,
        prometheusUrl: monitoring
          ? `http://127.0.0.1:${options.prometheusPort}`
          : undefined,
        alertmanagerUrl: monitoring
          ? `http://127.0.0.1:${options.alertmanagerPort}`
          : undefined,
      },
      null,
      2,
    )}\n`,
  );

  process.stdout.write(
    [
      `fincloud cluster simulator listening on ${url}`,
      `  kubeconfig:    ${join(options.stateDir, 'kubeconfig')}`,
      `  portal config: ${join(options.stateDir, 'app-config.sim.yaml')}`,
      `  metrics:       ${url}/metrics`,
      ...(monitoring
        ? [
            `  prometheus:    http://127.0.0.1:${
              options.prometheusPort
            } (rules from ${join(options.stateDir, 'rules')})`,
            `  alertmanager:  http://127.0.0.1:${options.alertmanagerPort}`,
          ]
        : []),
      '',
    ].join('\n'),
  );

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(
      `${signal}: stopping the simulator${
        children.length ? ', Prometheus and Alertmanager' : ''
      }\n`,
    );
    for (const child of children) {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    await Promise.race([
      Promise.all(
        children.map(c =>
          c.exitCode !== null
            ? Promise.resolve()
            : new Promise(r => c.once('exit', r)),
        ),
      ),
      new Promise(r => setTimeout(r, 5000)),
    ]);
    for (const child of children) {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(error => {
  process.stderr.write(`cluster simulator failed to start: ${error.message}\n`);
  process.exit(1);
});
