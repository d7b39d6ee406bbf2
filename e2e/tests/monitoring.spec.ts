import { APIRequestContext, expect, request, test } from '@playwright/test';
import { portalUrl } from '../harness/config';
import { screenshotPath, signInAs } from '../harness/portal';
import { monitoringStack, simulator } from '../harness/sim';

const PG = 'component:default/payment-gateway';
const OVERVIEW = '/catalog/default/component/payment-gateway';
const MONITORING = `${OVERVIEW}/monitoring`;
/** Unique per run: Alertmanager and Prometheus are fresh, but the name says what it is. */
const RULE = 'PaymentGatewayErrorsE2E';
const COMMENT = 'E2E: simulated 5xx storm on payment-gateway, INC-4711';
/** The seed's error ratio of payment-gateway (sim.fincloud.io/error-ratio). */
const SEED_ERROR_RATIO = 0.001;

const stack = monitoringStack();
const MISSING =
  'prometheus / prometheus-alertmanager are not installed: apt-get install -y prometheus prometheus-alertmanager';

/** A real token from the development sign-in, for API checks as that user. */
async function tokenOf(api: APIRequestContext, user: string): Promise<string> {
  let token = '';
  await expect(async () => {
    const response = await api.get('/api/auth/fincloud-dev/refresh', {
      headers: { 'x-fincloud-dev-user': user },
    });
    expect(response.status(), await response.text()).toBe(200);
    token = (await response.json()).backstageIdentity.token;
  }).toPass({ timeout: 60_000 });
  return token;
}

test.describe('monitoring with a real Prometheus and Alertmanager', () => {
  // On a laptop without the binaries: skipped, saying what to install. In CI
  // (FINCLOUD_CI=1) each test fails with the same message instead.
  test.skip(
    !stack && !process.env.FINCLOUD_CI,
    `${MISSING} (with FINCLOUD_CI=1 this fails instead)`,
  );
  test.beforeEach(() => {
    if (!stack) throw new Error(`${MISSING}; FINCLOUD_CI is set: a failure`);
  });

  test.afterAll(async () => {
    // Leave the shared simulator as the seed had it, for the other specs.
    await simulator().setBehaviour('payments', 'payment-gateway', {
      errorRatio: SEED_ERROR_RATIO,
    });
  });

  test('a developer sees live series, writes a rule, sees it fire and silences it; Alertmanager and the audit trail have the silence', async ({
    browser,
  }) => {
    test.setTimeout(300_000);
    const testStart = Date.now();
    const sim = simulator();
    const { alertmanagerUrl } = stack!;
    const api = await request.newContext({ baseURL: portalUrl });

    // A build of payment-gateway, so the charts have a deploy to mark: the
    // builds plugin audits `build-trigger`, the dashboard reads it back from
    // the audit trail.
    const peteToken = await tokenOf(api, 'pete');
    const build = await api.post(
      '/api/builds/entities/component/default/payment-gateway/builds',
      {
        headers: { authorization: `Bearer ${peteToken}` },
        data: { branch: `monitoring/e2e-${Date.now().toString(36)}` },
      },
    );
    expect(build.status(), await build.text()).toBe(201);

    const pete = await (await browser.newContext()).newPage();
    await signInAs(pete, 'pete');

    // Live series from the simulator through the harness's Prometheus.
    await pete.goto(`${MONITORING}?range=15m`);
    await expect(
      pete.getByRole('button', { name: 'Last 15m' }),
    ).toHaveAttribute('aria-pressed', 'true');
    await pete.getByLabel('Auto refresh').selectOption('10000');
    const rate = pete.getByRole('region', { name: 'Request rate' });
    await expect(rate.getByRole('status')).toHaveAttribute(
      'aria-label',
      /^Request rate now: \d+(\.\d+)? req\/s$/,
      { timeout: 90_000 },
    );
    await expect(rate.locator('.recharts-line-curve').first()).toBeVisible();
    await expect(
      pete
        .getByRole('region', { name: 'Error ratio (5xx)' })
        .getByRole('status'),
    ).toHaveAttribute('aria-label', /^Error ratio \(5xx\) now: [\d.]+ %$/);
    await expect(
      pete.getByRole('region', { name: 'Ready pods' }).getByRole('status'),
    ).toHaveAttribute('aria-label', /^Ready pods now: [1-9]\d*$/);
    await expect(pete.getByText('Nothing is firing or pending')).toBeVisible();
    // The build is marked on the charts (with a tooltip) and listed.
    const marker = rate.getByRole('img', { name: /^Build: build-trigger/ });
    await expect(marker).toBeVisible({ timeout: 60_000 });
    await marker.hover();
    await expect(pete.getByRole('tooltip')).toContainText(
      'Build: build-trigger',
    );
    await expect(pete.getByRole('list', { name: 'Deploys' })).toContainText(
      'build · build-trigger',
    );
    await pete.mouse.move(0, 0);
    await pete.screenshot({
      path: screenshotPath('monitoring-dashboard'),
      animations: 'disabled',
      fullPage: true,
    });

    // pete writes a rule: error ratio over 10 % at once. The preview shows
    // the value now (about 0.1 %) and that it would not fire.
    await pete.getByRole('button', { name: 'New rule' }).click();
    const editor = pete.getByRole('dialog', { name: 'New alert rule' });
    await editor.getByLabel('Name').fill(RULE);
    await expect(editor.getByLabel('Metric')).toHaveValue('error-ratio');
    await editor.getByLabel('Threshold').fill('10');
    await editor.getByLabel('For (minutes)').fill('0');
    await editor.getByLabel('Severity').selectOption('critical');
    await editor
      .getByLabel('Summary (optional)')
      .fill('More than 10 % of payment requests fail');
    await expect(
      editor.getByRole('button', { name: 'Save rule' }),
    ).toBeDisabled();
    await editor.getByRole('button', { name: 'Preview' }).click();
    const preview = editor.getByRole('region', { name: 'Preview' });
    await expect(preview).toContainText(/Current value: [\d.]+ %/);
    await expect(preview).toContainText('Would not fire now');
    await expect(preview.getByLabel('PromQL')).toContainText('> 10');
    await pete.screenshot({
      path: screenshotPath('monitoring-rule-editor'),
      animations: 'disabled',
    });
    await editor.getByRole('button', { name: 'Save rule' }).click();
    await expect(editor).toBeHidden();
    await expect(pete.getByRole('row', { name: `Rule ${RULE}` })).toContainText(
      'Error ratio (5xx) > 10 %',
    );

    // Half of payment-gateway's requests fail: the rule fires.
    await sim.setBehaviour('payments', 'payment-gateway', { errorRatio: 0.5 });
    const firing = pete.getByRole('row', { name: `${RULE} firing` });
    await expect(firing).toBeVisible({ timeout: 120_000 });
    await expect(firing).toContainText('critical');
    await expect(firing).toContainText('namespace=payments');
    await expect(
      pete
        .getByRole('region', { name: 'Error ratio (5xx)' })
        .getByRole('status'),
    ).toHaveAttribute('aria-label', /over the error threshold/, {
      timeout: 60_000,
    });
    // A custom window from shortly before this test to now (the harness's
    // Prometheus is fresh): the spike fills the charts; a fixed window does
    // not auto-refresh.
    const from = Math.max(testStart - 30_000, Date.now() - 15 * 60_000);
    await pete.goto(`${MONITORING}?from=${from}&to=${Date.now()}`);
    await expect(pete.getByLabel('Shown range')).toBeVisible();
    await expect(
      pete.getByRole('button', { name: 'Custom range' }),
    ).toHaveAttribute('aria-pressed', 'true');
    await expect(pete.getByLabel('Auto refresh')).toBeDisabled();
    await expect(
      pete
        .getByRole('region', { name: 'Error ratio (5xx)' })
        .getByRole('status'),
    ).toHaveAttribute('aria-label', /over the error threshold/);
    await expect(
      pete.getByRole('row', { name: `${RULE} firing` }),
    ).toBeVisible();
    await expect(
      pete
        .getByRole('region', { name: 'Request rate' })
        .locator('.recharts-line-curve')
        .first(),
    ).toBeVisible();
    await pete.screenshot({
      path: screenshotPath('monitoring-alert-firing'),
      animations: 'disabled',
      fullPage: true,
    });

    // The overview card counts it.
    await pete.goto(OVERVIEW);
    const card = pete.getByLabel('Firing alerts');
    await expect(card).toContainText('1 alert firing', { timeout: 60_000 });
    await expect(
      pete.getByRole('list', { name: 'Golden signals' }).getByRole('listitem'),
    ).toHaveCount(4);
    await pete
      .locator('.MuiCard-root', { has: pete.getByText('Golden signals') })
      .first()
      .screenshot({
        path: screenshotPath('monitoring-card'),
        animations: 'disabled',
      });

    // pete silences it for an hour, saying why.
    await pete.goto(`${MONITORING}?range=15m`);
    await pete
      .getByRole('button', { name: `Silence ${RULE}` })
      .click({ timeout: 60_000 });
    const dialog = pete.getByRole('dialog', { name: `Silence ${RULE}` });
    await expect(dialog.getByLabel('Silenced labels')).toContainText(
      'workload=payment-gateway',
    );
    await dialog.getByLabel('Duration').selectOption('60');
    await dialog.getByRole('textbox', { name: /Comment/ }).fill(COMMENT);
    await expect(dialog.getByRole('button', { name: 'Silence' })).toBeEnabled();
    await pete.screenshot({
      path: screenshotPath('monitoring-silence-dialog'),
      animations: 'disabled',
    });
    await dialog.getByRole('button', { name: 'Silence' }).click();
    await expect(dialog).toBeHidden();
    await expect(pete.getByText(`${RULE} silenced until`)).toBeVisible();
    await expect(
      pete.getByRole('row', { name: `${RULE} suppressed` }),
    ).toBeVisible({ timeout: 60_000 });
    const silences = pete.getByRole('table', { name: 'Silences' });
    await expect(silences).toContainText(COMMENT);
    await expect(silences).toContainText(`alertname=${RULE}`);

    // Alertmanager has it: active, by pete, pinned to payment-gateway.
    const amSilences: any[] = await (
      await fetch(`${alertmanagerUrl}/api/v2/silences`)
    ).json();
    const silence = amSilences.find(s => s.comment === COMMENT);
    expect(silence, JSON.stringify(amSilences)).toBeDefined();
    expect(silence.status.state).toBe('active');
    expect(silence.createdBy).toContain('pete');
    const matchers = silence.matchers.map(
      (m: any) => `${m.name}${m.isEqual === false ? '!' : ''}=${m.value}`,
    );
    expect(matchers).toEqual(
      expect.arrayContaining([
        `alertname=${RULE}`,
        'namespace=payments',
        'workload=payment-gateway',
      ]),
    );
    const endsInMinutes =
      (Date.parse(silence.endsAt) - Date.parse(silence.startsAt)) / 60_000;
    expect(Math.round(endsInMinutes)).toBe(60);
    // ... and mutes the alert.
    const amAlerts: any[] = await (
      await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=alertname%3D${RULE}`)
    ).json();
    expect(amAlerts.map(a => a.status.state)).toEqual(['suppressed']);
    expect(amAlerts[0].status.silencedBy).toEqual([silence.id]);

    // The audit trail has it, with pete as the actor and his comment.
    const amy = await tokenOf(api, 'amy');
    await expect(async () => {
      const response = await api.get('/api/audit/events', {
        headers: { authorization: `Bearer ${amy}` },
        params: { entityRef: PG, eventId: 'silence-create' },
      });
      expect(response.status()).toBe(200);
      const { items } = await response.json();
      const done = items.find(
        (e: any) =>
          e.status === 'succeeded' && e.meta?.silenceId === silence.id,
      );
      expect(done, JSON.stringify(items)).toBeDefined();
      expect(done.actor).toEqual({ type: 'user', ref: 'user:default/pete' });
      expect(done.plugin).toBe('monitoring');
      expect(done.meta.comment).toBe(COMMENT);
    }).toPass({ timeout: 60_000 });

    // The platform team sees it in the alert center under payment-gateway's
    // owner, and the rule in the noise report.
    const oscar = await (await browser.newContext()).newPage();
    await signInAs(oscar, 'oscar');
    await oscar
      .getByTestId('sidebar-root')
      .getByRole('link', { name: 'Alert center' })
      .click();
    await expect(oscar).toHaveURL(/\/alert-center/);
    const group = oscar.getByRole('region', {
      name: /^team-payments \(\d+\)$/,
    });
    const centerRow = group.getByRole('row', { name: new RegExp(`^${RULE} `) });
    await expect(centerRow).toBeVisible({ timeout: 60_000 });
    await expect(
      centerRow.getByRole('link', { name: 'payment-gateway' }),
    ).toHaveAttribute('href', MONITORING);
    await oscar.screenshot({
      path: screenshotPath('monitoring-alert-center'),
      animations: 'disabled',
      fullPage: true,
    });
    await oscar.getByRole('tab', { name: 'Noise' }).click();
    await expect(
      oscar.getByRole('region', { name: 'Top firing rules' }),
    ).toContainText(RULE, { timeout: 60_000 });
    await oscar.screenshot({
      path: screenshotPath('monitoring-noise'),
      animations: 'disabled',
    });

    // pete expires the silence and deletes the rule; Alertmanager agrees.
    await pete
      .getByRole('button', { name: `Expire silence ${silence.id}` })
      .click();
    await pete
      .getByRole('dialog', { name: 'Expire this silence?' })
      .getByRole('button', { name: 'Expire' })
      .click();
    await expect(pete.getByText('Silence expired.')).toBeVisible();
    const after: any = await (
      await fetch(`${alertmanagerUrl}/api/v2/silence/${silence.id}`)
    ).json();
    expect(after.status.state).toBe('expired');
    await pete.getByRole('button', { name: `Delete rule ${RULE}` }).click();
    await pete
      .getByRole('dialog', { name: `Delete alert rule ${RULE}?` })
      .getByRole('button', { name: 'Delete' })
      .click();
    await expect(pete.getByText(`Rule ${RULE} deleted.`)).toBeVisible();
    await expect(pete.getByRole('row', { name: `Rule ${RULE}` })).toHaveCount(
      0,
    );
    await api.dispose();
  });

  test('a reader sees the panels but no silence or save', async ({ page }) => {
    await signInAs(page, 'gary');
    await page.goto(`${MONITORING}?range=15m`);
    await expect(
      page.getByRole('region', { name: 'Request rate' }).getByRole('status'),
    ).toHaveAttribute('aria-label', /^Request rate now: \d/, {
      timeout: 60_000,
    });
    await expect(
      page.getByRole('button', { name: 'Try a rule' }),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: 'New rule' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Silence / })).toHaveCount(
      0,
    );
  });
});
