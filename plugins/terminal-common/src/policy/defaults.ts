import type { CommandRule, TerminalPolicy } from './types';

const DIGITS = '^[0-9]{1,6}$';
const PATHS = { kind: 'path' } as const;

/** Options that make curl write or read files, or go elsewhere than the URL says. */
const CURL_DENY = [
  '-o',
  '--output',
  '-O',
  '--remote-name',
  '--remote-name-all',
  '--output-dir',
  '-K',
  '--config',
  '-T',
  '--upload-file',
  '-d',
  '--data',
  '--data-binary',
  '--data-raw',
  '--data-urlencode',
  '--json',
  '-F',
  '--form',
  '-x',
  '--proxy',
  '--preproxy',
  '-u',
  '--user',
  '--unix-socket',
  '--abstract-unix-socket',
  '-w',
  '--write-out',
  '-D',
  '--dump-header',
  '-c',
  '--cookie-jar',
  '-b',
  '--cookie',
  '--trace',
  '--trace-ascii',
  '--stderr',
  '--libcurl',
  '-E',
  '--cert',
  '--key',
  '--cacert',
  '--capath',
  '--resolve',
  '--connect-to',
  '-L',
  '--location',
  '--proto',
  '--proto-redir',
  '-q',
  '--disable',
  '--netrc',
  '--netrc-file',
  '-n',
  '-g',
  '--globoff',
  '-:',
  '--next',
  '--url',
];

/** find primaries that run programs, delete or write files. */
const FIND_DENY = [
  '-exec',
  '-execdir',
  '-ok',
  '-okdir',
  '-delete',
  '-fprint',
  '-fprint0',
  '-fprintf',
  '-fls',
  '-printf',
  '-files0-from',
];

const READ_FILES: Record<string, CommandRule> = {
  ls: {
    description: 'List files (the working directory, or paths under the allowed ones).',
    usage: '[-lahRtSr1dAFi] [path...]',
    flags: ['-l', '-a', '-A', '-h', '-R', '-1', '-t', '-S', '-r', '-d', '-F', '-i'],
    operands: [PATHS],
    repeatLast: true,
  },
  cat: {
    description: 'Print files under the allowed paths.',
    usage: '[-n] <path>...',
    flags: ['-n'],
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  head: {
    description: 'First lines of files under the allowed paths.',
    usage: '[-n N | -c N] <path>...',
    options: { '-n': DIGITS, '--lines': DIGITS, '-c': DIGITS, '--bytes': DIGITS },
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  tail: {
    description: 'Last lines of files under the allowed paths (no follow: a command must end).',
    usage: '[-n N | -c N] <path>...',
    options: { '-n': DIGITS, '--lines': DIGITS, '-c': DIGITS, '--bytes': DIGITS },
    deny: ['-f', '-F', '--follow', '--retry', '--pid', '-s', '--sleep-interval'],
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  grep: {
    description: 'Search files under the allowed paths (pattern first).',
    usage: '[-ivnclLhHEFwxosrR] [-m N] [-A N] [-B N] [-C N] <pattern> <path>...',
    flags: ['-i', '-v', '-n', '-c', '-l', '-L', '-h', '-H', '-E', '-F', '-w', '-x', '-o', '-s', '-r', '-R'],
    options: { '-m': DIGITS, '-A': DIGITS, '-B': DIGITS, '-C': DIGITS },
    deny: ['-f', '--file', '-P', '--perl-regexp', '-e', '--regexp', '-d', '--devices', '-D', '--exclude-from'],
    operands: [{ kind: 'text' }, PATHS],
    repeatLast: true,
    minOperands: 2,
  },
  wc: {
    description: 'Count lines, words, bytes of files under the allowed paths.',
    usage: '[-lwc] <path>...',
    flags: ['-l', '-w', '-c'],
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  du: {
    description: 'Disk usage under the allowed paths.',
    usage: '[-shac] [-d N] <path>...',
    flags: ['-s', '-h', '-a', '-c'],
    options: { '-d': '^[0-9]{1,2}$' },
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  stat: {
    description: 'File details under the allowed paths.',
    usage: '<path>...',
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
  find: {
    description: 'Find files under the allowed paths by name, type, size or age (no -exec, -delete, -fprint).',
    usage: '<path>... [-name P] [-iname P] [-type f|d|l] [-maxdepth N] [-mindepth N] [-mtime N] [-size N] [-newer path] [-empty] [-print]',
    wordOptions: true,
    flags: ['-print', '-empty'],
    options: {
      '-name': '^[^/]{1,128}$',
      '-iname': '^[^/]{1,128}$',
      '-type': '^[fdl]$',
      '-maxdepth': '^[0-9]{1,2}$',
      '-mindepth': '^[0-9]{1,2}$',
      '-mtime': '^[+-]?[0-9]{1,4}$',
      '-mmin': '^[+-]?[0-9]{1,6}$',
      '-size': '^[+-]?[0-9]{1,9}[ckMG]?$',
      '-newer': PATHS,
    },
    deny: FIND_DENY,
    operands: [PATHS],
    repeatLast: true,
    minOperands: 1,
  },
};

const SYSTEM: Record<string, CommandRule> = {
  ps: {
    description: 'Processes of the container.',
    usage: '| aux | -ef',
    exact: [[], ['aux'], ['-ef'], ['-e', '-f']],
  },
  top: {
    description: 'One batch snapshot of processes and load.',
    usage: '-b -n1',
    exact: [['-b', '-n1'], ['-b', '-n', '1'], ['-bn1']],
  },
  env: {
    description: 'The environment of the container, secret values masked.',
    exact: [[]],
    maskOutput: true,
  },
  printenv: {
    description: 'The environment of the container, secret values masked.',
    exact: [[]],
    maskOutput: true,
  },
  df: {
    description: 'File system usage.',
    usage: '[-h] [-k] [-T]',
    flags: ['-h', '-k', '-T'],
  },
  free: {
    description: 'Memory usage.',
    usage: '[-m | -g | -h]',
    flags: ['-m', '-g', '-h'],
  },
  uptime: { description: 'How long the container has run, and its load.', flags: ['-p'] },
  hostname: { description: 'The pod name (or -i: its IP).', flags: ['-i', '-I'] },
  id: { description: 'The user the container runs as.', flags: [] },
  whoami: { description: 'The user the container runs as.', flags: [] },
  date: { description: 'The container clock.', flags: ['-u', '-R', '-I'] },
  uname: { description: 'Kernel and architecture.', flags: ['-a', '-r', '-m', '-s', '-n'] },
  nproc: { description: 'CPUs available.', flags: [] },
  netstat: {
    description: 'Listening sockets.',
    usage: '-tlnp | -tln | -an',
    exact: [['-tlnp'], ['-tln'], ['-an']],
  },
  ss: {
    description: 'Listening sockets.',
    usage: '-tlnp | -tln',
    exact: [['-tlnp'], ['-tln']],
  },
  ip: {
    description: 'Addresses, routes, links.',
    usage: 'addr | route | link',
    exact: [['addr'], ['a'], ['route'], ['r'], ['link']],
  },
  nslookup: {
    description: 'Resolve a cluster name.',
    usage: '<name>',
    operands: ['^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'],
    minOperands: 1,
  },
  curl: {
    description: 'HTTP(S) to cluster-internal services only (no output files, uploads, proxies, config files or redirects).',
    usage: '[-sSiIvf] [-m SECONDS] [-X GET|HEAD|OPTIONS] [-H "Name: value"] <http://service[.namespace[.svc.cluster.local]][:port]/path>',
    flags: ['-s', '-S', '-i', '-I', '-v', '-f', '--silent', '--show-error', '--include', '--head', '--verbose', '--fail'],
    options: {
      '-m': '^[0-9]{1,3}$',
      '--max-time': '^[0-9]{1,3}$',
      '--connect-timeout': '^[0-9]{1,3}$',
      '-X': '^(GET|HEAD|OPTIONS)$',
      '--request': '^(GET|HEAD|OPTIONS)$',
      '-H': '^[A-Za-z0-9-]{1,64}: ?[ -~]{0,256}$',
      '--header': '^[A-Za-z0-9-]{1,64}: ?[ -~]{0,256}$',
    },
    deny: CURL_DENY,
    operands: [{ kind: 'url' }],
    minOperands: 1,
    maxOperands: 1,
  },
};

const JVM: Record<string, CommandRule> = {
  jps: {
    description: 'Java processes of the container.',
    usage: '[-lvqm]',
    flags: ['-l', '-v', '-q', '-m'],
    deny: ['-J'],
  },
  jstat: {
    description: 'JVM garbage-collection and class statistics of a Java process.',
    usage: '-gc|-gcutil|-gccapacity|-gcnew|-gcold|-gcmetacapacity|-class|-compiler <pid> [interval[ms|s] count]',
    parseOptions: false,
    deny: ['-J'],
    operands: [
      '^-(gc|gcutil|gccapacity|gcnew|gcnewcapacity|gcold|gcoldcapacity|gcmetacapacity|gccause|class|compiler)$',
      { kind: 'pid' },
      '^[1-9][0-9]{0,4}(ms|s)?$',
      '^[1-9][0-9]{0,2}$',
    ],
    minOperands: 2,
    maxOperands: 4,
    // an interval without a count would sample until the command timeout
    operandCounts: [2, 4],
  },
  jcmd: {
    description: 'Read-only JVM diagnostics of a Java process (no dumps, no flags changed).',
    usage: '<pid> VM.version|VM.uptime|VM.flags|GC.heap_info|Thread.print|GC.class_histogram',
    parseOptions: false,
    deny: ['-J', '-f'],
    operands: [
      { kind: 'pid' },
      '^(VM\\.version|VM\\.uptime|VM\\.flags|GC\\.heap_info|Thread\\.print|GC\\.class_histogram)$',
    ],
    minOperands: 2,
    maxOperands: 2,
  },
  java: {
    description: 'The Java version.',
    usage: '-version',
    exact: [['-version'], ['--version']],
  },
};

const NODE: Record<string, CommandRule> = {
  node: { description: 'The Node.js version.', usage: '-v', exact: [['-v'], ['--version']] },
  npm: { description: 'The npm version.', usage: '-v', exact: [['-v'], ['--version']] },
};

const COMMON = {
  allowedPaths: [
    '/var/log',
    '/opt/app/config',
    '/opt/app/logs',
    '/usr/src/app/logs',
    '/tmp',
    '/etc/os-release',
    '/etc/hostname',
    '/etc/hosts',
    '/etc/resolv.conf',
    '/proc/meminfo',
    '/proc/cpuinfo',
    '/proc/loadavg',
    '/proc/uptime',
  ],
  deniedPaths: ['/var/run/secrets', '/run/secrets'],
  allowedHosts: ['localhost', '*', '*.*.svc', '*.*.svc.cluster.local'],
  deniedHosts: [
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    'metadata',
    'instance-data',
  ],
};

/**
 * The policies the backend knows without configuration; configuration
 * (`fincloud.terminal.policies`) replaces one by its name or adds others.
 *
 * - `standard`: read logs and configuration under the usual application
 *   paths, processes, memory, disks, sockets, JVM and Node diagnostics,
 *   `curl` to cluster-internal services.
 * - `minimal`: processes, memory, disks, environment (masked) and the log
 *   directory; no network, no JVM attach.
 *
 * @public
 */
export const DEFAULT_TERMINAL_POLICIES: Record<string, TerminalPolicy> = {
  standard: {
    name: 'standard',
    description:
      'Logs and configuration under the application paths, processes, resources, JVM and Node diagnostics, and HTTP to cluster-internal services.',
    ...COMMON,
    commands: { ...READ_FILES, ...SYSTEM, ...JVM, ...NODE },
  },
  minimal: {
    name: 'minimal',
    description: 'Processes, resources, the environment (masked) and the log directory only.',
    ...COMMON,
    allowedPaths: ['/var/log'],
    commands: {
      ls: READ_FILES.ls,
      cat: READ_FILES.cat,
      tail: READ_FILES.tail,
      ps: SYSTEM.ps,
      top: SYSTEM.top,
      env: SYSTEM.env,
      df: SYSTEM.df,
      free: SYSTEM.free,
    },
  },
};

/** The policy an entity gets when neither configuration nor annotation picks one. @public */
export const DEFAULT_TERMINAL_POLICY_NAME = 'standard';
