import { expect, test } from '@playwright/test';
import { screenshotPath, signInAs } from '../harness/portal';

test('a developer signs in, sees the sample services and opens payment-gateway', async ({
  page,
}) => {
  await page.goto('/');
  await expect(
    page.getByRole('heading', { name: 'Sign in to fincloud' }),
  ).toBeVisible();
  // Every role of the sample organisation can be picked.
  for (const user of ['rita', 'pete', 'paula', 'olga', 'amy', 'gary']) {
    await expect(
      page.getByRole('button', { name: `Sign in as ${user}` }),
    ).toBeVisible();
  }
  await page.screenshot({ path: screenshotPath('sign-in'), fullPage: true });

  await signInAs(page, 'pete');

  // A developer lands on what their team owns: payment-gateway and user-portal.
  await expect(page.getByRole('menuitem', { name: 'Owned 2' })).toBeVisible();
  await page.getByRole('menuitem', { name: /^All/ }).click();
  const table = page.getByRole('table');
  for (const component of ['Risk engine', 'Payment gateway', 'User portal']) {
    await expect(table.getByRole('link', { name: component })).toBeVisible();
  }
  await page.screenshot({ path: screenshotPath('catalog'), fullPage: true });

  await table.getByRole('link', { name: 'Payment gateway' }).click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payment-gateway/,
  );
  await expect(
    page
      .getByText(
        'Java service that accepts and routes card and transfer payments; released by canary.',
      )
      .first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Payments' }).first(),
  ).toBeVisible();
  await page.screenshot({
    path: screenshotPath('payment-gateway'),
    fullPage: true,
  });
});

test('signing out forgets the picked user', async ({ page }) => {
  await signInAs(page, 'amy');
  await page.goto('/settings');
  await expect(page.getByText('Amy Audit (auditor)').first()).toBeVisible();
  await page.getByTestId('user-settings-menu').click();
  await page.getByRole('menuitem', { name: 'Sign Out' }).click();
  await expect(
    page.getByRole('heading', { name: 'Sign in to fincloud' }),
  ).toBeVisible();
});
