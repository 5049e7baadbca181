// The whole plan lives in the URL: a link restores it (offer included), back/forward walk through earlier plans,
// and recent plans are offered from localStorage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, launchBrowser, openPage, screenshot } from './harness.mjs';

let browser;
let proxy;
before(async () => { browser = await launchBrowser(); proxy = await startProxy(); });
after(async () => { await browser?.close(); await proxy?.stop(); });

test('share a plan as a link, reload it, go back and forward', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  await page.getByLabel('vCPU from').fill('2');
  await page.getByLabel('vCPU to').fill('2');
  await page.waitForURL(/v=2-2/);
  await page.waitForTimeout(1100); // the next change makes a new history entry
  await page.getByLabel('Hours', { exact: true }).fill('24');
  await page.waitForURL(/h=24/);
  await table.locator('tbody tr:not([aria-hidden])').first().getByRole('button', { name: /^Choose/ }).click();
  await page.waitForURL(/o=alibaba/);
  const link = page.url();

  // A fresh page on the link shows the same plan and the chosen offer.
  const { page: shared } = await openPage(browser, link);
  await shared.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS/ }).waitFor();
  assert.equal(await shared.getByLabel('vCPU from').inputValue(), '2');
  assert.equal(await shared.getByLabel('Hours', { exact: true }).inputValue(), '24');
  await screenshot(shared, 'url-shared');

  // Back walks to the plan before the hours changed (choosing the offer may be an entry of its own).
  for (let steps = 0; steps < 3 && new URL(page.url()).search.includes('h=24'); steps += 1) {
    await page.goBack();
  }
  assert.doesNotMatch(new URL(page.url()).search, /h=24/);
  await page.waitForFunction(() => [...document.querySelectorAll('label')].some((l) => l.textContent.startsWith('Hours') && l.querySelector('input')?.value === '72'));
  assert.equal(await page.getByLabel('Hours', { exact: true }).inputValue(), '72');
  assert.equal(await page.getByLabel('vCPU from').inputValue(), '2');
  await page.goForward();
  await page.waitForURL(/h=24/);
  await page.waitForFunction(() => [...document.querySelectorAll('label')].some((l) => l.textContent.startsWith('Hours') && l.querySelector('input')?.value === '24'));

  // Recent plans are offered.
  await page.reload();
  await page.getByRole('navigation', { name: 'Recent plans' }).getByRole('link').first().waitFor();
  assert.deepEqual(problems, []);
});
