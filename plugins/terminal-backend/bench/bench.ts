/*
 * The terminal benchmark (`yarn workspace @fincloud/plugin-terminal-backend bench`).
 *
 * Starts the cluster simulator and the real portal backend
 * (packages/backend, with every plugin) as two child processes, signs in as
 * a platform member, and measures in one run:
 *
 * 1. Keystroke → echo round trips in a TTY shell, three ways, interleaved:
 *    - direct: `@kubernetes/client-node` Exec straight to the simulator;
 *    - terminal: the browser WebSocket → terminal backend (permission,
 *      recording, audit) → exec → simulator and back;
 *    - Backstage's Kubernetes proxy exec path (`/api/kubernetes/proxy`,
 *      the sim configured as cluster `sim`).
 * 2. 200 concurrent restricted sessions with output flowing (500 kB per
 *    command, in a loop), 20 of them reading slowly: the backend process's
 *    RSS growth and whether every byte arrived.
 *
 * Options: BENCH_KEYS (keystrokes per path, default 600), BENCH_SESSIONS
 * (default 200), BENCH_SECONDS (flood duration, default 30).
 */
import { ChildProcess, spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Exec, KubeConfig } from '@kubernetes/client-node';
import { WebSocket } from 'ws';

const repo = resolve(__dirname, '..', '..', '..');
const KEYS = Number(process.env.BENCH_KEYS ?? 600);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const FLOOD_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SLOW_READERS = Math.round(SESSIONS / 10);
const ARCHIVE = '/var/log/app/archive/app-2024-11-27.log';
const CHUNK = 500_000;

const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'terminal-bench-'));

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function freePort(): Promise<number> {
  return new Promise(res => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as any).port;
      s.close(() => res(port));
    });
  });
}

function start(name: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--require', require.resolve('@backstage/cli/config/nodeTransform.cjs'), ...args],
    {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(join(tmp, `${name}.log`));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  children.push(child);
  return child;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what} (logs in ${tmp})`);
    await new Promise(r => setTimeout(r, 300));
  }
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    n: s.length,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

/** A TTY shell reachable three ways; each `key()` resolves with the round trip in ms. */
interface EchoPath {
  name: string;
  key(): Promise<number>;
  close(): void;
}

/** Waits for the echo of one key in an output stream fed by `feed`. */
function echoWaiter() {
  let waiting: ((text: string) => boolean) | undefined;
  return {
    feed(text: string) {
      if (waiting && waiting(text)) waiting = undefined;
    },
    async roundTrip(send: () => void): Promise<number> {
      return new Promise((resolvePromise, reject) => {
        const started = process.hrtime.bigint();
        const timer = setTimeout(() => reject(new Error('no echo in 5 s')), 5000);
        waiting = text => {
          if (!text.includes('a')) return false;
          clearTimeout(timer);
          resolvePromise(Number(process.hrtime.bigint() - started) / 1e6);
          return true;
        };
        send();
      });
    },
  };
}

async function direct(kc: KubeConfig, pod: string): Promise<EchoPath> {
  const stdin = new PassThrough();
  const echo = echoWaiter();
  let prompt = false;
  const stdout = new Writable({
    write(chunk, _e, cb) {
      const text = chunk.toString();
      if (text.includes('# ')) prompt = true;
      echo.feed(text);
      cb();
    },
  });
  const ws = await new Exec(kc).exec('payments', pod, 'payment-gateway', ['/bin/sh'], stdout, null, stdin, true);
  await until('direct prompt', async () => (prompt ? true : undefined), 10_000);
  return {
    name: 'direct (client-node → simulator)',
    key: () => echo.roundTrip(() => stdin.write('a')),
    close: () => ws.close(),
  };
}

async function terminal(port: number, token: string, pod: string): Promise<EchoPath> {
  const q = new URLSearchParams({
    entityRef: 'component:default/payment-gateway',
    cluster: 'sim',
    namespace: 'payments',
    pod,
    container: 'payment-gateway',
    mode: 'shell',
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/terminal/ws?${q}`, [
    'fincloud.terminal.v1',
    `bearer.${token}`,
  ]);
  const echo = echoWaiter();
  let prompt = false;
  ws.on('message', data => {
    const m = JSON.parse(String(data));
    if (m.type === 'output') {
      if (m.data.includes('# ')) prompt = true;
      echo.feed(m.data);
    }
    if (m.type === 'closed') console.error('terminal session closed:', m.reason);
  });
  await new Promise((r, j) => {
    ws.on('open', r);
    ws.on('error', j);
  });
  ws.send(JSON.stringify({ type: 'justification', text: 'terminal benchmark: keystroke round trips' }));
  await until('terminal prompt', async () => (prompt ? true : undefined), 20_000);
  return {
    name: 'terminal (browser WS → backend → exec)',
    key: () => echo.roundTrip(() => ws.send(JSON.stringify({ type: 'stdin', data: 'a' }))),
    close: () => ws.close(),
  };
}

async function kubernetesProxy(port: number, token: string, pod: string): Promise<EchoPath> {
  const q = new URLSearchParams([
    ['command', '/bin/sh'],
    ['stdin', 'true'],
    ['stdout', 'true'],
    ['tty', 'true'],
    ['container', 'payment-gateway'],
  ]);
  const url = `ws://127.0.0.1:${port}/api/kubernetes/proxy/api/v1/namespaces/payments/pods/${pod}/exec?${q}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
    headers: {
      authorization: `Bearer ${token}`,
      'backstage-kubernetes-cluster': 'sim',
    },
  });
  const echo = echoWaiter();
  let prompt = false;
  ws.on('message', (data: Buffer) => {
    if (data[0] !== 1) return;
    const text = data.subarray(1).toString();
    if (text.includes('# ')) prompt = true;
    echo.feed(text);
  });
  await new Promise((r, j) => {
    ws.on('open', r);
    ws.on('error', j);
    ws.on('unexpected-response', (_req, res) => j(new Error(`proxy answered ${res.statusCode}`)));
  });
  await until('proxy prompt', async () => (prompt ? true : undefined), 10_000);
  return {
    name: "Backstage's Kubernetes proxy exec",
    key: () => echo.roundTrip(() => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('a')]))),
    close: () => ws.close(),
  };
}

/** One restricted session looping `head -c 1000000` and counting every byte. */
async function floodSession(port: number, token: string, pod: string, slow: boolean, deadline: number) {
  const q = new URLSearchParams({
    entityRef: 'component:default/payment-gateway',
    cluster: 'sim',
    namespace: 'payments',
    pod,
    container: 'payment-gateway',
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/terminal/ws?${q}`, [
    'fincloud.terminal.v1',
    `bearer.${token}`,
  ]);
  let received = 0;
  let commands = 0;
  let short = 0;
  let closedReason: string | undefined;
  let onExit: ((code: number) => void) | undefined;
  const nextExit = () =>
    new Promise<number>(r => {
      onExit = r;
    });
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>(r => {
    ready = r;
  });
  ws.on('message', data => {
    const m = JSON.parse(String(data));
    if (m.type === 'ready') ready();
    if (m.type === 'output') {
      received += Buffer.byteLength(m.data) - (m.data.match(/\r\n/g)?.length ?? 0);
    }
    if (m.type === 'exit') onExit?.(m.code);
    if (m.type === 'decision' && !m.decision.allowed) {
      console.error(`refused: ${m.decision.rule}`);
      onExit?.(-2);
    }
    if (m.type === 'closed') closedReason = m.reason;
  });
  ws.on('error', () => undefined);
  await new Promise(r => ws.on('open', r));
  await readyP;
  const socket = (ws as any)._socket;
  while (Date.now() < deadline && !closedReason) {
    const before = received;
    const exited = nextExit();
    ws.send(JSON.stringify({ type: 'line', line: `head -c ${CHUNK} ${ARCHIVE}` }));
    if (slow) {
      // a browser tab that stops reading for a while
      socket.pause();
      await new Promise(r => setTimeout(r, 2000));
      socket.resume();
    }
    const code = await Promise.race([
      exited,
      new Promise<number>(r => setTimeout(() => r(-1), 60_000)),
    ]);
    if (code === -1) {
      console.error(`a session waited 60 s for its command to end (received ${received - before} bytes)`);
      short++;
      break;
    }
    commands++;
    if (code !== 0 || received - before !== CHUNK) short++;
  }
  ws.close();
  return { received, commands, short, closedReason };
}

async function main() {
  console.log(`terminal bench: ${KEYS} keystrokes per path, ${SESSIONS} sessions for ${FLOOD_SECONDS} s (logs: ${tmp})`);
  // 1. the simulator
  const simState = join(tmp, 'sim');
  start('sim', [join(repo, 'packages/cluster-sim/src/cli/start.ts'), '--port', '0', '--no-prometheus', '--state-dir', simState], repo);
  const simInfo = await until('simulator', async () =>
    existsSync(join(simState, 'sim.json')) ? JSON.parse(readFileSync(join(simState, 'sim.json'), 'utf8')) : undefined,
  );

  // 2. the portal backend, on Postgres when it answers (recordings and the trail are kept there)
  const port = await freePort();
  const pg = process.env.BENCH_DATABASE ?? 'postgresql://postgres@127.0.0.1:5432';
  const usePg = await new Promise<boolean>(res => {
    const socket = connect(5432, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.on('error', () => res(false));
  });
  writeFileSync(
    join(tmp, 'bench.yaml'),
    [
      `app: { baseUrl: 'http://127.0.0.1:${port}' }`,
      'backend:',
      `  baseUrl: 'http://127.0.0.1:${port}'`,
      `  listen: { port: ${port}, host: 127.0.0.1 }`,
      ...(usePg
        ? ['  database:', '    client: pg', `    connection: '${pg}'`, `    prefix: 'terminal_bench_${port}_'`]
        : []),
      'auth: { providers: { fincloud-dev: { dangerouslyAllowOutsideDevelopment: true } } }',
      'fincloud:',
      '  audit:',
      `    spool: { directory: '${join(tmp, 'spool')}' }`,
      `    archiveDirectory: '${join(tmp, 'archive')}'`,
      '  terminal:',
      `    limits: { maxSessionsPerUser: ${SESSIONS + 10}, maxSessionsPerEntity: ${SESSIONS + 10} }`,
      ...(process.env.BENCH_RECORD === 'false' ? ['    restricted: { record: false }'] : []),
      '',
    ].join('\n'),
  );
  const backend = start(
    'backend',
    [
      'src/index.ts',
      '--config', join(repo, 'app-config.yaml'),
      '--config', join(simState, 'app-config.sim.yaml'),
      '--config', join(tmp, 'bench.yaml'),
    ],
    join(repo, 'packages/backend'),
    { NODE_ENV: 'development', LOG_LEVEL: 'warn' },
  );
  const base = `http://127.0.0.1:${port}`;
  const token: string = await until('sign-in as oscar', async () => {
    const res = await fetch(`${base}/api/auth/fincloud-dev/refresh`, {
      headers: { 'x-fincloud-dev-user': 'oscar' },
    });
    if (!res.ok) return undefined;
    const body = await res.json();
    // the catalog has oscar's groups once his token says so
    return body.backstageIdentity?.identity?.ownershipEntityRefs?.includes('group:default/platform-team')
      ? body.backstageIdentity.token
      : undefined;
  });
  const targets = await until('pods of payment-gateway', async () => {
    const res = await fetch(`${base}/api/terminal/entities/component/default/payment-gateway/targets`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const list = res.ok ? await res.json() : [];
    return list.filter((t: any) => t.ready).length >= 3 ? list : undefined;
  });
  const pods: string[] = targets.map((t: any) => t.pod);
  console.log(`backend pid ${backend.pid} on ${usePg ? 'Postgres' : 'SQLite'}, pods: ${pods.join(', ')}`);

  // 3. keystroke round trips, the three paths interleaved in rounds
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: simInfo.url, skipTLSVerify: true }],
    users: [{ name: 'sim', token: simInfo.token }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'sim' }],
    currentContext: 'sim',
  });
  const paths = [
    await direct(kc, pods[0]),
    await terminal(port, token, pods[0]),
    await kubernetesProxy(port, token, pods[0]),
  ];
  const samples = new Map(paths.map(p => [p.name, [] as number[]]));
  for (const p of paths) for (let i = 0; i < 50; i++) await p.key(); // warm-up
  for (let done = 0; done < KEYS; done += 50) {
    for (const p of paths) {
      for (let i = 0; i < 50; i++) samples.get(p.name)!.push(await p.key());
    }
  }
  for (const p of paths) p.close();
  console.log('\nKeystroke → echo round trip (TTY shell, one key at a time):');
  console.log('| Path | n | p50 | p95 | p99 | mean |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const results = new Map<string, ReturnType<typeof stats>>();
  for (const p of paths) {
    const s = stats(samples.get(p.name)!);
    results.set(p.name, s);
    console.log(`| ${p.name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.mean)} |`);
  }
  const [d, t, k] = paths.map(p => results.get(p.name)!);
  console.log(
    `terminal p99 / direct p99 = ${(t.p99 / d.p99).toFixed(2)} (goal ≤ 1.2); terminal p99 / proxy p99 = ${(t.p99 / k.p99).toFixed(2)} (goal ≤ 1)`,
  );

  // 4. the flood: concurrent sessions with output flowing
  await new Promise(r => setTimeout(r, 3000));
  const baseline = rssOf(backend.pid!);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(backend.pid!));
  }, 250);
  const deadline = Date.now() + FLOOD_SECONDS * 1000;
  const started = Date.now();
  const results2 = await Promise.all(
    Array.from({ length: SESSIONS }, (_, i) =>
      floodSession(port, token, pods[i % pods.length], i < SLOW_READERS, deadline),
    ),
  );
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await new Promise(r => setTimeout(r, 10_000));
  const after = rssOf(backend.pid!);
  const bytes = results2.reduce((a, r) => a + r.received, 0);
  const commands = results2.reduce((a, r) => a + r.commands, 0);
  const short = results2.reduce((a, r) => a + r.short, 0);
  const closed = results2.filter(r => r.closedReason).length;
  console.log(`\n${SESSIONS} concurrent restricted sessions (${SLOW_READERS} reading slowly), ${elapsed.toFixed(1)} s:`);
  console.log(`| Figure | Measured |`);
  console.log(`| --- | --- |`);
  console.log(`| commands run (each \`head -c ${CHUNK}\`) | ${commands} |`);
  console.log(`| output delivered | ${(bytes / 1e6).toFixed(1)} MB (${(bytes / 1e6 / elapsed).toFixed(1)} MB/s) |`);
  console.log(`| commands with missing or extra bytes | ${short} |`);
  console.log(`| sessions ended early | ${closed} |`);
  console.log(`| backend RSS before | ${(baseline / 1048576).toFixed(0)} MiB |`);
  console.log(`| backend RSS peak | ${(peak / 1048576).toFixed(0)} MiB (growth ${((peak - baseline) / 1048576).toFixed(0)} MiB, goal < 200) |`);
  console.log(`| backend RSS 10 s after the sessions closed | ${(after / 1048576).toFixed(0)} MiB |`);
  cleanup();
  await new Promise(r => setTimeout(r, 1000));
  const ok = short === 0 && closed === 0;
  if (ok) rmSync(tmp, { recursive: true, force: true });
  else console.log(`logs kept in ${tmp}`);
  process.exit(ok ? 0 : 1);
}

main().catch(error => {
  console.error(error);
  cleanup();
  process.exit(1);
});
