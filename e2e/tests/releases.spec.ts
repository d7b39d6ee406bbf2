import { Browser, expect, Page, request, test } from '@playwright/test';
import { portalUrl } from '../harness/config';
import { screenshotPath, signInAs } from '../harness/portal';

const RELEASES = '/catalog/default/component/payment-gateway/releases';
const OVERVIEW = '/catalog/default/component/payment-gateway';
/** The seed runs payment-gateway 2.7.0 (version label v1); this run releases 2.8.0. */
const NEW_VERSION = '2.8.0';

async function userPage(
  browser: Browser,
  user: string,
  onSignal?: (frame: string) => void,
): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (onSignal) {
    // Frames the signals WebSocket delivers, to tell live updates from polling.
    page.on('websocket', ws => {
      if (!ws.url().includes('/api/signals')) return;
      ws.on('framereceived', ({ payload }) => onSignal(String(payload)));
    });
  }
  await signInAs(page, user);
  return page;
}

/**
 * Takes the mouse off the sidebar (hovering it expands it over the content)
 * and lets the sidebar settle before a screenshot.
 */
async function shoot(page: Page, name: string, fullPage = true) {
  await page.mouse.move(1500, 5);
  await page.waitForTimeout(400);
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

/** The traffic bar's share for the new version, as the page shows it. */
async function newVersionWeight(page: Page): Promise<number> {
  const meter = page.getByRole('meter', {
    name: `Traffic to new ${NEW_VERSION}`,
  });
  return Number(await meter.getAttribute('aria-valuenow'));
}

test('a developer starts a canary, the team lead approves, traffic moves, the developer rolls back', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const signalFrames: string[] = [];
  const pete = await userPage(browser, 'pete', frame =>
    signalFrames.push(frame),
  );
  await pete.goto(RELEASES);
  await expect(pete.getByText('Release history')).toBeVisible();
  await expect(pete.getByText('No release running')).toBeVisible();

  // pete (developer, team-payments) starts a canary of 2.8.0 with a short
  // plan: 20 % at once, then 50 % and 100 % each after a lead's approval.
  // No metric analysis: the browser tests run the simulator without
  // Prometheus (the backend's tests cover the gates with a real one).
  await pete.getByRole('button', { name: 'New release' }).click();
  const dialog = pete.getByRole('dialog', { name: 'New release' });
  await expect(dialog.getByLabel('Step 1 weight')).toBeVisible();
  await dialog.getByLabel('Image').fill(NEW_VERSION);
  await expect(dialog).toContainText(`payments/payment-gateway:${NEW_VERSION}`);
  await expect(dialog.getByRole('button', { name: /^Strategy/ })).toHaveText(
    'Canary',
  );
  while (
    (await dialog.getByRole('button', { name: /^Remove step/ }).count()) > 3
  ) {
    await dialog
      .getByRole('button', { name: /^Remove step/ })
      .last()
      .click();
  }
  const plan = [
    { weight: '20', approval: false },
    { weight: '50', approval: true },
    { weight: '100', approval: true },
  ];
  for (const [i, step] of plan.entries()) {
    const n = i + 1;
    await dialog.getByLabel(`Step ${n} weight`).fill(step.weight);
    await dialog.getByLabel(`Step ${n} pause`).fill('');
    await dialog
      .getByLabel(`Step ${n} waits for approval`)
      .setChecked(step.approval);
    await dialog.getByLabel(`Step ${n} runs metric analysis`).setChecked(false);
  }
  await expect(dialog).toContainText('Starts after 1 approval by a team lead');
  await shoot(pete, 'releases-new-release', false);
  await dialog.getByRole('button', { name: 'Start release' }).click();
  await expect(dialog).toBeHidden();

  // It waits for a team lead; pete may not approve his own release.
  await expect(
    pete.getByText(`Release ${NEW_VERSION}`, { exact: true }),
  ).toBeVisible();
  const peteApprovals = pete.getByRole('region', { name: 'Approvals' });
  await expect(peteApprovals).toContainText('Waiting for the release of');
  await expect(
    peteApprovals.getByRole('button', { name: 'Approve' }),
  ).toHaveCount(0);
  await expect(peteApprovals).toContainText('Only a team lead');
  const before = await newVersionWeight(pete);
  expect(before).toBe(0);

  // paula (team lead of team-payments) approves, in her own session.
  const paula = await userPage(browser, 'paula');
  await paula.goto(RELEASES);
  const paulaApprovals = paula.getByRole('region', { name: 'Approvals' });
  await expect(
    paulaApprovals.getByRole('button', { name: 'Approve' }),
  ).toBeVisible();
  await shoot(paula, 'releases-awaiting-approval');
  await paulaApprovals.getByRole('button', { name: 'Approve' }).click();
  const approve = paula.getByRole('dialog', {
    name: /^Approve the release of/,
  });
  await approve
    .getByLabel('Reason')
    .fill('Canary plan reviewed; rollback tested');
  await approve.getByRole('button', { name: 'Approve' }).click();
  await expect(approve).toBeHidden();
  await expect(
    paula.getByRole('list', { name: 'Approval decisions' }),
  ).toContainText('Approved by paula');

  // On pete's page, without a reload, the traffic bar moves to the canary.
  await expect
    .poll(() => newVersionWeight(pete), { timeout: 60_000 })
    .toBeGreaterThan(before);
  await expect(
    pete.getByRole('meter', { name: /^Traffic to stable/ }),
  ).not.toHaveAttribute('aria-valuenow', '100');
  // ... and waits at the next step for another approval.
  await expect(pete.getByLabel('Release state')).toHaveText(
    'Awaiting approval',
    { timeout: 60_000 },
  );
  await expect(
    pete.getByRole('list', { name: 'Step plan' }).getByRole('listitem').first(),
  ).toHaveAccessibleName(/Step 1: 20 % — done/);
  await expect(
    pete.getByRole('list', { name: 'Step plan' }).getByRole('listitem').nth(1),
  ).toHaveAccessibleName('Step 2: 50 % · approval — waiting for approval');
  await shoot(pete, 'releases-canary-in-progress');

  // The overview card shows the live release too.
  await paula.goto(OVERVIEW);
  const card = paula.getByLabel('Running release');
  await expect(card).toContainText(`${NEW_VERSION} · Canary`);
  await expect(
    card.getByRole('meter', { name: `Traffic to new ${NEW_VERSION}` }),
  ).not.toHaveAttribute('aria-valuenow', '0');
  await card.screenshot({ path: screenshotPath('releases-card') });

  // pete rolls back, saying why.
  await pete.getByRole('button', { name: 'Roll back' }).click();
  const rollback = pete.getByRole('dialog', {
    name: `Roll back ${NEW_VERSION}?`,
  });
  await rollback.getByLabel('Reason').fill('p99 latency up on 2.8.0 at 20 %');
  await rollback.getByRole('button', { name: 'Roll back' }).click();
  await expect(rollback).toBeHidden();
  await expect(pete.getByText('No release running')).toBeVisible();

  // The history shows the rolled-back release, who, and why.
  const history = pete.getByRole('table', { name: 'Release history' });
  const row = history.getByRole('row').nth(1);
  await expect(row).toContainText(NEW_VERSION);
  await expect(row).toContainText('from v1');
  await expect(row).toContainText('Canary');
  await expect(row).toContainText('Rolled back');
  await expect(row).toContainText('pete');
  await expect(row).toContainText('p99 latency up on 2.8.0 at 20 %');
  await row.getByRole('button', { name: /Show details of release/ }).click();
  await expect(history).toContainText('approved by paula');
  await shoot(pete, 'releases-rolled-back');

  await pete.context().close();
  await paula.context().close();
});

test('a developer drafts a traffic policy, sees the lint and the diff, and submits it', async ({
  page,
}) => {
  await signInAs(page, 'pete');
  await page.goto(`${RELEASES}?view=traffic-policy`);
  await expect(
    page.getByText('Circuit breaking and rate limiting without code changes'),
  ).toBeVisible();
  await page.getByRole('checkbox', { name: 'Connection pool' }).check();
  await page.getByLabel('Max connections (TCP)').fill('200');
  const lint = page.getByRole('list', { name: 'Policy lint' });
  await expect(lint).toContainText(
    'maxConnections without http1MaxPendingRequests',
  );
  await expect(page.getByLabel('Diff against the cluster')).toContainText(
    'maxConnections',
  );
  await shoot(page, 'releases-traffic-policy');
  await page.getByLabel('Max pending requests (HTTP/1.1)').fill('50');
  await expect(lint).toHaveCount(0);
  await expect(page.getByText('No known pitfalls found.')).toBeVisible();
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: 'Submitted' }),
  ).toBeVisible();
  const proposals = page.getByRole('table', {
    name: 'Traffic policy proposals',
  });
  await expect(proposals.getByRole('row').nth(1)).toContainText(
    'Awaiting approval',
  );
});

/** A user's Backstage token from the development sign-in. */
async function tokenOf(user: string): Promise<string> {
  const api = await request.newContext({ baseURL: portalUrl });
  let token = '';
  await expect(async () => {
    const signIn = await api.get('/api/auth/fincloud-dev/refresh', {
      headers: { 'x-fincloud-dev-user': user },
    });
    expect(signIn.status(), await signIn.text()).toBe(200);
    token = (await signIn.json()).backstageIdentity.token;
  }).toPass({ timeout: 60_000 });
  await api.dispose();
  return token;
}

test('a release change reaches an open Releases tab through signals', async ({
  browser,
}) => {
  const channel = 'fincloud-releases:component:default/payment-gateway';
  const frames: string[] = [];
  const pete = await userPage(browser, 'pete', frame => frames.push(frame));
  await pete.goto(RELEASES);
  await expect(pete.getByText('No release running')).toBeVisible();

  // pete starts a release through the API and the tab shows it (by signal
  // or by its periodic re-read); then he rolls it back through the API and
  // the open tab must hear of that on the service's signal channel.
  const token = await tokenOf('pete');
  const api = await request.newContext({
    baseURL: portalUrl,
    extraHTTPHeaders: { authorization: `Bearer ${token}` },
  });
  const base = '/api/releases/entities/component/default/payment-gateway';
  const created = await api.post(`${base}/releases`, {
    data: {
      image: 'registry.fincloud.example/payments/payment-gateway:2.8.1',
      strategy: 'canary',
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const release = await created.json();
  try {
    await expect(
      pete.getByText('Release 2.8.1', { exact: true }),
    ).toBeVisible();
  } finally {
    const rollback = await api.post(
      `/api/releases/releases/${release.id}/rollback`,
      { data: { reason: 'signals check done' } },
    );
    expect(rollback.status(), await rollback.text()).toBe(200);
    await api.dispose();
  }
  await expect
    .poll(
      () =>
        frames.filter(f => f.includes(channel) && f.includes('rolled-back'))
          .length,
      {
        message:
          'the rollback was not signalled to the page: the /api/signals WebSocket did not deliver',
        timeout: 10_000,
      },
    )
    .toBeGreaterThan(0);
  await expect(pete.getByText('No release running')).toBeVisible();
  await pete.context().close();
});
