import { expect, request, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { portalUrl } from '../harness/config';
import { screenshotPath, signInAs } from '../harness/portal';

const PG = 'component:default/payment-gateway';

/**
 * Something specific to look for: pete (payments developer) refreshes
 * payment-gateway through the catalog API, with a real token from the
 * development sign-in. The catalog audits it (entity-mutate, medium), and the
 * fincloud auditor stores it in the trail.
 */
test.beforeAll(async () => {
  const api = await request.newContext({ baseURL: portalUrl });
  // Right after start the catalog may not have read the users yet.
  let token: string | undefined;
  await expect(async () => {
    const signIn = await api.get('/api/auth/fincloud-dev/refresh', {
      headers: { 'x-fincloud-dev-user': 'pete' },
    });
    expect(signIn.status(), await signIn.text()).toBe(200);
    token = (await signIn.json()).backstageIdentity.token;
  }).toPass({ timeout: 60_000 });
  const refresh = await api.post('/api/catalog/refresh', {
    headers: { authorization: `Bearer ${token}` },
    data: { entityRef: PG },
  });
  expect(refresh.status()).toBe(200);
  await api.dispose();
});

test('an auditor sees the whole trail, verified, and may export it', async ({
  page,
}) => {
  await signInAs(page, 'amy');

  const nav = page.getByTestId('sidebar-root');
  await nav.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page).toHaveURL(/\/audit$/);

  // The chain is verified against its hashes and signed checkpoints.
  const badge = page.getByRole('status', { name: 'Audit chain verification' });
  await expect(badge).toContainText('Chain OK');
  await expect(badge).toContainText(/records verified/);

  // Backstage's own events are in the trail: amy's catalog browsing.
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(table.getByRole('row').nth(1)).toBeVisible();
  await expect(table).toContainText(/catalog · entity-\w+/);
  await expect(table).toContainText('Amy Audit (auditor)');
  await expect(page.getByRole('button', { name: 'Export CSV' })).toBeVisible();
  await expect(
    page.getByRole('button', { name: 'Export JSON Lines' }),
  ).toBeVisible();
  await page.screenshot({ path: screenshotPath('audit-explorer') });

  // Pete's refresh, found by actor and event id; its meta names the entity.
  await page.getByLabel('Actor').fill('user:default/pete');
  await page.getByLabel('Event id').fill('entity-mutate');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/actor=user%3Adefault%2Fpete/);
  const row = table
    .getByRole('row')
    .filter({ hasText: 'POST /api/catalog/refresh' })
    .first();
  await expect(row).toBeVisible();
  await expect(
    row.getByRole('link', { name: 'Payment gateway' }),
  ).toBeVisible();
  await row.getByRole('button', { name: /Show details of event/ }).click();
  await expect(page.getByLabel(/meta of event/).first()).toContainText(PG);
  await page.screenshot({
    path: screenshotPath('audit-explorer-filtered'),
    fullPage: true,
  });

  // The export of the filtered events downloads a CSV with pete's refresh.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const file = readFileSync((await download.path())!, 'utf8');
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  expect(file).toContain('user:default/pete');
  expect(file).toContain('entity-mutate');
});

test('a developer sees only the trail of what his team owns', async ({
  page,
}) => {
  await signInAs(page, 'pete');

  // No Audit item in the sidebar, and /audit says why.
  const nav = page.getByTestId('sidebar-root');
  await expect(
    nav.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
  await expect(
    nav.getByRole('link', { name: 'Audit', exact: true }),
  ).toHaveCount(0);
  await page.goto('/audit');
  await expect(page.getByText('You may not see the audit trail')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Audit events' })).toHaveCount(
    0,
  );
  await page.screenshot({
    path: screenshotPath('audit-not-allowed'),
    fullPage: true,
  });

  // payment-gateway (team-payments): the overview's Audit card and the Audit
  // tab list its events.
  await page.goto('/catalog/default/component/payment-gateway');
  await expect(
    page.getByRole('list', { name: 'Recent audit events' }),
  ).toBeVisible();
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await tabs.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page).toHaveURL(/payment-gateway\/audit$/);
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(table.getByRole('row').nth(1)).toBeVisible();
  // Every read of the entity is audited too; look for pete's refresh.
  await page.getByLabel('Event id').fill('entity-mutate');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(
    table
      .getByRole('row')
      .filter({ hasText: 'POST /api/catalog/refresh' })
      .first(),
  ).toBeVisible();
  await expect(table).toContainText('catalog · entity-mutate');
  await page.screenshot({
    path: screenshotPath('audit-entity-tab'),
    fullPage: true,
  });

  // risk-engine (team-risk): not his, no events shown.
  await page.goto('/catalog/default/component/risk-engine');
  await tabs.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(
    page.getByText("You may not see this entity's audit trail"),
  ).toBeVisible();
  await expect(page.getByRole('table', { name: 'Audit events' })).toHaveCount(
    0,
  );
  await page.screenshot({
    path: screenshotPath('audit-entity-not-allowed'),
    fullPage: true,
  });
});
