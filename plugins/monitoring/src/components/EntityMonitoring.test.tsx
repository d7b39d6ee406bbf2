import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  alert,
  base,
  dashboard,
  FROM,
  panel,
  PG,
  PG_PATH,
  renderWithApis,
  ROLES,
  series,
} from '../__testUtils__/fixtures';
import { EntityMonitoringContent } from './EntityMonitoring';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Backend {
  dashboard?: any;
  dashboardStatus?: number;
  silences?: any[];
  rules?: any[];
}

/** The backend as a test shapes it; records what the UI asked. */
function backend(state: Backend) {
  const calls: Array<{
    method: string;
    path: string;
    query?: any;
    body?: any;
  }> = [];
  server.use(
    http.get(`${PG_PATH}/dashboard`, ({ request }) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      calls.push({ method: 'GET', path: 'dashboard', query });
      if (state.dashboardStatus) {
        return HttpResponse.json(state.dashboard, {
          status: state.dashboardStatus,
        });
      }
      return HttpResponse.json(state.dashboard ?? dashboard());
    }),
    http.get(`${PG_PATH}/silences`, () =>
      HttpResponse.json(state.silences ?? []),
    ),
    http.get(`${PG_PATH}/rules`, () => HttpResponse.json(state.rules ?? [])),
  );
  return calls;
}

function panelRegion(title: string) {
  return screen.getByRole('region', { name: title });
}

describe('EntityMonitoringContent', () => {
  it('draws every panel with its unit and current value, and a failed panel says why without breaking the grid', async () => {
    const calls = backend({
      dashboard: dashboard({
        panels: [
          ...dashboard().panels,
          panel({
            id: 'restarts',
            title: 'Container restarts (10 min)',
            kind: 'stat',
            error: 'Prometheus answered 422: bad_data: parse error',
          }),
        ],
      }),
    });
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });

    const rate = await screen.findByRole('region', { name: 'Request rate' });
    expect(
      within(rate).getByRole('status', {
        name: 'Request rate now: 20.4 req/s',
      }),
    ).toBeInTheDocument();
    expect(
      within(panelRegion('Error ratio (5xx)')).getByRole('status', {
        name: 'Error ratio (5xx) now: 0.25 %',
      }),
    ).toBeInTheDocument();
    expect(
      within(panelRegion('Error ratio (5xx)')).getByText(
        'thresholds: warning 1 % · error 5 %',
      ),
    ).toBeInTheDocument();
    expect(
      within(panelRegion('Latency p99')).getByRole('status', {
        name: 'Latency p99 now: 128 ms',
      }),
    ).toBeInTheDocument();
    expect(
      within(panelRegion('Memory working set')).getByRole('status', {
        name: 'Memory working set now: 312 MiB',
      }),
    ).toBeInTheDocument();
    expect(
      within(panelRegion('Ready pods')).getByRole('status', {
        name: 'Ready pods now: 3',
      }),
    ).toBeInTheDocument();

    const failed = panelRegion('Container restarts (10 min)');
    expect(within(failed).getByRole('alert')).toHaveTextContent(
      "This panel's query failed: Prometheus answered 422: bad_data: parse error",
    );
    // The other panels drew their charts (recharts, loaded lazily).
    await waitFor(() =>
      expect(
        panelRegion('Request rate').querySelector('.recharts-line'),
      ).not.toBeNull(),
    );
    expect(
      within(screen.getByRole('region', { name: 'Panels' })).getAllByRole(
        'region',
      ),
    ).toHaveLength(7);

    // One round trip for the whole overview, for the last hour by default.
    const asked = calls.filter(c => c.path === 'dashboard');
    expect(asked).toHaveLength(1);
    expect(Number(asked[0].query.to) - Number(asked[0].query.from)).toBe(
      3600_000,
    );
  });

  it('marks builds and releases on every chart, with a tooltip text, and lists them', async () => {
    backend({
      dashboard: dashboard({
        markers: [
          {
            at: FROM + 20 * 60_000,
            kind: 'release',
            label: 'release-promote 2.8.0',
            status: 'succeeded',
            link: '/catalog/default/component/payment-gateway/releases',
          },
          {
            at: FROM + 40 * 60_000,
            kind: 'build',
            label: 'build-trigger 2.8.0',
          },
          // outside the range: not drawn
          { at: FROM - 60_000, kind: 'build', label: 'build-trigger 2.7.0' },
        ],
      }),
    });
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    const rate = await screen.findByRole('region', { name: 'Request rate' });
    const release = await within(rate).findByRole('img', {
      name: /^Release: release-promote 2\.8\.0 \(succeeded\), 29 Nov 2026/,
    });
    expect(release).toHaveAttribute('data-marker-kind', 'release');
    expect(
      within(rate).getByRole('img', {
        name: /^Build: build-trigger 2\.8\.0, /,
      }),
    ).toBeInTheDocument();
    expect(
      within(rate).queryByRole('img', { name: /2\.7\.0/ }),
    ).not.toBeInTheDocument();
    // Every line and area chart carries them (the stat panel has no time axis).
    await waitFor(() =>
      expect(
        screen.getAllByRole('img', { name: /^Release: release-promote/ }),
      ).toHaveLength(5),
    );
    const deploys = screen.getByRole('list', { name: 'Deploys' });
    expect(within(deploys).getAllByRole('listitem')).toHaveLength(2);
    expect(deploys).toHaveTextContent(
      'release · release-promote 2.8.0 · succeeded',
    );
    expect(
      within(deploys).getByRole('link', { name: 'details' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/releases',
    );
  });

  it('splits canary from stable: one series per version, a banner and a version filter', async () => {
    const state: Backend = {
      dashboard: dashboard({
        versions: ['v1', 'v2'],
        panels: [
          panel({
            id: 'error-ratio',
            title: 'Error ratio (5xx)',
            unit: 'percent',
            series: [
              series({ version: 'v1' }, [0.1, 0.1, 0.2]),
              series({ version: 'v2' }, [null, 2.5, 7.5]),
            ],
            thresholds: [
              { value: 1, color: 'warning' },
              { value: 5, color: 'error' },
            ],
          }),
        ],
      }),
    };
    const calls = backend(state);
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    expect(
      await screen.findByLabelText('Versions with traffic'),
    ).toHaveTextContent('2 versions have traffic in this range (v1, v2)');
    const errors = panelRegion('Error ratio (5xx)');
    // The worst version counts, and it is over the error threshold.
    expect(
      within(errors).getByRole('status', {
        name: 'Error ratio (5xx) now: 7.5 % (over the error threshold)',
      }),
    ).toBeInTheDocument();
    const legend = await within(errors).findByRole('list', {
      name: 'Error ratio (5xx) series',
    });
    expect(
      within(legend).getByRole('button', { name: 'v1: 0.2 %' }),
    ).toBeInTheDocument();
    expect(
      within(legend).getByRole('button', { name: 'v2: 7.5 %' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(errors.querySelectorAll('.recharts-line')).toHaveLength(2),
    );

    // Only v2: asked of the backend (which then reports v2's traffic only);
    // v1 stays selectable.
    state.dashboard = dashboard({
      versions: ['v2'],
      panels: [
        panel({
          id: 'error-ratio',
          title: 'Error ratio (5xx)',
          unit: 'percent',
          series: [series({ version: 'v2' }, [null, 2.5, 7.5])],
        }),
      ],
    });
    fireEvent.change(screen.getByLabelText('Version'), {
      target: { value: 'v2' },
    });
    await waitFor(() =>
      expect(
        calls.filter(c => c.path === 'dashboard').at(-1)?.query.version,
      ).toBe('v2'),
    );
    expect(
      await screen.findByText(/Request rate, errors and latency show v2 only/),
    ).toBeInTheDocument();
    expect(
      within(screen.getByLabelText('Version'))
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['All versions', 'v1', 'v2']);
    fireEvent.change(screen.getByLabelText('Version'), {
      target: { value: '' },
    });
    await waitFor(() =>
      expect(
        calls.filter(c => c.path === 'dashboard').at(-1)?.query.version,
      ).toBeUndefined(),
    );
  });

  it('asks for the range the user picks', async () => {
    const calls = backend({});
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    await screen.findByRole('region', { name: 'Request rate' });
    fireEvent.click(screen.getByRole('button', { name: 'Last 6h' }));
    await waitFor(() => {
      const last = calls.filter(c => c.path === 'dashboard').at(-1)!;
      expect(Number(last.query.to) - Number(last.query.from)).toBe(
        6 * 3600_000,
      );
    });
    expect(screen.getByRole('button', { name: 'Last 6h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() =>
      expect(calls.filter(c => c.path === 'dashboard')).toHaveLength(3),
    );
  });

  it('offers no silence to a user without monitoring.silence, and says nothing is firing when nothing is', async () => {
    backend({
      dashboard: dashboard({ alerts: [alert()] }),
    });
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    const row = await screen.findByRole('row', {
      name: 'HighErrorRatio firing',
    });
    expect(within(row).getByText('Firing')).toBeInTheDocument();
    expect(within(row).getByText('critical')).toBeInTheDocument();
    expect(within(row).getByText('5 min')).toBeInTheDocument();
    expect(within(row).getByText('namespace=payments')).toBeInTheDocument();
    expect(
      within(row).queryByRole('button', { name: /Silence/ }),
    ).not.toBeInTheDocument();
    expect(screen.getByText('Alerts (1 firing)')).toBeInTheDocument();
  });

  it('lets the owning team silence an alert for a while with a comment, which the dialog insists on', async () => {
    const state: Backend = { dashboard: dashboard({ alerts: [alert()] }) };
    backend(state);
    let created: any;
    server.use(
      http.post(`${PG_PATH}/silences`, async ({ request }) => {
        created = await request.json();
        state.dashboard = dashboard({
          alerts: [
            alert({ state: 'suppressed', silencedBy: ['4f6c1e9a-silence'] }),
          ],
        });
        state.silences = [
          {
            id: '4f6c1e9a-silence',
            matchers: [
              {
                name: 'alertname',
                value: 'HighErrorRatio',
                isRegex: false,
                isEqual: true,
              },
              {
                name: 'namespace',
                value: 'payments',
                isRegex: false,
                isEqual: true,
              },
            ],
            startsAt: new Date().toISOString(),
            endsAt: new Date(Date.now() + 4 * 3600_000).toISOString(),
            createdBy: 'user:default/pete',
            comment: 'INC-1234 card processor outage',
            status: 'active',
          },
        ];
        return HttpResponse.json(state.silences[0], { status: 201 });
      }),
    );
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.developer,
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Silence HighErrorRatio' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Silence HighErrorRatio',
    });
    expect(
      within(dialog).getByRole('list', { name: 'Silenced labels' }),
    ).toHaveTextContent('workload=payment-gateway');
    const submit = within(dialog).getByRole('button', { name: 'Silence' });
    expect(submit).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText('Duration'), {
      target: { value: '240' },
    });
    fireEvent.change(within(dialog).getByRole('textbox', { name: /Comment/ }), {
      target: { value: '  INC-1234 card processor outage ' },
    });
    expect(submit).toBeEnabled();
    fireEvent.click(submit);

    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(created).toEqual({
      alertFingerprint: '0123456789abcdef',
      durationMinutes: 240,
      comment: 'INC-1234 card processor outage',
    });
    expect(
      await screen.findByText(/^HighErrorRatio silenced until /),
    ).toBeInTheDocument();
    // Re-read: the alert shows as silenced, the silence is listed with an Expire action.
    const row = await screen.findByRole('row', {
      name: 'HighErrorRatio suppressed',
    });
    expect(within(row).getByText('Silenced')).toBeInTheDocument();
    expect(
      within(row).getByText('silenced by 4f6c1e9a-silence'),
    ).toBeInTheDocument();
    const silences = await screen.findByRole('table', { name: 'Silences' });
    expect(silences).toHaveTextContent('INC-1234 card processor outage');
    expect(silences).toHaveTextContent('pete');
    expect(silences).toHaveTextContent('alertname=HighErrorRatio');
    expect(
      within(silences).getByRole('button', {
        name: 'Expire silence 4f6c1e9a-silence',
      }),
    ).toBeInTheDocument();
  });

  it("shows the backend's refusal in the silence dialog and keeps it open", async () => {
    backend({ dashboard: dashboard({ alerts: [alert()] }) });
    server.use(
      http.post(`${PG_PATH}/silences`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message: `${PG} has no alert 0123456789abcdef (it may have resolved)`,
            },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.developer,
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Silence HighErrorRatio' }),
    );
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByRole('textbox', { name: /Comment/ }), {
      target: { value: 'maintenance' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Silence' }));
    expect(
      await within(dialog).findByText(
        /has no alert 0123456789abcdef \(it may have resolved\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('expires a silence after confirmation', async () => {
    const silence = {
      id: 'abcd1234-5678',
      matchers: [
        { name: 'namespace', value: 'payments', isRegex: false, isEqual: true },
      ],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'user:default/paula',
      comment: 'deploy window',
      status: 'active',
    };
    const state: Backend = { silences: [silence] };
    backend(state);
    let expired: URLSearchParams | undefined;
    server.use(
      http.delete(`${base}/silences/:id`, ({ request, params }) => {
        expect(params.id).toBe('abcd1234-5678');
        expired = new URL(request.url).searchParams;
        state.silences = [
          { ...silence, status: 'expired', endsAt: new Date().toISOString() },
        ];
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.developer,
    });
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Expire silence abcd1234-5678',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Expire this silence?',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Expire' }));
    await waitFor(() => expect(expired?.get('entityRef')).toBe(PG));
    expect(await screen.findByText('No active silences.')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Show expired silences (1)' }),
    ).toBeInTheDocument();
  });

  it('says how to add Prometheus when none is configured', async () => {
    backend({
      dashboardStatus: 404,
      dashboard: {
        error: {
          name: 'NotFoundError',
          message:
            'No Prometheus is configured: add fincloud.monitoring.prometheus to the app config',
        },
        response: { statusCode: 404 },
      },
    });
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    expect(
      await screen.findByText('No Prometheus configured for this service'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'No Prometheus is configured: add fincloud.monitoring.prometheus to the app config',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/fincloud\.io\/prometheus/)).toBeInTheDocument();
    expect(document.body).toHaveTextContent('alertmanager:');
  });

  it('offers a retry when Prometheus is down', async () => {
    const state: Backend = {
      dashboardStatus: 503,
      dashboard: {
        error: {
          name: 'ServiceUnavailableError',
          message: 'Prometheus sim is not answering',
        },
        response: { statusCode: 503 },
      },
    };
    backend(state);
    await renderWithApis(<EntityMonitoringContent />, {
      allowed: ROLES.reader,
    });
    expect(
      await screen.findAllByText(/Prometheus sim is not answering/),
    ).not.toHaveLength(0);
    state.dashboardStatus = undefined;
    state.dashboard = dashboard();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByRole('region', { name: 'Request rate' }),
    ).toBeInTheDocument();
  });

  it('asks for the annotations on an entity that does not say where it runs', async () => {
    await renderWithApis(<EntityMonitoringContent />, {
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'legacy-batch' },
        spec: { type: 'service', owner: 'team-risk', lifecycle: 'production' },
      },
    });
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(document.body).toHaveTextContent('fincloud.io/cluster');
  });
});
