/**
 * Runtime tools (java, jstat, jcmd, jps, jinfo, node, npm, nginx) and
 * interactive programs (less, more, vi/vim/nano). The runtimes never run user
 * code: `java -jar`, `node -e` and friends answer as the emulated container
 * would, or say plainly that the emulator does not run programs.
 */
import { Interrupted, sleep, type Process, type Program } from '../runtime';
import {
  err,
  fail,
  fsMessage,
  inputChunks,
  out,
  readPath,
  rethrowSignals,
} from './util';

// ------------------------------------------------------------------ JVM

/** Heap figures (KiB) that move with time like a G1 heap under load. */
function heap(p: Process) {
  const t = (p.rt.clock.now() - p.rt.startedAt) / 1000;
  const ygc = 12 + Math.floor(t / 20);
  const phase = (t % 20) / 20;
  const ec = 155_648;
  const eu = Math.round(ec * (0.05 + 0.9 * phase));
  const oc = 358_400;
  const ou = Math.round(
    160_000 + 40_000 * Math.sin(t / 600) + Math.min(20_000, t * 2),
  );
  const mc = 81_024;
  const mu = 79_312.3;
  return {
    s0c: 0,
    s1c: 10_240,
    s0u: 0,
    s1u: 10_240 * 0.62,
    ec,
    eu,
    oc,
    ou,
    mc,
    mu,
    ccsc: 10_368,
    ccsu: 9_541.9,
    ygc,
    ygct: ygc * 0.0089,
    fgc: 0,
    fgct: 0,
    cgc: 2 + Math.floor(t / 900),
    cgct: 0.034 + Math.floor(t / 900) * 0.011,
  };
}

function jvmPid(p: Process, arg: string | undefined): number | undefined {
  if (!arg) return undefined;
  const pid = Number(arg);
  if (!Number.isInteger(pid)) return undefined;
  const proc = p.rt.procs.get(pid);
  return proc && proc.argv[0] === 'java' ? pid : undefined;
}

const JSTAT_HEADERS: Record<string, string> = {
  '-gcutil':
    '  S0     S1     E      O      M     CCS    YGC     YGCT     FGC    FGCT     CGC    CGCT       GCT   ',
  '-class': 'Loaded  Bytes  Unloaded  Bytes     Time   ',
  '-gccapacity':
    ' NGCMN    NGCMX     NGC     S0C   S1C       EC      OGCMN      OGCMX       OGC         OC       MCMN     MCMX      MC     CCSMN    CCSMX     CCSC    YGC    FGC   CGC ',
  '-gc': '    S0C         S1C         S0U         S1U          EC           EU           OC           OU          MC         MU       CCSC      CCSU     YGC     YGCT     FGC    FGCT     CGC    CGCT       GCT   ',
};

export const jstat: Program = async p => {
  const [opt, pidArg, interval, count] = p.argv.slice(1);
  if (!opt || opt === '-help' || opt === '--help') {
    await err(
      p,
      'Usage: jstat --help|-options\n       jstat -<option> [-t] [-h<lines>] <vmid> [<interval> [<count>]]',
    );
    return opt ? 0 : 1;
  }
  if (opt === '-options') {
    await out(
      p,
      '-class\n-compiler\n-gc\n-gccapacity\n-gccause\n-gcmetacapacity\n-gcnew\n-gcnewcapacity\n-gcold\n-gcoldcapacity\n-gcutil\n-printcompilation\n',
    );
    return 0;
  }
  if (!['-gc', '-gcutil', '-gccapacity', '-class'].includes(opt))
    return fail(p, `Unknown option: ${opt}`);
  const pid = jvmPid(p, pidArg);
  if (pid === undefined) {
    await err(p, `${pidArg ?? ''} not found`);
    return 1;
  }
  const every = interval
    ? Number(interval.replace(/ms$/, '').replace(/s$/, '000'))
    : 0;
  let times = every ? Infinity : 1;
  if (count) times = Number(count);
  const f = (n: number, d = 1) => n.toFixed(d);
  const header = JSTAT_HEADERS[opt] ?? JSTAT_HEADERS['-gc'];
  await out(p, `${header}\n`);
  for (let i = 0; i < times; i++) {
    const h = heap(p);
    const gct = h.ygct + h.fgct + h.cgct;
    let row: string;
    if (opt === '-gcutil') {
      row = [
        f((h.s0u / (h.s0c || 1)) * 100, 2).padStart(6),
        f((h.s1u / h.s1c) * 100, 2).padStart(6),
        f((h.eu / h.ec) * 100, 2).padStart(6),
        f((h.ou / h.oc) * 100, 2).padStart(6),
        f((h.mu / h.mc) * 100, 2).padStart(6),
        f((h.ccsu / h.ccsc) * 100, 2).padStart(6),
        String(h.ygc).padStart(6),
        f(h.ygct, 3).padStart(8),
        String(h.fgc).padStart(6),
        f(h.fgct, 3).padStart(8),
        String(h.cgc).padStart(6),
        f(h.cgct, 3).padStart(8),
        f(gct, 3).padStart(9),
      ].join(' ');
    } else if (opt === '-class') {
      row = `${String(15872 + h.ygc).padStart(6)} ${f(31245.6).padStart(
        7,
      )}      ${String(12).padStart(3)}    ${f(10.2).padStart(6)}      ${f(
        9.87,
        2,
      ).padStart(5)}`;
    } else if (opt === '-gccapacity') {
      row = `     0.0 3145728.0 ${f(h.ec + h.s1c).padStart(8)}     0.0 ${f(
        h.s1c,
      ).padStart(6)} ${f(h.ec).padStart(8)}        0.0  3145728.0 ${f(
        h.oc,
      ).padStart(10)} ${f(h.oc).padStart(10)}      0.0 1114112.0 ${f(
        h.mc,
      ).padStart(7)}      0.0 1048576.0 ${f(h.ccsc).padStart(7)} ${String(
        h.ygc,
      ).padStart(6)} ${String(h.fgc).padStart(5)} ${String(h.cgc).padStart(5)}`;
    } else {
      row = [
        f(h.s0c).padStart(11),
        f(h.s1c).padStart(11),
        f(h.s0u).padStart(11),
        f(h.s1u).padStart(11),
        f(h.ec).padStart(12),
        f(h.eu).padStart(12),
        f(h.oc).padStart(12),
        f(h.ou).padStart(12),
        f(h.mc).padStart(10),
        f(h.mu).padStart(10),
        f(h.ccsc).padStart(9),
        f(h.ccsu).padStart(9),
        String(h.ygc).padStart(7),
        f(h.ygct, 3).padStart(8),
        String(h.fgc).padStart(6),
        f(h.fgct, 3).padStart(7),
        String(h.cgc).padStart(7),
        f(h.cgct, 3).padStart(7),
        f(gct, 3).padStart(9),
      ].join(' ');
    }
    await out(p, `${row}\n`);
    if (i + 1 < times) await sleep(p.rt.clock, every || 1000, p.signal);
  }
  return 0;
};

const VM_FLAGS =
  '-XX:CICompilerCount=3 -XX:ConcGCThreads=1 -XX:G1ConcRefinementThreads=4 -XX:G1EagerReclaimRemSetThreshold=12 -XX:G1HeapRegionSize=1048576 -XX:GCDrainStackTargetSize=64 -XX:InitialHeapSize=268435456 -XX:MarkStackSize=4194304 -XX:MaxHeapSize=3221225472 -XX:MaxNewSize=1932525568 -XX:MaxRAMPercentage=75.000000 -XX:MinHeapDeltaBytes=1048576 -XX:MinHeapSize=8388608 -XX:NonNMethodCodeHeapSize=5839564 -XX:NonProfiledCodeHeapSize=122909338 -XX:ProfiledCodeHeapSize=122909338 -XX:ReservedCodeCacheSize=251658240 -XX:+SegmentedCodeCache -XX:SoftMaxHeapSize=3221225472 -XX:+UseCompressedClassPointers -XX:+UseCompressedOops -XX:+UseG1GC ';

const JCMD_COMMANDS = [
  'Compiler.codecache',
  'GC.class_histogram',
  'GC.heap_info',
  'GC.run',
  'JFR.check',
  'JFR.start',
  'JFR.stop',
  'Thread.print',
  'VM.command_line',
  'VM.flags',
  'VM.info',
  'VM.native_memory',
  'VM.system_properties',
  'VM.uptime',
  'VM.version',
  'help',
];

export const jcmd: Program = async p => {
  const args = p.argv.slice(1);
  if (args.length === 0 || args[0] === '-l') {
    await out(
      p,
      `1 /opt/app/app.jar\n${p.pid} jdk.jcmd/sun.tools.jcmd.JCmd${
        args.length ? ' -l' : ''
      }\n`,
    );
    return 0;
  }
  const pid =
    jvmPid(p, args[0]) ??
    (args[0] === 'app.jar' || args[0] === '/opt/app/app.jar' ? 1 : undefined);
  if (pid === undefined) {
    await err(
      p,
      `Process ${args[0]} not found.${
        /^\d+$/.test(args[0])
          ? ''
          : '\nCould not find any processes matching : ' + `'${args[0]}'`
      }`,
    );
    return 1;
  }
  const cmd = args[1] ?? '';
  const h = heap(p);
  let body: string;
  switch (cmd) {
    case 'VM.flags':
      body = VM_FLAGS;
      break;
    case 'GC.heap_info': {
      const total = 524_288;
      const used = Math.round(h.eu + h.ou + h.s1u);
      body = ` garbage-first heap   total ${total}K, used ${used}K [0x0000000740000000, 0x0000000800000000)\n  region size 1024K, ${Math.round(
        h.eu / 1024,
      )} young (${Math.round(
        h.eu,
      )}K), 10 survivors (10240K)\n Metaspace       used ${Math.round(
        h.mu,
      )}K, committed ${
        h.mc
      }K, reserved 1114112K\n  class space    used ${Math.round(
        h.ccsu,
      )}K, committed ${h.ccsc}K, reserved 1048576K`;
      break;
    }
    case 'VM.version':
      body = 'OpenJDK 64-Bit Server VM version 21.0.4+7-LTS\nJDK 21.0.4';
      break;
    case 'VM.uptime':
      body = `${((p.rt.clock.now() - p.rt.startedAt) / 1000).toFixed(3)} s`;
      break;
    case 'VM.command_line':
      body =
        'VM Arguments:\njvm_args: -XX:MaxRAMPercentage=75 -XX:+UseG1GC \njava_command: /opt/app/app.jar\njava_class_path (initial): /opt/app/app.jar\nLauncher Type: SUN_STANDARD';
      break;
    case 'VM.system_properties':
      body = `#${new Date(
        p.rt.clock.now(),
      ).toUTCString()}\njava.version=21.0.4\njava.vendor=Eclipse Adoptium\nfile.encoding=UTF-8\nuser.dir=/opt/app\njava.home=/opt/java/openjdk\nos.name=Linux`;
      break;
    case 'Thread.print':
      body = `${new Date(p.rt.clock.now())
        .toISOString()
        .replace('T', ' ')
        .slice(
          0,
          19,
        )}\nFull thread dump OpenJDK 64-Bit Server VM (21.0.4+7-LTS mixed mode, sharing):\n\n"main" #1 [1] prio=5 os_prio=0 cpu=5123.45ms elapsed=${(
        (p.rt.clock.now() - p.rt.startedAt) /
        1000
      ).toFixed(
        2,
      )}s tid=0x00007f3c2402a000 nid=1 waiting on condition  [0x00007f3c2b1fe000]\n   java.lang.Thread.State: WAITING (parking)\n\tat jdk.internal.misc.Unsafe.park(java.base@21.0.4/Native Method)\n\n"http-nio-8080-exec-1" #42 [57] daemon prio=5 os_prio=0 cpu=812.33ms elapsed=812.11s tid=0x00007f3b9c0a1800 nid=57 waiting on condition  [0x00007f3b8e7fe000]\n   java.lang.Thread.State: WAITING (parking)\n\tat org.apache.tomcat.util.threads.TaskQueue.take(TaskQueue.java:141)`;
      break;
    case 'GC.class_histogram':
      body =
        ' num     #instances         #bytes  class name (module)\n-------------------------------------------------------\n   1:        412345       39584512  [B (java.base@21.0.4)\n   2:        398112        9554688  java.lang.String (java.base@21.0.4)\n   3:         95123        6848856  java.util.HashMap$Node (java.base@21.0.4)\nTotal       1523412      118734912';
      break;
    case 'GC.run':
      body = 'Command executed successfully';
      break;
    case 'help':
    case '':
      body = `The following commands are available:\n${JCMD_COMMANDS.join(
        '\n',
      )}\n\nFor more information about a specific command use 'help <command>'.`;
      break;
    default:
      if (JCMD_COMMANDS.includes(cmd))
        body = `${cmd}: not available in this emulated JVM`;
      else {
        await out(p, `${pid}:\n`);
        await err(
          p,
          `java.lang.IllegalArgumentException: Unknown diagnostic command`,
        );
        return 1;
      }
  }
  await out(p, `${pid}:\n${body}\n`);
  return 0;
};

export const jps: Program = async p => {
  const a = p.argv.slice(1).join('');
  const l = a.includes('l');
  const v = a.includes('v');
  const q = a.includes('q');
  const main = l ? ' /opt/app/app.jar' : ' app.jar';
  const self = l ? ' jdk.jcmd/sun.tools.jps.Jps' : ' Jps';
  await out(
    p,
    `1${q ? '' : main}${v ? ' -XX:MaxRAMPercentage=75 -XX:+UseG1GC' : ''}\n${
      p.pid
    }${q ? '' : self}${
      v
        ? ' -Dapplication.home=/opt/java/openjdk -Xms8m -Djdk.module.main=jdk.jcmd'
        : ''
    }\n`,
  );
  return 0;
};

export const jinfo: Program = async p => {
  const pid = jvmPid(p, p.argv[p.argv.length - 1]);
  if (pid === undefined)
    return fail(p, `Could not find process ${p.argv[p.argv.length - 1] ?? ''}`);
  if (p.argv.includes('-flags')) await out(p, `VM Flags:\n${VM_FLAGS}\n`);
  else
    await out(
      p,
      `Java System Properties:\njava.version=21.0.4\njava.vendor=Eclipse Adoptium\nuser.dir=/opt/app\n\nVM Flags:\n${VM_FLAGS}\n\nVM Arguments:\njvm_args: -XX:MaxRAMPercentage=75 -XX:+UseG1GC\njava_command: /opt/app/app.jar\n`,
    );
  return 0;
};

export const java: Program = async p => {
  const args = p.argv.slice(1);
  if (args.includes('-version') || args.includes('--version')) {
    const text =
      'openjdk version "21.0.4" 2024-07-16 LTS\nOpenJDK Runtime Environment Temurin-21.0.4+7 (build 21.0.4+7-LTS)\nOpenJDK 64-Bit Server VM Temurin-21.0.4+7 (build 21.0.4+7-LTS, mixed mode, sharing)\n';
    if (args.includes('--version'))
      await out(p, text.replace('openjdk version "21.0.4"', 'openjdk 21.0.4'));
    else await err(p, text);
    return 0;
  }
  if (args.length === 0) {
    await err(
      p,
      'Usage: java [options] <mainclass> [args...]\n           (to execute a class)\n   or  java [options] -jar <jarfile> [args...]\n           (to execute a jar file)',
    );
    return 1;
  }
  const jar = args[args.indexOf('-jar') + 1];
  if (args.includes('-jar')) {
    if (!jar || !p.rt.fs.tryLookup(jar, p.cwd)) {
      await err(p, `Error: Unable to access jarfile ${jar ?? ''}`);
      return 1;
    }
    if (!/app\.jar$/.test(jar)) {
      await err(p, `no main manifest attribute, in ${jar}`);
      return 1;
    }
    // A second copy of the service: it boots and finds its port taken by PID 1.
    await out(
      p,
      `\n  .   ____          _            __ _ _\n /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\\n( ( )\\___ | '_ | '_| | '_ \\/ _\` | \\ \\ \\ \\\n \\\\/  ___)| |_)| | | | | || (_| |  ) ) ) )\n  '  |____| .__|_| |_|_| |_\\__, | / / / /\n =========|_|==============|___/=/_/_/_/\n\n :: Spring Boot ::                (v3.3.4)\n\n`,
    );
    await out(
      p,
      `${new Date(p.rt.clock.now()).toISOString()} ERROR ${p.pid} --- [${
        p.rt.profile.app
      }] [           main] o.s.b.d.LoggingFailureAnalysisReporter   : \n\n***************************\nAPPLICATION FAILED TO START\n***************************\n\nDescription:\n\nWeb server failed to start. Port 8080 was already in use.\n\nAction:\n\nIdentify and stop the process that's listening on port 8080 or configure this application to listen on another port.\n\n`,
    );
    return 1;
  }
  await err(
    p,
    `Error: Could not find or load main class ${
      args.find(x => !x.startsWith('-')) ?? ''
    }\nCaused by: java.lang.ClassNotFoundException: ${
      args.find(x => !x.startsWith('-')) ?? ''
    }`,
  );
  return 1;
};

export const keytool: Program = async p =>
  fail(
    p,
    'keytool error: java.lang.Exception: Keystore file does not exist: /opt/java/openjdk/lib/security/cacerts.p12',
  );

// ------------------------------------------------------------------ Node

export const node: Program = async p => {
  const args = p.argv.slice(1);
  if (args[0] === '-v' || args[0] === '--version') {
    await out(p, 'v20.17.0\n');
    return 0;
  }
  if (args.length === 0 && !p.terminal) return 0;
  // Running JavaScript would be running a program on the host: the emulator never does.
  await err(
    p,
    'node: running JavaScript is not supported in this emulated container (the simulator runs no programs); `node -v` works',
  );
  return 1;
};

export const npm: Program = async p => {
  const args = p.argv.slice(1);
  if (args[0] === '-v' || args[0] === '--version') {
    await out(p, p.name === 'npx' ? '10.8.2\n' : '10.8.2\n');
    return 0;
  }
  if (args[0] === 'ls' || args[0] === 'list') {
    await out(
      p,
      `${p.rt.profile.app}@${p.rt.profile.version} /usr/src/app\n├── body-parser@1.20.3\n├── express@4.21.0\n├── helmet@7.1.0\n├── pino@9.4.0\n└── prom-client@15.1.3\n\n`,
    );
    return 0;
  }
  await err(
    p,
    `npm error ${p.name} ${
      args[0] ?? ''
    }: running scripts and installing packages is not supported in this emulated container`,
  );
  return 1;
};

export const nginx: Program = async p => {
  const args = p.argv.slice(1);
  if (args.includes('-v') || args.includes('-V')) {
    await err(p, 'nginx version: nginx/1.27.2');
    return 0;
  }
  if (args.includes('-t')) {
    await err(
      p,
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful',
    );
    return 0;
  }
  if (args.includes('-s')) return 0;
  await err(
    p,
    'nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address in use)',
  );
  return 1;
};

// ------------------------------------------------------------------ pagers and editors

/**
 * less / more: print the file; on an interactive terminal wait for `q`.
 * `!command` (a shell escape) is refused: it prints "!command: not supported".
 */
export const pager: Program = async p => {
  const files = p.argv
    .slice(1)
    .filter(a => !a.startsWith('-') && !a.startsWith('+'));
  let status = 0;
  if (files.length === 0) {
    for await (const c of inputChunks(p.stdin)) await out(p, c);
    return 0;
  }
  for (const f of files) {
    try {
      for await (const c of readPath(p, f)) await out(p, c);
    } catch (e) {
      rethrowSignals(e);
      await err(
        p,
        p.name === 'more'
          ? `more: can't open ${f}: ${fsMessage(e)}`
          : `${f}: ${fsMessage(e)}`,
      );
      status = 1;
    }
  }
  const term = p.terminal;
  if (!term || !p.stdoutIsTty) return status;
  if (p.name === 'less') await out(p, '\x1b[7m(END)\x1b[27m');
  for (;;) {
    if (p.signal.aborted) throw new Interrupted();
    const k = await term.key();
    if (k === null || k === 'q' || k === 'Q') break;
    if (k === '!') {
      let cmd = '';
      await out(p, '\r\x1b[K!');
      for (;;) {
        const c = await term.key();
        if (c === null || c === '\r' || c === '\n') break;
        if (c === '\x7f' || c === '\b') cmd = cmd.slice(0, -1);
        else if (c >= ' ') cmd += c;
        await out(p, c >= ' ' ? c : '');
      }
      await out(p, `\r\x1b[K!${cmd}: not supported\n`);
      if (p.name === 'less') await out(p, '\x1b[7m(END)\x1b[27m');
    }
  }
  await out(p, '\r\x1b[K');
  return status;
};

export const editor: Program = async p => {
  await err(
    p,
    `${p.name}: editing files is not supported in this emulated container. Use cat or less to read a file, and change configuration through the deployment (ConfigMap, env) rather than inside a running pod.`,
  );
  return 1;
};

export const APP_PROGRAMS: Record<string, Program> = {
  jstat,
  jcmd,
  jps,
  jinfo,
  java,
  keytool,
  node,
  npm,
  npx: npm,
  nginx,
  less: pager,
  more: pager,
  vi: editor,
  vim: editor,
  nano: editor,
};
