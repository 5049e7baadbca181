// The planner as people read it: at 1280 px a row's total and Choose are in view without horizontal scrolling; at
// 1440 px the chosen offer's bid sits in a sticky panel beside the table; on a 390 px phone each row is a card with
// price, savings, total and Choose; every column sorts both ways; a text filter; a remembered column picker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startProxy, launchBrowser, openPage, screenshot, rowCells } from './harness.mjs';

let browser;
let proxy;
before(async () => { browser = await launchBrowser(); proxy = await startProxy(); });
after(async () => { await browser?.close(); await proxy?.stop(); });

// The plan: 20 × 8 vCPU / 16 GiB for 48 hours in mainland China.
const PLAN = '?v=8-8&m=16-16&n=20&h=48&a=china';

/** Whether an element's box lies inside the window horizontally and inside its scrolling table box. */
async function inView(page, locator) {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const scroller = element.closest('[role=region]').getBoundingClientRect();
    return box.left >= scroller.left - 0.5 && box.right <= scroller.right + 0.5
      && box.left >= 0 && box.right <= window.innerWidth && box.width > 0;
  });
}

test('at 1280×800 a row\'s total and Choose are in view without horizontal scrolling', async () => {
  const { page, problems } = await openPage(browser, new URL(PLAN, proxy.url).href, { viewport: { width: 1280, height: 800 } });
  const row = page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first();
  await row.waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no page scroll');
  for (const column of ['instance_type', 'place', 'spot', 'on_demand', 'savings_percent', 'expected_total', 'choose']) {
    assert.ok(await inView(page, row.locator(`td[data-col=${column}]`)), `${column} is in view`);
  }
  await screenshot(page, 'layout-1280');
  // Narrower than the side panel's width: the bid panel follows the table, and Choose scrolls to it.
  await row.getByRole('button', { name: /^Choose/ }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'bid-heading');
  const heading = await page.locator('#bid-heading').evaluate((element) => element.getBoundingClientRect().top);
  assert.ok(heading >= 0 && heading < 800, `the bid heading is at ${heading}`);
  assert.deepEqual(problems, []);
});

test('at 1440×900 the chosen offer\'s bid, request and submit sit beside the table and stay in view', async () => {
  const { page, problems } = await openPage(browser, new URL(PLAN, proxy.url).href, { viewport: { width: 1440, height: 900 } });
  const table = page.getByTestId('ranked-table');
  const row = table.locator('tbody tr:not([aria-hidden])').first();
  await row.waitFor();
  for (const column of ['expected_total', 'choose']) {
    assert.ok(await inView(page, row.locator(`td[data-col=${column}]`)), `${column} is in view`);
  }
  const before = await page.evaluate(() => window.scrollY);
  await row.getByRole('button', { name: /^Choose/ }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'bid-heading');
  const side = page.locator('aside.order-side');
  const scroller = page.getByRole('region', { name: 'Ranked offers' });
  const [sideBox, tableBox] = [await side.boundingBox(), await scroller.boundingBox()];
  assert.ok(sideBox.x >= tableBox.x + tableBox.width, `the panel (x ${sideBox.x}) is right of the table (ends ${tableBox.x + tableBox.width})`);
  assert.equal(await page.evaluate(() => window.scrollY), before, 'the page did not jump');
  assert.equal(await table.locator('tbody tr.chosen').count(), 1, 'the chosen row is marked');
  await screenshot(page, 'layout-1440-chosen');
  // Scrolling the page down to the charts keeps the panel in view (sticky).
  await page.evaluate(() => document.querySelector('.plan-more').scrollIntoView());
  await page.waitForFunction(() => window.scrollY > 300);
  const stuck = await side.evaluate((element) => element.getBoundingClientRect().top);
  assert.ok(stuck >= 0 && stuck <= 16, `the panel's top is at ${stuck} after scrolling`);
  assert.deepEqual(problems, []);
});

test('on a 390 px phone each row is a card with price, savings, total and Choose in view', async () => {
  const { page, problems } = await openPage(browser, new URL(PLAN, proxy.url).href, { viewport: { width: 390, height: 844 } });
  const table = page.getByTestId('ranked-table');
  const row = table.locator('tbody tr:not([aria-hidden])').first();
  await row.waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no page scroll');
  await row.scrollIntoViewIfNeeded();
  for (const column of ['cloud', 'instance_type', 'spot', 'savings_percent', 'expected_total', 'choose']) {
    assert.ok(await inView(page, row.locator(`td[data-col=${column}]`)), `${column} is in view`);
  }
  // Every card is exactly the pitch the windowed table lays rows out with.
  const heights = await table.locator('tbody tr:not([aria-hidden])').evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));
  assert.deepEqual([...new Set(heights)], [64]);
  const cells = await rowCells(row);
  assert.match(cells.expected_total, /^¥[\d,]+\.\d\d$/);
  await page.locator('.offer-table').screenshot({ path: `${process.env.SPOTPLAN_ARTIFACTS}/layout-390-cards.png` });
  await screenshot(page, 'layout-390');
  // Each figure is labelled on the card, and no zone name is cut (the cheapest cards include cn-wulanchabu-a).
  const labels = await row.locator('td[data-label]').evaluateAll((tds) => tds.map((td) => [td.dataset.col, td.dataset.label]));
  assert.deepEqual(Object.fromEntries(labels), { spot: 'Spot', savings_percent: 'Save', expected_total: 'Total' });
  const places = await table.locator('tbody tr:not([aria-hidden]) td[data-col=place]').evaluateAll((tds) =>
    tds.map((td) => ({ text: td.textContent, cut: td.scrollWidth > td.clientWidth })));
  assert.ok(places.some((place) => place.text.startsWith('cn-wulanchabu')), JSON.stringify(places));
  assert.deepEqual(places.filter((place) => place.cut), [], 'no zone name is cut');
  const figures = await table.locator('tbody tr:not([aria-hidden]) td[data-label]').evaluateAll((tds) =>
    tds.filter((td) => td.scrollWidth > td.clientWidth).map((td) => td.textContent));
  assert.deepEqual(figures, [], 'no figure is cut');
  // Sorting without headers: the select and the direction button.
  await page.getByTestId('sort-by').selectOption('savings');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('s') === 'savings');
  await row.getByRole('button', { name: /^Choose/ }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'bid-heading');
  assert.deepEqual(problems, []);
});

test('every column sorts both ways with an indicator, in the URL and after a reload', async () => {
  const { page, problems } = await openPage(browser, new URL('?v=2-16&m=&a=china', proxy.url).href);
  const table = page.getByTestId('ranked-table');
  const rows = table.locator('tbody tr:not([aria-hidden])');
  await rows.first().waitFor();
  const headers = table.locator('thead th');
  const sortable = await table.locator('thead th button.sort').count();
  assert.equal(sortable, (await headers.count()) - 2, 'every column but rank and Choose sorts');
  const column = async (id) => (await rows.evaluateAll((trs, id) => trs.map((tr) => tr.querySelector(`td[data-col=${id}]`).textContent), id));
  const header = table.locator('th[data-col=vcpu]');
  await header.getByRole('button').click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('s') === 'cpus');
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  assert.match(await header.textContent(), /▲$/);
  const up = (await column('vcpu')).map(Number);
  assert.deepEqual(up, [...up].sort((a, b) => a - b));
  assert.equal(up[0], 2);
  await header.getByRole('button').click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('s') === '-cpus');
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  assert.match(await header.textContent(), /▼$/);
  const down = (await column('vcpu')).map(Number);
  assert.equal(down[0], 16);
  assert.deepEqual(down, [...down].sort((a, b) => b - a));
  // Text columns too, and the order survives a reload.
  await table.locator('th[data-col=instance_type]').getByRole('button').click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('s') === 'type');
  const types = await column('instance_type');
  assert.deepEqual(types, [...types].sort());
  await page.reload();
  await rows.first().waitFor();
  assert.equal(await table.locator('th[data-col=instance_type]').getAttribute('aria-sort'), 'ascending');
  assert.deepEqual(await column('instance_type'), types);
  assert.equal(await table.locator('th[aria-sort=ascending], th[aria-sort=descending]').count(), 1, 'one active indicator');
  assert.deepEqual(problems, []);
});

test('a text filter over type, region and zone, and a column picker that is remembered', async () => {
  const { page, problems } = await openPage(browser, new URL(PLAN, proxy.url).href);
  const table = page.getByTestId('ranked-table');
  const rows = table.locator('tbody tr:not([aria-hidden])');
  await rows.first().waitFor();
  await page.getByTestId('offer-filter').fill('hangzhou');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('q') === 'hangzhou');
  const places = await table.locator('tbody tr:not([aria-hidden]) td[data-col=place]').allTextContents();
  assert.ok(places.length > 0 && places.every((place) => place.includes('hangzhou')), places.join());
  assert.match(await page.getByTestId('plan-summary').textContent(), /^\d+ offers match\./);
  await page.getByTestId('offer-filter').fill('no-such-offer');
  await page.getByText(/^No offer matches/).waitFor();
  await page.getByTestId('offer-filter').fill('');
  await rows.first().waitFor();

  // Hide the worst case and show the spot price in the cloud's own terms; the choice survives a reload and the
  // CSV holds the columns in view.
  await page.getByTestId('column-picker').locator('summary').click();
  await page.getByTestId('column-picker').getByLabel('Worst case').uncheck();
  await page.getByTestId('column-picker').getByLabel('Spot (native)').check();
  assert.equal(await table.locator('th[data-col=worst_case_total]').count(), 0);
  await table.locator('th[data-col=spot_native]').waitFor();
  await page.reload();
  await rows.first().waitFor();
  assert.equal(await table.locator('th[data-col=worst_case_total]').count(), 0, 'remembered');
  assert.match(await rows.first().locator('td[data-col=spot_native]').textContent(), /CNY\/hour/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const header = (await readFile(await download.path(), 'utf8')).split('\n')[0];
  assert.ok(header.includes('spot_native') && !header.includes('worst_case_total'), header);
  assert.deepEqual(problems, []);
});
