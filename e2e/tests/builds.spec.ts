import { expect, Page, test } from '@playwright/test';
import { screenshotPath, signInAs } from '../harness/portal';

const USER_PORTAL = '/catalog/default/component/user-portal';
const BUILDS_API = '/api/builds/entities/component/default/user-portal/builds';

/** The service's Builds tab, from its overview. */
async function openBuildsTab(page: Page) {
  await page.goto(USER_PORTAL);
  const tabs = page.getByRole('navigation', { name: 'Content navigation' });
  await tabs.getByRole('link', { name: 'Builds', exact: true }).click();
  await expect(page).toHaveURL(/user-portal\/builds/);
  await expect(
    page.getByRole('region', { name: 'Build statistics' }),
  ).toBeVisible();
}

/** The Authorization header the app itself sends to the builds backend. */
async function pageToken(page: Page, load: () => Promise<unknown>) {
  const [request] = await Promise.all([
    page.waitForRequest(r => r.url().includes('/api/builds/')),
    load(),
  ]);
  const authorization = request.headers().authorization;
  expect(authorization).toMatch(/^Bearer /);
  return authorization;
}

test('a developer builds his service in the cluster and watches its log to the end', async ({
  page,
}) => {
  // A build walks clone → scan → build in the simulator's pod (~15 s).
  test.setTimeout(240_000);
  await signInAs(page, 'pete');
  await openBuildsTab(page);

  // A branch of its own, so this run's row is found among earlier ones.
  const branch = `release/e2e-${Date.now().toString(36)}`;
  await page.getByRole('button', { name: 'New build' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New build' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Branch').fill(branch);
  await expect(
    dialog.getByRole('button', { name: /^Build type/ }),
  ).toContainText('Generic (default)');
  await page.screenshot({ path: screenshotPath('builds-new-build') });
  await dialog.getByRole('button', { name: 'Start build' }).click();

  // The new build opens at once.
  await expect(
    page.getByRole('heading', { name: /^Build #\d+$/ }),
  ).toBeVisible();
  await expect(page).toHaveURL(/[?&]build=/);
  const number = (await page
    .getByRole('heading', { name: /^Build #\d+$/ })
    .textContent())!.replace('Build ', '');
  const status = page.getByRole('status', { name: 'Build status' });
  const log = page.getByRole('region', { name: 'Build log' });

  // The log streams while the pod runs: the clone's lines arrive while the
  // build is still running, and later lines follow without a reload.
  await expect(log).toContainText('Cloning into', { timeout: 60_000 });
  await expect(status).toHaveText(/Queued|Running/);
  await expect(page.getByText(/Following the live output/)).toBeVisible();
  await page.screenshot({
    path: screenshotPath('builds-running'),
    fullPage: true,
  });
  await expect(log).toContainText(/HEAD is now at [0-9a-f]{7}/);

  // It succeeds, and the pushed image's digest is on the page.
  await expect(status).toHaveText('Succeeded', { timeout: 120_000 });
  await expect(log).toContainText(/Pushed \S+@sha256:[0-9a-f]{64}/);
  await expect(page.getByText(/Complete: every line is stored/)).toBeVisible();
  const details = page.getByRole('table', { name: 'Build details' });
  const digest = (await details
    .getByRole('row', { name: /^Digest/ })
    .textContent())!.match(/sha256:[0-9a-f]{64}/)![0];
  const steps = page.getByRole('list', { name: 'Build steps' });
  await expect(steps.getByText('Succeeded')).toHaveCount(3);
  await page.screenshot({
    path: screenshotPath('builds-detail'),
    fullPage: true,
  });

  // The history lists it: status, branch, who, and the short digest.
  await page.getByRole('link', { name: 'All builds' }).click();
  const history = page.getByRole('region', { name: 'Build history' });
  const row = history.getByRole('row').filter({ hasText: branch });
  await expect(row).toHaveCount(1);
  await expect(
    row.getByRole('link', { name: `Build ${number}` }),
  ).toBeVisible();
  await expect(row).toContainText('Succeeded');
  await expect(row).toContainText('Generic');
  await expect(row).toContainText(digest.slice(0, 'sha256:'.length + 12));
  await expect(
    row.getByText(digest.slice(0, 'sha256:'.length + 12)),
  ).toHaveAttribute('title', digest);
  await page.screenshot({ path: screenshotPath('builds-tab'), fullPage: true });

  // The overview's card shows it as the latest build.
  await page.goto(USER_PORTAL);
  const card = page.getByRole('group', { name: 'Latest build' });
  await expect(card).toContainText(`Build ${number}`);
  await expect(card).toContainText('Succeeded');
  await expect(card).toContainText(branch);
});

test('a developer requests a waiver for a failed scan and the team lead approves it', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAs(page, 'pete');
  await openBuildsTab(page);

  // The simulator's scanner reports a critical finding on this branch.
  const branch = `feature/sim-fail-scan-${Date.now().toString(36)}`;
  await page.getByRole('button', { name: 'New build' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New build' });
  await dialog.getByLabel('Branch').fill(branch);
  await dialog.getByRole('button', { name: 'Start build' }).click();
  const status = page.getByRole('status', { name: 'Build status' });
  await expect(status).toHaveText('Failed', { timeout: 120_000 });
  const buildUrl = page.url();

  // The findings from the scanner's SARIF, the blocking one marked.
  const findings = page.getByRole('table', { name: 'Scan findings' });
  const blocking = findings
    .getByRole('row')
    .filter({ hasText: 'blocks the build' })
    .first();
  await expect(blocking).toContainText('critical');
  const ruleId = (await blocking.getByRole('cell').nth(1).textContent())!;
  await page.screenshot({
    path: screenshotPath('builds-failed-scan'),
    fullPage: true,
  });

  // pete asks for a waiver; approving it is not his to do.
  await page.getByRole('button', { name: 'Request waiver' }).click();
  const request = page.getByRole('dialog', { name: 'Request a scan waiver' });
  await expect(request.getByRole('checkbox', { name: ruleId })).toBeChecked();
  await request
    .getByLabel(/Why the risk is acceptable/)
    .fill('False positive: the key is a test fixture');
  await request.getByRole('button', { name: 'Request waiver' }).click();
  await expect(blocking).toContainText('Waiver pending (requested by pete)');
  await expect(page.getByRole('button', { name: 'Approve' })).toHaveCount(0);

  // paula, team-payments' lead, approves it.
  await signInAs(page, 'paula');
  await page.goto(buildUrl);
  const waivers = page.getByRole('table', { name: 'Waivers' });
  const pending = waivers.getByRole('row').filter({ hasText: ruleId });
  await pending.getByRole('button', { name: 'Approve' }).click();
  const decide = page.getByRole('dialog', { name: 'Approve waiver' });
  await decide.getByLabel(/Reason/).fill('Fixture key, never deployed');
  await page.screenshot({ path: screenshotPath('builds-waiver-approve') });
  await decide.getByRole('button', { name: 'Approve' }).click();
  await expect(pending).toContainText('approved');
  await expect(
    page.getByRole('table', { name: 'Scan findings' }).getByRole('row').filter({
      hasText: ruleId,
    }),
  ).toContainText('Waived until');

  // (Not re-run here: the simulator seeds scan findings from the pod's uid,
  // so a re-run of the same commit reports other rules than those waived.)
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({
    path: screenshotPath('builds-waiver-approved'),
    fullPage: true,
  });
});

test('a developer of another team is not offered a build, and the API refuses him', async ({
  page,
}) => {
  await signInAs(page, 'rob');
  // rob (team-risk) reads user-portal's builds, with the token his page uses.
  const authorization = await pageToken(page, () => openBuildsTab(page));
  await expect(
    page.getByRole('region', { name: 'Build statistics' }),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'New build' })).toHaveCount(0);
  await page.screenshot({
    path: screenshotPath('builds-not-allowed'),
    fullPage: true,
  });

  // Straight to the API with that token: 403, and no build is recorded.
  const before = await page.request.get(`${BUILDS_API}?limit=100`, {
    headers: { authorization },
  });
  expect(before.status()).toBe(200);
  const trigger = await page.request.post(BUILDS_API, {
    headers: { authorization },
    data: { branch: 'main' },
  });
  expect(trigger.status(), await trigger.text()).toBe(403);
  expect((await trigger.json()).error.name).toBe('NotAllowedError');
  const after = await page.request.get(`${BUILDS_API}?limit=100`, {
    headers: { authorization },
  });
  const triggeredByRob = (await after.json()).items.filter(
    (b: { triggeredBy: string }) => b.triggeredBy === 'user:default/rob',
  );
  expect(triggeredByRob).toHaveLength(0);
  expect((await after.json()).items.length).toBe(
    (await before.json()).items.length,
  );
});
