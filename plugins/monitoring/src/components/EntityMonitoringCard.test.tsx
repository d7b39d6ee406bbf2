import { screen, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  alert,
  dashboard,
  panel,
  PG_PATH,
  renderWithApis,
  ROLES,
  series,
} from '../__testUtils__/fixtures';
import { EntityMonitoringCard } from './EntityMonitoringCard';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('EntityMonitoringCard', () => {
  it('shows the four golden signals of the last hour and how many alerts fire', async () => {
    let query: Record<string, string> = {};
    server.use(
      http.get(`${PG_PATH}/dashboard`, ({ request }) => {
        query = Object.fromEntries(new URL(request.url).searchParams);
        return HttpResponse.json(
          dashboard({
            alerts: [
              alert(),
              alert({
                fingerprint: 'fedcba9876543210',
                name: 'PodRestarts',
                severity: 'warning',
              }),
              alert({
                fingerprint: '1111111111111111',
                name: 'Slow',
                state: 'pending',
              }),
            ],
            panels: dashboard().panels.map(p =>
              p.id === 'latency-p99'
                ? panel({
                    id: 'latency-p99',
                    title: 'Latency p99',
                    unit: 'ms',
                    thresholds: [{ value: 500, color: 'warning' }],
                    series: [series({ version: 'v1' }, [400, 620])],
                  })
                : p,
            ),
          }),
        );
      }),
    );
    await renderWithApis(<EntityMonitoringCard />, { allowed: ROLES.reader });
    const signals = await screen.findByRole('list', { name: 'Golden signals' });
    const items = within(signals).getAllByRole('listitem');
    expect(items.map(i => i.getAttribute('aria-label'))).toEqual([
      'Traffic: 20.4 req/s',
      'Errors: 0.25 %',
      'Latency p99: 620 ms',
      'Saturation (CPU): 0.16 cores',
    ]);
    expect(screen.getByLabelText('Firing alerts')).toHaveTextContent(
      '2 alerts firing',
    );
    expect(
      await screen.findByRole('img', { name: 'Traffic over the last hour' }),
    ).toBeInTheDocument();
    // One call for the last hour, the step left to the backend (as the tab's
    // default view asks, so both share its cache).
    expect(Number(query.to) - Number(query.from)).toBe(3600_000);
    expect(query.step).toBeUndefined();
    expect(
      screen.getByRole('link', { name: /Open monitoring/ }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/monitoring',
    );
  });

  it('says so when nothing fires, and when no Prometheus is configured', async () => {
    server.use(
      http.get(`${PG_PATH}/dashboard`, () => HttpResponse.json(dashboard())),
    );
    const first = await renderWithApis(<EntityMonitoringCard />);
    expect(await screen.findByLabelText('Firing alerts')).toHaveTextContent(
      'Nothing firing',
    );
    first.rendered.unmount();

    server.use(
      http.get(`${PG_PATH}/dashboard`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message: 'No Prometheus is configured',
            },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await renderWithApis(<EntityMonitoringCard />);
    expect(
      await screen.findByText(/No Prometheus is configured for this service/),
    ).toBeInTheDocument();
  });
});
