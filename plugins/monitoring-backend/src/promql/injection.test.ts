/*
 * PromQL injection through entity data, proved against a real Prometheus:
 * each hostile value, substituted into the default templates, stays one
 * label value. Three checks per value:
 *  1. the rendered selector is accepted by /api/v1/series as `match[]`,
 *     which only parses a single series selector: `or vector(1)` or a second
 *     selector would be a parse error;
 *  2. the selector finds exactly the one series whose label is that value
 *     (escaping round-trips byte for byte), and the query built from the
 *     request-rate panel answers that series' known rate and nothing else
 *     (an injected `vector(1)` would add a 1);
 *  3. regex holes match the value literally (`.*` is not a wildcard).
 * The entity layer also refuses such values before any query is built
 * (see entityTarget.test.ts); this is the defence underneath it.
 */
import { DEFAULT_PANELS } from './defaultPanels';
import { compileTemplate, renderTemplate } from './template';
import {
  backfill,
  describeWithPrometheus,
  startPrometheus,
} from '../__testUtils__/promStack';
import {
  EVIL_NAMESPACE_RATE,
  EVIL_VALUES,
  evilRate,
  fixtureOpenMetrics,
  NS,
  T_END,
  T_START,
} from '../__testUtils__/fixtures';

jest.setTimeout(60_000);

describeWithPrometheus('PromQL injection through template variables', () => {
  let prom: Awaited<ReturnType<typeof startPrometheus>>;

  beforeAll(async () => {
    prom = await startPrometheus({
      dataDir: await backfill(fixtureOpenMetrics()),
    });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  async function api(path: string, params: Record<string, string>) {
    const res = await fetch(`${prom.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, body: await res.json() };
  }

  const requestRate = DEFAULT_PANELS.find(p => p.id === 'request-rate')!;

  function render(
    source: string,
    vars: { namespace?: string; workload?: string; version?: string },
  ) {
    return renderTemplate(compileTemplate(source), {
      namespace: vars.namespace ?? NS,
      workload: vars.workload ?? 'payment-gateway',
      cluster: 'sim',
      version: vars.version,
      rateInterval: '75s',
    });
  }

  it.each(EVIL_VALUES.map((v, i) => [JSON.stringify(v), v, i] as const))(
    'keeps workload %s one label value',
    async (_name, evil, i) => {
      const selector = render(
        'istio_requests_total{reporter="destination",destination_workload_namespace="$namespace",destination_workload="$workload"}',
        { workload: evil },
      );
      const series = await api('/api/v1/series', {
        'match[]': selector,
        start: String(T_START),
        end: String(T_END),
      });
      expect(series.status).toBe(200);
      expect(series.body.data).toHaveLength(1);
      expect(series.body.data[0].destination_workload).toBe(evil);

      const query = render(requestRate.query, { workload: evil });
      const result = await api('/api/v1/query', { query, time: String(T_END) });
      expect(result.status).toBe(200);
      expect(result.body.data.result).toEqual([
        {
          metric: { destination_version: 'v1' },
          value: [T_END, String(evilRate(i))],
        },
      ]);
    },
  );

  it('keeps a hostile namespace one label value', async () => {
    const query = render(requestRate.query, { namespace: EVIL_VALUES[0] });
    const result = await api('/api/v1/query', { query, time: String(T_END) });
    expect(result.body.data.result).toEqual([
      {
        metric: { destination_version: 'v1' },
        value: [T_END, String(EVIL_NAMESPACE_RATE)],
      },
    ]);
  });

  it('matches regex holes literally', async () => {
    const memory = DEFAULT_PANELS.find(p => p.id === 'memory')!;
    // `.*` as a workload: only the pod literally named `.*-12345-abcde`.
    const literal = await api('/api/v1/query', {
      query: render(memory.query, { workload: '.*' }),
      time: String(T_END),
    });
    expect(literal.body.data.result).toEqual([
      { metric: {}, value: [T_END, '4242'] },
    ]);
    // A version with regex syntax matches no version at all.
    for (const version of ['.*', 'v1|v2', 'v[12]']) {
      const result = await api('/api/v1/query', {
        query: render(requestRate.query, { version }),
        time: String(T_END),
      });
      expect({ version, result: result.body.data.result }).toEqual({
        version,
        result: [],
      });
    }
    // Without a version, every version.
    const all = await api('/api/v1/query', {
      query: render(requestRate.query, {}),
      time: String(T_END),
    });
    expect(
      all.body.data.result.map((r: any) => r.metric.destination_version).sort(),
    ).toEqual(['v1', 'v2']);
  });
});
