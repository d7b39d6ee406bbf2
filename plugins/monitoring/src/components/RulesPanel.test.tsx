import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  defaultPanels,
  PG_PATH,
  renderWithApis,
  ROLES,
} from '../__testUtils__/fixtures';
import { RulesPanel } from './RulesPanel';
import { checkDraft, newDraft } from './RuleEditor';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const existing = {
  name: 'SlowCheckout',
  metric: 'latency-p99',
  comparison: '>' as const,
  threshold: 800,
  forMinutes: 10,
  severity: 'warning' as const,
  summary: 'p99 over 800 ms',
};

function backend(rules: any[]) {
  const previews: any[] = [];
  const saved: Array<{ name: string; body: any }> = [];
  server.use(
    http.get(`${PG_PATH}/rules`, () => HttpResponse.json(rules)),
    http.post(`${PG_PATH}/rules/preview`, async ({ request }) => {
      const body: any = await request.json();
      previews.push(body);
      const value = 7.5;
      return HttpResponse.json({
        expr: `(max(100 * sum(rate(istio_requests_total{response_code=~"5.."}[1m])) / sum(rate(istio_requests_total[1m])))) ${body.comparison} ${body.threshold}`,
        currentValue: value,
        wouldFire: body.comparison === '>' ? value > body.threshold : false,
        valid: true,
      });
    }),
    http.put(`${PG_PATH}/rules/:name`, async ({ request, params }) => {
      const body: any = await request.json();
      saved.push({ name: String(params.name), body });
      rules.push(body);
      return HttpResponse.json(body, { status: 201 });
    }),
  );
  return { previews, saved };
}

async function fill(
  dialog: HTMLElement,
  label: string | RegExp,
  value: string,
) {
  fireEvent.change(within(dialog).getByLabelText(label), {
    target: { value },
  });
}

describe('RulesPanel', () => {
  it("lists the service's rules with their condition in the panel's unit", async () => {
    backend([existing]);
    await renderWithApis(
      <RulesPanel
        entityRef="component:default/payment-gateway"
        panels={defaultPanels()}
        canWrite={false}
      />,
    );
    const row = await screen.findByRole('row', { name: 'Rule SlowCheckout' });
    expect(row).toHaveTextContent('Latency p99 > 800 ms');
    expect(row).toHaveTextContent('10 min');
    expect(row).toHaveTextContent('warning');
    expect(
      within(row).queryByRole('button', { name: /Delete/ }),
    ).not.toBeInTheDocument();
  });

  it('previews a rule (current value, would it fire) before it can be saved, and saves it', async () => {
    const { previews, saved } = backend([]);
    await renderWithApis(
      <RulesPanel
        entityRef="component:default/payment-gateway"
        panels={defaultPanels()}
        canWrite
      />,
      { allowed: ROLES.developer },
    );
    expect(
      await screen.findByText('No alert rules for this service yet.'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'New rule' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'New alert rule',
    });
    // Starts from the error ratio and its error threshold, in percent.
    expect(within(dialog).getByLabelText('Metric')).toHaveValue('error-ratio');
    expect(within(dialog).getByLabelText('Threshold')).toHaveValue('5');
    expect(within(dialog).getByText('%')).toBeInTheDocument();

    const save = within(dialog).getByRole('button', { name: 'Save rule' });
    expect(save).toBeDisabled();

    // A bad name is caught before anything is sent.
    await fill(dialog, 'Name', '9 lives');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(
      within(dialog).getByText(/Letters, digits and _ only/),
    ).toBeInTheDocument();
    expect(previews).toHaveLength(0);

    await fill(dialog, 'Name', 'PaymentGatewayErrors');
    await fill(dialog, 'Threshold', '5');
    await fill(dialog, 'For (minutes)', '0');
    fireEvent.change(within(dialog).getByLabelText('Severity'), {
      target: { value: 'critical' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const preview = await within(dialog).findByRole('region', {
      name: 'Preview',
    });
    expect(preview).toHaveTextContent('Current value: 7.5 %');
    expect(within(preview).getByText('Would fire now')).toBeInTheDocument();
    expect(within(preview).getByLabelText('PromQL')).toHaveTextContent('> 5');
    expect(save).toBeEnabled();

    // Changing the rule makes the preview stale: preview again first.
    await fill(dialog, 'Threshold', '10');
    expect(
      within(dialog).queryByRole('region', { name: 'Preview' }),
    ).not.toBeInTheDocument();
    expect(save).toBeDisabled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(
      await within(dialog).findByText('Would not fire now'),
    ).toBeInTheDocument();
    expect(previews.at(-1)).toEqual({
      name: 'PaymentGatewayErrors',
      metric: 'error-ratio',
      comparison: '>',
      threshold: 10,
      forMinutes: 0,
      severity: 'critical',
    });

    fireEvent.click(save);
    await waitFor(() => expect(dialog).not.toBeInTheDocument());
    expect(saved).toEqual([
      { name: 'PaymentGatewayErrors', body: previews.at(-1) },
    ]);
    expect(
      await screen.findByRole('row', { name: 'Rule PaymentGatewayErrors' }),
    ).toHaveTextContent('Error ratio (5xx) > 10 %');
    expect(
      screen.getByText(/Rule PaymentGatewayErrors saved/),
    ).toBeInTheDocument();
  });

  it('lets a reader try a rule but not save it', async () => {
    const { previews } = backend([existing]);
    await renderWithApis(
      <RulesPanel
        entityRef="component:default/payment-gateway"
        panels={defaultPanels()}
        canWrite={false}
      />,
      { allowed: ROLES.reader },
    );
    fireEvent.click(
      await screen.findByRole('button', { name: 'Preview rule SlowCheckout' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Edit alert rule SlowCheckout',
    });
    expect(within(dialog).getByLabelText('Name')).toBeDisabled();
    expect(within(dialog).getByLabelText('Threshold')).toHaveValue('800');
    expect(within(dialog).getByText('ms')).toBeInTheDocument();
    expect(
      within(dialog).queryByRole('button', { name: 'Save rule' }),
    ).not.toBeInTheDocument();
    expect(
      within(dialog).getByText(/saving them is for the owning team/),
    ).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('region', { name: 'Preview' });
    expect(previews).toHaveLength(1);
  });

  it('shows why Prometheus refused a rule, and does not offer to save it', async () => {
    backend([]);
    server.use(
      http.post(`${PG_PATH}/rules/preview`, () =>
        HttpResponse.json({
          expr: 'max(x) > 1',
          currentValue: null,
          wouldFire: false,
          valid: false,
          error: 'bad_data: 1:5: parse error',
        }),
      ),
    );
    await renderWithApis(
      <RulesPanel
        entityRef="component:default/payment-gateway"
        panels={defaultPanels()}
        canWrite
      />,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'New rule' }));
    const dialog = await screen.findByRole('dialog');
    await fill(dialog, 'Name', 'Broken');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(
      await within(dialog).findByText(
        'Prometheus refused this rule: bad_data: 1:5: parse error',
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Save rule' }),
    ).toBeDisabled();
  });

  it('deletes a rule after confirmation', async () => {
    const rules = [existing];
    backend(rules);
    let deleted: string | undefined;
    server.use(
      http.delete(`${PG_PATH}/rules/:name`, ({ params }) => {
        deleted = String(params.name);
        rules.splice(0, 1);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await renderWithApis(
      <RulesPanel
        entityRef="component:default/payment-gateway"
        panels={defaultPanels()}
        canWrite
      />,
    );
    fireEvent.click(
      await screen.findByRole('button', { name: 'Delete rule SlowCheckout' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete alert rule SlowCheckout?',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(
      await screen.findByText('No alert rules for this service yet.'),
    ).toBeInTheDocument();
    expect(deleted).toBe('SlowCheckout');
  });
});

describe('checkDraft', () => {
  const metrics = defaultPanels().map(p => p.id);
  it('accepts a complete rule and turns its numbers into numbers', () => {
    const draft = {
      ...newDraft(defaultPanels()),
      name: 'Ok_1',
      threshold: '2.5',
      forMinutes: '15',
      summary: '  ',
    };
    expect(checkDraft(draft, metrics)).toEqual({
      problems: {},
      rule: {
        name: 'Ok_1',
        metric: 'error-ratio',
        comparison: '>',
        threshold: 2.5,
        forMinutes: 15,
        severity: 'warning',
      },
    });
  });

  it('names every field that is wrong', () => {
    const draft = {
      ...newDraft(defaultPanels()),
      name: 'a-b',
      metric: 'nope',
      threshold: 'ten',
      forMinutes: '1441',
    };
    const { problems, rule } = checkDraft(draft, metrics);
    expect(rule).toBeUndefined();
    expect(Object.keys(problems).sort()).toEqual([
      'forMinutes',
      'metric',
      'name',
      'threshold',
    ]);
    expect(
      checkDraft(
        {
          ...draft,
          name: 'x',
          metric: 'cpu',
          threshold: '1',
          forMinutes: '1.5',
        },
        metrics,
      ).problems,
    ).toEqual({
      forMinutes: 'Whole minutes from 0 to 1440',
    });
  });
});
