/**
 * Network programs: curl, wget, nslookup, getent, netstat, ss, ip, ifconfig.
 * HTTP goes only to cluster addresses through `context.httpRequest` (or to
 * the container's own emulated app on localhost); nothing reaches the host's
 * network. Metadata and link-local addresses never answer.
 */
import { formatDate } from './system';
import type { Process, Program } from '../runtime';
import { err, fail, fsMessage, out, readPath, rethrowSignals } from './util';

interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const isIp = (h: string) =>
  /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');

function isLocal(p: Process, host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' ||
    h.startsWith('127.') ||
    h === '::1' ||
    h === '0.0.0.0' ||
    h === p.rt.context.podIp ||
    h === p.rt.context.podName.toLowerCase()
  );
}

/** Cloud metadata endpoints and link-local addresses: never reachable from a pod here. */
function isForbidden(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h.startsWith('169.254.') ||
    h === 'metadata.google.internal' ||
    h === 'metadata' ||
    h === '100.100.100.200' ||
    h.startsWith('fd00:ec2') ||
    h.startsWith('fe80:')
  );
}

/** Cluster DNS: the API server's resolver when given, else the Service env vars. */
export function resolveName(p: Process, name: string): string | undefined {
  const ctx = p.rt.context;
  const host = name.replace(/\.$/, '').toLowerCase();
  if (isIp(host)) return host;
  if (host === 'localhost') return '127.0.0.1';
  if (host === ctx.podName.toLowerCase()) return ctx.podIp;
  if (ctx.resolve) {
    try {
      const r = ctx.resolve(host);
      if (r) return r;
    } catch {
      // fall through to the env vars
    }
  }
  const parts = host.split('.');
  const svc = parts[0];
  const ns = parts[1];
  const qualifiedHere =
    parts.length === 1 ||
    (ns === ctx.namespace &&
      (parts.length === 2 || parts.slice(2).join('.').startsWith('svc')));
  if (svc === 'kubernetes' && (parts.length === 1 || ns === 'default'))
    return ctx.env.KUBERNETES_SERVICE_HOST ?? '10.96.0.1';
  if (qualifiedHere) {
    const key = `${svc.toUpperCase().replace(/-/g, '_')}_SERVICE_HOST`;
    return p.env[key] ?? ctx.env[key];
  }
  return undefined;
}

function fqdn(p: Process, name: string): string {
  const parts = name.replace(/\.$/, '').split('.');
  if (isIp(name) || name === 'localhost') return name;
  if (parts.length === 1)
    return `${name}.${p.rt.context.namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${name}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${name}.cluster.local`;
  return name;
}

/** What the container's own app answers on localhost. */
function localApp(
  p: Process,
  port: number,
  method: string,
  path: string,
): HttpResult | 'refused' {
  const prof = p.rt.profile;
  if (!prof.ports.includes(port)) return 'refused';
  const now = new Date(p.rt.clock.now()).toISOString();
  const json = (status: number, body: unknown): HttpResult => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const route = path.split('?')[0];
  if (prof.runtime === 'java') {
    if (route === '/actuator/health')
      return json(200, { status: 'UP', groups: ['liveness', 'readiness'] });
    if (
      route === '/actuator/health/liveness' ||
      route === '/actuator/health/readiness'
    )
      return json(200, { status: 'UP' });
    if (route === '/actuator/info')
      return json(200, {
        app: { name: prof.app, version: prof.version },
        java: { version: '21.0.4' },
      });
    if (route === '/actuator/prometheus') {
      return {
        status: 200,
        headers: { 'content-type': 'text/plain;version=0.0.4;charset=utf-8' },
        body: `# HELP jvm_memory_used_bytes The amount of used memory\n# TYPE jvm_memory_used_bytes gauge\njvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 6.2914560E7\njvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 1.86679296E8\n# HELP http_server_requests_seconds\n# TYPE http_server_requests_seconds summary\nhttp_server_requests_seconds_count{method="POST",status="201",uri="/api/payments"} 18342\n`,
      };
    }
    return json(404, {
      timestamp: now,
      status: 404,
      error: 'Not Found',
      path: route,
    });
  }
  if (prof.runtime === 'node') {
    if (route === '/healthz') return json(200, { status: 'ok', app: prof.app });
    if (route === '/metrics')
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        body: '# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.\n# TYPE nodejs_heap_size_used_bytes gauge\nnodejs_heap_size_used_bytes 41234432\n',
      };
    if (route === '/' || route === '/index.html')
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=UTF-8' },
        body: `<!doctype html>\n<html lang="en">\n  <head><meta charset="utf-8"><title>${prof.app}</title></head>\n  <body><div id="root"></div><script src="/static/app.js"></script></body>\n</html>\n`,
      };
    return {
      status: 404,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${route}</pre>\n</body>\n</html>\n`,
    };
  }
  if (route === '/' || route === '/index.html')
    return {
      status: 200,
      headers: { 'content-type': 'text/html', server: 'nginx/1.27.2' },
      body: '<!DOCTYPE html>\n<html>\n<head><title>Welcome to nginx!</title></head>\n<body><h1>Welcome to nginx!</h1></body>\n</html>\n',
    };
  return {
    status: 404,
    headers: { 'content-type': 'text/html', server: 'nginx/1.27.2' },
    body: '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.2</center>\r\n</body>\r\n</html>\r\n',
  };
}

type Fetched =
  | { ok: true; res: HttpResult; ip: string; port: number; host: string }
  | { ok: false; code: number; message: string };

/** One HTTP exchange from inside the container. */
async function fetchUrl(
  p: Process,
  rawUrl: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Fetched> {
  let url: URL;
  try {
    url = new URL(
      /^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl) ? rawUrl : `http://${rawUrl}`,
    );
  } catch {
    return {
      ok: false,
      code: 3,
      message: 'URL using bad/illegal format or missing URL',
    };
  }
  const scheme = url.protocol.replace(/:$/, '');
  const host = url.hostname;
  const port = Number(url.port || (scheme === 'https' ? 443 : 80));
  if (scheme !== 'http' && scheme !== 'https') {
    return {
      ok: false,
      code: 1,
      message: `Protocol "${scheme}" not supported`,
    };
  }
  if (isForbidden(host)) {
    return {
      ok: false,
      code: 7,
      message: `Failed to connect to ${host} port ${port} after 3 ms: Couldn't connect to server`,
    };
  }
  if (isLocal(p, host)) {
    const r = localApp(p, port, method, `${url.pathname}${url.search}`);
    if (r === 'refused')
      return {
        ok: false,
        code: 7,
        message: `Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server`,
      };
    return {
      ok: true,
      res: r,
      ip: host === 'localhost' ? '127.0.0.1' : host,
      port,
      host,
    };
  }
  let res: HttpResult | undefined;
  try {
    res = await p.rt.context.httpRequest({
      url: url.toString(),
      method,
      headers: {
        ...headers,
        ...(body !== undefined
          ? { 'content-length': String(Buffer.byteLength(body)) }
          : {}),
      },
    });
  } catch {
    res = undefined;
  }
  if (!res) {
    if (isIp(host))
      return {
        ok: false,
        code: 7,
        message: `Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server`,
      };
    return { ok: false, code: 6, message: `Could not resolve host: ${host}` };
  }
  return { ok: true, res, ip: resolveName(p, host) ?? host, port, host };
}

function progressMeter(size: number): string {
  const s = String(size).padStart(5);
  return `  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 ${s}  100 ${s}    0     0  ${String(
    size * 40,
  ).padStart(5)}      0 --:--:-- --:--:-- --:--:-- ${String(size * 40).padStart(
    5,
  )}\n`;
}

export const curl: Program = async p => {
  const args = p.argv.slice(1);
  const urls: string[] = [];
  const headers: Record<string, string> = {
    'user-agent': 'curl/8.9.1',
    accept: '*/*',
  };
  let method: string | undefined;
  let data: string | undefined;
  let output: string | undefined;
  let remoteName = false;
  let silent = false;
  let showError = false;
  let failOnError = false;
  let verbose = false;
  let include = false;
  let headOnly = false;
  let follow = false;
  let writeOut: string | undefined;
  const withValue = new Set([
    '-X',
    '--request',
    '-H',
    '--header',
    '-d',
    '--data',
    '--data-raw',
    '--data-binary',
    '--data-urlencode',
    '-o',
    '--output',
    '-w',
    '--write-out',
    '-m',
    '--max-time',
    '--connect-timeout',
    '-u',
    '--user',
    '-A',
    '--user-agent',
    '-e',
    '--referer',
    '--retry',
    '--cacert',
    '--cert',
    '--key',
    '-b',
    '--cookie',
    '-c',
    '--cookie-jar',
    '-T',
    '--upload-file',
    '--resolve',
    '-x',
    '--proxy',
    '-F',
    '--form',
  ]);
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let v: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      v = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    if (withValue.has(a)) {
      v = v ?? args[++i];
      if (v === undefined) {
        await err(
          p,
          `curl: option ${a}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information`,
        );
        return 2;
      }
    }
    switch (a) {
      case '-X':
      case '--request':
        method = v!.toUpperCase();
        break;
      case '-H':
      case '--header': {
        const idx = v!.indexOf(':');
        if (idx > 0)
          headers[v!.slice(0, idx).trim().toLowerCase()] = v!
            .slice(idx + 1)
            .trim();
        break;
      }
      case '-d':
      case '--data':
      case '--data-raw':
      case '--data-binary':
      case '--data-urlencode':
        if (v!.startsWith('@') && a !== '--data-raw') {
          try {
            let t = '';
            for await (const c of readPath(p, v!.slice(1))) t += c;
            data = (data ? `${data}&` : '') + t;
          } catch (e) {
            rethrowSignals(e);
            await err(
              p,
              `Warning: Couldn't read data from file "${v!.slice(
                1,
              )}", this makes an empty POST.`,
            );
            void e;
          }
        } else data = (data ? `${data}&` : '') + v!;
        headers['content-type'] =
          headers['content-type'] ?? 'application/x-www-form-urlencoded';
        break;
      case '-o':
      case '--output':
        output = v;
        break;
      case '-O':
      case '--remote-name':
        remoteName = true;
        break;
      case '-w':
      case '--write-out':
        writeOut = v;
        break;
      case '-A':
      case '--user-agent':
        headers['user-agent'] = v!;
        break;
      case '-u':
      case '--user':
        headers.authorization = `Basic ${Buffer.from(v!).toString('base64')}`;
        break;
      case '-x':
      case '--proxy':
        break;
      case '-L':
      case '--location':
        follow = true;
        break;
      case '-i':
      case '--include':
        include = true;
        break;
      case '-I':
      case '--head':
        headOnly = true;
        break;
      case '-v':
      case '--verbose':
        verbose = true;
        break;
      case '-f':
      case '--fail':
        failOnError = true;
        break;
      case '-s':
      case '--silent':
        silent = true;
        break;
      case '-S':
      case '--show-error':
        showError = true;
        break;
      default:
        if (
          /^-[a-zA-Z]{2,}$/.test(a) &&
          [...a.slice(1)].every(c => 'sSfLiIvkgq46'.includes(c))
        ) {
          for (const c of a.slice(1)) {
            if (c === 's') silent = true;
            if (c === 'S') showError = true;
            if (c === 'f') failOnError = true;
            if (c === 'L') follow = true;
            if (c === 'i') include = true;
            if (c === 'I') headOnly = true;
            if (c === 'v') verbose = true;
          }
        } else if (a.startsWith('-') && a.length > 1) {
          if (
            ![
              '-k',
              '--insecure',
              '-g',
              '--globoff',
              '-q',
              '-4',
              '-6',
              '--compressed',
              '--http1.1',
              '--http2',
              '--no-progress-meter',
              '-N',
              '--no-buffer',
              '--fail-with-body',
              '-#',
              '--progress-bar',
              '--path-as-is',
              '--retry-all-errors',
            ].includes(a)
          ) {
            if (!withValue.has(a)) {
              await err(
                p,
                `curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information`,
              );
              return 2;
            }
          }
          if (a === '--no-progress-meter') silent = silent || false;
        } else urls.push(a);
    }
  }
  if (urls.length === 0) {
    await err(
      p,
      "curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information",
    );
    return 2;
  }
  const say = async (code: number, message: string) => {
    if (!silent || showError) await err(p, `curl: (${code}) ${message}`);
    return code;
  };
  let status = 0;
  for (const rawUrl of urls) {
    // file:// reads the container's own (in-memory) filesystem, as curl would.
    if (/^file:\/\//i.test(rawUrl)) {
      const path =
        decodeURIComponent(rawUrl.replace(/^file:\/\/[^/]*/i, '')) || '/';
      try {
        let t = '';
        for await (const c of readPath(p, path)) t += c;
        if (output) p.rt.fs.writeFile(output, t, p.cwd);
        else await out(p, t);
      } catch (e) {
        rethrowSignals(e);
        status = await say(37, `Couldn't open file ${path}`);
        void fsMessage(e);
      }
      continue;
    }
    let m = method ?? 'GET';
    if (!method && headOnly) m = 'HEAD';
    else if (!method && data !== undefined) m = 'POST';
    let target = rawUrl;
    let fetched: Fetched;
    let hops = 0;
    for (;;) {
      if (verbose) {
        const u = /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`;
        const h = u.replace(/^[a-z]+:\/\//i, '').split(/[/:?]/)[0];
        const ip = isLocal(p, h) ? '127.0.0.1' : resolveName(p, h);
        if (ip)
          await err(
            p,
            `*   Trying ${ip}:${
              (/:(\d+)/.exec(u.replace(/^[a-z]+:\/\//i, '')) ?? [])[1] ??
              (u.startsWith('https') ? 443 : 80)
            }...`,
          );
      }
      fetched = await fetchUrl(p, target, m, headers, data);
      if (
        !fetched.ok ||
        !follow ||
        ![301, 302, 303, 307, 308].includes(fetched.res.status) ||
        !fetched.res.headers.location ||
        ++hops > 50
      )
        break;
      target = new URL(
        fetched.res.headers.location,
        /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`,
      ).toString();
    }
    if (!fetched.ok) {
      status = await say(fetched.code, fetched.message);
      continue;
    }
    const { res } = fetched;
    const statusLine = `HTTP/1.1 ${res.status} ${
      REASONS[res.status] ?? ''
    }`.trimEnd();
    const headerLines = Object.entries({
      ...res.headers,
      'content-length': String(Buffer.byteLength(res.body)),
      date: formatDate(p.rt.clock.now(), '%a, %d %b %Y %T GMT'),
    }).map(([k, v]) => `${k}: ${v}`);
    if (verbose) {
      const path = new URL(
        /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`,
      );
      await err(
        p,
        `* Connected to ${fetched.host} (${fetched.ip}) port ${
          fetched.port
        }\n> ${m} ${path.pathname}${path.search} HTTP/1.1\n> Host: ${
          path.host
        }\n${Object.entries(headers)
          .map(
            ([k, v]) =>
              `> ${k.replace(/(^|-)\w/g, c => c.toUpperCase())}: ${v}`,
          )
          .join('\n')}\n> \n< ${statusLine}\n${headerLines
          .map(l => `< ${l}`)
          .join('\n')}\n< `,
      );
    }
    if (failOnError && res.status >= 400) {
      status = await say(22, `The requested URL returned error: ${res.status}`);
      continue;
    }
    let text = '';
    if (include || headOnly)
      text += `${statusLine}\r\n${headerLines.join('\r\n')}\r\n\r\n`;
    if (!headOnly) text += res.body;
    const file =
      output ??
      (remoteName
        ? new URL(
            /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`,
          ).pathname
            .split('/')
            .pop() || 'index.html'
        : undefined);
    if (file) {
      try {
        p.rt.fs.writeFile(file, text, p.cwd);
      } catch (e) {
        rethrowSignals(e);
        status = await say(
          23,
          `Failure writing output to destination, passed ${text.length} returned 0`,
        );
        void e;
        continue;
      }
    } else await out(p, text);
    if (!silent && (file || !p.stdoutIsTty) && !verbose)
      await err(
        p,
        progressMeter(Buffer.byteLength(res.body)).replace(/\n$/, ''),
      );
    if (verbose)
      await err(p, `* Connection #0 to host ${fetched.host} left intact`);
    if (writeOut !== undefined) {
      const latency =
        Number(res.headers['x-envoy-upstream-service-time'] ?? 1) / 1000;
      await out(
        p,
        writeOut
          .replace(/%\{http_code\}|%\{response_code\}/g, String(res.status))
          .replace(/%\{time_total\}/g, latency.toFixed(6))
          .replace(/%\{size_download\}/g, String(Buffer.byteLength(res.body)))
          .replace(/%\{content_type\}/g, res.headers['content-type'] ?? '')
          .replace(/%\{url_effective\}/g, target)
          .replace(/%\{remote_ip\}/g, fetched.ip)
          .replace(/\\n/g, '\n')
          .replace(/\\t/g, '\t'),
      );
    }
  }
  return status;
};

export const wget: Program = async p => {
  const args = p.argv.slice(1);
  let quiet = false;
  let output: string | undefined;
  let spider = false;
  let serverResponse = false;
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '-O' || a === '--output-document') output = args[++i];
    else if (a.startsWith('-O') && a.length > 2) output = a.slice(2);
    else if (a === '-qO-' || a === '-qO') {
      quiet = true;
      output = a === '-qO-' ? '-' : args[++i];
    } else if (a === '--spider') spider = true;
    else if (a === '-S' || a === '--server-response') serverResponse = true;
    else if (
      a === '-T' ||
      a === '--timeout' ||
      a === '-t' ||
      a === '--tries' ||
      a === '--header' ||
      a === '-U'
    )
      i++;
    else if (a.startsWith('-')) continue;
    else urls.push(a);
  }
  if (urls.length === 0)
    return fail(
      p,
      p.rt.profile.busybox
        ? 'missing URL'
        : 'missing URL\nUsage: wget [OPTION]... [URL]...',
      p.rt.profile.busybox ? 1 : 1,
    );
  const busybox = p.rt.profile.busybox;
  let status = 0;
  for (const u of urls) {
    const f = await fetchUrl(p, u, spider ? 'HEAD' : 'GET', {
      'user-agent': busybox ? 'Wget' : 'Wget/1.21.2',
      accept: '*/*',
    });
    const host = u.replace(/^[a-z]+:\/\//i, '').split(/[/:?]/)[0];
    if (!f.ok) {
      if (busybox)
        await err(
          p,
          {
            6: `wget: bad address '${host}'`,
            1: 'wget: unsupported scheme',
          }[f.code] ??
            `wget: can't connect to remote host (${host}): Connection refused`,
        );
      else
        await err(
          p,
          f.code === 6
            ? `wget: unable to resolve host address ‘${host}’`
            : `failed: Connection refused.`,
        );
      status = busybox ? 1 : 4;
      continue;
    }
    if (serverResponse)
      await err(p, `  HTTP/1.1 ${f.res.status} ${REASONS[f.res.status] ?? ''}`);
    if (f.res.status >= 400) {
      await err(
        p,
        busybox
          ? `wget: server returned error: HTTP/1.1 ${f.res.status} ${
              REASONS[f.res.status] ?? ''
            }`
          : `${formatDate(p.rt.clock.now(), '%F %T')} ERROR ${f.res.status}: ${
              REASONS[f.res.status] ?? ''
            }.`,
      );
      status = busybox ? 1 : 8;
      continue;
    }
    if (spider) continue;
    const name =
      output ??
      (new URL(/^[a-z]+:\/\//i.test(u) ? u : `http://${u}`).pathname
        .split('/')
        .pop() ||
        'index.html');
    if (!quiet)
      await err(
        p,
        busybox
          ? `Connecting to ${host} (${f.ip}:${f.port})`
          : `--${formatDate(
              p.rt.clock.now(),
              '%F %T',
            )}--  ${u}\nConnecting to ${host} (${host})|${f.ip}|:${
              f.port
            }... connected.\nHTTP request sent, awaiting response... ${
              f.res.status
            } ${REASONS[f.res.status] ?? ''}`,
      );
    if (name === '-') await out(p, f.res.body);
    else {
      try {
        p.rt.fs.writeFile(name, f.res.body, p.cwd);
      } catch (e) {
        rethrowSignals(e);
        await err(p, `wget: can't open '${name}': ${fsMessage(e)}`);
        status = 1;
        continue;
      }
      if (!quiet)
        await err(
          p,
          busybox
            ? `saving to '${name}'\n${name.padEnd(
                20,
              )} 100% |********************************| ${String(
                f.res.body.length,
              ).padStart(5)}  0:00:00 ETA\n'${name}' saved`
            : `Saving to: ‘${name}’\n\n‘${name}’ saved [${f.res.body.length}/${f.res.body.length}]`,
        );
    }
  }
  return status;
};

export const nslookup: Program = async p => {
  const name = p.argv.slice(1).find(a => !a.startsWith('-'));
  if (!name) return fail(p, 'usage: nslookup [HOST] [SERVER]');
  const header = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n';
  const ip = resolveName(p, name);
  if (!ip) {
    await out(
      p,
      `${header}** server can't find ${
        name.includes('.') ? name : fqdn(p, name)
      }: NXDOMAIN\n\n`,
    );
    return 1;
  }
  await out(p, `${header}Name:\t${fqdn(p, name)}\nAddress: ${ip}\n\n`);
  return 0;
};

export const getent: Program = async p => {
  const [db, key] = p.argv.slice(1);
  if (db === 'hosts' || db === 'ahosts') {
    if (!key) return 0;
    const ip = resolveName(p, key);
    if (!ip) return 2;
    await out(p, `${ip.padEnd(15)} ${fqdn(p, key)}\n`);
    return 0;
  }
  if (db === 'passwd' || db === 'group') {
    let t = '';
    for await (const c of readPath(p, `/etc/${db}`)) t += c;
    const lines = t
      .split('\n')
      .filter(l => l && (!key || l.startsWith(`${key}:`)));
    if (key && lines.length === 0) return 2;
    await out(p, `${lines.join('\n')}\n`);
    return 0;
  }
  return fail(p, `Unknown database: ${db ?? ''}`);
};

function sockets(p: Process) {
  const prof = p.rt.profile;
  const main = prof.mainArgv[0].split('/').pop()!.split(':')[0];
  const listen = prof.ports.map(port => ({ port, pid: 1, prog: main }));
  const established: Array<{
    local: string;
    remote: string;
    pid: number;
    prog: string;
  }> = [];
  if (prof.runtime === 'java') {
    established.push({
      local: `${p.rt.context.podIp}:41522`,
      remote: '10.96.21.40:5432',
      pid: 1,
      prog: main,
    });
    established.push({
      local: `${p.rt.context.podIp}:8080`,
      remote: '10.244.0.17:52814',
      pid: 1,
      prog: main,
    });
  }
  return { listen, established };
}

export const netstat: Program = async p => {
  const args = p.argv.slice(1).join('');
  const all = args.includes('a');
  const listening = args.includes('l');
  const programs = args.includes('p');
  const { listen, established } = sockets(p);
  let scope = 'w/o servers';
  if (all) scope = 'servers and established';
  else if (listening) scope = 'only servers';
  let text =
    `Active Internet connections (${scope})\nProto Recv-Q Send-Q Local Address           Foreign Address         State       ${
      programs ? 'PID/Program name' : ''
    }\n`.replace(/ +\n/g, '\n');
  const row = (
    local: string,
    remote: string,
    state: string,
    pid: number,
    prog: string,
  ) =>
    `tcp        0      0 ${local.padEnd(23)} ${remote.padEnd(
      23,
    )} ${state.padEnd(11)} ${programs ? `${pid}/${prog}` : ''}`.trimEnd();
  if (listening || all)
    for (const l of listen)
      text += `${row(
        `0.0.0.0:${l.port}`,
        '0.0.0.0:*',
        'LISTEN',
        l.pid,
        l.prog,
      )}\n`;
  if (!listening || all)
    for (const e of established)
      text += `${row(e.local, e.remote, 'ESTABLISHED', e.pid, e.prog)}\n`;
  await out(p, text);
  return 0;
};

export const ss: Program = async p => {
  const args = p.argv.slice(1).join('');
  const listening = args.includes('l');
  const all = args.includes('a');
  const programs = args.includes('p');
  const { listen, established } = sockets(p);
  let text =
    'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n';
  if (listening || all)
    for (const l of listen)
      text += `LISTEN 0      100                *:${
        l.port
      }             *:*    ${
        programs ? `users:(("${l.prog}",pid=${l.pid},fd=11))` : ''
      }\n`;
  if (!listening || all)
    for (const e of established)
      text += `ESTAB  0      0       ${e.local.padStart(
        18,
      )} ${e.remote.padStart(18)} ${
        programs ? `users:(("${e.prog}",pid=${e.pid},fd=42))` : ''
      }\n`;
  await out(p, text.replace(/ +\n/g, '\n'));
  return 0;
};

function mac(p: Process): string {
  const parts = p.rt.context.podIp.split('.').map(Number);
  return [
    '4a',
    '8f',
    ...parts.map(n => (n & 0xff).toString(16).padStart(2, '0')),
  ].join(':');
}

export const ip: Program = async p => {
  const [obj = '', sub] = p.argv.slice(1).filter(a => !a.startsWith('-'));
  const podIp = p.rt.context.podIp;
  const gw = podIp.replace(/\.\d+$/, '.1');
  if (obj.startsWith('a')) {
    await out(
      p,
      `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n2: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc noqueue state UP group default\n    link/ether ${mac(
        p,
      )} brd ff:ff:ff:ff:ff:ff link-netnsid 0\n    inet ${podIp}/24 brd ${podIp.replace(
        /\.\d+$/,
        '.255',
      )} scope global eth0\n       valid_lft forever preferred_lft forever\n`,
    );
    return 0;
  }
  if (obj.startsWith('r')) {
    await out(
      p,
      `default via ${gw} dev eth0\n${podIp.replace(
        /\.\d+$/,
        '.0',
      )}/24 dev eth0 proto kernel scope link src ${podIp}\n`,
    );
    return 0;
  }
  if (obj.startsWith('l')) {
    await out(
      p,
      `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc noqueue state UP mode DEFAULT group default\n    link/ether ${mac(
        p,
      )} brd ff:ff:ff:ff:ff:ff link-netnsid 0\n`,
    );
    return 0;
  }
  void sub;
  return fail(p, `Object "${obj}" is unknown, try "ip help".`, 255);
};

export const ifconfig: Program = async p => {
  const podIp = p.rt.context.podIp;
  await out(
    p,
    `eth0      Link encap:Ethernet  HWaddr ${mac(
      p,
    ).toUpperCase()}\n          inet addr:${podIp}  Bcast:${podIp.replace(
      /\.\d+$/,
      '.255',
    )}  Mask:255.255.255.0\n          UP BROADCAST RUNNING MULTICAST  MTU:9001  Metric:1\n\nlo        Link encap:Local Loopback\n          inet addr:127.0.0.1  Mask:255.0.0.0\n          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n\n`,
  );
  return 0;
};

export const NET_PROGRAMS: Record<string, Program> = {
  curl,
  wget,
  nslookup,
  getent,
  netstat,
  ss,
  ip,
  ifconfig,
};
