import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { alert, base, renderWithApis, ROLES } from '../__testUtils__/fixtures';
import { AlertCenter } from './AlertCenter';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const payments = {
  ...alert(),
  owner: 'group:default/team-payments',
  system: 'system:default/core-banking',
};
const risk = {
  ...alert({
    fingerprint: 'aaaaaaaaaaaaaaaa',
    name: 'RiskEngineSaturated',
    severity: 'warning',
    summary: 'CPU > 0.8 cores for 10 min',
    entityRef: 'component:default/risk-engine',
    labels: {
      alertname: 'RiskEngineSaturated',
      namespace: 'risk',
      workload: 'risk-engine',
      severity: 'warning',
    },
  }),
  owner: 'group:default/team-risk',
  system: 'system:default/core-banking',
};
const unowned = {
  ...alert({
    fingerprint: 'bbbbbbbbbbbbbbbb',
    name: 'NodeDiskPressure',
    severity: 'critical',
    entityRef: undefined,
    summary: undefined,
    labels: {
      alertname: 'NodeDiskPressure',
      node: 'pool-a-1',
      severity: 'critical',
    },
  }),
};

function backend() {
  const asked: Array<Record<string, string>> = [];
  server.use(
    http.get(`${base}/alerts`, ({ request }) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      asked.push(query);
      const all = [payments, risk, unowned].filter(
        a =>
          (!query.severity || query.severity.split(',').includes(a.severity)) &&
          (!query.q || JSON.stringify(a).includes(query.q)),
      );
      const keyOf = (a: any) =>
        (query.groupBy === 'severity' && a.severity) ||
        (query.groupBy === 'system' && a.system) ||
        (query.groupBy !== 'severity' &&
          query.groupBy !== 'system' &&
          a.owner) ||
        'unowned';
      const groups = new Map<string, any[]>();
      for (const a of all)
        groups.set(keyOf(a), [...(groups.get(keyOf(a)) ?? []), a]);
      return HttpResponse.json(
        [...groups].map(([key, alerts]) => ({ key, alerts })),
      );
    }),
    http.get(`${base}/noise`, ({ request }) => {
      const window = new URL(request.url).searchParams.get('window');
      return HttpResponse.json({
        window,
        topRules: [
          {
            name: 'HighErrorRatio',
            firings: window === '7d' ? 31 : 6,
            entityRef: 'component:default/payment-gateway',
          },
        ],
        flapping: [
          {
            name: 'RiskEngineSaturated',
            transitions: 9,
            entityRef: 'component:default/risk-engine',
          },
        ],
      });
    }),
  );
  return asked;
}

describe('AlertCenter', () => {
  it('groups every firing alert by owner, linking each to its service’s Monitoring tab', async () => {
    const asked = backend();
    await renderWithApis(<AlertCenter />, { allowed: ROLES.platform });
    const paymentsGroup = await screen.findByRole('region', {
      name: 'team-payments (1)',
    });
    const row = within(paymentsGroup).getByRole('row', {
      name: 'HighErrorRatio firing',
    });
    expect(
      within(row).getByRole('link', { name: 'payment-gateway' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/monitoring',
    );
    expect(
      screen.getByRole('region', { name: 'team-risk (1)' }),
    ).toHaveTextContent('CPU > 0.8 cores for 10 min');
    // Alerts no catalog entity claims (platform sees them).
    expect(
      screen.getByRole('region', { name: 'No catalog entity (1)' }),
    ).toHaveTextContent('NodeDiskPressure');
    expect(screen.getByText('3 alerts')).toBeInTheDocument();
    expect(asked[0]).toEqual({ groupBy: 'owner' });
  });

  it('regroups and filters through the backend', async () => {
    const asked = backend();
    await renderWithApis(<AlertCenter />, { allowed: ROLES.developer });
    await screen.findByRole('region', { name: 'team-payments (1)' });

    fireEvent.click(screen.getByRole('button', { name: 'Group by severity' }));
    expect(
      await screen.findByRole('region', { name: 'critical (2)' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: 'warning (1)' }),
    ).toBeInTheDocument();

    fireEvent.click(screen.getByRole('checkbox', { name: 'warning' }));
    await waitFor(() =>
      expect(asked.at(-1)).toEqual({
        groupBy: 'severity',
        severity: 'warning',
      }),
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('region', { name: 'critical (2)' }),
      ).not.toBeInTheDocument(),
    );

    fireEvent.change(screen.getByLabelText('Search'), {
      target: { value: 'nothing-matches' },
    });
    await waitFor(() =>
      expect(asked.at(-1)).toEqual({
        groupBy: 'severity',
        severity: 'warning',
        q: 'nothing-matches',
      }),
    );
    expect(
      await screen.findByText('Nothing is firing that matches the filters.'),
    ).toBeInTheDocument();
  });

  it('shows the noise report only to those allowed to read it', async () => {
    backend();
    const developer = await renderWithApis(<AlertCenter />, {
      allowed: ROLES.developer,
    });
    await screen.findByRole('region', { name: 'team-payments (1)' });
    expect(
      screen.queryByRole('tab', { name: 'Noise' }),
    ).not.toBeInTheDocument();
    developer.rendered.unmount();

    await renderWithApis(<AlertCenter />, { allowed: ROLES.auditor });
    fireEvent.click(await screen.findByRole('tab', { name: 'Noise' }));
    const top = await screen.findByRole('region', { name: 'Top firing rules' });
    expect(top).toHaveTextContent('HighErrorRatio');
    expect(top).toHaveTextContent('6');
    expect(
      screen.getByRole('region', { name: 'Flapping alerts' }),
    ).toHaveTextContent('RiskEngineSaturated');
    fireEvent.click(screen.getByRole('button', { name: 'Last 7d' }));
    await waitFor(() =>
      expect(
        screen.getByRole('region', { name: 'Top firing rules' }),
      ).toHaveTextContent('31'),
    );
  });
});
