import { expect, test } from '@playwright/test';
import { screenshotPath, signInAs } from '../harness/portal';
import { simulator } from '../harness/sim';

test.afterEach(async () => {
  await simulator().clearFaults();
});

test("Backstage's Kubernetes tab shows payment-gateway's pods from the cluster simulator", async ({
  page,
}) => {
  await signInAs(page, 'pete');
  await page.goto('/catalog/default/component/payment-gateway/kubernetes');
  await expect(page.getByText('sim', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('3 pods').first()).toBeVisible();
  await expect(page.getByText('No pods with errors')).toBeVisible();
  await page.getByText('sim', { exact: true }).first().click();
  await expect(
    page.getByText('payment-gateway', { exact: true }).first(),
  ).toBeVisible();
  await page.screenshot({
    path: screenshotPath('kubernetes-tab-sim'),
    fullPage: true,
  });
});

test('a fault injected into the simulator shows as a cluster error in the portal', async ({
  page,
}) => {
  await simulator().addFault({
    kind: 'error',
    verbs: ['list'],
    resources: ['pods'],
    status: 500,
  });
  await signInAs(page, 'pete');
  await page.goto('/catalog/default/component/payment-gateway/kubernetes');
  await expect(
    page.getByText('There was a problem retrieving Kubernetes objects'),
  ).toBeVisible();
  await expect(page.getByText('0 pods').first()).toBeVisible();
  await simulator().clearFaults();
  await page.reload();
  await expect(page.getByText('3 pods').first()).toBeVisible();
  await expect(
    page.getByText('There was a problem retrieving Kubernetes objects'),
  ).toHaveCount(0);
});
