/** System programs: ps, top, free, uptime, id, hostname, date, uname, env, kill, sleep, stty, tput, ... */
import { loadAvg, memory } from '../image';
import {
  Interrupted,
  sleep,
  type Proc,
  type Process,
  type Program,
} from '../runtime';
import {
  badOption,
  DAYS,
  err,
  fail,
  MONTHS,
  out,
  pad2,
  parseArgs,
  value,
} from './util';

const cmdline = (pr: Proc) => pr.argv.join(' ');
const fmtCpu = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${pad2(s % 60)}`;
};
const hhmm = (ms: number) => {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
};

function psTable(
  p: Process,
  style: 'aux' | 'ef' | 'default' | 'busybox',
): string {
  const now = p.rt.clock.now();
  const procs = p.rt.procs.list();
  const mem = memory(p.rt);
  if (style === 'busybox') {
    return `PID   USER     TIME  COMMAND\n${procs
      .map(
        pr =>
          `${String(pr.pid).padStart(5)} ${pr.user.padEnd(8)} ${fmtCpu(
            pr.cpuMs(),
          ).padStart(5)} ${cmdline(pr)}`,
      )
      .join('\n')}\n`;
  }
  if (style === 'ef') {
    const t = (ms: number) => {
      const s = Math.floor(ms / 1000);
      return `${pad2(Math.floor(s / 3600))}:${pad2(
        Math.floor(s / 60) % 60,
      )}:${pad2(s % 60)}`;
    };
    return `UID          PID    PPID  C STIME TTY          TIME CMD\n${procs
      .map(
        pr =>
          `${pr.user.padEnd(8)} ${String(pr.pid).padStart(7)} ${String(
            pr.ppid,
          ).padStart(7)}  ${pr.pid === 1 ? 2 : 0} ${hhmm(
            pr.startedAt,
          )} ${pr.tty.padEnd(8)} ${t(pr.cpuMs())} ${cmdline(pr)}`,
      )
      .join('\n')}\n`;
  }
  if (style === 'default') {
    const mine = procs.filter(pr => pr.tty !== '?');
    return `    PID TTY          TIME CMD\n${mine
      .map(
        pr =>
          `${String(pr.pid).padStart(7)} ${pr.tty.padEnd(
            8,
          )} 00:00:00 ${pr.argv[0].split('/').pop()}`,
      )
      .join('\n')}\n`;
  }
  const cols = p.terminal?.cols ?? 1000;
  return `USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n${procs
    .map(pr => {
      const age = Math.max(1, now - pr.startedAt);
      const cpu = ((pr.cpuMs() / age) * 100).toFixed(1);
      const memPct = ((pr.rssKb / mem.total) * 100).toFixed(1);
      const line = `${pr.user.padEnd(8)} ${String(pr.pid).padStart(
        7,
      )} ${cpu.padStart(4)} ${memPct.padStart(4)} ${String(pr.vszKb).padStart(
        6,
      )} ${String(pr.rssKb).padStart(5)} ${pr.tty.padEnd(8)} ${pr
        .state()
        .padEnd(4)} ${hhmm(pr.startedAt)}   ${fmtCpu(pr.cpuMs())} ${cmdline(
        pr,
      )}`;
      return p.stdoutIsTty ? line.slice(0, cols) : line;
    })
    .join('\n')}\n`;
}

export const ps: Program = async p => {
  const args = p.argv.slice(1).join(' ');
  if (p.rt.profile.busybox) {
    await out(p, psTable(p, 'busybox'));
    return 0;
  }
  let style: 'aux' | 'ef' | 'default' = 'default';
  if (/\b-?[a-z]*a[a-z]*u[a-z]*x|\baux\b|\baxu\b|\bux\b/.test(args))
    style = 'aux';
  else if (/-e|-A|-f/.test(args)) style = 'ef';
  else if (args && !/^-?[a-zA-Z]+$/.test(args.trim()))
    return fail(p, `error: unsupported option (BSD syntax)`);
  await out(p, psTable(p, style));
  return 0;
};

function topFrame(p: Process): string {
  const now = p.rt.clock.now();
  const d = new Date(now);
  const procs = p.rt.procs.list();
  const load = loadAvg(p.rt).map(l => l.toFixed(2));
  const m = memory(p.rt);
  const up = upText(now - p.rt.bootedAt);
  if (p.rt.profile.busybox) {
    return (
      `Mem: ${m.used}K used, ${m.free}K free, ${m.shared}K shrd, ${Math.round(
        m.cache * 0.05,
      )}K buff, ${Math.round(m.cache * 0.95)}K cached\n` +
      `CPU:   4% usr   1% sys   0% nic  94% idle   0% io   0% irq   0% sirq\n` +
      `Load average: ${load.join(' ')} 1/${procs.length + 180} ${
        procs[procs.length - 1].pid
      }\n` +
      `  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND\n${procs
        .map(
          pr =>
            `${String(pr.pid).padStart(5)} ${String(pr.ppid).padStart(
              5,
            )} ${pr.user.padEnd(8)} ${pr
              .state()
              .slice(0, 1)
              .padEnd(4)} ${String(Math.round(pr.vszKb / 1024)).padStart(
              4,
            )}m ${String(Math.round((pr.vszKb / m.total) * 100)).padStart(
              4,
            )}   ${pr.pid % 4} ${(pr.pid === 1 ? 2.1 : 0)
              .toFixed(0)
              .padStart(4)} ${cmdline(pr)}`,
        )
        .join('\n')}\n`
    );
  }
  const mib = (kb: number) => (kb / 1024).toFixed(1).padStart(9);
  const running = procs.filter(pr => pr.state().startsWith('R')).length || 1;
  return (
    `top - ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(
      d.getUTCSeconds(),
    )} up ${up},  0 users,  load average: ${load.join(', ')}\n` +
    `Tasks: ${String(procs.length).padStart(3)} total, ${String(
      running,
    ).padStart(3)} running, ${String(procs.length - running).padStart(
      3,
    )} sleeping,   0 stopped,   0 zombie\n` +
    `%Cpu(s):  4.2 us,  1.1 sy,  0.0 ni, 94.5 id,  0.0 wa,  0.0 hi,  0.2 si,  0.0 st\n` +
    `MiB Mem : ${mib(m.total)} total, ${mib(m.free)} free, ${mib(
      m.used,
    )} used, ${mib(m.cache)} buff/cache\n` +
    `MiB Swap:      0.0 total,      0.0 free,      0.0 used. ${mib(
      m.available,
    )} avail Mem\n\n` +
    `    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n${procs
      .map(pr => {
        const age = Math.max(1, now - pr.startedAt);
        const cpu = ((pr.cpuMs() / age) * 100).toFixed(1);
        const t = pr.cpuMs() / 1000;
        const time = `${Math.floor(t / 60)}:${(t % 60)
          .toFixed(2)
          .padStart(5, '0')}`;
        return `${String(pr.pid).padStart(7)} ${pr.user.padEnd(
          9,
        )} 20   0 ${String(pr.vszKb).padStart(7)} ${String(pr.rssKb).padStart(
          6,
        )} ${String(Math.round(pr.rssKb * 0.04)).padStart(6)} ${pr
          .state()
          .slice(0, 1)} ${cpu.padStart(5)} ${((pr.rssKb / m.total) * 100)
          .toFixed(1)
          .padStart(5)} ${time.padStart(9)} ${
          pr.argv[0].split('/').pop()?.split(':')[0]
        }`;
      })
      .join('\n')}\n`
  );
}

export const top: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'bHci', 'ndpo');
  if (a.bad) return badOption(p, a.bad);
  const n = value(a, 'n') !== undefined ? Number(value(a, 'n')) : Infinity;
  const delay = Number(value(a, 'd') ?? 3) * 1000;
  const batch = a.flags.has('b') || !p.terminal;
  // `q` on the terminal ends top: it wakes the wait between frames.
  const quit = new AbortController();
  const onAbort = () => quit.abort();
  p.signal.addEventListener('abort', onAbort, { once: true });
  let quitting = false;
  if (!batch && p.terminal) {
    const term = p.terminal;
    void (async () => {
      for (;;) {
        const k = await term.key();
        if (k === null || k === 'q' || k === 'Q' || quit.signal.aborted) {
          quitting = true;
          quit.abort();
          return;
        }
      }
    })();
  }
  try {
    for (let i = 0; i < n; i++) {
      if (!batch) await out(p, '\x1b[H\x1b[2J');
      await out(p, topFrame(p) + (batch && i + 1 < n ? '\n' : ''));
      if (i + 1 >= n) break;
      await sleep(p.rt.clock, delay, quit.signal);
    }
  } catch (e) {
    if (!(e instanceof Interrupted) || !quitting || p.signal.aborted) throw e;
  } finally {
    p.signal.removeEventListener('abort', onAbort);
  }
  return 0;
};

function humanKib(kb: number): string {
  if (kb >= 1024 * 1024) return `${(kb / 1024 / 1024).toFixed(1)}Gi`;
  return kb >= 1024 ? `${Math.round(kb / 1024)}Mi` : `${kb}Ki`;
}

export const free: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'bkmghwt', '', [
    'human',
    'mega',
    'giga',
    'kibi',
    'mebi',
    'gibi',
  ]);
  if (a.bad) return badOption(p, a.bad);
  const m = memory(p.rt);
  let conv = (kb: number) => String(kb);
  if (a.flags.has('m') || a.flags.has('mebi') || a.flags.has('mega'))
    conv = kb => String(Math.round(kb / 1024));
  if (a.flags.has('g') || a.flags.has('gibi') || a.flags.has('giga'))
    conv = kb => String(Math.round(kb / 1024 / 1024));
  if (a.flags.has('h') || a.flags.has('human')) conv = humanKib;
  const w = 11;
  const row = (label: string, vals: number[]) =>
    `${label.padEnd(7)}${vals.map(v => conv(v).padStart(w + 1)).join('')}`;
  await out(
    p,
    `${' '.repeat(7)}${[
      'total',
      'used',
      'free',
      'shared',
      'buff/cache',
      'available',
    ]
      .map(h => h.padStart(w + 1))
      .join('')}\n` +
      `${row('Mem:', [
        m.total,
        m.used,
        m.free,
        m.shared,
        m.cache,
        m.available,
      ])}\n${row('Swap:', [0, 0, 0])}\n`,
  );
  return 0;
};

function upText(ms: number): string {
  const mins = Math.floor(ms / 60000);
  const days = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const mm = mins % 60;
  const hm = h > 0 ? `${String(h).padStart(2)}:${pad2(mm)}` : `${mm} min`;
  return days > 0 ? `${days} day${days > 1 ? 's' : ''}, ${hm}` : hm;
}

export const uptime: Program = async p => {
  const now = p.rt.clock.now();
  const d = new Date(now);
  if (p.argv.includes('-p')) {
    await out(p, `up ${upText(now - p.rt.bootedAt)}\n`);
    return 0;
  }
  const load = loadAvg(p.rt).map(l => l.toFixed(2));
  await out(
    p,
    ` ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(
      d.getUTCSeconds(),
    )} up ${upText(now - p.rt.bootedAt)},  0 users,  load average: ${load.join(
      ', ',
    )}\n`,
  );
  return 0;
};

export const id: Program = async p => {
  const u = p.argv[1];
  if (u && u !== 'root' && !u.startsWith('-')) {
    const known: Record<string, string> = {
      node: 'uid=1000(node) gid=1000(node) groups=1000(node)',
      nobody: 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)',
    };
    if (!known[u]) return fail(p, `'${u}': no such user`);
    await out(p, `${known[u]}\n`);
    return 0;
  }
  if (p.argv.includes('-u')) return out(p, '0\n').then(() => 0);
  if (p.argv.includes('-un') || p.argv.includes('-nu'))
    return out(p, 'root\n').then(() => 0);
  if (p.argv.includes('-g')) return out(p, '0\n').then(() => 0);
  await out(
    p,
    p.rt.profile.busybox
      ? 'uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel),11(floppy),20(dialout),26(tape),27(video)\n'
      : 'uid=0(root) gid=0(root) groups=0(root)\n',
  );
  return 0;
};

export const whoami: Program = async p => {
  await out(p, 'root\n');
  return 0;
};

export const hostname: Program = async p => {
  const a = p.argv[1];
  if (a === '-i' || a === '-I') await out(p, `${p.rt.context.podIp}\n`);
  else if (a === '-f' || a === '--fqdn')
    await out(p, `${p.rt.context.podName}\n`);
  else if (a && !a.startsWith('-'))
    return fail(
      p,
      p.rt.profile.busybox
        ? 'sethostname: Operation not permitted'
        : 'you must be root to change the host name',
    );
  else await out(p, `${p.rt.context.podName}\n`);
  return 0;
};

export function formatDate(ms: number, fmt: string): string {
  const d = new Date(ms);
  const map: Record<string, () => string> = {
    Y: () => String(d.getUTCFullYear()),
    y: () => pad2(d.getUTCFullYear() % 100),
    m: () => pad2(d.getUTCMonth() + 1),
    d: () => pad2(d.getUTCDate()),
    e: () => String(d.getUTCDate()).padStart(2),
    H: () => pad2(d.getUTCHours()),
    I: () => pad2(((d.getUTCHours() + 11) % 12) + 1),
    M: () => pad2(d.getUTCMinutes()),
    S: () => pad2(d.getUTCSeconds()),
    N: () => String(d.getUTCMilliseconds() * 1_000_000).padStart(9, '0'),
    s: () => String(Math.floor(ms / 1000)),
    a: () => DAYS[d.getUTCDay()],
    A: () =>
      [
        'Sunday',
        'Monday',
        'Tuesday',
        'Wednesday',
        'Thursday',
        'Friday',
        'Saturday',
      ][d.getUTCDay()],
    b: () => MONTHS[d.getUTCMonth()],
    h: () => MONTHS[d.getUTCMonth()],
    B: () =>
      [
        'January',
        'February',
        'March',
        'April',
        'May',
        'June',
        'July',
        'August',
        'September',
        'October',
        'November',
        'December',
      ][d.getUTCMonth()],
    Z: () => 'UTC',
    z: () => '+0000',
    p: () => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
    j: () =>
      String(
        Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
      ).padStart(3, '0'),
    u: () => String(d.getUTCDay() || 7),
    F: () => `${map.Y()}-${map.m()}-${map.d()}`,
    T: () => `${map.H()}:${map.M()}:${map.S()}`,
    D: () => `${map.m()}/${map.d()}/${map.y()}`,
    R: () => `${map.H()}:${map.M()}`,
    c: () => `${map.a()} ${map.b()} ${map.e()} ${map.T()} ${map.Y()}`,
    n: () => '\n',
    t: () => '\t',
    '%': () => '%',
  };
  return fmt.replace(/%([A-Za-z%])/g, (m, c: string) =>
    map[c] ? map[c]() : m,
  );
}

export const date: Program = async p => {
  const args = p.argv.slice(1);
  let ms = p.rt.clock.now();
  const fmtArg = args.find(x => x.startsWith('+'));
  const dArg = args.findIndex(x => x === '-d' || x === '--date');
  if (dArg >= 0 || args.some(x => x.startsWith('--date='))) {
    const v =
      dArg >= 0
        ? args[dArg + 1]
        : args.find(x => x.startsWith('--date='))!.slice(7);
    const parsed = v?.startsWith('@')
      ? Number(v.slice(1)) * 1000
      : Date.parse(v ?? '');
    if (!Number.isFinite(parsed)) return fail(p, `invalid date '${v}'`);
    ms = parsed;
  }
  if (args.includes('-s') || args.includes('--set'))
    return fail(p, 'cannot set date: Operation not permitted');
  let text: string;
  if (fmtArg) text = formatDate(ms, fmtArg.slice(1));
  else if (args.includes('-I') || args.includes('--iso-8601'))
    text = formatDate(ms, '%F');
  else if (
    args.some(a => a.startsWith('-Iseconds') || a === '--iso-8601=seconds')
  )
    text = `${formatDate(ms, '%FT%T')}+00:00`;
  else if (args.includes('-R') || args.includes('--rfc-email'))
    text = formatDate(ms, '%a, %d %b %Y %T +0000');
  else text = formatDate(ms, '%a %b %e %T %Z %Y');
  await out(p, `${text}\n`);
  return 0;
};

export const uname: Program = async p => {
  const a = parseArgs(p.argv.slice(1), 'asnrvmpio', '', ['all']);
  if (a.bad) return badOption(p, a.bad);
  const fields: Record<string, string> = {
    s: 'Linux',
    n: p.rt.context.podName,
    r: '6.1.112-124.190.amzn2023.x86_64',
    v: '#1 SMP PREEMPT_DYNAMIC Tue Oct  1 20:01:35 UTC 2024',
    m: 'x86_64',
    o: 'GNU/Linux',
  };
  const all = a.flags.has('a') || a.flags.has('all');
  const order = all
    ? ['s', 'n', 'r', 'v', 'm', 'o']
    : ['s', 'n', 'r', 'v', 'm', 'o'].filter(k => a.flags.has(k));
  await out(
    p,
    `${(order.length ? order : ['s']).map(k => fields[k]).join(' ')}\n`,
  );
  return 0;
};

export const env: Program = async p => {
  const args = p.argv.slice(1);
  let i = 0;
  const vars: Record<string, string> = { ...p.env };
  if (args[0] === '-i' || args[0] === '-') {
    for (const k of Object.keys(vars)) delete vars[k];
    i++;
  }
  while (i < args.length && args[i] === '-u') {
    delete vars[args[i + 1]];
    i += 2;
  }
  while (i < args.length && /^[A-Za-z_]\w*=/.test(args[i])) {
    const [k, ...v] = args[i].split('=');
    vars[k] = v.join('=');
    i++;
  }
  if (i < args.length) {
    return p.run(args.slice(i), {}).catch(async () => {
      await err(p, `env: '${args[i]}': No such file or directory`);
      return 127;
    });
  }
  await out(
    p,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return 0;
};

export const printenv: Program = async p => {
  const names = p.argv.slice(1);
  if (names.length === 0) {
    await out(
      p,
      Object.entries(p.env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    return 0;
  }
  let status = 0;
  for (const n of names) {
    if (n in p.env) await out(p, `${p.env[n]}\n`);
    else status = 1;
  }
  return status;
};

export const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  KILL: 9,
  USR1: 10,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
};

export const kill: Program = async p => {
  const args = p.argv.slice(1);
  if (args[0] === '-l' || args[0] === '-L') {
    await out(p, `${Object.keys(SIGNALS).join(' ')}\n`);
    return 0;
  }
  let signal = 15;
  const pids: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-s' || a === '-n') {
      const s = args[++i] ?? '';
      signal = SIGNALS[s.replace(/^SIG/, '')] ?? Number(s);
    } else if (/^-\d+$/.test(a)) signal = Number(a.slice(1));
    else if (/^-[A-Z]+$/.test(a)) {
      const s = SIGNALS[a.slice(1).replace(/^SIG/, '')];
      if (!s) return fail(p, `${a.slice(1)}: invalid signal specification`);
      signal = s;
    } else pids.push(a);
  }
  if (pids.length === 0)
    return fail(p, 'usage: kill [ -s signal | -p ] [ -a ] pid ...', 2);
  let status = 0;
  for (const pidText of pids) {
    const pid = Number(pidText);
    const pr = Number.isInteger(pid) ? p.rt.procs.get(pid) : undefined;
    if (!pr) {
      await err(
        p,
        p.rt.profile.busybox
          ? `${p.name}: can't kill pid ${pidText}: No such process`
          : `${p.name}: (${pidText}) - No such process`,
      );
      status = 1;
      continue;
    }
    // PID 1 ignores signals sent from inside its own PID namespace unless it
    // handles them; the emulated main process handles none of them here.
    if (pr.pid === 1 || !pr.kill) continue;
    if (signal !== 0) pr.kill(signal);
  }
  return status;
};

export const sleepCmd: Program = async p => {
  const args = p.argv.slice(1);
  if (args.length === 0) return fail(p, 'missing operand');
  let total = 0;
  for (const a of args) {
    const m = /^(\d+(?:\.\d+)?|\.\d+|inf|infinity)([smhd]?)$/.exec(a);
    if (!m) return fail(p, `invalid time interval '${a}'`);
    const n = m[1].startsWith('inf') ? Number.POSITIVE_INFINITY : Number(m[1]);
    total += n * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]]! * 1000;
  }
  await sleep(p.rt.clock, Math.min(total, 2 ** 31 - 1), p.signal);
  if (!Number.isFinite(total))
    for (;;) await sleep(p.rt.clock, 2 ** 31 - 1, p.signal);
  return 0;
};

export const stty: Program = async p => {
  const args = p.argv.slice(1);
  if (!p.terminal)
    return fail(
      p,
      p.rt.profile.busybox
        ? 'standard input: Not a tty'
        : "'standard input': Inappropriate ioctl for device",
    );
  if (args[0] === 'size')
    await out(p, `${p.terminal.rows} ${p.terminal.cols}\n`);
  else if (args[0] === '-a' || args.length === 0)
    await out(
      p,
      `speed 38400 baud; rows ${p.terminal.rows}; columns ${p.terminal.cols}; line = 0;\nintr = ^C; quit = ^\\; erase = ^?; kill = ^U; eof = ^D; eol = <undef>;\n-parenb -parodd cs8 -hupcl -cstopb cread -clocal -crtscts\nicrnl ixon -ixoff -iuclc -ixany imaxbel iutf8\nopost -olcuc -ocrnl onlcr -onocr -onlret\nisig icanon iexten echo echoe echok -echonl -noflsh -xcase -tostop -echoprt\n`,
    );
  return 0;
};

export const tput: Program = async p => {
  const cap = p.argv[1];
  const cols = p.terminal?.cols ?? Number(p.env.COLUMNS ?? 80);
  const rows = p.terminal?.rows ?? Number(p.env.LINES ?? 24);
  switch (cap) {
    case 'cols':
      await out(p, `${cols}\n`);
      return 0;
    case 'lines':
      await out(p, `${rows}\n`);
      return 0;
    case 'colors':
      await out(p, '256\n');
      return 0;
    case 'clear':
      await out(p, '\x1b[H\x1b[2J');
      return 0;
    case 'sgr0':
      await out(p, '\x1b(B\x1b[m');
      return 0;
    case 'bold':
      await out(p, '\x1b[1m');
      return 0;
    default:
      return fail(
        p,
        cap
          ? `unknown terminfo capability '${cap}'`
          : 'usage: tput [-V] [-S] [-T term] capname',
        cap ? 4 : 2,
      );
  }
};

export const clear: Program = async p => {
  await out(p, '\x1b[H\x1b[2J\x1b[3J');
  return 0;
};

export const dmesg: Program = async p =>
  fail(
    p,
    p.rt.profile.busybox
      ? 'klogctl: Operation not permitted'
      : 'read kernel buffer failed: Operation not permitted',
  );

export const mount: Program = async p => {
  if (p.argv.length > 1 && !p.argv[1].startsWith('-'))
    return fail(
      p,
      p.rt.profile.busybox
        ? 'permission denied (are you root?)'
        : `${p.argv[1]}: must be superuser to use mount.`,
      32,
    );
  const m = p.rt.fs.lookup('/proc/mounts');
  if (m.type === 'file' && m.content.kind === 'dynamic') {
    await out(
      p,
      m.content
        .render()
        .replace(/^(\S+) (\S+) (\S+) (\S+) .*$/gm, '$1 on $2 type $3 ($4)'),
    );
  }
  return 0;
};

export const nproc: Program = async p => {
  await out(p, '4\n');
  return 0;
};

export const trueCmd: Program = async () => 0;
export const falseCmd: Program = async () => 1;

export const timeout: Program = async p => {
  const [dur, ...cmd] = p.argv.slice(1).filter(x => !x.startsWith('-'));
  if (!dur || cmd.length === 0) return fail(p, 'missing operand', 125);
  const ms = Number(dur.replace(/s$/, '')) * (dur.endsWith('m') ? 60000 : 1000);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  p.signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const cancel = p.rt.clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  try {
    const code = await p.run(cmd, { signal: controller.signal });
    return timedOut ? 124 : code;
  } catch (e) {
    if (e instanceof Interrupted) return timedOut ? 124 : 130;
    await err(
      p,
      `timeout: failed to run command '${cmd[0]}': No such file or directory`,
    );
    return 127;
  } finally {
    cancel();
    p.signal.removeEventListener('abort', onAbort);
  }
};

export const watch: Program = async p => {
  const a = parseArgs(p.argv.slice(1).slice(0, 2), 't', 'n');
  const interval = Number(value(a, 'n') ?? 2) * 1000;
  const cmd = p.argv
    .slice(1)
    .filter((x, i, arr) => !(x === '-n' || arr[i - 1] === '-n' || x === '-t'));
  if (cmd.length === 0) return fail(p, 'no command specified');
  for (;;) {
    await out(
      p,
      `\x1b[H\x1b[2JEvery ${(interval / 1000).toFixed(1)}s: ${cmd.join(
        ' ',
      )}\n\n`,
    );
    await p.run(cmd.length === 1 ? ['sh', '-c', cmd[0]] : cmd);
    await sleep(p.rt.clock, interval, p.signal);
  }
};

export const su: Program = async p =>
  fail(
    p,
    p.rt.profile.busybox
      ? 'must be suid to work properly'
      : 'Authentication failure',
  );

export const apk: Program = async p => {
  const sub = p.argv[1];
  if (sub === 'add' || sub === 'update' || sub === 'upgrade') {
    await err(
      p,
      'WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)',
    );
    if (sub === 'add')
      await err(
        p,
        `ERROR: unable to select packages:\n  ${
          p.argv[2] ?? ''
        } (no such package):\n    required by: world[${p.argv[2] ?? ''}]`,
      );
    return 1;
  }
  if (sub === 'info') {
    await out(
      p,
      'musl\nbusybox\nalpine-baselayout\nca-certificates-bundle\nlibcrypto3\nlibssl3\nzlib\napk-tools\nscanelf\nmusl-utils\nlibc-utils\ncurl\n',
    );
    return 0;
  }
  return fail(p, 'usage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]');
};

export const aptGet: Program = async p => {
  const sub = p.argv.find((x, i) => i > 0 && !x.startsWith('-'));
  if (sub === 'update') {
    await out(
      p,
      "Err:1 http://archive.ubuntu.com/ubuntu jammy InRelease\n  Temporary failure resolving 'archive.ubuntu.com'\nReading package lists... Done\n",
    );
    await err(
      p,
      'W: Some index files failed to download. They have been ignored, or old ones used instead.',
    );
    return 0;
  }
  if (sub === 'install') {
    await out(
      p,
      'Reading package lists... Done\nBuilding dependency tree... Done\n',
    );
    await err(p, `E: Unable to locate package ${p.argv[p.argv.length - 1]}`);
    return 100;
  }
  return fail(p, `Invalid operation ${sub ?? ''}`, 100);
};

export const ping: Program = async p => {
  const host = p.argv
    .slice(1)
    .filter(x => !x.startsWith('-'))
    .pop();
  if (!host) return fail(p, 'usage error: Destination address required', 1);
  const local =
    host === 'localhost' ||
    host.startsWith('127.') ||
    host === p.rt.context.podIp ||
    host === p.rt.context.podName;
  const ip = local && host === 'localhost' ? '127.0.0.1' : host;
  await out(p, `PING ${host} (${ip}): 56 data bytes\n`);
  const count = Number(p.argv[p.argv.indexOf('-c') + 1]) || 4;
  let received = 0;
  for (let i = 0; i < count; i++) {
    if (local) {
      await out(
        p,
        `64 bytes from ${ip}: seq=${i} ttl=64 time=0.0${40 + i} ms\n`,
      );
      received++;
    }
    if (i + 1 < count) await sleep(p.rt.clock, 1000, p.signal);
  }
  await out(
    p,
    `\n--- ${host} ping statistics ---\n${count} packets transmitted, ${received} packets received, ${Math.round(
      ((count - received) / count) * 100,
    )}% packet loss\n`,
  );
  return received ? 0 : 1;
};

export const unsupportedArchive: Program = async p =>
  fail(p, 'archives are not supported in this emulated container');

export const SYSTEM_PROGRAMS: Record<string, Program> = {
  ps,
  top,
  free,
  uptime,
  id,
  whoami,
  hostname,
  date,
  uname,
  env,
  printenv,
  kill,
  sleep: sleepCmd,
  stty,
  tput,
  clear,
  dmesg,
  mount,
  nproc,
  true: trueCmd,
  false: falseCmd,
  timeout,
  watch,
  su,
  apk,
  'apt-get': aptGet,
  apt: aptGet,
  ping,
  gzip: unsupportedArchive,
  zcat: unsupportedArchive,
  tar: unsupportedArchive,
};
