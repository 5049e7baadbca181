// International-site accounts, end to end: a proxy whose credentials are on each cloud's international site (USD)
// says so in its health answer; the app takes that site, converts the bid typed in CNY to dollars (saying at which
// rate) and the order reaches each cloud's stand-in with its bid in USD. Without credentials, the person chooses
// the site, and the choice travels in the URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, standinsFor, launchBrowser, openPage, screenshot, cloudRows } from './harness.mjs';

const KEYS = {
  alibaba: ['LTAI5tSiteAccessKey01', 'AlibabaSiteSecret-1q2w3e4r5t6y'],
  tencent: ['AKIDSiteSecretId00001', 'TencentSiteSecret-7u8i9o0p1a2s'],
  baidu: ['bcesite123456789abcdef0123456789', 'BaiduSiteSecret-3d4f5g6h7j8k9'],
};

let browser;
let international;
let planning;
const standins = [];
before(async () => {
  browser = await launchBrowser();
  const clouds = await standinsFor(KEYS, 'sites');
  standins.push(...clouds.standins);
  const env = clouds.env;
  for (const cloud of Object.keys(KEYS)) env[`SPOTPLAN_ACCOUNT_CURRENCY_${cloud.toUpperCase()}`] = 'USD';
  international = await startProxy({ env });
  planning = await startProxy({
    env: { SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-planning-')), HOME: await mkdtemp(join(tmpdir(), 'spotplan-home-')) },
  });
});
after(async () => {
  await browser?.close();
  await international?.stop();
  await planning?.stop();
  for (const standin of standins) standin.stop();
});

// Per cloud: a region outside the mainland, the launch details its rules need, and the bid as the cloud receives
// it. 0.71286 CNY an hour at the default 7.1286 CNY per USD is 0.1 USD an hour (Baidu: per minute, rounded up to
// its 6 decimals). Alibaba and Tencent offers carry CNY prices in the catalog; Baidu's carry none.
const CASES = [
  {
    cloud: 'alibaba', name: 'Alibaba Cloud ECS', region: 'ap-southeast-1', sent: '0.1 USD/hour', wire: '0.1', priced: true,
    fill: { 'Image id': 'aliyun_3_x64_20G_alibase_20240819.vhd', 'Subnet / vSwitch id': 'vsw-t4nsite0000000000001', 'Security group id': 'sg-t4nsite000000000001', 'Key pair': 'batch-workers' },
  },
  {
    cloud: 'tencent', name: 'Tencent Cloud CVM', region: 'ap-singapore', sent: '0.1 USD/hour', wire: '0.1', priced: true,
    fill: { 'Image id': 'img-487zeit5' },
  },
  {
    cloud: 'baidu', name: 'Baidu AI Cloud BCC', region: 'sin', sent: '0.001667 USD/minute', wire: '0.001667',
    fill: { 'Image id': 'm-mRjO3cjs', Password: 'Spot2026!site' },
  },
];

for (const { cloud, name, region, sent, wire, fill, priced } of CASES) {
  test(`an international-site ${cloud} account gets its bid in USD`, async () => {
    const { page, problems } = await openPage(browser, new URL(`?v=-&m=-&n=2&a=outside&c=${cloud}&rg=${region}`, international.url).href);
    await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
    assert.equal(
      await page.getByTestId('proxy-status').locator(`li[data-cloud=${cloud}]`).textContent(),
      `${name}: credentials configured · International site — USD`,
    );
    const table = page.getByTestId('ranked-table');
    await cloudRows(table, cloud).first().waitFor();
    await cloudRows(table, cloud).first().getByRole('button', { name: /^Choose/ }).click();
    await page.getByRole('heading', { name: new RegExp(`^Bid: ${name}`) }).waitFor();
    // The proxy's credentials decide the site: shown, with where it was set, and not editable.
    const site = page.getByLabel('Account site (the bid\'s currency)');
    assert.equal(await site.inputValue(), 'USD');
    assert.equal(await site.isDisabled(), true);
    assert.match(
      await page.getByTestId('account-site-source').textContent(),
      new RegExp(`Set by the proxy's credentials: environment variable SPOTPLAN_ACCOUNT_CURRENCY_${cloud.toUpperCase()}$`),
    );
    for (const [label, value] of Object.entries(fill)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByLabel('Set a maximum price').check();
    await page.getByRole('textbox', { name: 'Maximum price (CNY / hour)' }).fill('0.71286');
    // Both figures: typed in CNY, sent in the account's USD, with the rate that made it.
    const native = await page.getByTestId('bid-native').textContent();
    assert.ok(native.includes(`: ${sent}`), native);
    assert.match(native, /the account pays in USD; converted from CNY at 7\.1286 CNY per USD, 2024-10-24/);
    // A bid rounded up says from what, shortened to four places past the cloud's (a dollar hour is 28 digits of
    // Baidu's minute).
    if (!priced) assert.match(native, /rounded up from ≈0\.0016666667: Baidu AI Cloud BCC takes 6 decimal places/);
    if (priced) {
      // The catalog's prices are in CNY: validation compares the dollar bid with them converted, and says so.
      await page.locator('#problems-bid-max_price').getByText(
        /is above the pay-as-you-go price [\d.]+ USD per hour \(\d{4}-\d\d-\d\d; converted from [\d.]+ CNY at 7\.1286 CNY per USD/,
      ).waitFor();
      assert.equal(await page.locator('.bid-panel li.error').count(), 0, 'warnings only');
    } else {
      // Baidu's own reference gives bidPrice in RMB even in its international edition: the app says it sends USD.
      await page.locator('#problems-bid-max_price').getByText(/Baidu's spot API reference gives bidPrice "in RMB\/minute"/).waitFor();
      assert.equal(await page.locator('.bid-panel li.error').count(), 0, 'warnings only');
    }
    await screenshot(page, `sites-${cloud}-bid`);

    await page.getByRole('button', { name: 'Place order', exact: true }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('order-outcome').getByText('Result: succeeded').waitFor();
    // The order log: the order in USD, and the request the stand-in received carries the dollar figure.
    const log = await page.evaluate(async () => (await fetch('/api/v1/orders')).json());
    const placed = log.orders.find((order) => order.cloud === cloud && order.status === 'succeeded');
    assert.ok(placed, JSON.stringify(log).slice(0, 400));
    assert.equal(placed.order.account_currency, 'USD');
    assert.equal(placed.order.bid.max_price, wire);
    const request = JSON.stringify(placed.request);
    assert.ok(request.includes(wire), request);
    assert.ok(!request.includes('0.7129') && !request.includes('0.713'), `no CNY figure in ${request}`);
    assert.deepEqual(problems, []);
  });
}

test('without credentials the person chooses the site, and the URL keeps the choice', async () => {
  const { page, problems } = await openPage(browser, new URL('?v=-&m=-&n=2&a=outside&c=tencent&rg=ap-singapore', planning.url).href);
  const table = page.getByTestId('ranked-table');
  await cloudRows(table, 'tencent').first().waitFor();
  await cloudRows(table, 'tencent').first().getByRole('button', { name: /^Choose/ }).click();
  const site = page.getByLabel('Account site (the bid\'s currency)');
  assert.equal(await site.inputValue(), 'CNY', 'the China site is the default');
  assert.equal(await site.isDisabled(), false);
  await page.getByLabel('Set a maximum price').check();
  await page.getByRole('textbox', { name: 'Maximum price (CNY / hour)' }).fill('0.71286');
  assert.match(await page.getByTestId('bid-native').textContent(), /: 0\.7129 CNY\/hour/);
  await site.selectOption('USD');
  await page.getByTestId('bid-native').getByText(/: 0\.1 USD\/hour/).waitFor();
  await page.waitForFunction(() => window.location.search.includes('acct=tencent:USD'));
  // The request snippet carries the dollar figure.
  assert.match(await page.getByTestId('snippet').textContent(), /"MaxPrice":\s*"0\.1"/);
  await page.reload();
  await cloudRows(page.getByTestId('ranked-table'), 'tencent').first().waitFor();
  await page.getByRole('heading', { name: /^Bid: Tencent Cloud CVM/ }).waitFor();
  assert.equal(await page.getByLabel('Account site (the bid\'s currency)').inputValue(), 'USD');
  await screenshot(page, 'sites-chosen');
  assert.deepEqual(problems, []);
});
