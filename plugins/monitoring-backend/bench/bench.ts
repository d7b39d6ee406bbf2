/*
 * Monitoring's figures, over a real Prometheus (Debian `prometheus`,
 * backfilled with the test fixture: an hour of Istio, cAdvisor and
 * kube-state-metrics series of payment-gateway, 15 s apart):
 *
 *   yarn workspace @fincloud/plugin-monitoring-backend bench [--requests 200]
 *
 * 1. Overview latency: GET .../dashboard over HTTP through the plugin's
 *    router (9 panels, step 15 s, 240 points each, markers and alerts
 *    skipped: no audit store, no Alertmanager), p50 / p95 / p99 —
 *    cold (a new step window each time: 9 queries reach Prometheus) and
 *    warm (the same window: served from the cache).
 * 2. N simultaneous viewers (1, 10, 100) of the same overview: queries that
 *    reached Prometheus (its own prometheus_http_requests_total) and the
 *    time until the last viewer has the whole overview — side by side with
 *    one-request-per-panel proxying (what the Roadie Prometheus plugin
 *    does: each panel of each browser a separate request through the
 *    backend's proxy to Prometheus).
 */
import {
  createServer,
  IncomingMessage,
  request as httpRequest,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigReader } from '@backstage/config';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { ConfigFincloudClusters } from '@fincloud/plugin-fincloud-node';
import { readMonitoringConfig } from '../src/config/readConfig';
import { createRouter } from '../src/router';
import { AuthorizedMonitoringService } from '../src/service/AuthorizedMonitoringService';
import { DefaultMonitoringService } from '../src/service/DefaultMonitoringService';
import { renderTemplate } from '../src/promql/template';
import { backfill, startPrometheus } from '../src/__testUtils__/promStack';
import {
  fixtureOpenMetrics,
  sampleEntities,
  SCRAPE_SECONDS,
  T_END,
} from '../src/__testUtils__/fixtures';

const PG_PATH = '/api/monitoring/entities/component/default/payment-gateway';

function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(
    s,
    95,
  ).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms (n=${s.length})`;
}

const silentLogger: any = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return silentLogger;
  },
};

/** An in-memory catalog with the sample services (the bench measures monitoring, not the catalog). */
function catalog(entities: Entity[]): any {
  return {
    async getEntityByRef(ref: string) {
      return entities.find(e => stringifyEntityRef(e) === ref);
    },
    async getEntities() {
      return { items: entities };
    },
  };
}

async function listen(
  handler:
    | express.Express
    | ((req: IncomingMessage, res: ServerResponse) => void),
) {
  const server: Server = createServer(handler as any);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

/** The plugin's router behind a user that may read everything. */
async function monitoringServer(promUrl: string) {
  const config = readMonitoringConfig(
    new ConfigReader({
      fincloud: {
        monitoring: {
          prometheus: [
            {
              name: 'bench',
              url: promUrl,
              scrapeIntervalSeconds: SCRAPE_SECONDS,
            },
          ],
        },
      },
    }),
  );
  const inner = new DefaultMonitoringService({
    config,
    catalog: catalog(sampleEntities()),
    clusters: ConfigFincloudClusters.fromConfig(new ConfigReader({})),
    logger: silentLogger,
  });
  const credentials = {
    $$type: '@backstage/BackstageCredentials',
    principal: { type: 'user', userEntityRef: 'user:default/pete' },
  };
  const router = await createRouter({
    service: new AuthorizedMonitoringService(inner, {
      async authorize(requests: unknown[]) {
        return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
      },
      async authorizeConditional(requests: unknown[]) {
        return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
      },
    } as any),
    httpAuth: { credentials: async () => credentials } as any,
    auditor: {} as any,
  });
  const app = express();
  app.use('/api/monitoring', router);
  app.use((error: Error, _req: any, res: any, _next: any) => {
    res.status(500).json({ error: error.message });
  });
  return { ...(await listen(app)), inner, config };
}

/** A pass-through proxy to Prometheus, as Backstage's proxy backend would be. */
async function proxyServer(promUrl: string) {
  const target = new URL(promUrl);
  return listen((req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: (req.url ?? '/').replace(/^\/api\/proxy\/prometheus/, ''),
        headers: { ...req.headers, host: target.host },
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
}

async function getJson(url: string) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function main() {
  const requests =
    Number(process.argv[process.argv.indexOf('--requests') + 1]) || 200;
  // Six hours of data, so every window below (one hour, shifted back by at
  // most an hour) is full of samples.
  const prom = await startPrometheus({
    dataDir: await backfill(fixtureOpenMetrics(T_END - 6 * 3600, T_END)),
  });
  const servers: Server[] = [];
  try {
    const step = 15;
    const to = T_END * 1000;
    const from = to - 3600 * 1000;
    const query = (f: number, t: number) => `from=${f}&to=${t}&step=${step}`;

    // Warm up Prometheus and the JIT.
    const warm = await monitoringServer(prom.url);
    servers.push(warm.server);
    // Windows are shifted back by whole steps: a shift nobody asked for yet
    // is a window no cache holds.
    const shifted = (steps: number) =>
      query(from - steps * step * 1000, to - steps * step * 1000);
    for (let i = 0; i < 20; i++) {
      await getJson(`${warm.url}${PG_PATH}/dashboard?${shifted(i)}`);
    }

    // 1. Latency, cold and warm.
    const panels = warm.config.panels.length;
    const cold: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const d = await getJson(
        `${warm.url}${PG_PATH}/dashboard?${shifted(20 + i)}`,
      );
      cold.push(performance.now() - t0);
      if (d.panels.length !== panels || d.panels.some((p: any) => p.error)) {
        throw new Error(
          `bad dashboard: ${JSON.stringify(d.panels.map((p: any) => p.error))}`,
        );
      }
    }
    const cached: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await getJson(`${warm.url}${PG_PATH}/dashboard?${query(from, to)}`);
      cached.push(performance.now() - t0);
    }
    const sample = await getJson(
      `${warm.url}${PG_PATH}/dashboard?${query(from, to)}`,
    );
    const points = sample.panels[0].series[0].points.length;

    // 2. Simultaneous viewers: fincloud vs one request per panel through a proxy.
    const proxy = await proxyServer(prom.url);
    servers.push(proxy.server);
    const target = {
      namespace: 'payments',
      workload: 'payment-gateway',
      cluster: 'sim',
      rateInterval: `${Math.max(4 * SCRAPE_SECONDS, step + SCRAPE_SECONDS)}s`,
    };
    const panelQueries = warm.config.panels.map(p =>
      renderTemplate(p.query, target),
    );
    const rows: string[] = [];
    let round = 0;
    for (const viewers of [1, 10, 100]) {
      round += 1;
      // A window nobody asked for yet, the same for every viewer of the round.
      const shift = (20 + requests + round) * step * 1000;
      const [f, t] = [from - shift, to - shift];

      const ours = await monitoringServer(prom.url);
      servers.push(ours.server);
      let before = await prom.queryCount('/api/v1/query_range');
      let t0 = performance.now();
      await Promise.all(
        Array.from({ length: viewers }, () =>
          getJson(`${ours.url}${PG_PATH}/dashboard?${query(f, t)}`),
        ),
      );
      const oursMs = performance.now() - t0;
      await new Promise(r => setTimeout(r, 300));
      const oursQueries =
        (await prom.queryCount('/api/v1/query_range')) - before;

      before = await prom.queryCount('/api/v1/query_range');
      t0 = performance.now();
      await Promise.all(
        Array.from({ length: viewers }, () =>
          Promise.all(
            panelQueries.map(q =>
              getJson(
                `${
                  proxy.url
                }/api/proxy/prometheus/api/v1/query_range?${new URLSearchParams(
                  {
                    query: q,
                    start: String(f / 1000),
                    end: String(t / 1000),
                    step: String(step),
                  },
                )}`,
              ),
            ),
          ),
        ),
      );
      const proxyMs = performance.now() - t0;
      await new Promise(r => setTimeout(r, 300));
      const proxyQueries =
        (await prom.queryCount('/api/v1/query_range')) - before;
      rows.push(
        `| ${viewers} | ${oursQueries} | ${oursMs.toFixed(
          0,
        )} ms | ${proxyQueries} | ${proxyMs.toFixed(
          0,
        )} ms | ${viewers} × ${panels} = ${viewers * panels} |`,
      );
    }

    /* eslint-disable no-console */
    console.log(
      `monitoring bench: ${panels} panels, ${points} points per series, step ${step} s, real Prometheus (backfilled fixture)`,
    );
    console.log('');
    console.log(
      `overview latency, cold (9 queries reach Prometheus): ${summary(cold)}`,
    );
    console.log(
      `overview latency, warm (same step window, cached):   ${summary(cached)}`,
    );
    console.log('');
    console.log(
      '| viewers | fincloud: queries at Prometheus | fincloud: all viewers served | per-panel proxy: queries at Prometheus | per-panel proxy: all viewers served | per-panel proxy: requests from browsers |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    /* eslint-enable no-console */
  } finally {
    for (const s of servers) s.close();
    await prom.stop();
  }
}

main().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exit(1);
});
