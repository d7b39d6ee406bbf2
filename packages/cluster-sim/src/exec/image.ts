/**
 * What an image looks like inside: its runtime (Java, Node, nginx or a plain
 * Alpine), OS, shells, programs on PATH, the main process, and the files
 * seeded into the in-memory filesystem (app, config, logs, /etc, /proc, the
 * service-account token).
 */
import type { ContainerContext } from '../contracts';
import { createHash } from 'node:crypto';
import { MemFs, type Content, type DirNode, type Node } from './memfs';
import type { Proc, Runtime } from './runtime';

export type RuntimeKind = 'java' | 'node' | 'nginx' | 'generic';
export type OsKind = 'alpine' | 'ubuntu' | 'debian';

export interface ImageProfile {
  runtime: RuntimeKind;
  os: OsKind;
  /** Busybox userland (Alpine): ash, busybox ps/top formats. */
  busybox: boolean;
  shells: string[];
  mainArgv: string[];
  ports: number[];
  /** The app's name (from the image or the app label). */
  app: string;
  version: string;
}

const RUNTIME_LABEL = 'sim.fincloud.io/runtime';

/** What each runtime's image brings: OS, main process, ports, footprint, working directory. */
export const RUNTIMES: Record<
  RuntimeKind,
  {
    os: OsKind;
    mainArgv: string[];
    ports: number[];
    rssKb: number;
    vszKb: number;
    cpuShare: number;
    workdir: string;
  }
> = {
  java: {
    os: 'ubuntu',
    mainArgv: [
      'java',
      '-XX:MaxRAMPercentage=75',
      '-XX:+UseG1GC',
      '-jar',
      '/opt/app/app.jar',
    ],
    ports: [8080],
    rssKb: 612_340,
    vszKb: 5_934_324,
    cpuShare: 0.021,
    workdir: '/opt/app',
  },
  node: {
    os: 'alpine',
    mainArgv: ['node', 'server.js'],
    ports: [8080],
    rssKb: 98_212,
    vszKb: 1_148_236,
    cpuShare: 0.012,
    workdir: '/usr/src/app',
  },
  nginx: {
    os: 'debian',
    mainArgv: ['nginx: master process nginx -g daemon off;'],
    ports: [80],
    rssKb: 8_932,
    vszKb: 11_420,
    cpuShare: 0.0005,
    workdir: '/',
  },
  generic: {
    os: 'alpine',
    mainArgv: ['sleep', 'infinity'],
    ports: [],
    rssKb: 1_024,
    vszKb: 1_612,
    cpuShare: 0.0005,
    workdir: '/',
  },
};

export function detectProfile(ctx: ContainerContext): ImageProfile {
  const image = ctx.image.toLowerCase();
  const hint = (
    ctx.labels[RUNTIME_LABEL] ??
    ctx.env.SIM_RUNTIME ??
    ''
  ).toLowerCase();
  const names = `${image} ${ctx.labels.app ?? ''} ${ctx.podName}`.toLowerCase();
  let runtime: RuntimeKind;
  if (['java', 'node', 'nginx', 'generic'].includes(hint))
    runtime = hint as RuntimeKind;
  else if (
    /temurin|openjdk|jdk|jre|java|corretto|zulu|liberica|spring/.test(image) ||
    ctx.env.JAVA_HOME ||
    ctx.env.JAVA_OPTS ||
    ctx.env.JAVA_TOOL_OPTIONS
  )
    runtime = 'java';
  else if (/(^|\/)node(:|@|$)|nodejs|npm/.test(image) || ctx.env.NODE_ENV)
    runtime = 'node';
  else if (/nginx/.test(image)) runtime = 'nginx';
  else if (/portal|frontend|web\b|\bui\b/.test(names)) runtime = 'node';
  else if (
    /gateway|engine|service|api\b|risk|payment|ledger|settlement/.test(names)
  )
    runtime = 'java';
  else runtime = 'generic';

  const { os, mainArgv, ports } = RUNTIMES[runtime];
  const busybox = os === 'alpine';
  const app = ctx.labels.app ?? lastSegment(image) ?? ctx.containerName;
  const version = ctx.labels.version ?? tagOf(ctx.image) ?? '1.0.0';
  return {
    runtime,
    os,
    busybox,
    shells: busybox ? ['sh', 'ash'] : ['sh', 'bash', 'dash'],
    mainArgv,
    ports,
    app,
    version,
  };
}

function lastSegment(image: string): string | undefined {
  const noTag = image.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  return noTag.split('/').pop() || undefined;
}

function tagOf(image: string): string | undefined {
  const m = /:([^/@]+)(@|$)/.exec(image);
  return m?.[1];
}

// ------------------------------------------------------------- programs

/** Programs every image has (busybox applets on Alpine, coreutils elsewhere). */
export const COMMON_PROGRAMS = [
  'ls',
  'cat',
  'head',
  'tail',
  'grep',
  'egrep',
  'fgrep',
  'wc',
  'ps',
  'env',
  'printenv',
  'df',
  'du',
  'free',
  'uptime',
  'top',
  'id',
  'whoami',
  'hostname',
  'date',
  'echo',
  'pwd',
  'mkdir',
  'rmdir',
  'touch',
  'rm',
  'cp',
  'mv',
  'find',
  'sleep',
  'true',
  'false',
  'kill',
  'netstat',
  'ss',
  'nslookup',
  'curl',
  'wget',
  'less',
  'more',
  'vi',
  'vim',
  'nano',
  'sort',
  'uniq',
  'cut',
  'tr',
  'tee',
  'xargs',
  'seq',
  'basename',
  'dirname',
  'stat',
  'chmod',
  'chown',
  'ln',
  'readlink',
  'realpath',
  'base64',
  'md5sum',
  'sha256sum',
  'awk',
  'sed',
  'which',
  'uname',
  'stty',
  'tput',
  'clear',
  'ip',
  'ifconfig',
  'mount',
  'dmesg',
  'printf',
  'test',
  '[',
  'getent',
  'yes',
  'nproc',
  'expr',
  'timeout',
  'watch',
  'file',
  'tac',
  'rev',
  'nl',
  'od',
  'hexdump',
  'strings',
  'gzip',
  'zcat',
  'tar',
  'ping',
  'su',
  'sudo',
  'apk',
  'apt-get',
  'apt',
  'python',
  'python3',
  'perl',
  'nc',
];

/** Programs that exist only as "not found" (kept out of PATH). */
const ABSENT = new Set(['python', 'python3', 'perl', 'nc', 'sudo']);

function programsFor(p: ImageProfile): Map<string, string> {
  const where = new Map<string, string>();
  const binDir = (name: string) =>
    [
      'sh',
      'ash',
      'bash',
      'dash',
      'ls',
      'cat',
      'cp',
      'mv',
      'rm',
      'mkdir',
      'rmdir',
      'touch',
      'ln',
      'chmod',
      'chown',
      'echo',
      'pwd',
      'date',
      'df',
      'hostname',
      'kill',
      'ps',
      'sleep',
      'true',
      'false',
      'uname',
      'grep',
      'egrep',
      'fgrep',
      'sed',
      'more',
      'mount',
      'dmesg',
      'stty',
      'su',
      'gzip',
      'zcat',
      'tar',
      'ping',
      'netstat',
      'ip',
      'ifconfig',
    ].includes(name)
      ? '/bin'
      : '/usr/bin';
  for (const name of COMMON_PROGRAMS) {
    if (ABSENT.has(name)) continue;
    if (p.os === 'alpine' && (name === 'apt-get' || name === 'apt')) continue;
    if (p.os !== 'alpine' && name === 'apk') continue;
    where.set(name, `${binDir(name)}/${name}`);
  }
  for (const sh of p.shells) where.set(sh, `/bin/${sh}`);
  if (p.runtime === 'java') {
    for (const t of ['java', 'jcmd', 'jstat', 'jps', 'jinfo', 'keytool'])
      where.set(t, `/opt/java/openjdk/bin/${t}`);
  }
  if (p.runtime === 'node') {
    for (const t of ['node', 'npm', 'npx']) where.set(t, `/usr/local/bin/${t}`);
  }
  if (p.runtime === 'nginx') where.set('nginx', '/usr/sbin/nginx');
  return where;
}

// ------------------------------------------------------------- file helpers

/** Applets the Alpine images get from busybox (the rest are separate binaries). */
const BUSYBOX_APPLETS = [
  'sh',
  'ash',
  'ls',
  'cat',
  'head',
  'tail',
  'grep',
  'egrep',
  'fgrep',
  'wc',
  'ps',
  'env',
  'printenv',
  'df',
  'du',
  'free',
  'uptime',
  'top',
  'id',
  'whoami',
  'hostname',
  'date',
  'echo',
  'pwd',
  'mkdir',
  'rmdir',
  'touch',
  'rm',
  'cp',
  'mv',
  'find',
  'sleep',
  'true',
  'false',
  'kill',
  'netstat',
  'nslookup',
  'wget',
  'less',
  'more',
  'vi',
  'sort',
  'uniq',
  'cut',
  'tr',
  'tee',
  'xargs',
  'seq',
  'basename',
  'dirname',
  'stat',
  'chmod',
  'chown',
  'ln',
  'readlink',
  'realpath',
  'base64',
  'md5sum',
  'sha256sum',
  'awk',
  'sed',
  'which',
  'uname',
  'stty',
  'clear',
  'ip',
  'ifconfig',
  'mount',
  'dmesg',
  'printf',
  'test',
  '[',
  'yes',
  'nproc',
  'expr',
  'timeout',
  'watch',
  'tac',
  'rev',
  'nl',
  'od',
  'hexdump',
  'strings',
  'gzip',
  'zcat',
  'tar',
  'ping',
  'su',
];

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++)
    h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** An executable's bytes: an ELF header, then noise; generated on read. */
function binary(name: string, size: number): Content {
  const seed = hashName(name);
  return {
    kind: 'virtual',
    size: () => size,
    read: (offset, length) => {
      let out = '';
      const end = Math.min(size, offset + length);
      for (let i = offset; i < end; i++) {
        out +=
          i < 4
            ? '\x7fELF'[i]
            : String.fromCharCode(
                (Math.imul(i ^ seed, 2654435761) >>> 24) & 0xff,
              );
      }
      return out;
    },
  };
}

const text = (t: string): Content => ({ kind: 'text', text: t });

function file(content: Content, mode = 0o644, program?: string): Node {
  return { type: 'file', content, mode, uid: 0, gid: 0, mtime: 0, program };
}

function b64url(s: string | Buffer): string {
  return Buffer.from(s)
    .toString('base64')
    .replace(/=+$/, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** A service-account token that looks like the real thing (for the terminal's masking tests). */
export function serviceAccountToken(
  ctx: ContainerContext,
  now: number,
): string {
  const seed = `${ctx.namespace}/${ctx.podName}`;
  const kid = createHash('sha256')
    .update(`kid|${ctx.namespace}`)
    .digest('base64url')
    .slice(0, 43);
  const iat = Math.floor(now / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', kid }));
  const payload = b64url(
    JSON.stringify({
      aud: ['https://kubernetes.default.svc.cluster.local'],
      exp: iat + 3607,
      iat,
      iss: 'https://kubernetes.default.svc.cluster.local',
      jti: createHash('sha1')
        .update(`jti|${seed}`)
        .digest('hex')
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
      'kubernetes.io': {
        namespace: ctx.namespace,
        node: {
          name: ctx.nodeName ?? 'node-1',
          uid: createHash('sha1')
            .update(`node|${ctx.nodeName}`)
            .digest('hex')
            .slice(0, 32),
        },
        pod: {
          name: ctx.podName,
          uid: createHash('sha1')
            .update(`pod|${seed}`)
            .digest('hex')
            .slice(0, 32),
        },
        serviceaccount: {
          name: 'default',
          uid: createHash('sha1')
            .update(`sa|${ctx.namespace}`)
            .digest('hex')
            .slice(0, 32),
        },
        warnafter: iat + 3607 - 3600 + 3600,
      },
      nbf: iat,
      sub: `system:serviceaccount:${ctx.namespace}:default`,
    }),
  );
  let sig = '';
  for (let i = 0; sig.length < 342; i++)
    sig += createHash('sha512').update(`sig|${seed}|${i}`).digest('base64url');
  return `${header}.${payload}.${sig.slice(0, 342)}`;
}

const CA_CRT = `-----BEGIN CERTIFICATE-----
MIIDBTCCAe2gAwIBAgIIJ1tH5mK6pZ0wDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE
AxMKa3ViZXJuZXRlczAeFw0yNDA5MDExMjAwMDBaFw0zNDA4MzAxMjA1MDBaMBUx
EzARBgNVBAMTCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK
AoIBAQDG1s3ZbXJmU0lVc2ltdWxhdGVkQ2x1c3RlckNBMTIzNDU2Nzg5MGFiY2Rl
ZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=
-----END CERTIFICATE-----
`;

// ------------------------------------------------------------- growing logs

/**
 * A log that grows with the container's clock: line i is written at
 * start + 600·i + jitter ms and generated from its index, so `tail -f`
 * sees new lines as time passes without anything being stored.
 */
class GrowingLog {
  private offsets: number[] = [0];

  constructor(
    private readonly start: number,
    private readonly now: () => number,
    private readonly line: (i: number, at: number) => string,
    private readonly every = 600,
    private readonly max = 2_000_000,
  ) {}

  private at(i: number): number {
    return (
      this.start +
      this.every * i +
      ((Math.imul(i + 1, 2654435761) >>> 0) % Math.floor(this.every * 0.66))
    );
  }

  private count(): number {
    const elapsed = this.now() - this.start;
    if (elapsed < 0) return 0;
    let n = Math.min(this.max, Math.floor(elapsed / this.every) + 1);
    while (n > 0 && this.at(n - 1) > this.now()) n--;
    return n;
  }

  private text(i: number): string {
    return `${this.line(i, this.at(i))}\n`;
  }

  private ensure(n: number): void {
    while (this.offsets.length <= n) {
      const i = this.offsets.length - 1;
      this.offsets.push(this.offsets[i] + Buffer.byteLength(this.text(i)));
    }
  }

  content(): Content {
    return {
      kind: 'virtual',
      size: () => {
        const n = this.count();
        this.ensure(n);
        return this.offsets[n];
      },
      read: (offset, length) => {
        const n = this.count();
        this.ensure(n);
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (this.offsets[mid] <= offset) lo = mid;
          else hi = mid - 1;
        }
        let out = '';
        for (
          let i = lo;
          i < n && out.length < offset - this.offsets[lo] + length;
          i++
        )
          out += this.text(i);
        return out.slice(
          offset - this.offsets[lo],
          offset - this.offsets[lo] + length,
        );
      },
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const hex = (i: number, salt: string, n: number) =>
  createHash('md5').update(`${salt}|${i}`).digest('hex').slice(0, n);

const STARTUP_LOGGERS = [
  'c.f.APPApplication',
  'o.s.b.w.embedded.tomcat.TomcatWebServer',
  'com.zaxxer.hikari.HikariDataSource',
  'o.s.b.a.e.web.EndpointLinksResolver',
];

function springLine(app: string, version: string) {
  const cls = app
    .split(/[-_]/)
    .map(s => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
  const startup = [
    `Starting ${cls}Application v${version.replace(
      /^v/,
      '',
    )} using Java 21.0.4 with PID 1 (/opt/app/app.jar started by root in /opt/app)`,
    'No active profile set, falling back to 1 default profile: "default"',
    'Tomcat initialized with port 8080 (http)',
    'Starting service [Tomcat]',
    'Starting Servlet engine: [Apache Tomcat/10.1.30]',
    'HikariPool-1 - Starting...',
    'HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@5b2d2c1',
    'HikariPool-1 - Start completed.',
    "Exposing 4 endpoints beneath base path '/actuator'",
    "Tomcat started on port 8080 (http) with context path '/'",
    `Started ${cls}Application in 6.512 seconds (process running for 7.204)`,
  ];
  const loggers = [
    'c.f.p.web.CaptureController',
    'c.f.p.service.RoutingService',
    'c.f.p.client.RiskClient',
    'o.s.web.servlet.DispatcherServlet',
    'com.zaxxer.hikari.pool.HikariPool',
  ];
  return (i: number, at: number) => {
    const ts = iso(at);
    if (i < startup.length) {
      const logger = STARTUP_LOGGERS[
        Math.min(3, [2, 5, 8].filter(b => i >= b).length)
      ].replace('APP', cls);
      return `${ts}  INFO 1 --- [${app}] [           main] ${logger.padEnd(
        40,
      )} : ${startup[i]}`;
    }
    const h = Math.imul(i, 2246822519) >>> 0;
    const thread = `nio-8080-exec-${(h % 10) + 1}`.padStart(15);
    const id = hex(i, app, 8);
    if (h % 97 === 0) {
      return `${ts} ERROR 1 --- [${app}] [${thread}] ${loggers[2].padEnd(
        40,
      )} : Risk score request ${id} failed: java.net.SocketTimeoutException: Read timed out`;
    }
    if (h % 23 === 0) {
      return `${ts}  WARN 1 --- [${app}] [${thread}] ${loggers[4].padEnd(
        40,
      )} : HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=3)`;
    }
    const amount = ((h % 500000) / 100).toFixed(2);
    const ms = 8 + (h % 90);
    return `${ts}  INFO 1 --- [${app}] [${thread}] ${loggers[0].padEnd(
      40,
    )} : Captured payment ${id} amount=${amount} EUR status=AUTHORISED in ${ms} ms`;
  };
}

function gcLine(i: number, at: number): string {
  const secs = (i * 0.6).toFixed(3);
  const before = 180 + ((i * 37) % 140);
  return `[${iso(
    at,
  )}][${secs}s][info][gc] GC(${i}) Pause Young (Normal) (G1 Evacuation Pause) ${before}M->${Math.round(
    before * 0.42,
  )}M(512M) ${(2 + (i % 7) * 0.9).toFixed(3)}ms`;
}

function accessLine(app: string) {
  const paths = [
    '/api/accounts',
    '/api/payments',
    '/healthz',
    '/api/transfers',
    '/static/app.js',
  ];
  return (i: number, at: number) => {
    const h = Math.imul(i, 2654435761) >>> 0;
    let status = 200;
    if (h % 61 === 0) status = 502;
    else if (h % 13 === 0) status = 404;
    const d = new Date(at);
    const ts = `${String(d.getUTCDate()).padStart(2, '0')}/${d.toLocaleString(
      'en',
      { month: 'short', timeZone: 'UTC' },
    )}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
    return `10.244.${h % 4}.${(h >> 8) % 250} - - [${ts}] "GET ${
      paths[h % paths.length]
    } HTTP/1.1" ${status} ${300 + (h % 9000)} "-" "Mozilla/5.0" ${app}`;
  };
}

/** A fixed-size archived log (64 MiB) generated by offset: every line is exactly 128 bytes. */
function archivedLog(app: string, day: number): Content {
  const lineLen = 128;
  const lines = (64 * 1024 * 1024) / lineLen;
  const prefix = `  INFO 1 --- [${app}] [nio-8080-exec-`;
  const line = (i: number) => {
    const h = (Math.imul(i + 7, 2654435761) >>> 0)
      .toString(16)
      .padStart(8, '0');
    const body = `${iso(day + i * 330)}${prefix}${
      (i % 10) + 1
    }] c.f.p.web.CaptureController : Captured payment ${h}${(i & 0xffff)
      .toString(16)
      .padStart(4, '0')}`;
    return `${body.slice(0, lineLen - 1).padEnd(lineLen - 1)}\n`;
  };
  return {
    kind: 'virtual',
    size: () => lines * lineLen,
    read: (offset, length) => {
      const first = Math.floor(offset / lineLen);
      const last = Math.min(
        lines - 1,
        Math.floor((offset + length - 1) / lineLen),
      );
      const parts: string[] = [];
      for (let i = first; i <= last; i++) parts.push(line(i));
      const skip = offset - first * lineLen;
      return parts.join('').slice(skip, skip + length);
    },
  };
}

function jarBytes(): Content {
  const size = 52_428_800 + 12345;
  return {
    kind: 'virtual',
    size: () => size,
    read: (offset, length) => {
      let out = '';
      for (let i = offset; i < offset + length && i < size; i++) {
        if (i < 4) out += 'PK\x03\x04'[i];
        else
          out += String.fromCharCode((Math.imul(i, 2654435761) >>> 24) & 0xff);
      }
      return out;
    },
  };
}

// ------------------------------------------------------------- /etc

function osRelease(os: OsKind): string {
  switch (os) {
    case 'alpine':
      return 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n';
    case 'ubuntu':
      return 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL="https://www.ubuntu.com/"\nSUPPORT_URL="https://help.ubuntu.com/"\nBUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"\nUBUNTU_CODENAME=jammy\n';
    default:
      return 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';
  }
}

function passwd(p: ImageProfile): string {
  const shell = p.busybox ? '/bin/sh' : '/bin/bash';
  const lines = [
    `root:x:0:0:root:/root:${shell}`,
    `daemon:x:${p.busybox ? '2:2' : '1:1'}:daemon:/usr/sbin:/usr/sbin/nologin`,
    `bin:x:${p.busybox ? '1:1' : '2:2'}:bin:/bin:/usr/sbin/nologin`,
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  ];
  if (p.runtime === 'node')
    lines.push('node:x:1000:1000:Linux User,,,:/home/node:/bin/sh');
  if (p.runtime === 'nginx')
    lines.push('nginx:x:101:101:nginx user:/nonexistent:/bin/false');
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------- seeding

export interface Seeded {
  fs: MemFs;
  procs: Proc[];
}

/** The main process and its helpers (PID 1 ignores signals sent from inside the container). */
export function initialProcesses(
  p: ImageProfile,
  startedAt: number,
  now: () => number,
): Proc[] {
  const up = () => Math.max(0, now() - startedAt);
  const main: Proc = {
    pid: 1,
    ppid: 0,
    argv: p.mainArgv,
    user: 'root',
    startedAt,
    tty: '?',
    rssKb: RUNTIMES[p.runtime].rssKb,
    vszKb: RUNTIMES[p.runtime].vszKb,
    cpuMs: () => up() * RUNTIMES[p.runtime].cpuShare,
    state: () => (p.runtime === 'java' ? 'Ssl' : 'Ss'),
  };
  const procs = [main];
  if (p.runtime === 'nginx') {
    for (const pid of [29, 30]) {
      procs.push({
        ...main,
        pid,
        ppid: 1,
        argv: ['nginx: worker process'],
        user: 'nginx',
        rssKb: 3_212,
        state: () => 'S',
        kill: undefined,
      });
    }
  }
  return procs;
}

export function seedFilesystem(
  rt: Omit<Runtime, 'fs'> & { fs?: MemFs },
  now: () => number,
): MemFs {
  const { context: ctx, profile: p } = rt;
  const fs = new MemFs(now);
  const put = (path: string, node: Node) => fs.put(path, node);
  const dir = (path: string, mode = 0o755) => {
    fs.mkdir(path, '/', true, mode);
  };

  for (const d of [
    '/bin',
    '/sbin',
    '/usr/bin',
    '/usr/sbin',
    '/usr/local/bin',
    '/usr/lib',
    '/lib',
    '/etc',
    '/home',
    '/root',
    '/var/log',
    '/var/cache',
    '/var/lib',
    '/run',
    '/srv',
    '/opt',
    '/mnt',
    '/media',
    '/dev/pts',
    '/dev/shm',
    '/sys/fs/cgroup',
  ]) {
    dir(d);
  }
  dir('/tmp', 0o1777);
  dir('/var/tmp', 0o1777);
  fs.lookup('/root').mode = 0o700;

  // programs: ELF-looking binaries; on Alpine, busybox applets are links to /bin/busybox
  if (p.busybox)
    put('/bin/busybox', file(binary('busybox', 824_984), 0o755, 'busybox'));
  const applets = new Set(BUSYBOX_APPLETS);
  for (const [name, path] of programsFor(p)) {
    if (p.busybox && applets.has(name)) {
      put(path, {
        type: 'symlink',
        target: '/bin/busybox',
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
      });
    } else {
      put(
        path,
        file(
          binary(name, 40_000 + ((hashName(name) * 7919) % 260_000)),
          0o755,
          name,
        ),
      );
    }
  }
  if (p.runtime === 'java') {
    for (const t of ['java', 'jcmd', 'jstat', 'jps', 'jinfo', 'keytool']) {
      put(`/usr/bin/${t}`, {
        type: 'symlink',
        target: `/opt/java/openjdk/bin/${t}`,
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtime: 0,
      });
    }
    put(
      '/opt/java/openjdk/release',
      file(
        text(
          'JAVA_VERSION="21.0.4"\nIMPLEMENTOR="Eclipse Adoptium"\nJAVA_RUNTIME_VERSION="21.0.4+7-LTS"\n',
        ),
      ),
    );
  }

  // devices
  const dev = (
    name: string,
    device: 'null' | 'zero' | 'urandom' | 'tty' | 'stdout' | 'stderr' | 'stdin',
  ) =>
    put(`/dev/${name}`, {
      type: 'device',
      device,
      mode: 0o666,
      uid: 0,
      gid: 0,
      mtime: 0,
    });
  dev('null', 'null');
  dev('zero', 'zero');
  dev('urandom', 'urandom');
  dev('random', 'urandom');
  dev('tty', 'tty');
  dev('stdout', 'stdout');
  dev('stderr', 'stderr');
  dev('stdin', 'stdin');

  // /etc
  put('/etc/os-release', file(text(osRelease(p.os))));
  if (p.os === 'alpine') put('/etc/alpine-release', file(text('3.20.3\n')));
  else
    put(
      '/etc/debian_version',
      file(text(p.os === 'ubuntu' ? 'bookworm/sid\n' : '12.7\n')),
    );
  put('/etc/hostname', file(text(`${ctx.podName}\n`)));
  put(
    '/etc/hosts',
    file(
      text(
        `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${ctx.podIp}\t${ctx.podName}\n`,
      ),
    ),
  );
  put(
    '/etc/resolv.conf',
    file(
      text(
        `search ${ctx.namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
      ),
    ),
  );
  put('/etc/passwd', file(text(passwd(p))));
  put(
    '/etc/group',
    file(
      text(
        `root:x:0:${
          p.busybox ? 'root' : ''
        }\nbin:x:1:\ndaemon:x:2:\nnogroup:x:65534:\n${
          p.runtime === 'node' ? 'node:x:1000:node\n' : ''
        }`,
      ),
    ),
  );
  put(
    '/etc/shadow',
    file(
      text(
        'root:*:19950:0:99999:7:::\ndaemon:*:19950:0:99999:7:::\nbin:*:19950:0:99999:7:::\nnobody:*:19950:0:99999:7:::\n',
      ),
      0o640,
    ),
  );
  put(
    '/etc/profile',
    file(
      text(
        'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n',
      ),
    ),
  );
  put(
    '/etc/shells',
    file(text(`${p.shells.map(s => `/bin/${s}`).join('\n')}\n`)),
  );
  put('/etc/mtab', {
    type: 'symlink',
    target: '/proc/self/mounts',
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: 0,
  });

  // service account (a secret the terminal must mask)
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  put(`${sa}/token`, file(text(serviceAccountToken(ctx, rt.startedAt)), 0o644));
  put(`${sa}/ca.crt`, file(text(CA_CRT)));
  put(`${sa}/namespace`, file(text(ctx.namespace)));
  put('/run/secrets', {
    type: 'symlink',
    target: '/var/run/secrets',
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: 0,
  });

  // cgroup
  put('/sys/fs/cgroup/cpu.max', file(text('max 100000\n')));
  put('/sys/fs/cgroup/memory.max', file(text('max\n')));
  put(
    '/sys/fs/cgroup/memory.current',
    file({
      kind: 'dynamic',
      render: () =>
        `${initialProcesses(p, rt.startedAt, now)[0].rssKb * 1024}\n`,
    }),
  );

  // the app
  if (p.runtime === 'java') {
    put('/opt/app/app.jar', file(jarBytes()));
    put('/opt/app/config/application.yaml', file(text(javaConfig(ctx, p))));
    put(
      '/opt/app/config/logback-spring.xml',
      file(
        text(
          '<configuration>\n  <include resource="org/springframework/boot/logging/logback/base.xml"/>\n  <appender name="FILE" class="ch.qos.logback.core.FileAppender">\n    <file>/var/log/app/app.log</file>\n  </appender>\n</configuration>\n',
        ),
      ),
    );
    put(
      '/var/log/app/app.log',
      file(
        new GrowingLog(
          rt.startedAt,
          now,
          springLine(p.app, p.version),
        ).content(),
      ),
    );
    put(
      '/var/log/app/gc.log',
      file(new GrowingLog(rt.startedAt + 5000, now, gcLine, 20_000).content()),
    );
    put(
      '/var/log/app/archive/app-2024-11-27.log',
      file(archivedLog(p.app, Date.UTC(2024, 10, 27))),
    );
  } else if (p.runtime === 'node') {
    put('/usr/src/app/package.json', file(text(nodePackage(p))));
    put('/usr/src/app/server.js', file(text(nodeServer(p))));
    put(
      '/usr/src/app/dist/index.html',
      file(
        text(
          `<!doctype html>\n<html lang="en">\n  <head><meta charset="utf-8"><title>${p.app}</title></head>\n  <body><div id="root"></div><script src="/static/app.js"></script></body>\n</html>\n`,
        ),
      ),
    );
    put(
      '/usr/src/app/node_modules/.package-lock.json',
      file(
        text(
          `{\n  "name": "${p.app}",\n  "lockfileVersion": 3,\n  "requires": true\n}\n`,
        ),
      ),
    );
    for (const [name, version] of [
      ['express', '4.21.0'],
      ['prom-client', '15.1.3'],
      ['pino', '9.4.0'],
      ['helmet', '7.1.0'],
      ['body-parser', '1.20.3'],
    ]) {
      put(
        `/usr/src/app/node_modules/${name}/package.json`,
        file(
          text(
            `{\n  "name": "${name}",\n  "version": "${version}",\n  "main": "index.js",\n  "license": "MIT"\n}\n`,
          ),
        ),
      );
      put(
        `/usr/src/app/node_modules/${name}/index.js`,
        file(
          text(`'use strict';\nmodule.exports = require('./lib/${name}');\n`),
        ),
      );
    }
    put(
      '/usr/src/app/logs/access.log',
      file(new GrowingLog(rt.startedAt, now, accessLine(p.app), 450).content()),
    );
    dir('/home/node');
  } else if (p.runtime === 'nginx') {
    put(
      '/etc/nginx/nginx.conf',
      file(
        text(
          'user  nginx;\nworker_processes  auto;\nerror_log  /var/log/nginx/error.log notice;\npid        /var/run/nginx.pid;\nevents {\n    worker_connections  1024;\n}\nhttp {\n    include       /etc/nginx/mime.types;\n    access_log  /var/log/nginx/access.log  main;\n    sendfile        on;\n    keepalive_timeout  65;\n    include /etc/nginx/conf.d/*.conf;\n}\n',
        ),
      ),
    );
    put(
      '/usr/share/nginx/html/index.html',
      file(
        text(
          '<!DOCTYPE html>\n<html>\n<head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome to nginx!</h1></body>\n</html>\n',
        ),
      ),
    );
    put('/var/log/nginx/access.log', {
      type: 'symlink',
      target: '/dev/stdout',
      mode: 0o777,
      uid: 0,
      gid: 0,
      mtime: 0,
    });
    put('/var/log/nginx/error.log', {
      type: 'symlink',
      target: '/dev/stderr',
      mode: 0o777,
      uid: 0,
      gid: 0,
      mtime: 0,
    });
  }
  return fs;
}

function javaConfig(ctx: ContainerContext, p: ImageProfile): string {
  return `server:
  port: 8080
  shutdown: graceful
spring:
  application:
    name: ${p.app}
  datasource:
    url: jdbc:postgresql://${p.app}-db.${
    ctx.namespace
  }.svc.cluster.local:5432/${p.app.replace(/-/g, '_')}
    username: ${p.app.replace(/-/g, '_')}
    password: \${DB_PASSWORD}
    hikari:
      maximum-pool-size: 10
management:
  endpoints:
    web:
      exposure:
        include: health,info,prometheus,metrics
  endpoint:
    health:
      probes:
        enabled: true
logging:
  file:
    name: /var/log/app/app.log
  level:
    com.fincloud: INFO
fincloud:
  risk:
    base-url: http://risk-engine.risk.svc.cluster.local:8080
    timeout: 2s
`;
}

function nodePackage(p: ImageProfile): string {
  return `${JSON.stringify(
    {
      name: p.app,
      version: p.version.replace(/^v/, ''),
      private: true,
      main: 'server.js',
      scripts: {
        start: 'node server.js',
        build: 'tsc -b && vite build',
        test: 'jest',
      },
      dependencies: {
        express: '^4.21.0',
        helmet: '^7.1.0',
        pino: '^9.4.0',
        'prom-client': '^15.1.3',
      },
      engines: { node: '>=20' },
    },
    null,
    2,
  )}\n`;
}

function nodeServer(p: ImageProfile): string {
  return `'use strict';
const express = require('express');
const helmet = require('helmet');
const client = require('prom-client');
const logger = require('pino')();

const app = express();
app.use(helmet());
app.use(express.static('dist'));
client.collectDefaultMetrics();

app.get('/healthz', (_req, res) => res.json({ status: 'ok', app: '${p.app}' }));
app.get('/metrics', async (_req, res) => {
  res.set('Content-Type', client.register.contentType);
  res.end(await client.register.metrics());
});

const port = Number(process.env.PORT || 8080);
app.listen(port, () => logger.info({ port }, '${p.app} listening'));
`;
}

// ------------------------------------------------------------- /proc

export function mountProc(rt: Runtime, currentPid: () => number): void {
  const { fs, context: ctx, profile: p } = rt;
  const now = () => rt.clock.now();
  const dyn = (render: () => string): Node =>
    file({ kind: 'dynamic', render }, 0o444);
  const link = (target: string | (() => string)): Node => ({
    type: 'symlink',
    target,
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: 0,
  });
  const envText = () =>
    Object.entries(ctx.env)
      .map(([k, v]) => `${k}=${v}\0`)
      .join('');

  const mounts = () =>
    `${[
      'overlay / overlay rw,relatime,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/41/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/42/fs 0 0',
      'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
      'tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0',
      'cgroup /sys/fs/cgroup cgroup2 ro,nosuid,nodev,noexec,relatime 0 0',
      '/dev/nvme0n1p1 /etc/hosts ext4 rw,relatime 0 0',
      'tmpfs /var/run/secrets/kubernetes.io/serviceaccount tmpfs ro,relatime,size=15728640k 0 0',
    ].join('\n')}\n`;

  const pidDir = (pid: number): DirNode => {
    const proc = () => rt.procs.get(pid);
    const children = new Map<string, Node>([
      ['cmdline', dyn(() => `${(proc()?.argv ?? []).join('\0')}\0`)],
      [
        'comm',
        dyn(
          () => `${(proc()?.argv[0] ?? '').split('/').pop()?.split(':')[0]}\n`,
        ),
      ],
      ['environ', dyn(envText)],
      [
        'status',
        dyn(() => {
          const pr = proc();
          return `Name:\t${(pr?.argv[0] ?? '')
            .split('/')
            .pop()}\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t${
            pr?.ppid ?? 0
          }\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmRSS:\t${
            pr?.rssKb ?? 0
          } kB\nThreads:\t${pid === 1 && p.runtime === 'java' ? 42 : 1}\n`;
        }),
      ],
      ['cwd', link(pid === 1 ? RUNTIMES[p.runtime].workdir : '/')],
      ['root', link('/')],
      [
        'exe',
        link(() =>
          proc()?.argv[0]?.startsWith('/')
            ? proc()!.argv[0]
            : `/usr/bin/${proc()?.argv[0] ?? ''}`,
        ),
      ],
      ['mounts', dyn(mounts)],
      [
        'limits',
        dyn(
          () =>
            'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1048576              1048576              files     \n',
        ),
      ],
    ]);
    const fd: DirNode = fs.dir(0o500);
    for (const n of ['0', '1', '2']) fd.children.set(n, link('/dev/pts/0'));
    children.set('fd', fd);
    const task: DirNode = fs.dir(0o555);
    children.set('task', task);
    const d: DirNode = {
      type: 'dir',
      children,
      mode: 0o555,
      uid: 0,
      gid: 0,
      mtime: rt.startedAt,
    };
    task.children.set(String(pid), d);
    return d;
  };

  const staticFiles = new Map<string, Node>([
    [
      'cpuinfo',
      dyn(() =>
        Array.from(
          { length: 4 },
          (_, i) =>
            `processor\t: ${i}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz\ncpu MHz\t\t: 2899.998\ncache size\t: 55296 KB\ncpu cores\t: 2\n`,
        ).join('\n'),
      ),
    ],
    [
      'meminfo',
      dyn(() => {
        const m = memory(rt);
        return `MemTotal:       ${m.total} kB\nMemFree:        ${
          m.free
        } kB\nMemAvailable:   ${m.available} kB\nBuffers:          ${Math.round(
          m.cache * 0.05,
        )} kB\nCached:         ${Math.round(
          m.cache * 0.95,
        )} kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n`;
      }),
    ],
    [
      'loadavg',
      dyn(
        () =>
          `${loadAvg(rt)
            .map(l => l.toFixed(2))
            .join(' ')} 1/${rt.procs.list().length + 180} ${currentPid()}\n`,
      ),
    ],
    [
      'uptime',
      dyn(
        () =>
          `${((now() - rt.bootedAt) / 1000).toFixed(2)} ${(
            ((now() - rt.bootedAt) / 1000) *
            3.6
          ).toFixed(2)}\n`,
      ),
    ],
    [
      'version',
      dyn(
        () =>
          'Linux version 6.1.112-124.190.amzn2023.x86_64 (mockbuild@ip-10-0-54-42) (gcc (GCC) 11.4.1 20230605, GNU ld version 2.39) #1 SMP PREEMPT_DYNAMIC Tue Oct  1 20:01:35 UTC 2024\n',
      ),
    ],
    ['mounts', dyn(mounts)],
    ['self', link(() => `/proc/${currentPid()}`)],
    ['thread-self', link(() => `/proc/${currentPid()}/task/${currentPid()}`)],
  ]);
  const cache = new Map<number, DirNode>();
  const procDir: DirNode = {
    type: 'dir',
    children: new Map(),
    mode: 0o555,
    uid: 0,
    gid: 0,
    mtime: rt.startedAt,
    dynamic: () => {
      const m = new Map<string, Node>();
      for (const pr of rt.procs.list()) {
        let d = cache.get(pr.pid);
        if (!d) {
          d = pidDir(pr.pid);
          cache.set(pr.pid, d);
        }
        m.set(String(pr.pid), d);
      }
      for (const [k, v] of staticFiles) m.set(k, v);
      return m;
    },
  };
  fs.root.children.set('proc', procDir);
}

/** Node memory in KiB, varying a little with time. */
export function memory(rt: Runtime) {
  const total = 16_393_872;
  const t = (rt.clock.now() - rt.startedAt) / 1000;
  const used = Math.round(
    4_800_000 + 350_000 * Math.sin(t / 300) + rt.fs.usedBytes / 1024,
  );
  const cache = 3_060_000;
  const free = total - used - cache;
  return {
    total,
    used,
    free,
    cache,
    shared: 1_236,
    available: free + Math.round(cache * 0.9),
  };
}

export function loadAvg(rt: Runtime): [number, number, number] {
  const t = (rt.clock.now() - rt.startedAt) / 1000;
  const base = rt.profile.runtime === 'java' ? 0.42 : 0.18;
  return [
    base + 0.15 * Math.abs(Math.sin(t / 60)),
    base + 0.08 * Math.abs(Math.sin(t / 300)),
    base + 0.04 * Math.abs(Math.sin(t / 900)),
  ];
}
