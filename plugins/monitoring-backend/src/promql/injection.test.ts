/*
 * PromQL injection through entity data, proved against a real Prometheus:
 * each hostile value, substituted into the default templates, stays one
 * label value. Three checks per value:
 *  1. the rendered selector is accepted by /api/v1/series as `match[]`,
 *     which only parses a single series selector: `or vector(1)` or a second
 *     selector would be a parse error;
 *  2. the selector finds exactly the one series whose label is that value
 *     (escaping round-trips byte for byte), and the queries built from the
 *     request-rate panel (Istio's `destination_app`) and the memory panel
 *     (the join on kube-state-metrics' `label_app`) answer that series'
 *     known value and nothing else (an injected `vector(1)` would add a 1);
 *  3. regex holes match the value literally (`.*` is not a wildcard): the
 *     default panels' `$version`, and `$workload` in the pod-name pattern
 *     the README offers where kube-state-metrics exports no pod labels.
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
  evilMemory,
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
  const memory = DEFAULT_PANELS.find(p => p.id === 'memory')!;

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
      for (const selector of [
        'istio_requests_total{reporter="destination",destination_workload_namespace="$namespace",destination_app="$workload"}',
        'kube_pod_labels{namespace="$namespace",label_app="$workload"}',
      ]) {
        const series = await api('/api/v1/series', {
          'match[]': render(selector, { workload: evil }),
          start: String(T_START),
          end: String(T_END),
        });
        expect(series.status).toBe(200);
        expect(series.body.data).toHaveLength(1);
        expect(
          series.body.data[0].destination_app ?? series.body.data[0].label_app,
        ).toBe(evil);
      }

      const query = render(requestRate.query, { workload: evil });
      const result = await api('/api/v1/query', { query, time: String(T_END) });
      expect(result.status).toBe(200);
      expect(result.body.data.result).toEqual([
        {
          metric: { destination_version: 'v1' },
          value: [T_END, String(evilRate(i))],
        },
      ]);

      const pods = await api('/api/v1/query', {
        query: render(memory.query, { workload: evil }),
        time: String(T_END),
      });
      expect(pods.status).toBe(200);
      expect(pods.body.data.result).toEqual([
        {
          metric: { label_version: 'v1' },
          value: [T_END, String(evilMemory(i))],
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
    // `.*` as a workload in the README's pod-name pattern: only the pod
    // literally named `.*-12345-abcde`, none of the payment-gateway pods.
    const literal = await api('/api/v1/query', {
      query: render(
        'sum(container_memory_working_set_bytes{namespace="$namespace",pod=~"$workload(-[a-z0-9][a-z0-9.-]*)?-[a-z0-9]+-[a-z0-9]{5}"})',
        { workload: '.*' },
      ),
      time: String(T_END),
    });
    expect(literal.body.data.result).toEqual([
      { metric: {}, value: [T_END, '4242'] },
    ]);
    // A version with regex syntax matches no version at all.
    for (const version of ['.*', 'v1|v2', 'v[12]']) {
      for (const p of [requestRate, memory]) {
        const result = await api('/api/v1/query', {
          query: render(p.query, { version }),
          time: String(T_END),
        });
        expect({
          version,
          panel: p.id,
          result: result.body.data.result,
        }).toEqual({ version, panel: p.id, result: [] });
      }
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
