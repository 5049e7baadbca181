// Fresh prices in Chromium against the real proxy and an Alibaba stand-in playing the synthetic market: the
// proxy's refresher keeps 30 days of one pool's price changes, and a page opened afterwards starts from them — the
// offer shows the refreshed price with its age in days and a bid recommended from the stored history — and after a
// reload, from the browser's own cache before any network answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin, launchBrowser, openPage, screenshot, findOfferRow } from './harness.mjs';

const KEYS = ['LTAI5tPricesAccessKey', 'AlibabaPricesSecret-5t6y7u8i9o0p'];

let browser;
let proxy;
let standin;
before(async () => {
  browser = await launchBrowser();
  standin = await startStandin('alibaba', ...KEYS, ['--market']);
  proxy = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS[0],
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS[1],
      SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-prices-')),
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
    },
  });
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  standin?.stop();
});

const call = async (method, path, body) => {
  const answer = await fetch(new URL(path, proxy.url), {
    method,
    headers: { 'x-spotplan-token': proxy.token, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return answer.json();
};

test('the refresher keeps a pool fresh and a page opened later starts from its prices and history', async () => {
  const plan = new URL('?c=alibaba&rg=cn-hangzhou-k&q=ecs.c7.xlarge&h=4', proxy.url).href;
  // Before any refresh every figure is the embedded catalog's: the page says so at the top, and what to do.
  const before = await openPage(browser, plan);
  await before.page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const oldNote = before.page.getByTestId('old-catalog-note');
  await oldNote.getByText(/^Every price here is over 30 days old \(newest 2024-10-09, \d+ days\): turn on "Keep prices fresh"/).waitFor();
  assert.deepEqual(before.problems, []);
  await before.page.close();

  const pool = { cloud: 'alibaba', region: 'cn-hangzhou', zone: 'cn-hangzhou-k', instance_type: 'ecs.c7.xlarge' };
  const settings = await call('PUT', 'api/v1/refresh', { enabled: true, pools: [{ offer: pool }], budget_per_minute: 600 });
  assert.equal(settings.pools, 1, JSON.stringify(settings));
  for (let waited = 0; ; waited += 500) {
    const progress = await call('GET', 'api/v1/refresh');
    if (progress.rounds >= 1) {
      assert.ok(progress.stored > 50, JSON.stringify(progress));
      break;
    }
    assert.ok(waited < 20_000, `the refresher never finished its round: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  const { page, problems } = await openPage(browser, plan);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
  // The stored prices join the catalog once signed in: the offer's price is days old at most, not the catalog's
  // 2024 figure, and its bid advice rests on the stored 30 days.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=ranked-table] td[data-col=price_age]')]
    .some((cell) => / · 0 d$/.test(cell.textContent)), null, { timeout: 15_000 });
  const { cells } = await findOfferRow(page, (c) => c.instance_type === 'ecs.c7.xlarge' && c.place === 'cn-hangzhou-k', 'ecs.c7.xlarge in cn-hangzhou-k');
  assert.match(cells.price_age, / · 0 d$/, JSON.stringify(cells));
  // Both figures are the refresher's: the spot price's latest change, and the unchanged on-demand price as of the
  // newest record (not as of its first sighting 30 days ago).
  assert.match(cells.titles.price_age, /^observed \d{4}-\d\d-\d\d, 0 days old · on-demand: list price of \d{4}-\d\d-\d\d, 0 days old$/, JSON.stringify(cells.titles));
  assert.match(cells.titles.bid_advice + cells.bid_advice, /job-length windows|¥0\.\d+/, JSON.stringify(cells));
  assert.doesNotMatch(cells.bid_advice, /no history/, JSON.stringify(cells));
  assert.equal(await page.getByTestId('old-catalog-note').count(), 0, 'a fresh price ends the old-catalog note');
  await screenshot(page, 'prices-refreshed');

  // A reload shows them again before any price reaches it from the network: the proxy's delta never answers now,
  // and the page starts from the browser's own cache.
  await page.route('**/api/v1/catalog**', () => new Promise(() => {}));
  await page.reload();
  await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=ranked-table] td[data-col=price_age]')]
    .some((cell) => / · 0 d$/.test(cell.textContent)), null, { timeout: 10_000 });
  const cached = await findOfferRow(page, (c) => c.instance_type === 'ecs.c7.xlarge' && c.place === 'cn-hangzhou-k', 'ecs.c7.xlarge in cn-hangzhou-k, from the cache');
  assert.match(cached.cells.price_age, / · 0 d$/, JSON.stringify(cached.cells));
  assert.doesNotMatch(cached.cells.bid_advice, /no history/);
  assert.deepEqual(problems, []);
});

test('the page turns the refresher on for its plan and shows its progress as prices come in', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=alibaba&rg=cn-hangzhou&h=4', proxy.url).href);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const toggle = page.locator('#refresh-enabled');
  await toggle.waitFor();
  const progress = page.getByTestId('refresh-progress');
  // The switch shows the proxy's state once its progress has been read (the first test left the refresher on).
  await progress.getByText(/Price refresher: on/).waitFor();
  // Off, then on with this plan's pools: the refresher starts again on them and says how far it got.
  if (await toggle.isChecked()) await toggle.uncheck();
  await progress.getByText(/Price refresher: off/).waitFor();
  const kept = async () => Number((await progress.textContent()).match(/(\d+) price changes kept/)[1]);
  const before = await kept();
  // What the refresher stores joins the page from where the page's prices reach, never from the beginning again.
  const sinces = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.endsWith('/api/v1/catalog')) sinces.push(Number(url.searchParams.get('since')));
  });
  await toggle.check();
  await progress.getByText(/Price refresher: on — \d+ pools/).waitFor();
  const pools = Number((await progress.textContent()).match(/on — (\d+) pools/)[1]);
  assert.ok(pools > 5 && pools <= 200, await progress.textContent());
  // The plan's pools are new to the store: their changes are kept as the refresher walks them.
  await page.waitForFunction((before) => {
    const text = document.querySelector('[data-testid=refresh-progress]')?.textContent ?? '';
    const match = text.match(/(\d+) price changes kept/);
    return match && Number(match[1]) > before;
  }, before, { timeout: 20_000 });
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((entry) => /\/api\/v1\/catalog\?since=[1-9]/.test(entry.name)));
  assert.ok(sinces.length > 0 && sinces.every((since) => since > 0), JSON.stringify(sinces));
  await screenshot(page, 'prices-refresher-on');
  assert.deepEqual(problems, []);
});

test('the refresher is not switched on for a plan it has nothing to ask of, and says why', async () => {
  // Only Alibaba's credentials: a Tencent-only plan has no pool the proxy can re-ask.
  const { page, problems } = await openPage(browser, new URL('?c=tencent&h=4', proxy.url).href);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const toggle = page.locator('#refresh-enabled');
  const progress = page.getByTestId('refresh-progress');
  await progress.getByText(/Price refresher: (on|off)/).waitFor();
  if (await toggle.isChecked()) {
    // (click(), not uncheck(): the box shows the proxy's state, and a progress read that lands before the switch
    // can tick it again for a moment, which uncheck() takes for a failed click)
    await toggle.click();
    await progress.getByText(/Price refresher: off/).waitFor();
  }
  await toggle.click(); // (not check(): the page unticks it at once, which check() takes for a failed click)
  await page.getByRole('alert').getByText(/^Nothing to keep fresh: no offer of this plan or of your recent plans is one the proxy can re-ask/).waitFor();
  assert.equal(await toggle.isChecked(), false);
  assert.match(await progress.textContent(), /Price refresher: off/, 'the proxy was not switched on');
  assert.deepEqual(problems, []);
});
