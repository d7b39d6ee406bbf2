/**
 * The escape suite: nothing sent to the exec emulator may run a host process
 * or touch a host file. Every attempt in escape-corpus.yaml runs against an
 * emulated container while every export of child_process and worker_threads
 * (and the socket, DNS and fs entry points) is spied on; afterwards the
 * spies must show zero process calls, the canary file on the host must be
 * unchanged and unread, and the process must have the same children and
 * threads as before.
 */
import * as childProcess from 'node:child_process';
import * as workerThreads from 'node:worker_threads';
import * as crypto from 'node:crypto';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parse } from 'yaml';
import { CommandNotFoundError } from '../contracts';
import { createEmulatedContainer } from './container';
import { Keyboard } from './__testUtils__/harness';

type Entry = { sh?: string; argv?: string[]; tty?: string[] };

const realClock = {
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Spies on every function a module exports (the spies call through). */
function spyAll(
  mod: Record<string, unknown>,
  label: string,
  only?: (name: string) => boolean,
) {
  const spies: Array<{ name: string; spy: jest.SpyInstance }> = [];
  for (const name of Object.keys(mod)) {
    if (only && !only(name)) continue;
    const desc = Object.getOwnPropertyDescriptor(mod, name);
    if (typeof mod[name] !== 'function' || !desc?.configurable) continue;
    try {
      spies.push({
        name: `${label}.${name}`,
        spy: jest.spyOn(mod as Record<string, any>, name),
      });
    } catch {
      // a non-spyable export (getter-only): covered by the process checks below
    }
  }
  return spies;
}

function threads(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

function children(): string[] | undefined {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .flatMap(tid =>
        fs
          .readFileSync(`/proc/self/task/${tid}/children`, 'utf8')
          .trim()
          .split(/\s+/)
          .filter(Boolean),
      )
      .sort();
  } catch {
    return undefined;
  }
}

const corpus: Entry[] = parse(
  fs.readFileSync(path.join(__dirname, 'escape-corpus.yaml'), 'utf8'),
);

describe('exec escape suite', () => {
  let dir: string;
  let canary: string;
  let secret: string;
  let before: {
    stat: fs.Stats;
    entries: string[];
    threads?: number;
    children?: string[];
  };
  let atimeObservable = false;
  const processSpies: Array<{ name: string; spy: jest.SpyInstance }> = [];
  const hostAccess: string[] = [];
  const ioSpies: Array<{ name: string; spy: jest.SpyInstance }> = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fincloud-escape-'));
    canary = path.join(dir, 'canary.txt');
    secret = `CANARY-${crypto.randomBytes(16).toString('hex')}`;
    fs.writeFileSync(canary, `${secret}\n`);
    // An atime a day in the past: any read of the file would move it (relatime).
    const old = new Date(Date.now() - 3 * 86400_000);
    fs.utimesSync(canary, old, old);
    // Does this filesystem record reads at all? Probe with a second file.
    const probe = path.join(dir, 'probe.txt');
    fs.writeFileSync(probe, 'probe');
    fs.utimesSync(probe, old, old);
    fs.readFileSync(probe);
    atimeObservable = fs.statSync(probe).atimeMs > old.getTime() + 1000;
    fs.rmSync(probe);
    // Warm the libuv thread pool so that the thread count is stable.
    await fs.promises.readFile(__filename);
    await new Promise(r => crypto.pbkdf2('x', 'y', 1, 8, 'sha256', r));
    before = {
      stat: fs.statSync(canary),
      entries: fs.readdirSync(dir).sort(),
      threads: threads(),
      children: children(),
    };

    processSpies.push(
      ...spyAll(childProcess as any, 'child_process'),
      ...spyAll(workerThreads as any, 'worker_threads'),
    );
    ioSpies.push(
      ...spyAll(net as any, 'net', n =>
        /^(connect|createConnection|createServer)$/.test(n),
      ),
      ...spyAll(
        net.Socket.prototype as any,
        'net.Socket.prototype',
        n => n === 'connect',
      ),
      ...spyAll(http as any, 'http', n => /^(request|get)$/.test(n)),
      ...spyAll(https as any, 'https', n => /^(request|get)$/.test(n)),
      ...spyAll(tls as any, 'tls', n => n === 'connect'),
      ...spyAll(dns as any, 'dns', n =>
        /^(lookup|resolve\w*|reverse)$/.test(n),
      ),
      ...spyAll(dgram as any, 'dgram', n => n === 'createSocket'),
      ...spyAll(process as any, 'process', n =>
        /^(binding|_linkedBinding|dlopen|kill)$/.test(n),
      ),
    );
    // Any fs call that names the canary directory is a host-file access.
    const canaryDir = dir;
    for (const [label, mod] of [
      ['fs', fs],
      ['fs.promises', fs.promises],
    ] as const) {
      const target = mod as unknown as Record<
        string,
        (...args: unknown[]) => unknown
      >;
      for (const name of Object.keys(target)) {
        const original = target[name];
        const desc = Object.getOwnPropertyDescriptor(target, name);
        if (
          typeof original !== 'function' ||
          !desc?.configurable ||
          /^[A-Z]/.test(name)
        )
          continue;
        const spy = jest
          .spyOn(target, name)
          .mockImplementation(function spied(
            this: unknown,
            ...args: unknown[]
          ) {
            if (args.some(a => typeof a === 'string' && a.includes(canaryDir)))
              hostAccess.push(`${label}.${name}(${String(args[0])})`);
            return original.apply(this, args);
          });
        ioSpies.push({ name: `${label}.${name}`, spy });
      }
    }
  });

  afterAll(() => {
    for (const { spy } of [...processSpies, ...ioSpies]) spy.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has a corpus of at least 150 attempts', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
  });

  it('runs every attempt inside the emulator only', async () => {
    const outputs: string[] = [];
    const failures: string[] = [];
    const subst = (s: string) =>
      s
        .split('{CANARY_DIR}')
        .join(dir)
        .split('{CANARY}')
        .join(canary)
        .replace(/^LONG$/, 'x'.repeat(1_000_000));
    const extra: Entry[] = [
      { sh: `echo ${'A'.repeat(2_000_000)}` },
      { sh: `${'$('.repeat(200)}cat {CANARY}${')'.repeat(200)}` },
      { sh: `${'('.repeat(500)}cat {CANARY}${')'.repeat(500)}` },
      {
        argv: [
          'sh',
          '-c',
          'cat {CANARY}',
          ...Array.from({ length: 5000 }, (_, i) => `arg${i}`),
        ],
      },
    ];
    for (const [index, entry] of [...corpus, ...extra].entries()) {
      const container = createEmulatedContainer({
        namespace: 'payments',
        podName: 'payment-gateway-7d9f8b6c5-x2k4p',
        containerName: 'app',
        image:
          index % 2
            ? 'registry.fincloud.example/payments/payment-gateway:1.4.0'
            : 'node:20-alpine',
        env: {
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOSTNAME: 'payment-gateway-7d9f8b6c5-x2k4p',
        },
        podIp: '10.244.1.12',
        labels: { app: 'payment-gateway' },
        clock: realClock,
        async httpRequest(request) {
          const host = new URL(request.url).hostname;
          return host.startsWith('risk-engine')
            ? { status: 200, headers: {}, body: '{"workload":"risk-engine"}' }
            : undefined;
        },
      });
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 250);
      let out = '';
      const keyboard = new Keyboard();
      const tty = !!entry.tty;
      const argv = entry.tty
        ? ['sh']
        : entry.argv?.map(subst) ?? ['sh', '-c', subst(entry.sh ?? '')];
      const typing = (async () => {
        for (const k of entry.tty ?? []) {
          await new Promise(r => setTimeout(r, 10));
          keyboard.type(subst(k));
        }
        if (tty) {
          await new Promise(r => setTimeout(r, 20));
          keyboard.end();
        }
      })();
      try {
        await container.exec(argv, {
          stdin: tty ? keyboard : null,
          stdout: c => {
            if (out.length < 1_000_000) out += c.toString();
          },
          stderr: c => {
            if (out.length < 1_000_000) out += c.toString();
          },
          tty,
          onResize: () => undefined,
          signal: controller.signal,
        });
      } catch (e) {
        if (!(e instanceof CommandNotFoundError))
          failures.push(
            `${JSON.stringify(entry).slice(0, 120)}: ${(e as Error).stack}`,
          );
      } finally {
        clearTimeout(timer);
        controller.abort();
        await typing;
      }
      outputs.push(out);
    }

    // The emulator never failed in an unexpected way.
    expect(failures).toEqual([]);
    // No host process, thread, socket or DNS query.
    expect(
      processSpies.filter(s => s.spy.mock.calls.length).map(s => s.name),
    ).toEqual([]);
    expect(processSpies.length).toBeGreaterThanOrEqual(8);
    expect(
      ioSpies
        .filter(s => !s.name.startsWith('fs') && s.spy.mock.calls.length)
        .map(s => s.name),
    ).toEqual([]);
    // The canary's content never reached an output.
    expect(outputs.filter(o => o.includes(secret))).toEqual([]);
    // No fs call ever named the canary directory.
    expect(hostAccess).toEqual([]);
    // The canary is unchanged and unread; nothing was added next to it.
    const after = fs.statSync(canary);
    expect(fs.readFileSync(canary, 'utf8')).toBe(`${secret}\n`);
    expect(after.mtimeMs).toBe(before.stat.mtimeMs);
    expect(after.ctimeMs).toBe(before.stat.ctimeMs);
    expect(after.mode).toBe(before.stat.mode);
    expect(after.ino).toBe(before.stat.ino);
    expect(!atimeObservable || after.atimeMs === before.stat.atimeMs).toBe(
      true,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(before.entries);
    // Process accounting: the same children and threads as before (/proc is Linux's).
    if (before.threads === undefined && process.env.FINCLOUD_CI) {
      throw new Error('/proc is required for the escape suite in CI');
    } else if (before.threads === undefined) {
      // eslint-disable-next-line no-console
      console.warn(
        'Skipping the /proc process accounting: no /proc on this machine (it runs on Linux).',
      );
    }
    expect({ children: children(), threads: threads() }).toEqual({
      children: before.children,
      threads: before.threads,
    });
  }, 180_000);
});
