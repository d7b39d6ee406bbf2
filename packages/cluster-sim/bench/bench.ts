/**
 * `yarn workspace @fincloud/cluster-sim bench`: throughput of the simulator
 * through the real @kubernetes/client-node, so later figures know the test
 * harness is not their bottleneck. Prints figures; asserts nothing.
 *
 *   list      objects/s of a 5 000-object list
 *   watch     events/s delivered to a client Watch
 *   exec      sessions/s of one-shot `echo` execs, and p50/p99 of interactive
 *             round trips (a line to `cat` over stdin and back) in one session
 *   logs      MB/s of a finished 1 M-line log, and of following a log while
 *             1 M lines are written
 */
import { PassThrough, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, Exec, Log, Watch } from '@kubernetes/client-node';
import { startClusterSim } from '../src/testing/startClusterSim';

const LIST_OBJECTS = Number(process.env.BENCH_LIST_OBJECTS ?? 5000);
const WATCH_EVENTS = Number(process.env.BENCH_WATCH_EVENTS ?? 20000);
const EXEC_SESSIONS = Number(process.env.BENCH_EXEC_SESSIONS ?? 300);
const EXEC_ROUND_TRIPS = Number(process.env.BENCH_EXEC_ROUND_TRIPS ?? 2000);
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

function row(name: string, figure: string, detail: string) {
  process.stdout.write(
    `${name.padEnd(34)} ${figure.padStart(16)}   ${detail}\n`,
  );
}

class Counter extends Writable {
  bytes = 0;
  _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.bytes += chunk.length;
    done();
  }
}

async function main() {
  const sim = await startClusterSim({
    trafficIntervalMs: 0,
    accessLogIntervalMs: 3_600_000,
  });
  const kc = sim.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  process.stdout.write(
    `cluster simulator benchmark (Node ${
      process.version
    }, ${new Date().toISOString()})\n\n`,
  );

  // ------------------------------------------------------------ list
  sim.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'bench' },
  });
  const objects = Array.from({ length: LIST_OBJECTS }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `cm-${String(i).padStart(5, '0')}`,
      namespace: 'bench',
      labels: { app: 'bench', shard: String(i % 10) },
    },
    data: { key: `value-${i}`, config: 'x'.repeat(200) },
  }));
  sim.apply(objects);
  await core.listNamespacedConfigMap({ namespace: 'bench' });
  let listed = 0;
  let start = performance.now();
  for (let i = 0; i < 10; i++) {
    listed += (await core.listNamespacedConfigMap({ namespace: 'bench' })).items
      .length;
  }
  let seconds = (performance.now() - start) / 1000;
  row(
    'list (CoreV1Api)',
    `${Math.round(listed / seconds).toLocaleString('en')} obj/s`,
    `10 lists of ${LIST_OBJECTS} ConfigMaps, ${(seconds * 100).toFixed(
      0,
    )} ms per list`,
  );
  start = performance.now();
  const selected = await core.listNamespacedConfigMap({
    namespace: 'bench',
    labelSelector: 'shard=3',
  });
  row(
    'list with label selector',
    `${(performance.now() - start).toFixed(1)} ms`,
    `${selected.items.length} of ${LIST_OBJECTS} matched`,
  );

  // ------------------------------------------------------------ watch
  const cluster = sim.simulator.cluster;
  const configmaps = cluster.resource('', 'configmaps');
  let received = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>(r => {
    resolveAll = r;
  });
  const rv = (
    await core.listNamespacedConfigMap({ namespace: 'bench', limit: 1 })
  ).metadata?.resourceVersion;
  const controller = await new Watch(kc).watch(
    '/api/v1/namespaces/bench/configmaps',
    { resourceVersion: rv },
    () => {
      if (++received === WATCH_EVENTS) resolveAll();
    },
    () => {},
  );
  start = performance.now();
  for (let i = 0; i < WATCH_EVENTS; i++) {
    cluster.patch(
      configmaps,
      'bench',
      `cm-${String(i % LIST_OBJECTS).padStart(5, '0')}`,
      'merge',
      { data: { n: String(i) } },
    );
    if (i % 500 === 0) await new Promise(r => setImmediate(r));
  }
  await all;
  seconds = (performance.now() - start) / 1000;
  controller.abort();
  row(
    'watch (Watch)',
    `${Math.round(WATCH_EVENTS / seconds).toLocaleString('en')} ev/s`,
    `${WATCH_EVENTS} MODIFIED events, write to client callback`,
  );

  // ------------------------------------------------------------ exec
  await core.createNamespacedPod({
    namespace: 'bench',
    body: {
      metadata: { name: 'shell' },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    },
  });
  for (;;) {
    const pod = await core.readNamespacedPod({
      namespace: 'bench',
      name: 'shell',
    });
    if (pod.status?.containerStatuses?.[0]?.state?.running) break;
    await new Promise(r => setTimeout(r, 100));
  }
  const exec = new Exec(kc);
  const sessionTimes: number[] = [];
  start = performance.now();
  for (let i = 0; i < EXEC_SESSIONS; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      exec
        .exec(
          'bench',
          'shell',
          'app',
          ['echo', 'hi'],
          new Counter(),
          new Counter(),
          null,
          false,
          () => resolve(),
        )
        .catch(reject);
    });
    sessionTimes.push(performance.now() - t0);
  }
  seconds = (performance.now() - start) / 1000;
  row(
    'exec sessions (Exec, v5)',
    `${(EXEC_SESSIONS / seconds).toFixed(0)} sess/s`,
    `p50 ${percentile(sessionTimes, 50).toFixed(2)} ms, p99 ${percentile(
      sessionTimes,
      99,
    ).toFixed(2)} ms per \`echo hi\` (connect, run, status)`,
  );

  const stdin = new PassThrough();
  // Resolves a trip once the whole line it sent has come back.
  const waiter: { resolve?: () => void; buffered: string; expected: string } = {
    buffered: '',
    expected: '',
  };
  const stdout = new Writable({
    write(chunk, _enc, done) {
      waiter.buffered += chunk.toString();
      if (waiter.resolve && waiter.buffered.length >= waiter.expected.length) {
        if (waiter.buffered !== waiter.expected) {
          done(
            new Error(
              `expected ${JSON.stringify(
                waiter.expected,
              )}, got ${JSON.stringify(waiter.buffered)}`,
            ),
          );
          return;
        }
        waiter.buffered = '';
        const resolve = waiter.resolve;
        waiter.resolve = undefined;
        resolve();
      }
      done();
    },
  });
  const statusSeen = new Promise<void>(resolve => {
    exec
      .exec(
        'bench',
        'shell',
        'app',
        ['cat'],
        stdout,
        new Counter(),
        stdin,
        false,
        () => resolve(),
      )
      .catch(() => resolve());
  });
  await new Promise(r => setTimeout(r, 200));
  const trips: number[] = [];
  for (let i = 0; i < EXEC_ROUND_TRIPS; i++) {
    const t0 = performance.now();
    await new Promise<void>(resolve => {
      waiter.resolve = resolve;
      waiter.expected = `round trip ${i}\n`;
      stdin.write(waiter.expected);
    });
    trips.push(performance.now() - t0);
  }
  stdin.end();
  await statusSeen;
  const tripSeconds = trips.reduce((a, b) => a + b, 0) / 1000;
  row(
    'exec round trips (stdin→stdout)',
    `${(EXEC_ROUND_TRIPS / tripSeconds).toFixed(0)} rt/s`,
    `p50 ${percentile(trips, 50).toFixed(2)} ms, p99 ${percentile(
      trips,
      99,
    ).toFixed(2)} ms, one \`cat\` session`,
  );

  // ------------------------------------------------------------ logs
  const line = (i: number) =>
    `2026-01-15T09:00:00.000Z  INFO 1 --- [main] c.f.bench.Generator : log line ${i} ${'payload '.repeat(
      6,
    )}`;
  const batch = 10_000;
  for (let i = 0; i < LOG_LINES; i += batch) {
    sim.store.writeLog(
      'bench',
      'shell',
      'app',
      Array.from({ length: Math.min(batch, LOG_LINES - i) }, (_, k) =>
        line(i + k),
      ),
    );
  }
  const finished = new Counter();
  start = performance.now();
  await new Promise<void>((resolve, reject) => {
    finished.on('finish', () => resolve());
    new Log(kc)
      .log('bench', 'shell', 'app', finished, { follow: false })
      .catch(reject);
  });
  seconds = (performance.now() - start) / 1000;
  row(
    'log, finished (Log)',
    `${(finished.bytes / 1e6 / seconds).toFixed(0)} MB/s`,
    `${LOG_LINES.toLocaleString('en')} lines, ${(finished.bytes / 1e6).toFixed(
      0,
    )} MB in ${(seconds * 1000).toFixed(0)} ms`,
  );

  await core.createNamespacedPod({
    namespace: 'bench',
    body: {
      metadata: { name: 'writer' },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    },
  });
  for (;;) {
    const pod = await core.readNamespacedPod({
      namespace: 'bench',
      name: 'writer',
    });
    if (pod.status?.containerStatuses?.[0]?.state?.running) break;
    await new Promise(r => setTimeout(r, 100));
  }
  const followed = new Counter();
  const target = finished.bytes;
  let followDone!: () => void;
  const followedAll = new Promise<void>(r => {
    followDone = r;
  });
  const origWrite = followed._write.bind(followed);
  followed._write = (chunk, enc, done) => {
    origWrite(chunk, enc, done);
    if (followed.bytes >= target) followDone();
  };
  const req = await new Log(kc).log('bench', 'writer', 'app', followed, {
    follow: true,
  });
  const startupBytes = sim.store.logText('bench', 'writer', 'app').length;
  start = performance.now();
  for (let i = 0; i < LOG_LINES; i += batch) {
    sim.store.writeLog(
      'bench',
      'writer',
      'app',
      Array.from({ length: Math.min(batch, LOG_LINES - i) }, (_, k) =>
        line(i + k),
      ),
    );
    await new Promise(r => setImmediate(r));
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    followedAll,
    new Promise(r => (timer = setTimeout(r, 60_000))),
  ]);
  clearTimeout(timer);
  seconds = (performance.now() - start) / 1000;
  req.abort();
  row(
    'log, follow (Log, follow=true)',
    `${((followed.bytes - startupBytes) / 1e6 / seconds).toFixed(0)} MB/s`,
    `${LOG_LINES.toLocaleString('en')} lines written while following`,
  );

  await sim.stop();
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
