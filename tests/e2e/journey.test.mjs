// The journey of a new user, end to end against the real proxy with its endpoints on local stand-ins for the
// three clouds: state a need, compare, choose an offer, tune the bid, fix what validation says, copy the tccli
// command, dry-run and place an Alibaba order, see it in the orders page — in English and in Chinese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, standinsFor, launchBrowser, openPage, screenshot, findOfferRow, rowCells, cloudRows } from './harness.mjs';

const KEYS = {
  alibaba: ['LTAI5tE2eAccessKey01', 'AlibabaE2eSecret-9d8c7b6a5f4e'],
  tencent: ['AKIDE2eSecretId00001', 'TencentE2eSecret-1a2b3c4d5e6f'],
  baidu: ['bcee2e0123456789abcdef0123456789', 'BaiduE2eSecret-0f9e8d7c6b5a4'],
};

let browser;
let proxy;
const standins = [];
before(async () => {
  browser = await launchBrowser();
  const clouds = await standinsFor(KEYS, 'journey');
  standins.push(...clouds.standins);
  proxy = await startProxy({ env: clouds.env });
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  for (const standin of standins) standin.stop();
});

test('compare, bid, copy tccli, dry-run and place an Alibaba order, see it in the log', async () => {
  const { page, problems, context } = await openPage(browser, proxy.url);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: proxy.url });
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr').first().waitFor();
  await screenshot(page, 'journey-1-compare');

  // Tencent: show only Tencent, choose the best row, copy its tccli command.
  await page.getByRole('checkbox', { name: 'Alibaba Cloud ECS' }).uncheck();
  await page.getByRole('checkbox', { name: 'Baidu AI Cloud BCC' }).uncheck();
  await cloudRows(table, 'tencent').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByRole('heading', { name: /^Bid: Tencent Cloud CVM/ }).waitFor();
  // The core's problems appear beside their fields, with the cloud error they prevent.
  await page.locator('#problems-image_id').getByText('an image id is required [MissingParameter]').waitFor();
  await page.getByLabel('Image id').fill('img-487zeit5');
  await page.getByRole('tab', { name: 'CLI' }).click();
  const snippet = page.getByTestId('snippet');
  assert.match(await snippet.textContent(), /^tccli cvm RunInstances --cli-unfold-argument/);
  await page.getByTestId('copy-snippet').click();
  await page.getByTestId('copy-snippet').getByText('Copied').waitFor();
  const clipboard = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(clipboard, /--InstanceChargeType SPOTPAID/);
  await screenshot(page, 'journey-2-tccli');

  // Alibaba: show Alibaba again, choose, see the bid rules at work, fill the launch details, dry run, then place.
  await page.getByRole('checkbox', { name: 'Alibaba Cloud ECS' }).check();
  await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS/ }).waitFor();
  await page.getByLabel('Set a maximum price').check();
  // A typed bid is converted to Alibaba's unit and rounded up to its 3 decimals, never down.
  await page.getByRole('textbox', { name: /^Maximum price/ }).fill('0.1234');
  assert.match(await page.getByTestId('bid-native').textContent(), /0\.124 CNY\/hour/);
  await page.getByRole('textbox', { name: /^Maximum price/ }).fill('abc');
  // Text that is not a price is refused beside the field, naming what was typed, before any cloud rule runs.
  await page.getByTestId('bid-entry-error').getByText('`abc` is not a plain decimal price such as 0.125 (digits and one point, no sign or exponent)').waitFor();
  assert.equal(await page.getByRole('textbox', { name: /^Maximum price/ }).getAttribute('aria-invalid'), 'true');
  await page.getByRole('textbox', { name: /^Maximum price/ }).fill('0.2');
  assert.match(await page.getByTestId('bid-native').textContent(), /0\.2 CNY\/hour/);
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
  await page.getByLabel('Key pair').fill('batch-workers');
  await page.getByTestId('order-valid').waitFor();
  await screenshot(page, 'journey-3-bid');

  await page.getByRole('button', { name: 'Dry run' }).click();
  assert.match(await page.getByTestId('max-cost').textContent(), /¥2\.00 \/ hour · ¥144\.00 for 72 h/);
  assert.equal(await page.getByTestId('max-cost-scope').textContent(), "The instances' price only: disks and bandwidth are billed apart.");
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('order-outcome').getByText('Result: dry run passed').waitFor();
  assert.equal(await page.getByTestId('replayed-note').count(), 0, 'a first answer is not a replay');
  // The same dry run again is answered from the log, and says so.
  await page.getByRole('button', { name: 'Dry run' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('replayed-note').waitFor();

  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('order-outcome').getByText('Result: succeeded').waitFor();
  const ids = await page.getByTestId('instance-ids').textContent();
  // The stand-in's first order (the dry run created nothing): one id per instance of the default count of 10.
  const expectedIds = Array.from({ length: 10 }, (_, index) => `i-standin0001${String(index).padStart(3, '0')}`);
  assert.equal(ids, expectedIds.join(', '));
  // A placed order is spent: placing again is disabled until a new order (a new idempotency key) is started.
  await page.getByTestId('placed-note').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Place order', exact: true }).isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Dry run' }).isDisabled(), true);
  await screenshot(page, 'journey-4-placed');
  await page.getByTestId('new-order').click();
  assert.equal(await page.getByRole('button', { name: 'Place order', exact: true }).isDisabled(), false);
  assert.equal(await page.getByTestId('order-outcome').count(), 0);

  await page.getByRole('button', { name: 'Orders' }).click();
  const orders = page.getByTestId('orders-table');
  await orders.waitFor();
  const log = await orders.textContent();
  assert.match(log, /succeeded/);
  // A passed dry run says so once: its status is not labelled a dry run again.
  assert.match(log, /dry run passed/);
  assert.doesNotMatch(log, /\(dry run\)/);
  // Newest first: when, status, cloud, zone, type, count, bid and the most it costs per hour; ids behind a count.
  const placed = await orders.locator('tbody tr').first().locator('td').allTextContents();
  assert.match(placed[0], /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.deepEqual(placed.slice(1, 3), ['succeeded', 'Alibaba Cloud ECS']);
  assert.equal(placed[5], '10');
  assert.equal(placed[6], '≤ 0.2 CNY/hour');
  assert.equal(placed[7], '¥2.00');
  assert.match(placed[8], /^10 × instances/);
  assert.equal(await orders.getByTestId('order-instance-ids').first().isVisible(), false, 'ids collapsed');
  await orders.locator('tbody tr').first().locator('summary').click();
  assert.equal(await orders.getByTestId('order-instance-ids').first().textContent(), ids);
  await screenshot(page, 'journey-5-orders');
  assert.deepEqual(problems, []);
});

test('the whole journey in Chinese on a 390 px phone: compare, copy tccli, dry-run, place, see the log', async () => {
  const { page, problems, context } = await openPage(browser, proxy.url, { viewport: { width: 390, height: 844 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: proxy.url });
  await page.getByLabel('Language').selectOption('zh');
  await page.getByRole('heading', { name: '比较竞价实例报价' }).waitFor();
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  assert.match(await page.getByTestId('plan-summary').textContent(), /单位 CNY\/小时；汇率 1 USD = [\d.]+ CNY/);
  for (const english of ['Prices per instance', 'Catalog decoded', 'expected spot cost', 'price data from', 'none stated']) {
    assert.ok(!(await page.locator('body').textContent()).includes(english), `no English "${english}" in the Chinese UI`);
  }
  // The price sources are credited in Chinese, each with its link and licence.
  const credits = await page.getByTestId('attribution').locator('li').allTextContents();
  assert.equal(credits.length, 4);
  assert.ok(
    credits.includes('阿里云价格数据来自 cloudpilot-ai/priceserver（Apache-2.0） — https://github.com/cloudpilot-ai/priceserver (2024-10-09, Apache-2.0)'),
    credits.join('\n'),
  );
  assert.ok(credits.some((line) => line.startsWith('腾讯云 CVM 2022-05-20 的刊例价') && line.endsWith('未声明许可（价格属于事实；已注明来源）)')), credits.join('\n'));
  // Units and cloud names read in Chinese too.
  assert.deepEqual(await page.locator('select:has(option[value=minute]) option').allTextContents(), ['分钟', '小时', '天', '月']);
  assert.match(await page.getByTestId('price-ages').textContent(), /阿里云 ECS竞价价格来自 2024-10-09/);
  // The page fits the phone: the table scrolls inside its section.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 400), 'no horizontal page scroll');

  await page.getByLabel('阿里云 ECS').uncheck();
  await page.getByLabel('百度智能云 BCC').uncheck();
  await cloudRows(table, 'tencent').first().getByRole('button', { name: /^选择/ }).click();
  await page.locator('#problems-image_id').getByText('必须指定镜像 ID [MissingParameter]').waitFor();
  // Why the bid advice is unknown reads in Chinese too (the core gives its reasons in English).
  assert.match(await page.getByTestId('bid-advice').textContent(), /^推荐：未知 — 只有 \d+ 次价格观测/);
  await page.getByLabel('镜像 ID').fill('img-487zeit5');
  await page.getByRole('tab', { name: 'CLI' }).click();
  await page.getByTestId('copy-snippet').click();
  await page.getByTestId('copy-snippet').getByText('已复制').waitFor();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /^tccli cvm RunInstances --cli-unfold-argument/);
  await screenshot(page, 'journey-zh-1-tccli');

  await page.getByLabel('阿里云 ECS').check();
  await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^选择/ }).click();
  await page.getByRole('heading', { name: /^出价: 阿里云 ECS / }).waitFor();
  await page.getByLabel('设置最高价格').check();
  await page.getByRole('textbox', { name: /^最高价格/ }).fill('abc');
  await page.getByTestId('bid-entry-error').getByText('“abc”不是价格：请输入不带符号的小数，例如 0.125').waitFor();
  await page.getByRole('textbox', { name: /^最高价格/ }).fill('0.2');
  await page.getByLabel('镜像 ID').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByLabel('子网 / 交换机 ID').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('安全组 ID').fill('sg-bp15ed6xe1yxeycg7o3n');
  await page.getByLabel('密钥对').fill('batch-workers');
  await page.getByText('订单符合该云厂商的全部已知规则。').waitFor();
  await page.getByRole('button', { name: '预检' }).click();
  assert.match(await page.getByTestId('max-cost').textContent(), /¥2\.00 \/ 小时 · ¥144\.00 共 72 小时/);
  await page.getByRole('button', { name: '确认' }).click();
  await page.getByTestId('order-outcome').getByText('结果: 预检通过').waitFor();
  await page.getByRole('button', { name: '提交订单', exact: true }).click();
  await page.getByRole('button', { name: '确认' }).click();
  await page.getByTestId('order-outcome').getByText('结果: 成功').waitFor();
  await page.getByText(/^实例 ID/).waitFor();
  await screenshot(page, 'journey-zh-2-placed');
  await page.getByRole('button', { name: '订单', exact: true }).click();
  await page.getByRole('heading', { name: '订单记录' }).waitFor();
  assert.equal(await page.getByTestId('orders-table').locator('tbody tr').first().locator('td.status').textContent(), '成功');
  // On the phone the newest order's status is in view without scrolling the table.
  const status = await page.getByTestId('orders-table').locator('tbody tr').first().locator('td.status').boundingBox();
  assert.ok(status.x >= 0 && status.x + status.width <= 390, `status at x ${status.x}`);
  await screenshot(page, 'journey-zh-3-orders');
  // Reloaded, the page comes back in Chinese and says so to the browser (screen readers, fonts).
  await page.reload();
  await page.getByRole('heading', { name: '订单记录' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.deepEqual(problems, []);
});

test('keyboard only: reach the table, choose an offer and type launch details, with visible focus', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  const choose = table.locator('tbody tr:not([aria-hidden])').first().getByRole('button', { name: /^Choose/ });
  let reached = false;
  for (let presses = 0; presses < 80 && !reached; presses += 1) {
    await page.keyboard.press('Tab');
    reached = await choose.evaluate((button) => button === document.activeElement);
  }
  assert.ok(reached, 'Tab reaches the first Choose button');
  const outline = await choose.evaluate((button) => getComputedStyle(button).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  const heading = page.getByRole('heading', { name: /^Bid: / });
  await heading.waitFor();
  // Choosing moves focus to the chosen offer's bid (far below the table), and marks the chosen row.
  await page.waitForFunction(() => document.activeElement?.id === 'bid-heading');
  assert.ok(await heading.evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.top < window.innerHeight;
  }), 'the bid heading is in view');
  assert.equal(await table.locator('tbody tr.chosen').count(), 1);
  assert.equal(await table.locator('tbody tr.chosen').getByRole('button', { name: /^Choose/ }).getAttribute('aria-pressed'), 'true');
  await page.getByLabel('Image id').focus();
  await page.keyboard.type('img-keyboard');
  assert.equal(await page.getByLabel('Image id').inputValue(), 'img-keyboard');
  assert.deepEqual(problems, []);
});

test('refresh live prices for the shortlist: merged, newest wins, provenance and age shown', async () => {
  // Every cloud's shortlist: Tencent's price query needs an image; with Tencent's credentials the proxy lists its
  // default public image, which the quotes use until another is typed (the reasons an offer was not quoted, said
  // once per reason, are the live_prices unit test's).
  const all = await openPage(browser, proxy.url);
  await all.page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  await all.page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
  await all.page.waitForFunction(() => document.querySelector('[data-testid=quote-image-tencent]')?.placeholder.startsWith('img-487zeit5'));
  await all.page.getByRole('button', { name: 'Refresh live prices for the shortlist' }).click();
  await all.page.getByTestId('live-status').getByText(/live prices merged/).waitFor();
  await all.page.waitForFunction(() => !document.querySelector('[data-testid=live-status]')?.textContent.includes('tencent'));
  assert.deepEqual(all.problems, []);

  // Alibaba alone, narrowed to one zone, so the offer the test follows is the one quoted.
  const { page, problems } = await openPage(browser, new URL('?c=alibaba', proxy.url).href);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  // The stand-in quotes per zone: take the best zone-level offer's zone, then the best offer in that zone (the
  // head of the shortlist). After the refresh its new price may rank it anywhere, so it is found by zone and
  // type, not by where it stands.
  const { cells: { place: zone } } = await findOfferRow(page, (cells) => !cells.place.includes('(region)'), 'with a zone');
  await page.getByLabel('Regions or zones (ids, comma-separated; empty = all)').fill(zone);
  await page.waitForFunction(
    (zone) => [...document.querySelectorAll('[data-testid=ranked-table] tbody tr:not([aria-hidden]) td[data-col=place]')]
      .every((cell) => cell.textContent === zone),
    zone,
  );
  const head = await rowCells(table.locator('tbody tr:not([aria-hidden])').first());
  const type = head.instance_type;
  assert.equal(head.place, zone);
  assert.match(head.price_age, /^2024-10-09 · \d+ d · stale$/);
  assert.match(head.titles.price_age, /observed 2024-10-09/);
  // Today's date before and after the fetch: a run that crosses midnight UTC sees either.
  const dayBefore = new Date().toISOString().slice(0, 10);
  await page.getByRole('button', { name: 'Refresh live prices for the shortlist' }).click();
  const status = page.getByTestId('live-status');
  await status.getByText(/live prices merged \(newest wins\), fetched \d\d:\d\d UTC, 0 min ago/).waitFor();
  // The stand-in's history ends where the window the proxy asked for ends (now): the quoted offer carries
  // today's live price, with its source.
  const today = `(?:${dayBefore}|${new Date().toISOString().slice(0, 10)})`;
  const live = await findOfferRow(page, (cells) => cells.place === zone && cells.instance_type === type, `${type} in ${zone}`);
  assert.equal(live.cells.spot, '¥0.0500');
  assert.match(live.cells.price_age, new RegExp(`^${today} · 0 d$`));
  assert.match(live.cells.titles.price_age, new RegExp(`observed ${today}`));
  await screenshot(page, 'journey-6-live-prices');
  // The live answer is credited with the published sources, and a Chinese page words it in Chinese.
  const credits = () => page.getByTestId('attribution').locator('li').allTextContents();
  const english = await credits();
  assert.ok(english.some((line) => line.startsWith('Alibaba Cloud ECS DescribeSpotPriceHistory answered your account at ')), english.join('\n'));
  await page.getByLabel('Language').selectOption('zh');
  await page.getByRole('heading', { name: '比较竞价实例报价' }).waitFor();
  const chinese = await credits();
  assert.ok(
    chinese.some((line) => /^阿里云 ECS DescribeSpotPriceHistory 于 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 通过代理回答了你的账户；[^—]*抢占式实例价格[^—]* — \S+ \(\d{4}-\d\d-\d\d, 未声明许可（来自云 API 对你账户的回答）\)$/.test(line)),
    chinese.join('\n'),
  );
  assert.ok(!chinese.join('\n').includes('answered your account'), chinese.join('\n'));
  assert.deepEqual(problems, []);
});

test('live prices on an idle page age by themselves and turn stale after 30 minutes', async () => {
  const { page, problems } = await openPage(browser, proxy.url, { fakeClock: true });
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  await page.getByTestId('ranked-table').locator('tbody tr').first().waitFor();
  await page.getByRole('button', { name: 'Refresh live prices for the shortlist' }).click();
  const status = page.getByTestId('live-status');
  await status.getByText(/, 0 min ago\./).waitFor();
  await page.clock.fastForward('05:00');
  await status.getByText(/, 5 min ago\./).waitFor();
  assert.doesNotMatch(await status.textContent(), /stale/);
  await page.clock.fastForward('26:00');
  await status.getByText(/, 31 min ago — stale: refresh\./).waitFor();
  assert.equal(await status.getAttribute('class'), 'warning');
  assert.deepEqual(problems, []);
});

test('a bid typed in USD per minute reaches Baidu in CNY per minute; tags, data disks and user data reach the request', async () => {
  // Baidu's catalog has 2 vCPU / 8 GiB shapes (no public Baidu price exists, so the bid is typed by hand).
  const { page, problems } = await openPage(browser, new URL('?v=2-2&m=8-8', proxy.url).href);
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr').first().waitFor();
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByLabel('CNY per USD').fill('7');
  await page.getByLabel('Price per').selectOption('minute');
  await page.getByRole('checkbox', { name: 'Alibaba Cloud ECS' }).uncheck();
  await page.getByRole('checkbox', { name: 'Tencent Cloud CVM' }).uncheck();
  await cloudRows(table, 'baidu').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByRole('heading', { name: /^Bid: Baidu AI Cloud BCC/ }).waitFor();
  await page.getByLabel('Set a maximum price').check();
  const maxPrice = page.getByRole('textbox', { name: 'Maximum price (USD / minute)' });
  await maxPrice.fill('0.001');
  // 0.001 USD a minute at 7 CNY per USD is 0.007 CNY a minute, Baidu's own unit, with the rate that made it.
  assert.match(await page.getByTestId('bid-native').textContent(), /: 0\.007 CNY\/minute \(the account pays in CNY; converted from USD at 7 CNY per USD, /);
  // A new exchange rate re-prices the typed USD bid: 0.001 USD at 8 CNY per USD is 0.008 CNY.
  await page.getByLabel('CNY per USD').fill('8');
  await page.getByTestId('bid-native').getByText(/: 0\.008 CNY\/minute \(the account pays in CNY; converted from USD at 8 CNY per USD, /).waitFor();
  await page.getByLabel('CNY per USD').fill('7');
  await page.getByTestId('bid-native').getByText(/: 0\.007 CNY\/minute \(the account pays in CNY; converted from USD at 7 CNY per USD, /).waitFor();
  // Market and back: the cloud gets the same native price again.
  await page.getByLabel('Follow the market price (up to on-demand)').check();
  await page.getByLabel('Set a maximum price').check();
  assert.match(await page.getByTestId('bid-native').textContent(), /: 0\.007 CNY\/minute \(the account pays in CNY; converted from USD at 7 CNY per USD, /);
  // Shown per hour, the same bid reads 0.06 USD.
  await page.getByLabel('Price per').selectOption('hour');
  assert.equal(await page.getByRole('textbox', { name: 'Maximum price (USD / hour)' }).inputValue(), '0.06');
  assert.match(await page.getByTestId('bid-native').textContent(), /: 0\.007 CNY\/minute \(the account pays in CNY; converted from USD at 7 CNY per USD, /);

  // Tencent: tags, data disks and user data, each checked beside its field, then in the request.
  await page.getByRole('checkbox', { name: 'Tencent Cloud CVM' }).check();
  await page.getByRole('checkbox', { name: 'Baidu AI Cloud BCC' }).uncheck();
  await cloudRows(table, 'tencent').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByRole('heading', { name: /^Bid: Tencent Cloud CVM/ }).waitFor();
  await page.getByLabel('Image id').fill('img-487zeit5');
  await page.getByLabel('Tags (key=value, comma-separated)').pressSequentially('env=prod, =ml');
  await page.locator('#problems-tags').getByText('tag 2 has an empty key [InvalidTagKey.Malformed]').waitFor();
  await page.getByLabel('Tags (key=value, comma-separated)').fill('env=prod, team=ml');
  await page.getByLabel('Data disks (GiB each, comma-separated)').fill('100, big');
  await page.locator('#problems-data_disks').getByText('data disk 2 “big” is not a whole number of GB').waitFor();
  await page.getByLabel('Data disks (GiB each, comma-separated)').fill('100, 200');
  await page.getByLabel('User data (Base64)').fill('echo hi');
  await page.locator('#problems-user_data').getByText(/must be standard Base64.*\[InvalidUserData\.Malformed\]/).waitFor();
  await page.getByLabel('User data (Base64)').fill('ZWNobyBoaQ==');
  assert.equal(await page.locator('#problems-user_data').count(), 0);
  const request = await page.getByTestId('snippet').textContent();
  assert.match(request, /"TagSpecification":\s*\[\s*\{\s*"ResourceType":\s*"instance",\s*"Tags":\s*\[\s*\{\s*"Key":\s*"env",\s*"Value":\s*"prod"/);
  assert.match(request, /"DataDisks":\s*\[\s*\{[^\]]*"DiskSize":\s*100[^\]]*\},\s*\{[^\]]*"DiskSize":\s*200/);
  assert.match(request, /"UserData":\s*"ZWNobyBoaQ=="/);
  await screenshot(page, 'journey-launch-details');
  assert.deepEqual(problems, []);
});

/// A page with the best Alibaba offer chosen and its launch details filled but the image: the page and what it logged.
async function alibabaDraft() {
  const { page, problems } = await openPage(browser, proxy.url);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr').first().waitFor();
  await page.getByRole('checkbox', { name: 'Tencent Cloud CVM' }).uncheck();
  await page.getByRole('checkbox', { name: 'Baidu AI Cloud BCC' }).uncheck();
  await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS/ }).waitFor();
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
  await page.getByLabel('Key pair').fill('batch-workers');
  return { page, problems };
}

test('a cloud error comes back with the proxy hint; a send that never arrived is retried with the same idempotency key', async () => {
  const { page, problems } = await alibabaDraft();

  // The first send never reaches the proxy (the network drops it); the retry carries the same key.
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByTestId('order-valid').waitFor();
  const keys = [];
  let dropped = false;
  await page.route('**/api/v1/orders', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    if (!dropped) { dropped = true; return route.abort('connectionreset'); }
    return route.continue();
  });
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('order-outcome').getByText('Result: succeeded').waitFor();
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], `same key on retry: ${keys.join(' / ')}`);

  // A changed order is a new order with a new key; the cloud's stock error comes back with the proxy's hint.
  await page.getByLabel('Image id').fill('aliyun_3_x64_nostock.vhd');
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  const outcome = page.getByTestId('order-outcome');
  await outcome.getByText('Result: failed').waitFor();
  await outcome.getByText(/^OperationDenied\.NoStock: /).waitFor();
  assert.equal(
    await outcome.locator('.hint').textContent(),
    'no spot stock for this type in this zone: try another zone or a similar type',
  );
  assert.equal(keys.length, 3);
  assert.notEqual(keys[2], keys[0]);
  // A refusal is final under its key (a retry would only replay it): a new order, not Place again.
  await page.getByTestId('new-order').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Place order', exact: true }).isDisabled(), true);
  await screenshot(page, 'journey-cloud-error');

  // The cloud creates the order but a gateway hides its answer: unknown. The orders page looks it up by its tag.
  await page.getByTestId('new-order').or(page.getByLabel('Image id')).first().waitFor();
  await page.getByLabel('Image id').fill('aliyun_3_x64_gateway502.vhd');
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await outcome.getByText('Result: unknown').waitFor();
  await page.getByRole('button', { name: 'Orders' }).click();
  const unknownRow = page.getByTestId('orders-table').locator('tbody tr').first();
  assert.match(await unknownRow.locator('td.status').textContent(), /^unknown/);
  // What a person sees before looking it up, on a wide screen and on a phone (no sideways page scroll there).
  await page.setViewportSize({ width: 1440, height: 900 });
  await screenshot(page, 'orders-unknown-1440');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 390), 'no sideways page scroll');
  const button = await unknownRow.getByTestId('lookup-order').boundingBox();
  assert.ok(button && button.x >= 0 && button.x + button.width <= 390, `the lookup button is in view on a phone: ${JSON.stringify(button)}`);
  // So is what to do about it: the hint that keeps a person from placing the order anew sits beside the status.
  const hint = unknownRow.locator('td.status .order-hint');
  assert.match(await hint.textContent(), /never place it anew|may exist/);
  const hintBox = await hint.boundingBox();
  assert.ok(hintBox && hintBox.x >= 0 && hintBox.x + hintBox.width <= 390, `the hint is in view on a phone: ${JSON.stringify(hintBox)}`);
  await screenshot(page, 'orders-unknown-390');
  await page.setViewportSize({ width: 1440, height: 900 });
  await unknownRow.getByTestId('lookup-order').click();
  const said = page.getByTestId('lookup-said');
  await said.getByText("Instances found at the cloud by the order's tag: 10").waitFor();
  await page.getByTestId('orders-table').locator('tbody tr').first().locator('td.status').getByText('succeeded').waitFor();
  assert.equal(await page.getByTestId('lookup-order').count(), 0, 'nothing left to look up');
  await screenshot(page, 'journey-lookup');
  assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_RESET|Failed to load resource/.test(p)), []);
});

test('an order still being sent when the draft changes is named as the earlier order; its answer never lands on the new draft', async () => {
  const { page, problems } = await alibabaDraft();
  // The stand-in answers an image with `slow` in its name after 5 s.
  await page.getByLabel('Image id').fill('aliyun_3_x64_slow.vhd');
  await page.getByTestId('order-valid').waitFor();
  const keys = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/v1/orders')) keys.push(request.headers()['idempotency-key']);
  });
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.submit-panel .progress').waitFor();
  // The draft changes while the order is on its way: a new draft, and a note that the first order may exist.
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  const note = page.getByTestId('earlier-order');
  await note.getByText(`An order sent under key ${keys[0]} was still being sent when you changed the draft`, { exact: false }).waitFor();
  // Its answer lands on the note, never on the new draft (whose "Place order" would be a second order, said so).
  await note.getByText(`The earlier order sent under key ${keys[0]} came back: succeeded`, { exact: false }).waitFor({ timeout: 20000 });
  assert.equal(await page.getByTestId('order-outcome').count(), 0, 'no outcome shown for the new draft');
  assert.equal(await page.getByRole('button', { name: 'Place order', exact: true }).isDisabled(), false);
  assert.equal(keys.length, 1, 'nothing else was sent');
  await page.setViewportSize({ width: 1440, height: 900 });
  await screenshot(page, 'journey-earlier-order-1440');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth <= 390), 'no sideways page scroll');
  await screenshot(page, 'journey-earlier-order-390');
  assert.deepEqual(problems, []);
});

test('an unknown order stays named after the dialog is opened and cancelled, and a reload names it after a later order settled', async () => {
  const { page, problems } = await alibabaDraft();
  const keys = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/v1/orders')) keys.push(request.headers()['idempotency-key']);
  });
  // The cloud creates the order but a gateway hides its answer: unknown.
  await page.getByLabel('Image id').fill('aliyun_3_x64_gateway502.vhd');
  await page.getByTestId('order-valid').waitFor();
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  const outcome = page.getByTestId('order-outcome');
  await outcome.getByText('Result: unknown').waitFor();
  // The resend dialog opened and cancelled, then the draft changed: the unknown order is still named (it used to
  // be forgotten, and Place was an unwarned second order).
  await page.getByRole('button', { name: /^Resend safely/ }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  const note = page.getByTestId('earlier-order');
  await note.getByText(`The earlier order sent under key ${keys[0]} came back: unknown`, { exact: false }).waitFor();
  // A second order placed and settled: a reload still names the first, whose outcome is unknown.
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await outcome.getByText('Result: succeeded').waitFor();
  assert.equal(keys.length, 2);
  assert.notEqual(keys[1], keys[0]);
  await page.reload();
  await page
    .getByTestId('earlier-order')
    .getByText(`An order sent under key ${keys[0]} had no known outcome when this page was reloaded`, { exact: false })
    .waitFor();
  assert.equal(await page.getByTestId('earlier-order').count(), 1, 'the settled second order is not named');
  assert.deepEqual(problems.filter((p) => !/ERR_ABORTED|Failed to load resource|net::/.test(p)), []);
});

test('a reload while an order is on its way keeps naming that order until the person dismisses the note', async () => {
  const { page, problems } = await alibabaDraft();
  await page.getByLabel('Image id').fill('aliyun_3_x64_slow_reload.vhd');
  await page.getByTestId('order-valid').waitFor();
  let key;
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/api/v1/orders')) key = request.headers()['idempotency-key'];
  });
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.submit-panel .progress').waitFor();
  // Reloaded before the answer: the page still names the order that may exist.
  await page.reload();
  const note = page.getByTestId('earlier-order');
  await note.getByText(`An order sent under key ${key} had no known outcome when this page was reloaded`, { exact: false }).waitFor();
  await screenshot(page, 'journey-reload-earlier-order');
  await page.getByTestId('dismiss-earlier').click();
  assert.equal(await note.count(), 0);
  await page.reload();
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS/ }).waitFor();
  assert.equal(await page.getByTestId('earlier-order').count(), 0, 'dismissed: not named again');
  assert.deepEqual(problems.filter((p) => !/ERR_ABORTED|Failed to load resource|net::/.test(p)), []);
});
