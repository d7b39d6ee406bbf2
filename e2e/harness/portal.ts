import { expect, Page } from '@playwright/test';
import { join } from 'node:path';
import { repoRoot } from './processes';

/** Where browser tests save the screenshots the READMEs show. */
export function screenshotPath(name: string) {
  return join(repoRoot, 'docs', 'screenshots', `${name}.png`);
}

/**
 * Signs in through the development sign-in page as a sample user (`pete`,
 * `paula`, ...), starting from a fresh page so no earlier choice is remembered.
 */
export async function signInAs(page: Page, userName: string) {
  await page.goto('/');
  await page.evaluate(() => window.localStorage.clear());
  await page.goto('/');
  const button = page.getByRole('button', { name: `Sign in as ${userName}` });
  await expect(button).toBeVisible();
  await button.click();
  await expect(
    page.getByRole('heading', { name: 'Fincloud Bank Catalog' }),
  ).toBeVisible();
}
