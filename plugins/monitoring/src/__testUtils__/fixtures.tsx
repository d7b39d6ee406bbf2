import { Entity } from '@backstage/catalog-model';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import {
  Alert,
  Dashboard,
  Panel,
  Series,
} from '@fincloud/plugin-monitoring-common';
import { SWRConfig } from 'swr';
import { monitoringApiRef, MonitoringClient } from '../api';

export const base = 'http://example.com/api/monitoring';
export const PG = 'component:default/payment-gateway';
export const PG_PATH = `${base}/entities/component/default/payment-gateway`;

export const paymentGateway: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payment-gateway',
    annotations: {
      'fincloud.io/cluster': 'sim',
      'fincloud.io/namespace': 'payments',
      'fincloud.io/workload': 'payment-gateway',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

/** 12:00 to 13:00 UTC on 29 Nov 2026, one point a minute. */
export const FROM = Date.UTC(2026, 10, 29, 12, 0, 0);
export const TO = FROM + 3600_000;
export const STEP = 60;

/** A series of `values` spread over the hour (the last value is "now"). */
export function series(
  labels: Record<string, string>,
  values: Array<number | null>,
): Series {
  const step = (TO - FROM) / Math.max(1, values.length - 1);
  return {
    labels,
    points: values.map((v, i) => [FROM + Math.round(i * step), v]),
  };
}

export function panel(overrides: Partial<Panel> & { id: string }): Panel {
  return {
    title: overrides.id,
    unit: 'count',
    kind: 'line',
    series: [],
    ...overrides,
  };
}

/** The default panels of the backend, with plausible values. */
export function defaultPanels(): Panel[] {
  return [
    panel({
      id: 'request-rate',
      title: 'Request rate',
      unit: 'reqps',
      series: [series({ version: 'v1' }, [19, 20, 21, 20.4])],
    }),
    panel({
      id: 'error-ratio',
      title: 'Error ratio (5xx)',
      unit: 'percent',
      thresholds: [
        { value: 1, color: 'warning' },
        { value: 5, color: 'error' },
      ],
      series: [series({ version: 'v1' }, [0.1, 0.2, 0.1, 0.25])],
    }),
    panel({
      id: 'latency-p99',
      title: 'Latency p99',
      unit: 'ms',
      thresholds: [
        { value: 500, color: 'warning' },
        { value: 1000, color: 'error' },
      ],
      series: [series({ version: 'v1' }, [120, 130, 125, 128])],
    }),
    panel({
      id: 'cpu',
      title: 'CPU',
      unit: 'cores',
      kind: 'area',
      series: [series({}, [0.12, 0.15, 0.14, 0.16])],
    }),
    panel({
      id: 'memory',
      title: 'Memory working set',
      unit: 'bytes',
      kind: 'area',
      series: [series({}, [300 * 2 ** 20, 310 * 2 ** 20, 312 * 2 ** 20])],
    }),
    panel({
      id: 'ready-pods',
      title: 'Ready pods',
      unit: 'count',
      kind: 'stat',
      series: [series({}, [3, 3, 3])],
    }),
  ];
}

export function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: '0123456789abcdef',
    name: 'HighErrorRatio',
    state: 'firing',
    severity: 'critical',
    summary: 'Error ratio (5xx) > 10 % at once',
    labels: {
      alertname: 'HighErrorRatio',
      namespace: 'payments',
      workload: 'payment-gateway',
      severity: 'critical',
    },
    startsAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    source: 'alertmanager',
    entityRef: PG,
    ...overrides,
  };
}

export function dashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    entityRef: PG,
    from: FROM,
    to: TO,
    step: STEP,
    panels: defaultPanels(),
    markers: [],
    alerts: [],
    versions: ['v1'],
    ...overrides,
  };
}

export interface RenderOptions {
  /** Permission names the user holds (on payment-gateway, or basic ones). */
  allowed?: string[];
  entity?: Entity;
  path?: string;
}

export async function renderWithApis(
  element: JSX.Element,
  options: RenderOptions = {},
) {
  const discoveryApi = mockApis.discovery({ baseUrl: 'http://example.com' });
  const fetchApi = { fetch: (input: any, init?: any) => fetch(input, init) };
  const allowed = options.allowed ?? [];
  const asked: Array<{ name: string; resourceRef?: string }> = [];
  const apis: Array<[any, any]> = [
    [discoveryApiRef, discoveryApi],
    [fetchApiRef, fetchApi],
    [monitoringApiRef, new MonitoringClient({ discoveryApi, fetchApi })],
    [
      permissionApiRef,
      mockApis.permission({
        authorize: req => {
          const resourceRef = (req as { resourceRef?: string }).resourceRef;
          asked.push({ name: req.permission.name, resourceRef });
          const onEntity = resourceRef === undefined || resourceRef === PG;
          return onEntity && allowed.includes(req.permission.name)
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY;
        },
      }),
    ],
  ];
  // usePermission caches answers in SWR: a fresh cache per render, so one
  // test's role never leaks into the next.
  const swrCache = new Map();
  const rendered = await renderInTestApp(
    <TestApiProvider apis={apis as any}>
      <SWRConfig value={{ provider: () => swrCache }}>
        <EntityProvider entity={options.entity ?? paymentGateway}>
          {element}
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      routeEntries: options.path ? [options.path] : undefined,
    },
  );
  return { asked, rendered };
}

/** What each sample role holds on payment-gateway (team-payments). */
export const ROLES = {
  developer: [
    'monitoring.read',
    'monitoring.silence',
    'monitoring.rules.write',
  ],
  platform: [
    'monitoring.read',
    'monitoring.silence',
    'monitoring.rules.write',
    'monitoring.noise.read',
  ],
  auditor: ['monitoring.read', 'monitoring.noise.read'],
  reader: ['monitoring.read'],
};
