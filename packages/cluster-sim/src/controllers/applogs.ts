import type { K8sObject } from '../store/ObjectStore';
import { fnv32a } from './util';

/**
 * Plausible application logs for service pods, by image family: a startup
 * sequence and periodic access lines. Deterministic per pod.
 */

export type ImageFamily = 'java' | 'node' | 'python' | 'go' | 'generic';

/** The app's family from its image name, else from its env (JAVA_*, NODE_ENV, PYTHON*). */
export function containerFamily(container: any): ImageFamily {
  const byImage = imageFamily(String(container?.image ?? ''));
  if (byImage !== 'generic') return byImage;
  const names: string[] = (container?.env ?? []).map((e: any) =>
    String(e?.name ?? ''),
  );
  if (
    names.some(
      n =>
        n.startsWith('JAVA_') ||
        n.startsWith('SPRING_') ||
        n === 'JDK_JAVA_OPTIONS',
    )
  )
    return 'java';
  if (names.some(n => n === 'NODE_ENV' || n === 'NODE_OPTIONS')) return 'node';
  if (names.some(n => n.startsWith('PYTHON'))) return 'python';
  return 'generic';
}

export function imageFamily(image: string): ImageFamily {
  const i = image.toLowerCase();
  if (/(java|jdk|jre|temurin|corretto|spring|tomcat|jvm)/.test(i))
    return 'java';
  if (/(node|npm|next|nginx-node)/.test(i)) return 'node';
  if (/(python|django|flask|uvicorn|gunicorn)/.test(i)) return 'python';
  if (/(golang|distroless)/.test(i)) return 'go';
  return 'generic';
}

function isoMs(ms: number) {
  return new Date(ms).toISOString();
}

/** Container port the app listens on (first declared port, else the family's default). */
export function appPort(container: any, family: ImageFamily): number {
  const port = container?.ports?.[0]?.containerPort;
  if (typeof port === 'number') return port;
  if (family === 'node') return 3000;
  if (family === 'python') return 8000;
  return 8080;
}

export function startupLines(
  pod: K8sObject,
  container: any,
  now: number,
): Array<{ atMs: number; text: string }> {
  const family = containerFamily(container);
  const app = pod.metadata.labels?.app ?? container?.name ?? 'app';
  const version = pod.metadata.labels?.version ?? 'v1';
  const port = appPort(container, family);
  const seed = fnv32a(pod.metadata.name);
  const bootMs = 2500 + (seed % 2500);
  switch (family) {
    case 'java': {
      const line = (
        at: number,
        level: string,
        thread: string,
        logger: string,
        msg: string,
      ) => ({
        atMs: at,
        text: `${isoMs(now + at)}  ${level.padStart(
          5,
        )} 1 --- [${app}] [${thread.padStart(15)}] ${logger
          .padEnd(40)
          .slice(0, 40)} : ${msg}`,
      });
      return [
        line(
          40,
          'INFO',
          'main',
          'c.f.Application',
          `Starting Application ${version} using Java 21.0.5 with PID 1 (/app/app.jar started by app in /app)`,
        ),
        line(
          60,
          'INFO',
          'main',
          'c.f.Application',
          'No active profile set, falling back to 1 default profile: "default"',
        ),
        line(
          900,
          'INFO',
          'main',
          'o.s.b.w.embedded.tomcat.TomcatWebServer',
          `Tomcat initialized with port ${port} (http)`,
        ),
        line(
          950,
          'INFO',
          'main',
          'o.apache.catalina.core.StandardService',
          'Starting service [Tomcat]',
        ),
        line(
          1400,
          'INFO',
          'main',
          'com.zaxxer.hikari.HikariDataSource',
          'HikariPool-1 - Start completed.',
        ),
        line(
          bootMs - 200,
          'INFO',
          'main',
          'o.s.b.a.e.web.EndpointLinksResolver',
          "Exposing 3 endpoints beneath base path '/actuator'",
        ),
        line(
          bootMs - 100,
          'INFO',
          'main',
          'o.s.b.w.embedded.tomcat.TomcatWebServer',
          `Tomcat started on port ${port} (http) with context path '/'`,
        ),
        line(
          bootMs,
          'INFO',
          'main',
          'c.f.Application',
          `Started Application in ${(bootMs / 1000).toFixed(
            3,
          )} seconds (process running for ${(bootMs / 1000 + 0.4).toFixed(1)})`,
        ),
      ];
    }
    case 'node':
      return [
        { atMs: 20, text: `> ${app}@${version.replace(/^v/, '')}.0.0 start` },
        { atMs: 30, text: '> node dist/server.js' },
        {
          atMs: 600,
          text: JSON.stringify({
            level: 'info',
            time: now + 600,
            msg: 'configuration loaded',
            env: 'production',
          }),
        },
        {
          atMs: 900,
          text: JSON.stringify({
            level: 'info',
            time: now + 900,
            msg: `Server listening at http://0.0.0.0:${port}`,
          }),
        },
      ];
    case 'python':
      return [
        { atMs: 100, text: `INFO:     Started server process [1]` },
        { atMs: 150, text: 'INFO:     Waiting for application startup.' },
        { atMs: 700, text: 'INFO:     Application startup complete.' },
        {
          atMs: 720,
          text: `INFO:     Uvicorn running on http://0.0.0.0:${port} (Press CTRL+C to quit)`,
        },
      ];
    default:
      return [
        {
          atMs: 30,
          text: `${isoMs(
            now + 30,
          )} level=info msg="starting ${app}" version=${version}`,
        },
        {
          atMs: 300,
          text: `${isoMs(now + 300)} level=info msg="listening" addr=:${port}`,
        },
      ];
  }
}

const PATHS: Record<string, string[]> = {
  'payment-gateway': [
    '/api/v1/payments',
    '/api/v1/payments/{id}',
    '/api/v1/transfers',
    '/actuator/health',
  ],
  'risk-engine': ['/api/v1/score', '/api/v1/rules', '/actuator/health'],
  'user-portal': ['/', '/accounts', '/payments', '/static/app.js', '/healthz'],
};

export function accessLine(
  pod: K8sObject,
  container: any,
  now: number,
  index: number,
  behaviour: { errorRatio: number; latencyMs: number },
): string {
  const app = pod.metadata.labels?.app ?? container?.name ?? 'app';
  const family = containerFamily(container);
  const paths = PATHS[app] ?? ['/', '/api/v1/items', '/healthz'];
  const h = fnv32a(`${pod.metadata.name}/${index}`);
  let path = paths[h % paths.length].replace(
    '{id}',
    String(100000 + (h % 900000)),
  );
  const method = path.includes('payments') && h % 3 === 0 ? 'POST' : 'GET';
  const error = (h % 10000) / 10000 < behaviour.errorRatio;
  let status = method === 'POST' ? 201 : 200;
  if (error) status = 500;
  const latency = Math.max(
    1,
    Math.round(behaviour.latencyMs * (0.6 + ((h >>> 8) % 80) / 100)),
  );
  const client = `10.244.${(h >>> 4) % 6}.${(h >>> 12) % 250}`;
  if (path === '/healthz' || path === '/actuator/health') path = `${path}`;
  switch (family) {
    case 'java':
      return error
        ? `${isoMs(now)} ERROR 1 --- [${app}] [nio-8080-exec-${
            (h % 9) + 1
          }] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception: java.lang.IllegalStateException: downstream call failed (${method} ${path})`
        : `${isoMs(now)}  INFO 1 --- [${app}] [nio-8080-exec-${
            (h % 9) + 1
          }] c.f.web.AccessLog                        : ${method} ${path} ${status} ${latency}ms`;
    case 'node':
      return JSON.stringify({
        level: error ? 'error' : 'info',
        time: now,
        req: { method, url: path, remoteAddress: client },
        res: { statusCode: status },
        responseTime: latency,
        msg: error ? 'request errored' : 'request completed',
      });
    default:
      return `${client} - - [${new Date(
        now,
      ).toUTCString()}] "${method} ${path} HTTP/1.1" ${status} ${
        200 + (h % 4000)
      } "-" "envoy" ${latency}ms`;
  }
}

export function shutdownLine(
  pod: K8sObject,
  container: any,
  now: number,
): string {
  const family = containerFamily(container);
  const app = pod.metadata.labels?.app ?? container?.name ?? 'app';
  switch (family) {
    case 'java':
      return `${isoMs(
        now,
      )}  INFO 1 --- [${app}] [ionShutdownHook] o.s.b.w.e.tomcat.GracefulShutdown        : Commencing graceful shutdown. Waiting for active requests to complete`;
    case 'node':
      return JSON.stringify({
        level: 'info',
        time: now,
        msg: 'SIGTERM received, closing server',
      });
    default:
      return `${isoMs(now)} level=info msg="shutting down" signal=SIGTERM`;
  }
}
