import { expect, Locator, Page, test } from '@playwright/test';
import { screenshotPath, signInAs } from '../harness/portal';

const PG_TERMINAL = '/catalog/default/component/payment-gateway/terminal';

/** The text rows of an xterm.js screen ("Terminal", "Shell terminal" or "Replay"). */
function terminal(page: Page, name = 'Terminal'): Locator {
  return page.getByRole('group', { name, exact: true }).locator('.xterm-rows');
}

/** Types a line into xterm.js the way a user does: click into it, type, Enter. */
async function typeLine(page: Page, rows: Locator, line: string) {
  await rows.locator('xpath=ancestor::*[@role="group"][1]').click();
  await page.keyboard.type(line, { delay: 15 });
  await page.keyboard.press('Enter');
}

// A marker only oscar's break-glass command prints, to find it again in the replay.
const MARKER = `breakglass-${Date.now().toString(36)}`;
const JUSTIFICATION = `INC-4711 payment-gateway leaks file handles (${MARKER})`;

test.describe.configure({ mode: 'serial' });

test('a developer runs ls and ps in payment-gateway, is refused rm -rf / with the rule shown, and has no break-glass button', async ({
  page,
}) => {
  await signInAs(page, 'pete');
  await page.goto(PG_TERMINAL);

  // The pod picker and the hint of what is allowed.
  await expect(page.getByLabel('Pod')).toHaveValue(/^payment-gateway-/);
  await expect(page.getByLabel('Container')).toHaveValue('payment-gateway');
  const allowed = page.getByRole('list', { name: 'Allowed commands' });
  await expect(allowed).toContainText('ls');
  await expect(allowed).toContainText('ps');
  await expect(
    page.getByRole('button', { name: 'Open terminal' }),
  ).toBeEnabled();
  // pete is a developer, not a lead: no break-glass shell for him.
  await expect(
    page.getByRole('button', { name: /Break-glass shell/ }),
  ).toHaveCount(0);

  await page.getByRole('button', { name: 'Open terminal' }).click();
  await expect(page.getByLabel('Connection: connected')).toBeVisible();
  const box = terminal(page);
  await expect(box).toContainText('Restricted session');

  await typeLine(page, box, 'ls');
  await expect(box).toContainText('app.jar');
  await typeLine(page, box, 'ps aux');
  await expect(box).toContainText('PID');
  await expect(box).toContainText('java');

  await typeLine(page, box, 'rm -rf /');
  const refusal = page.getByRole('alert', { name: 'Refused command' });
  await expect(refusal).toContainText('rm -rf /');
  await expect(refusal).toContainText('binary-not-allowed:rm');
  await expect(box).toContainText('Not allowed (binary-not-allowed:rm)');
  // The prompt is back: a fourth one after ls, ps aux and rm.
  await expect
    .poll(
      async () =>
        ((await box.textContent()) ?? '').split(':payment-gateway $').length -
        1,
    )
    .toBe(4);
  await page.screenshot({
    path: screenshotPath('terminal-restricted'),
    fullPage: true,
  });

  await page.getByRole('button', { name: 'End session' }).click();
  await expect(
    page.getByText('You closed the session.', { exact: true }),
  ).toBeVisible();
});

test('a platform engineer opens a recorded break-glass shell with a justification', async ({
  page,
}) => {
  await signInAs(page, 'oscar');
  await page.goto(PG_TERMINAL);
  await page.getByRole('button', { name: /Break-glass shell/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Open a break-glass shell' });
  await expect(dialog).toContainText('recorded and audited');
  await dialog.getByLabel(/Justification/).fill(JUSTIFICATION);
  await page.screenshot({
    path: screenshotPath('terminal-break-glass-dialog'),
  });
  await dialog.getByRole('button', { name: 'Open shell' }).click();

  await expect(page.getByRole('status', { name: 'Recording' })).toBeVisible();
  await expect(
    page.getByRole('timer', { name: 'Time left in the time box' }),
  ).toContainText(/Time box: \d+:\d\d left/);
  const box = terminal(page, 'Shell terminal');
  await expect(box).toContainText('#');
  await typeLine(page, box, `echo ${MARKER} && cat /etc/hostname`);
  // The command echoed, and what it printed (the pod's hostname).
  await expect(box).toContainText(`echo ${MARKER}`);
  await expect(box).toContainText(/payment-gateway-\w+/);
  await page.screenshot({
    path: screenshotPath('terminal-break-glass'),
    fullPage: true,
  });

  await typeLine(page, box, 'exit');
  await expect(page.getByLabel('Connection: closed')).toBeVisible();
  await expect(page.getByRole('status', { name: 'Recording' })).toHaveCount(0);
});

test("an auditor finds oscar's shell session and replays it: the command and its output appear", async ({
  page,
}) => {
  await signInAs(page, 'amy');
  const nav = page.getByTestId('sidebar-root');
  await nav.getByRole('link', { name: 'Terminals', exact: true }).click();
  await expect(page).toHaveURL(/\/terminal-sessions$/);

  const table = page.getByRole('table', { name: 'Terminal sessions' });
  const row = table.getByRole('row').filter({ hasText: MARKER }).first();
  await expect(row).toContainText('oscar');
  await expect(row).toContainText('shell');
  await expect(row).toContainText('closed');
  await page.screenshot({
    path: screenshotPath('terminal-sessions'),
    fullPage: true,
  });

  await row.getByRole('link', { name: /Details of session/ }).click();
  await expect(page.getByLabel('Session summary')).toContainText(JUSTIFICATION);
  const controls = page.getByRole('group', { name: 'Replay controls' });
  await controls.getByLabel('Speed').selectOption('4');
  await controls.getByRole('button', { name: 'Play' }).click();
  const replay = terminal(page, 'Replay');
  await expect(replay).toContainText(`echo ${MARKER}`);
  await expect(replay).toContainText(/payment-gateway-/);
  await expect(
    controls.getByRole('button', { name: 'Play again' }),
  ).toBeVisible({
    timeout: 60_000,
  });
  await page.screenshot({
    path: screenshotPath('terminal-replay'),
    fullPage: true,
  });
});
