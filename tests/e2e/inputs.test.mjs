// Inputs that do what you type: number fields that can be cleared and retyped, problems beside the field until
// the value is valid, an inverted range explained, recent plans that are settled plans, launch details kept over
// a reload (never the password), a tiny bid's rounding said out loud, a retry that repeats what was asked, and
// the gaps validation had (a tag without "=", a 10 GiB system disk, "!" in a host name).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin, launchBrowser, openPage, screenshot, cloudRows } from './harness.mjs';

const ALIBABA = ['LTAI5tE2eInputsKey01', 'AlibabaInputsSecret-5e4d3c2b1a'];
let browser;
let proxy;
let standin;
before(async () => {
  browser = await launchBrowser();
  standin = await startStandin('alibaba', ...ALIBABA);
  proxy = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: ALIBABA[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: ALIBABA[1],
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
      SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-inputs-')),
    },
  });
});
after(async () => { await browser?.close(); await proxy?.stop(); standin?.stop(); });

const query = (page, key) => page.evaluate((key) => new URLSearchParams(location.search).get(key), key);

test('number fields keep what is typed and name the problem until the value is valid', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
  const hours = page.getByRole('textbox', { name: /^Hours/ });
  // Cleared, the field stays empty (no snap to 1) and says what it needs; the plan keeps its last valid value.
  await hours.fill('');
  await page.getByText('Hours is needed: a number of hours above 0 and at most 87,600 (ten years)').waitFor();
  assert.equal(await hours.inputValue(), '');
  assert.equal(await hours.getAttribute('aria-invalid'), 'true');
  assert.equal(await query(page, 'h'), '72');
  await hours.pressSequentially('48');
  assert.equal(await hours.inputValue(), '48', 'not 148');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('h') === '48');
  assert.equal(await hours.getAttribute('aria-invalid'), 'false');
  // A negative vCPU count is named, with the value, and not applied.
  const from = page.getByRole('textbox', { name: /^vCPU from/ });
  await from.fill('-5');
  await page.getByText('vCPU from must be a whole number of 0 or more, or empty for no limit, not “-5”').waitFor();
  assert.equal(await from.inputValue(), '-5', 'not 15');
  assert.equal(await query(page, 'v'), '4-4');
  // 0 GPUs is "no GPU filter" in the plan; the 0 typed over a 2 stays in the field.
  const gpus = page.getByRole('textbox', { name: /^GPUs at least/ });
  await gpus.fill('2');
  await page.waitForURL(/[?&]g=2(&|$)/);
  await gpus.fill('0');
  await page.waitForURL((url) => !url.searchParams.has('g'));
  assert.equal(await gpus.inputValue(), '0');
  await gpus.fill('');
  // A space typed over the filter's text stays (the planner ignores it).
  const filter = page.getByTestId('offer-filter');
  await filter.fill('c7');
  await page.waitForURL(/[?&]q=c7(&|$)/);
  await filter.fill(' ');
  await page.waitForURL((url) => url.searchParams.get('q') === ' ');
  assert.equal(await filter.inputValue(), ' ');
  await filter.fill('');
  // An inverted range says why nothing matches.
  await from.fill('16');
  await page.getByRole('textbox', { name: /^vCPU to/ }).fill('8');
  await page.getByTestId('range-problem').getByText('vCPU from (16) is above vCPU to (8): no offer can match').waitFor();
  await screenshot(page, 'inputs-range');
  await page.getByRole('textbox', { name: /^vCPU to/ }).fill('32');
  await page.getByTestId('range-problem').waitFor({ state: 'detached' });
  // An exchange rate ten times the yuan's (72 for 7.2) is warned about beside the field, not refused.
  const rate = page.getByRole('textbox', { name: /^CNY per USD/ });
  await rate.fill('72');
  await page.getByTestId('fx-warning').getByText(/^⚠ 72 CNY per USD is far from the rates of the last decade/).waitFor();
  await rate.fill('7.2');
  await page.getByTestId('fx-warning').waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
});

test('recent plans record settled plans, not keystrokes', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
  await page.waitForTimeout(1_800);
  const hours = page.getByRole('textbox', { name: /^Hours/ });
  await hours.fill('');
  await hours.pressSequentially('48', { delay: 60 });
  await page.waitForTimeout(1_800);
  await page.getByRole('textbox', { name: /^Instances/ }).fill('5');
  await page.waitForTimeout(1_800);
  await page.reload();
  const recent = page.getByRole('navigation', { name: 'Recent plans' });
  await recent.waitFor();
  const labels = await recent.getByRole('link').allTextContents();
  assert.deepEqual(labels, ['4–4 vCPU · 8–8 GiB · ×10 · 48 h', '4–4 vCPU · 8–8 GiB · ×10 · 72 h']);
  assert.deepEqual(problems, []);
});

test('launch details survive a reload, the password never does; a tiny bid\'s rounding is said', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=alibaba', proxy.url).href);
  const table = page.getByTestId('ranked-table');
  await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Password').fill('Hunter2-Spot!');
  await page.getByLabel('Set a maximum price').check();
  await page.getByRole('textbox', { name: /^Maximum price/ }).fill('0.0001');
  await page.getByTestId('bid-native').getByText('Sent to the cloud as: 0.001 CNY/hour — rounded up from 0.0001: Alibaba Cloud ECS takes 3 decimal places').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS/ }).waitFor();
  await page.waitForFunction(() => document.getElementById('order-image')?.value === 'aliyun_3_x64_20G_alibase_20240819.vhd');
  assert.equal(await page.getByLabel('Subnet / vSwitch id').inputValue(), 'vsw-bp1s5fnvk4gn2tws03624');
  assert.equal(await page.getByLabel('Password').inputValue(), '');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.ok(!stored.includes('Hunter2'), 'the password is never stored');
  assert.deepEqual(problems, []);
});

test('a count typed as "1,000" holds Place: the plan would still order the 1 typed before the comma', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=alibaba&n=2', proxy.url).href);
  await cloudRows(page.getByTestId('ranked-table'), 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
  const place = page.getByRole('button', { name: 'Place order', exact: true });
  await page.getByTestId('order-valid').waitFor();
  assert.equal(await place.isDisabled(), false);
  const instances = page.getByRole('textbox', { name: /^Instances/ });
  await instances.fill('');
  await instances.pressSequentially('1,000');
  await page.getByTestId('order-problems')
    .getByText('Instances shows “1,000”, which the plan cannot use, so the plan is not what the page shows: fix it in the requirement form before placing')
    .waitFor();
  assert.equal(await query(page, 'n'), '1', 'the plan holds the 1 typed before the comma');
  assert.equal(await place.isDisabled(), true, 'Place would order 1 while the field shows 1,000');
  await instances.fill('3');
  await page.getByTestId('order-valid').waitFor();
  assert.equal(await place.isDisabled(), false);
  assert.equal(await query(page, 'n'), '3');
  // Text left unread when the page goes is kept, not lost: on return the field shows it again, named beside it,
  // and Place still waits for it.
  await instances.fill('x');
  await page.getByTestId('order-problems').getByText(/Instances shows “x”/).waitFor();
  await page.getByRole('button', { name: 'Orders', exact: true }).click();
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  const back = page.getByRole('textbox', { name: /^Instances/ });
  assert.equal(await back.inputValue(), 'x');
  assert.equal(await back.getAttribute('aria-invalid'), 'true');
  await page.getByTestId('order-problems').getByText(/Instances shows “x”/).waitFor();
  assert.equal(await place.isDisabled(), true);
  await back.fill('3');
  await page.getByTestId('order-valid').waitFor();
  assert.equal(await place.isDisabled(), false);
  assert.deepEqual(problems, []);
});

test('validation names a tag without "=", a system disk of 40.5 and of 10 GiB, and "!" in a host name', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=alibaba', proxy.url).href);
  await cloudRows(page.getByTestId('ranked-table'), 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByLabel('Tags (key=value, comma-separated)').fill('team=etl, nightly');
  await page.locator('#problems-tags').getByText('tag “nightly” has no “=”: write key=value (key= for an empty value)').waitFor();
  // Not a whole number: named beside the field, kept as typed, never taken for the cloud's default size.
  await page.getByLabel('System disk (GiB)').fill('40.5');
  await page.locator('#problems-system_disk-size_gb').getByText('system disk “40.5” is not a whole number of GB (leave it empty for the cloud\'s default size)').waitFor();
  assert.equal(await page.getByLabel('System disk (GiB)').inputValue(), '40.5');
  await page.getByLabel('System disk (GiB)').fill('10');
  await page.locator('#problems-system_disk-size_gb').getByText(/a 10 GiB system disk is accepted only as an ESSD at performance level PL0/).waitFor();
  // A data disk size that is not a whole number is named with what was typed (not "needs a size").
  await page.getByLabel('Data disks (GiB each, comma-separated)').fill('100, big');
  await page.locator('#problems-data_disks').getByText('data disk 2 “big” is not a whole number of GB').waitFor();
  assert.equal(await page.locator('#problems-data_disks').getByText(/needs a size/).count(), 0);
  await page.getByLabel('Data disks (GiB each, comma-separated)').fill('');
  // A zone typed over the chosen offer's: the figures shown are still the chosen zone's, and it says so.
  const zone = page.getByLabel('Zone', { exact: true });
  const chosenZone = await zone.inputValue();
  await zone.fill('cn-hangzhou-zz');
  await page.locator('#problems-zone').getByText(new RegExp(`^⚠ the prices, bid advice and cost shown are ${chosenZone}'s \\(the offer chosen\\), not cn-hangzhou-zz's`)).waitFor();
  await zone.fill(chosenZone);
  await page.locator('#problems-zone').getByText(/the offer chosen/).waitFor({ state: 'detached' });
  // A space typed key by key stays where it was typed (the order holds the name trimmed).
  await page.getByLabel('Instance name').pressSequentially('web server');
  assert.equal(await page.getByLabel('Instance name').inputValue(), 'web server');
  await page.getByLabel('Host name').fill('web!1');
  await page.locator('#problems-hostname').waitFor();
  assert.equal(await page.getByLabel('Host name').getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'inputs-validation');
  assert.deepEqual(problems, []);
});

test('after a refused dry run, Retry repeats the dry run, not a real order', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=alibaba', proxy.url).href);
  await cloudRows(page.getByTestId('ranked-table'), 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
  await page.getByTestId('order-valid').waitFor();
  // The proxy's answer is cut off on the way, as a dropped connection would: the browser never hears back.
  await page.route('**/api/v1/orders', (route) => route.abort('connectionreset'));
  await page.getByRole('button', { name: 'Dry run' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'Retry the dry run' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Dry run' }).waitFor();
  assert.equal(await dialog.getByRole('heading', { name: 'Place this order?' }).count(), 0);
  // Now through: the retried dry run passes at the stand-in, and no real order was placed.
  await page.unroute('**/api/v1/orders');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('order-outcome').getByText('Result: dry run passed').waitFor();
  assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_RESET|Failed to load resource/.test(p)), []);
});

test('an order the proxy refuses is named beside the field it names, until that field is edited', async () => {
  // A proxy whose per-order ceiling no order fits: the refusal names bid.max_price.
  const capped = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: ALIBABA[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: ALIBABA[1],
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
      SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-capped-')),
      SPOTPLAN_MAX_ORDER_PER_HOUR: '0.01 CNY',
    },
  });
  try {
    const { page, problems } = await openPage(browser, new URL('?c=alibaba', capped.url).href);
    await cloudRows(page.getByTestId('ranked-table'), 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
    await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
    await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
    await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
    await page.getByTestId('order-valid').waitFor();
    // (A dry run costs nothing, so no ceiling applies to it: a real order, which the stand-in would only record.)
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const beside = page.locator('#problems-bid-max_price');
    await beside.getByText(/\(10 × 0\.\d+ CNY\/hour, [a-z -]+\), above the ceiling of 0\.01 CNY per hour for one order \(SPOTPLAN_MAX_ORDER_PER_HOUR\); nothing was sent$/).waitFor();
    await screenshot(page, 'inputs-refused-beside-the-bid');
    // Choosing a maximum price, as it says: the refusal no longer describes the draft.
    await page.getByLabel('Set a maximum price').check();
    await page.locator('#bid-price').fill('0.0001');
    await page.getByText(/above the ceiling of 0\.01 CNY per hour for one order/).first().waitFor({ state: 'detached' });
    assert.equal(await page.getByText(/above the ceiling of 0\.01 CNY per hour for one order/).count(), 0);
    assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  } finally {
    await capped.stop();
  }
});

test('after Choose the request shows at once, with marked placeholders for the missing ids; placing waits', async () => {
  const { page, problems, context } = await openPage(browser, new URL('?c=alibaba', proxy.url).href);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: proxy.url });
  await cloudRows(page.getByTestId('ranked-table'), 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByTestId('placeholder-note').getByText('Still missing: <ImageId>, <VSwitchId>, <SecurityGroupId>.').waitFor();
  // Raw HTTP carries them percent-encoded in the query; the CLI as typed. Both are marked, and copied.
  const marks = async () => [...new Set(await page.getByTestId('snippet').locator('mark.placeholder').allTextContents())].sort();
  assert.deepEqual(await marks(), ['%3CImageId%3E', '%3CSecurityGroupId%3E', '%3CVSwitchId%3E']);
  await page.getByRole('tab', { name: 'CLI' }).click();
  assert.deepEqual(await marks(), ['<ImageId>', '<SecurityGroupId>', '<VSwitchId>']);
  await page.getByTestId('copy-snippet').click();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /--VSwitchId '?<VSwitchId>'?/);
  assert.equal(await page.getByRole('button', { name: 'Dry run' }).isDisabled(), true);
  // Typed ids replace their placeholders one by one.
  await page.getByLabel('Image id').fill('aliyun_3_x64_20G_alibase_20240819.vhd');
  await page.getByTestId('placeholder-note').getByText('Still missing: <VSwitchId>, <SecurityGroupId>.').waitFor();
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-bp1s5fnvk4gn2tws03624');
  await page.getByLabel('Security group id').fill('sg-bp15ed6xe1yxeycg7o3n');
  await page.getByTestId('placeholder-note').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('snippet').locator('mark.placeholder').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Dry run' }).isDisabled(), false);
  await screenshot(page, 'inputs-request-placeholders');
  assert.deepEqual(problems, []);
});

test('"cheapest safe" says what is known: price ages, why the risk field does nothing, each cloud\'s reason', async () => {
  const { page, problems } = await openPage(browser, new URL('?v=8-8&m=16-16&n=20&h=48&a=china', proxy.url).href);
  const table = page.getByTestId('ranked-table');
  await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
  // The embedded catalog's dates, with their age on the machine's today.
  const ages = await page.getByTestId('price-ages').textContent();
  assert.match(ages, /Alibaba spot prices from 2024-10-09, \d+ days old; Tencent list prices from \d{4}-\d\d-\d\d, \d+ days old \(spot estimated from them\)/);
  assert.match(ages, /refresh live prices for today's\.$/);
  await page.getByTestId('risk-note').getByText(/No matching offer has a price history yet, so the accepted risk changes nothing/).waitFor();
  // Each cloud's bid advice says why it is unknown, with the detail on hover.
  const advice = async (cloud) => table.locator(`tbody tr:has(td[data-col=cloud].${cloud}) td[data-col=bid_advice]`).first();
  // Not "refresh live" in the cell: this proxy holds no credentials, so it could not; the hover says what would.
  assert.equal(await (await advice('alibaba')).textContent(), 'no history');
  assert.match(await (await advice('alibaba')).getAttribute('title'), /live prices via a proxy with Alibaba credentials bring 30 days/);
  await page.getByTestId('offer-filter').fill('SA');
  await cloudRows(table, 'tencent').first().waitFor();
  assert.equal(await (await advice('tencent')).textContent(), 'reclaimed on stock, not price');
  assert.match(await (await advice('tencent')).getAttribute('title'), /capacity runs short, whatever the bid/);
  await page.getByTestId('offer-filter').fill('');
  // Baidu alone at 8 vCPU / 16 GiB matches, unpriced; at an odd size nothing does, and the page says what would.
  await page.getByRole('checkbox', { name: 'Alibaba Cloud ECS' }).uncheck();
  await page.getByRole('checkbox', { name: 'Tencent Cloud CVM' }).uncheck();
  await page.getByRole('textbox', { name: /^Memory from/ }).fill('15');
  await page.getByRole('textbox', { name: /^Memory to/ }).fill('15');
  await page.getByTestId('empty-explanation').getByText(/^Without the vCPU, memory and GPU limits these would match: \d+ Baidu AI Cloud BCC offers \(no published spot prices: they show unpriced, last\)\.$/).waitFor();
  await screenshot(page, 'inputs-known');
  assert.deepEqual(problems, []);
});
