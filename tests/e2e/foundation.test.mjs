// The foundation slice end to end: the real proxy serves the real release build; Chromium shows the title, offers
// ranked by the core in wasm, the proxy's health answer and a chart of the plan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, startStaticServer, launchBrowser, openPage, screenshot, distDir } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the proxy serves the app, its health answer and a chart', async () => {
  const proxy = await startProxy();
  try {
    const { page, problems } = await openPage(browser, proxy.url);
    await page.getByRole('heading', { level: 1, name: 'Spotplan' }).waitFor();
    await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
    assert.match(await page.getByTestId('plan-summary').textContent(), /^\d+ offers match\./);
    // No debug line and no example chart unrelated to the plan.
    assert.equal(await page.getByText(/Catalog decoded in/).count(), 0);
    assert.equal(await page.getByRole('img', { name: 'Total cost of one instance over 72 hours' }).count(), 0);
    const status = page.getByTestId('proxy-status');
    await status.getByText(/Proxy .* connected/).waitFor();
    const statusText = await status.textContent();
    for (const cloud of ['Alibaba Cloud ECS', 'Tencent Cloud CVM', 'Baidu AI Cloud BCC']) {
      assert.match(statusText, new RegExp(`${cloud}: no credentials \\(planning mode\\)`));
    }
    await page.getByRole('img', { name: 'Total cost of the best candidates' }).waitFor();
    await screenshot(page, 'foundation');
    assert.deepEqual(problems, []);

    const health = await (await fetch(new URL('api/v1/health', proxy.url))).json();
    assert.deepEqual(health.clouds.map((c) => c.cloud), ['alibaba', 'tencent', 'baidu']);
  } finally {
    assert.equal(await proxy.stop(), 0, 'Ctrl-C stops the proxy cleanly');
  }
});

test('served statically without a proxy, the app says the proxy is not reachable', async () => {
  const server = await startStaticServer(distDir());
  try {
    const { page } = await openPage(browser, server.url);
    await page.getByRole('heading', { level: 1, name: 'Spotplan' }).waitFor();
    await page.getByTestId('proxy-status').getByText(/Proxy not reachable/).waitFor();
    await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
    await screenshot(page, 'foundation-static');
  } finally {
    await server.stop();
  }
});
