// The whole plan lives in the URL: a link restores it (offer included), back/forward walk through earlier plans,
// and recent plans are offered from localStorage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, launchBrowser, openPage, screenshot } from './harness.mjs';

/** A change within this long of the last one replaces the history entry instead of adding one (`app.rs`). */
const HISTORY_WINDOW_MS = 1_000;
/** A plan that stands still this long is settled and joins the recent plans (`SETTLED_MS` in `app.rs`). */
const SETTLED_MS = 1_500;

let browser;
let proxy;
before(async () => { browser = await launchBrowser(); proxy = await startProxy(); });
after(async () => { await browser?.close(); await proxy?.stop(); });

test('share a plan as a link, reload it, go back and forward', async () => {
  // The page's clock is Playwright's, so the test can jump it past the history window instead of sleeping.
  const { page, problems } = await openPage(browser, proxy.url, { fakeClock: true });
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  await page.clock.fastForward(SETTLED_MS); // the first plan settles
  await page.getByLabel('vCPU from').fill('2');
  await page.getByLabel('vCPU to').fill('2');
  await page.waitForURL(/v=2-2/);
  // The next change makes a new history entry, and this plan settles (the half-typed 2–4 vCPU never does).
  await page.clock.fastForward(Math.max(HISTORY_WINDOW_MS, SETTLED_MS));
  await page.getByLabel('Hours', { exact: true }).fill('24');
  await page.waitForURL(/h=24/);
  await page.clock.fastForward(SETTLED_MS);
  await table.locator('tbody tr:not([aria-hidden])').first().getByRole('button', { name: /^Choose/ }).click();
  await page.waitForURL(/o=alibaba/);
  await page.clock.fastForward(SETTLED_MS);
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
  await page.clock.fastForward(SETTLED_MS);
  await page.reload();
  const recent = page.getByRole('navigation', { name: 'Recent plans' }).getByRole('link');
  await recent.first().waitFor();
  // Newest first, one per plan the address bar held before the current one, each a link that restores it.
  const plans = await recent.evaluateAll((links) => links.map((link) => [link.textContent, link.getAttribute('href')]));
  // Only settled plans: never the half-typed 2–4 vCPU. Walking back and forward visits the 24-hour plan with and
  // without its offer again (real time flows between the steps), so the newest entry is one of the two.
  const chosenType = new URL(link).searchParams.get('o').split(':').at(-1);
  const newest = ['2–2 vCPU · 8–8 GiB · ×10 · 24 h', `2–2 vCPU · 8–8 GiB · ×10 · 24 h · ${chosenType}`];
  assert.ok(newest.includes(plans[0]?.[0]), JSON.stringify(plans));
  assert.deepEqual(plans.slice(-2), [
    ['2–2 vCPU · 8–8 GiB · ×10 · 72 h', '?v=2-2&m=8-8&n=10&h=72&r=10&a=china&s=cost'],
    ['4–4 vCPU · 8–8 GiB · ×10 · 72 h', '?v=4-4&m=8-8&n=10&h=72&r=10&a=china&s=cost'],
  ]);
  assert.ok(plans.length <= 3 && !plans.some(([label]) => label.startsWith('2–4')), JSON.stringify(plans));
  assert.deepEqual(problems, []);
});

test('a link part the plan cannot use is named over the plan, never quietly bent into another plan', async () => {
  const { page, problems } = await openPage(browser, new URL('?n=-3&r=150&c=alibab,tencent', proxy.url).href);
  const note = page.getByTestId('link-ignored');
  await note.getByText('The link\'s “n=-3” was not used: it must be a whole number of 1 or more. The default is shown instead.').waitFor();
  await note.getByText('The link\'s “r=150” was not used: it must be a percentage from 0 to 100. The default is shown instead.').waitFor();
  await note.getByText('The link\'s “c=alibab,tencent” names clouds Spotplan does not know: alibab (it knows alibaba, tencent, baidu). They are left out.').waitFor();
  assert.equal(await note.locator('li').count(), 3);
  // What is shown instead: the defaults, and the one known cloud.
  assert.equal(await page.getByRole('textbox', { name: /^Instances/ }).inputValue(), '10');
  assert.equal(await page.getByRole('textbox', { name: /^Accepted interruption risk/ }).inputValue(), '10', 'the default 10 % (Requirement::default), not 100');
  await page.waitForURL(/[?&]c=tencent(&|$)/);
  await screenshot(page, 'url-ignored-parts');
  await note.getByRole('button', { name: 'Dismiss' }).click();
  await note.waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
});
