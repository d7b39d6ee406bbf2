/*
 * Real image builds with buildah, for the template test and the benchmark.
 *
 * No registry is reachable here, so the base images the templates name are
 * replaced (through their build arguments) by images built locally from this
 * machine's own files, once, and kept under node_modules/.cache:
 *
 * - node-toolchain: what a full `node:20-bookworm` image carries for builds:
 *   Node and npm, a shell and coreutils, and the C/C++ toolchain native
 *   addons need (gcc, g++, make, binutils, libc headers), taken from this
 *   machine's Debian packages (`dpkg -L`).
 * - node-runtime: the Node binary and the shared libraries it links, and a
 *   shell (what `node:20-alpine` / distroless Node provide to run an app).
 * - static-server: one static binary web server on an empty image (standing
 *   in for an nginx image).
 *
 * Builds use `--storage-driver vfs --isolation chroot` (root, no daemon, no
 * user namespaces), as the issue asks.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from '@fincloud/cluster-sim';

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const SAMPLE_APPS = path.resolve(__dirname, '..', '..', 'sample-apps');

export const LOCAL_IMAGES = {
  nodeToolchain: 'localhost/fincloud-local/node-toolchain',
  nodeRuntime: 'localhost/fincloud-local/node-runtime',
  staticServer: 'localhost/fincloud-local/static-server',
} as const;

/** The Debian packages of the toolchain image (missing ones are left out). */
const TOOLCHAIN_PACKAGES = [
  'nodejs',
  'dash',
  'bash',
  'coreutils',
  'libc6',
  'libc-bin',
  'libstdc++6',
  'libgcc-s1',
  'gcc',
  'g++',
  'cpp',
  'gcc-12',
  'g++-12',
  'cpp-12',
  'libgcc-12-dev',
  'libstdc++-12-dev',
  'libc6-dev',
  'libc-dev-bin',
  'linux-libc-dev',
  'libcrypt-dev',
  'libcrypt1',
  'binutils',
  'binutils-common',
  'binutils-x86-64-linux-gnu',
  'libbinutils',
  'libctf0',
  'libctf-nobfd0',
  'libgprofng0',
  'libjansson4',
  'libisl23',
  'libmpc3',
  'libmpfr6',
  'libgmp10',
  'zlib1g',
  'libzstd1',
  'make',
  'libselinux1',
  'libpcre2-8-0',
  'libacl1',
  'libattr1',
  'libtinfo6',
  'libgomp1',
  'libitm1',
  'libatomic1',
  'libasan8',
  'liblsan0',
  'libtsan2',
  'libubsan1',
  'libquadmath0',
  'libhwasan0',
  'libcc1-0',
];

const SKIP = /^\/usr\/share\/(doc|man|info|locale|lintian)\//;

/** Whether buildah is installed (the test skips or fails without it). */
export function buildahPath(): string | undefined {
  return findProgram('buildah');
}

function sharedLibraries(binary: string): string[] {
  const out = spawnSync('ldd', [binary], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.stdout.split('\n')) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]);
  }
  return [...libs];
}

function packageFiles(pkg: string): string[] {
  const out = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
  if (out.status !== 0) return [];
  return out.stdout.split('\n').filter(f => f.startsWith('/') && !SKIP.test(f));
}

export interface BuildResult {
  image: string;
  seconds: number;
  sizeBytes: number;
}

/** buildah with its own storage under node_modules/.cache (kept between runs). */
export class LocalBuildah {
  readonly root: string;

  constructor(
    root = path.join(
      REPO_ROOT,
      'node_modules',
      '.cache',
      'fincloud-builds',
      'buildah',
    ),
  ) {
    this.root = root;
    fs.mkdirSync(root, { recursive: true });
  }

  async buildah(args: string[], cwd?: string) {
    return run(
      'buildah',
      [
        '--storage-driver',
        'vfs',
        '--root',
        path.join(this.root, 'storage'),
        '--runroot',
        path.join(this.root, 'run'),
        ...args,
      ],
      {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
      },
    );
  }

  async exists(image: string): Promise<boolean> {
    try {
      await this.buildah(['inspect', '--type', 'image', image]);
      return true;
    } catch {
      return false;
    }
  }

  /** An image from a directory tree: `FROM scratch` + the tree + config. */
  private async imageFromTree(
    image: string,
    tree: string,
    config: string[],
  ): Promise<void> {
    const { stdout } = await this.buildah(['from', 'scratch']);
    const container = stdout.trim();
    try {
      await this.buildah(['copy', container, `${tree}/`, '/']);
      await this.buildah(['config', ...config, container]);
      await this.buildah(['commit', '--quiet', container, image]);
    } finally {
      await this.buildah(['rm', container]).catch(() => {});
    }
  }

  /** A tree of host files (and the directories leading to them), merged-/usr aware. */
  private async treeOf(files: string[]): Promise<string> {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'fincloud-rootfs-'));
    fs.mkdirSync(path.join(tree, 'usr', 'bin'), { recursive: true });
    for (const dir of ['lib', 'lib64', 'sbin']) {
      fs.mkdirSync(path.join(tree, 'usr', dir), { recursive: true });
    }
    for (const [link, target] of [
      ['bin', 'usr/bin'],
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
      ['sbin', 'usr/sbin'],
    ]) {
      fs.symlinkSync(target, path.join(tree, link));
    }
    fs.mkdirSync(path.join(tree, 'tmp'), { mode: 0o1777 });
    fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
    fs.writeFileSync(
      path.join(tree, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/app:/bin/sh\n',
    );
    fs.writeFileSync(
      path.join(tree, 'etc', 'group'),
      'root:x:0:\napp:x:10001:\n',
    );
    const list = files.filter(f => {
      try {
        const st = fs.lstatSync(f);
        return st.isFile() || st.isSymbolicLink();
      } catch {
        return false;
      }
    });
    const listFile = path.join(tree, '..', `${path.basename(tree)}.list`);
    fs.writeFileSync(listFile, list.map(f => f.slice(1)).join('\n'));
    await run(
      'sh',
      [
        '-c',
        `tar -C / -cf - --no-recursion -T "${listFile}" | tar -C "${tree}" -xf - --keep-directory-symlink`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    fs.rmSync(listFile);
    return tree;
  }

  /** Builds the local base images once (tagged by a hash of what goes in). */
  async ensureBaseImages(log: (line: string) => void = () => {}): Promise<{
    nodeToolchain: string;
    nodeRuntime: string;
    staticServer: string;
  }> {
    const node = process.execPath;
    const nodeVersion = process.version;

    const toolchainFiles = [
      ...new Set([
        ...TOOLCHAIN_PACKAGES.flatMap(packageFiles),
        node,
        ...sharedLibraries(node),
        ...listTree('/usr/lib/node_modules/npm'),
        '/usr/bin/npm',
        '/usr/bin/npx',
        '/usr/bin/env',
      ]),
    ].sort();
    const toolchainTag = `${LOCAL_IMAGES.nodeToolchain}:${hash([
      nodeVersion,
      ...toolchainFiles,
    ])}`;
    if (!(await this.exists(toolchainTag))) {
      log(`building ${toolchainTag} from ${toolchainFiles.length} host files`);
      const tree = await this.treeOf(toolchainFiles);
      await this.imageFromTree(toolchainTag, tree, [
        '--env',
        'PATH=/usr/local/bin:/usr/bin:/bin',
        '--env',
        'HOME=/root',
        '--cmd',
        'node',
      ]);
      fs.rmSync(tree, { recursive: true, force: true });
    }

    const runtimeFiles = [
      ...new Set([
        node,
        ...sharedLibraries(node),
        '/usr/bin/dash',
        ...sharedLibraries('/usr/bin/dash'),
      ]),
    ].sort();
    const runtimeTag = `${LOCAL_IMAGES.nodeRuntime}:${hash([
      nodeVersion,
      ...runtimeFiles,
    ])}`;
    if (!(await this.exists(runtimeTag))) {
      log(`building ${runtimeTag}`);
      const tree = await this.treeOf(runtimeFiles);
      fs.symlinkSync('dash', path.join(tree, 'usr', 'bin', 'sh'));
      await this.imageFromTree(runtimeTag, tree, [
        '--env',
        'PATH=/usr/local/bin:/usr/bin:/bin',
        '--cmd',
        'node',
      ]);
      fs.rmSync(tree, { recursive: true, force: true });
    }

    const source = path.join(__dirname, 'static-server.c');
    const serverTag = `${LOCAL_IMAGES.staticServer}:${hash([
      fs.readFileSync(source, 'utf8'),
    ])}`;
    if (!(await this.exists(serverTag))) {
      log(`building ${serverTag}`);
      const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'fincloud-static-'));
      fs.mkdirSync(path.join(tree, 'usr', 'sbin'), { recursive: true });
      fs.mkdirSync(path.join(tree, 'usr', 'share', 'nginx', 'html'), {
        recursive: true,
      });
      await run('gcc', [
        '-static',
        '-Os',
        '-s',
        '-o',
        path.join(tree, 'usr', 'sbin', 'static-server'),
        source,
      ]);
      await this.imageFromTree(serverTag, tree, [
        '--entrypoint',
        '["/usr/sbin/static-server", "/usr/share/nginx/html", "8080"]',
        '--port',
        '8080',
      ]);
      fs.rmSync(tree, { recursive: true, force: true });
    }
    return {
      nodeToolchain: toolchainTag,
      nodeRuntime: runtimeTag,
      staticServer: serverTag,
    };
  }

  /** `buildah bud` of a Dockerfile text over a context directory. */
  async build(options: {
    dockerfile: string;
    context: string;
    image: string;
    buildArgs: Record<string, string>;
  }): Promise<BuildResult> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fincloud-dockerfile-'));
    const file = path.join(dir, 'Dockerfile');
    fs.writeFileSync(file, options.dockerfile);
    const started = Date.now();
    try {
      await this.buildah([
        'bud',
        '--isolation',
        'chroot',
        '--pull-never',
        '--layers=false',
        '-f',
        file,
        '-t',
        options.image,
        ...Object.entries(options.buildArgs).flatMap(([k, v]) => [
          '--build-arg',
          `${k}=${v}`,
        ]),
        options.context,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const seconds = (Date.now() - started) / 1000;
    return {
      image: options.image,
      seconds,
      sizeBytes: await this.size(options.image),
    };
  }

  /** An image's size: the bytes of its layers, uncompressed (what a node stores). */
  async size(image: string): Promise<number> {
    const { stdout } = await this.buildah(['images', '--json', image]);
    const [info] = JSON.parse(stdout);
    if (typeof info?.size === 'number') return info.size;
    // Older buildah: sum the files of a mounted copy.
    return this.mountedBytes(image);
  }

  private async mountedBytes(image: string): Promise<number> {
    const { stdout } = await this.buildah(['from', '--pull-never', image]);
    const container = stdout.trim();
    try {
      const mount = (await this.buildah(['mount', container])).stdout.trim();
      const du = await run('du', ['-sb', mount]);
      return Number(du.stdout.split(/\s/)[0]);
    } finally {
      await this.buildah(['rm', container]).catch(() => {});
    }
  }

  /** Which of these paths exist in the image. */
  async pathsIn(
    image: string,
    paths: string[],
  ): Promise<Record<string, boolean>> {
    const { stdout } = await this.buildah(['from', '--pull-never', image]);
    const container = stdout.trim();
    try {
      const mount = (await this.buildah(['mount', container])).stdout.trim();
      return Object.fromEntries(
        paths.map(p => {
          let present = false;
          try {
            fs.lstatSync(path.join(mount, p));
            present = true;
          } catch {
            present = false;
          }
          return [p, present];
        }),
      );
    } finally {
      await this.buildah(['rm', container]).catch(() => {});
    }
  }

  async remove(image: string) {
    await this.buildah(['rmi', '--force', image]).catch(() => {});
  }
}

function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

function hash(parts: string[]): string {
  return createHash('sha256')
    .update(parts.join('\n'))
    .digest('hex')
    .slice(0, 12);
}
