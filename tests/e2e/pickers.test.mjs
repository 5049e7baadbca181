// From an offer to a request without knowing every id by heart: with the cloud's credentials in the proxy, the
// launch details offer the account's own images (and a default public image), VPCs, subnets of the offer's zone,
// the security groups of the chosen network and key pairs — listed through the real proxy from the stand-ins,
// which check each call's signature — and every id field stays typeable. Without credentials, the page says how
// to get the lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, standinsFor, launchBrowser, openPage, screenshot, cloudRows, rowCells } from './harness.mjs';

const KEYS = {
  alibaba: ['LTAI5tPickAccessKey01', 'AlibabaPickSecret-3e4r5t6y7u8i'],
  tencent: ['AKIDPickSecretId00001', 'TencentPickSecret-9o8i7u6y5t4r'],
  baidu: ['bcepick0123456789abcdef012345678', 'BaiduPickSecret-1q2w3e4r5t6y7'],
};

let browser;
let proxy;
let planningProxy;
let standins = [];
before(async () => {
  browser = await launchBrowser();
  const clouds = await standinsFor(KEYS, 'pickers');
  standins = clouds.standins;
  proxy = await startProxy({ env: clouds.env });
  planningProxy = await startProxy({ env: { SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-planning-')) } });
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  await planningProxy?.stop();
  for (const standin of standins) standin.stop();
});

/// The ids a field's suggestions offer.
const suggestions = (page, list) => page.locator(`#${list} option`).evaluateAll((options) => options.map((o) => o.value));

/// Opens the plan narrowed to one cloud and zone (and a shape, when given), and chooses its best offer.
async function chooseIn(page, url, cloud, zone, shape = '') {
  await page.goto(new URL(`?c=${cloud}&rg=${zone}${shape}`, url).href);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const table = page.getByTestId('ranked-table');
  await cloudRows(table, cloud).first().getByRole('button', { name: /^Choose/ }).click();
}

test('Alibaba: pick the default public image, a vSwitch of the offer\'s zone, its VPC\'s security group and a key pair', async () => {
  const { page, problems } = await openPage(browser, proxy.url, { viewport: { width: 1440, height: 900 } });
  await chooseIn(page, proxy.url, 'alibaba', 'cn-hangzhou-k');
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS .* cn-hangzhou-k/ }).waitFor();
  // The account's own image and the cloud's public ones; the default is the newest x86 Ubuntu LTS, not the ARM one.
  await page.getByTestId('picker-note-own_image').getByText('1 of your own and 5 public — type to search by name or id').waitFor();
  assert.deepEqual(await suggestions(page, 'pick-own_image'), [
    'm-standin-golden',
    'centos_7_9_x64_20G_alibase_20240628.vhd',
    'ubuntu_20_04_x64_20G_alibase_20240926.vhd',
    'ubuntu_22_04_arm64_20G_alibase_20240926.vhd',
    'ubuntu_22_04_x64_20G_alibase_20240926.vhd',
    'win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240920.vhd',
  ]);
  const useDefault = page.getByTestId('use-default-image');
  assert.equal(await useDefault.textContent(), 'Use ubuntu_22_04_x64_20G_alibase_20240926.vhd (default public image)');
  await useDefault.click();
  assert.equal(await page.getByLabel('Image id').inputValue(), 'ubuntu_22_04_x64_20G_alibase_20240926.vhd');
  await useDefault.waitFor({ state: 'detached' });
  // vSwitches of the offer's zone only (the stand-in has two in each of three zones), labelled with what tells
  // them apart.
  assert.deepEqual(await suggestions(page, 'pick-subnet'), ['vsw-ka', 'vsw-kb']);
  assert.equal(
    await page.locator('#pick-subnet option').first().getAttribute('label'),
    'web · 172.16.0.0/24 · cn-hangzhou-k · vpc-standina · default',
  );
  // Before a vSwitch is chosen every security group is offered; after, only those of its VPC.
  assert.deepEqual(await suggestions(page, 'pick-security_group'), ['sg-standina', 'sg-standinb']);
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-kb');
  await page.waitForFunction(() => document.querySelectorAll('#pick-security_group option').length === 1);
  assert.deepEqual(await suggestions(page, 'pick-security_group'), ['sg-standinb']);
  await page.getByLabel('Security group id').fill('sg-standinb');
  assert.deepEqual(await suggestions(page, 'pick-key_pair'), ['standin-key']);
  await page.getByLabel('Key pair').fill('standin-key');
  // The ids picked are in the exact request; an id typed by hand is taken as well.
  const request = page.getByTestId('snippet');
  await page.getByRole('tab', { name: 'HTTP' }).click();
  await page.waitForFunction(() => /VSwitchId=vsw-kb/.test(document.querySelector('[data-testid=snippet]')?.textContent ?? ''));
  const text = await request.textContent();
  assert.match(text, /ImageId=ubuntu_22_04_x64_20G_alibase_20240926\.vhd/);
  assert.match(text, /SecurityGroupId=sg-standinb/);
  assert.match(text, /KeyPairName=standin-key/);
  await page.getByLabel('Subnet / vSwitch id').fill('vsw-typed-by-hand');
  await page.waitForFunction(() => /VSwitchId=vsw-typed-by-hand/.test(document.querySelector('[data-testid=snippet]')?.textContent ?? ''));
  await screenshot(page, 'pickers-1440-alibaba');
  await page.locator('.launch-grid').screenshot({ path: `${process.env.SPOTPLAN_ARTIFACTS}/pickers-1440-launch-details.png` });
  // An offer in another zone of the region keeps the region's image but not zone k's vSwitch, and offers its own.
  await chooseIn(page, proxy.url, 'alibaba', 'cn-hangzhou-j');
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS .* cn-hangzhou-j/ }).waitFor();
  await page.waitForFunction(() => document.getElementById('order-image')?.value === 'ubuntu_22_04_x64_20G_alibase_20240926.vhd');
  assert.equal(await page.getByLabel('Subnet / vSwitch id').inputValue(), '');
  await page.waitForFunction(() => document.querySelectorAll('#pick-subnet option').length === 2);
  assert.deepEqual(await suggestions(page, 'pick-subnet'), ['vsw-ja', 'vsw-jb']);
  // Back in zone k, its vSwitch is there again.
  await chooseIn(page, proxy.url, 'alibaba', 'cn-hangzhou-k');
  await page.waitForFunction(() => document.getElementById('order-subnet')?.value === 'vsw-typed-by-hand');
  assert.deepEqual(problems, []);
});

test('Alibaba: a Windows image makes a Windows order — its rules, and its own market quoted beside the table, not into it', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  await chooseIn(page, proxy.url, 'alibaba', 'cn-hangzhou-k');
  await page.getByRole('heading', { name: /^Bid: Alibaba Cloud ECS .* cn-hangzhou-k/ }).waitFor();
  const os = page.getByLabel('Operating system');
  assert.equal(await os.inputValue(), 'linux');
  await page.getByLabel('Host name').fill('spotplan-windows');
  await page.getByLabel('Image id').fill('win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240920.vhd');
  // The listed image says it is Windows (its OSType): the order takes it, and Windows' 15-character host name
  // rule names the 16 typed.
  await page.waitForFunction(() => document.getElementById('order-os')?.value === 'windows');
  await page.locator('#problems-hostname').getByText(/15/).waitFor();
  // The live quote of the chosen offer in its own market (Windows, its licence included: the stand-in's 0.15) is
  // shown beside the bar; the table keeps the Linux market's price (0.05).
  await page.getByRole('button', { name: 'Refresh live prices for the shortlist' }).click();
  await page.getByTestId('live-status').getByText(/live prices merged/).waitFor();
  const chosen = await rowCells(page.getByTestId('ranked-table').locator('tbody tr.chosen'));
  assert.equal(chosen.spot, '¥0.0500', JSON.stringify(chosen));
  const ownMarket = await page.getByTestId('own-market').textContent();
  assert.match(ownMarket, /^ Your order's market, not merged into the table: alibaba \S+ \(Windows\): spot 0\.15 CNY\/hour, on-demand 0\.45 CNY\/hour$/);
  assert.ok(ownMarket.includes(`alibaba ${chosen.instance_type} (Windows)`), `${ownMarket} / ${chosen.instance_type}`);
  // Choosing Linux by hand holds, and the Windows rule goes.
  await os.selectOption('linux');
  await page.locator('#problems-hostname').waitFor({ state: 'detached' });
  assert.deepEqual(problems, []);
});

test('Tencent: a VPC narrows the subnets; security groups belong to no VPC; a zone without a subnet says so', async () => {
  const { page, problems } = await openPage(browser, proxy.url, { viewport: { width: 390, height: 844 } });
  await chooseIn(page, proxy.url, 'tencent', 'ap-guangzhou-3');
  await page.getByRole('heading', { name: /^Bid: Tencent Cloud CVM .* ap-guangzhou-3/ }).waitFor();
  await page.getByTestId('picker-note-vpc').getByText('2 from your account — type to search, or type an id').waitFor();
  assert.deepEqual(await suggestions(page, 'pick-vpc'), ['vpc-standa', 'vpc-standb']);
  assert.deepEqual(await suggestions(page, 'pick-subnet'), ['subnet-3a', 'subnet-3b']);
  await page.getByLabel('VPC id').fill('vpc-standb');
  await page.waitForFunction(() => document.querySelectorAll('#pick-subnet option').length === 1);
  assert.deepEqual(await suggestions(page, 'pick-subnet'), ['subnet-3b']);
  assert.deepEqual(await suggestions(page, 'pick-security_group'), ['sg-standina', 'sg-standinb']);
  assert.deepEqual(await suggestions(page, 'pick-key_pair'), ['skey-standin1']);
  await page.getByTestId('use-default-image').click();
  assert.equal(await page.getByLabel('Image id').inputValue(), 'img-487zeit5');
  await page.locator('.launch-grid').screenshot({ path: `${process.env.SPOTPLAN_ARTIFACTS}/pickers-390-launch-details.png` });
  // Another zone of the region, where the account has no subnet: the note says so instead of an empty list.
  await chooseIn(page, proxy.url, 'tencent', 'ap-guangzhou-7');
  await page.getByRole('heading', { name: /^Bid: Tencent Cloud CVM .* ap-guangzhou-7/ }).waitFor();
  await page.getByTestId('picker-note-subnet')
    .getByText(/^None of your account's 6 is in ap-guangzhou-7/)
    .waitFor();
  assert.deepEqual(problems, []);
});

test('Baidu: its key pairs are offered and the bid order carries the one picked as keypairId', async () => {
  const { page, problems } = await openPage(browser, proxy.url);
  // Baidu's catalog has 2 vCPU / 8 GiB shapes (unpriced: Baidu publishes no spot prices).
  await chooseIn(page, proxy.url, 'baidu', 'bj', '&v=2-2&m=8-8');
  await page.getByRole('heading', { name: /^Bid: Baidu AI Cloud BCC/ }).waitFor();
  await page.getByTestId('picker-note-key_pair').getByText('1 from your account — type to search, or type an id').waitFor();
  assert.deepEqual(await suggestions(page, 'pick-key_pair'), ['k-Standin01']);
  assert.equal(await page.locator('#pick-key_pair option').first().getAttribute('label'), 'standin-key');
  await page.getByLabel('Key pair').fill('k-Standin01');
  await page.getByRole('tab', { name: 'HTTP' }).click();
  await page.waitForFunction(() => /"keypairId":\s*"k-Standin01"/.test(document.querySelector('[data-testid=snippet]')?.textContent ?? ''));
  assert.deepEqual(problems, []);
});

test('a fleet across zones: each pool without a subnet offers the account\'s subnets of its zone, and a choice is remembered for the zone', async () => {
  const plan = '?v=4&m=8&h=48&c=alibaba&rg=cn-hangzhou-h,cn-hangzhou-j,cn-hangzhou-k#fleet';
  const { page, problems } = await openPage(browser, new URL(plan, proxy.url).href, { viewport: { width: 1440, height: 900 } });
  // The region's launch details, but no subnet for any zone.
  await page.evaluate(() => localStorage.setItem('spotplan-launch:alibaba:cn-hangzhou', JSON.stringify({
    image: 'ubuntu_22_04_x64_20G_alibase_20240926.vhd', security_group: 'sg-standina', key_pair: 'standin-key',
  })));
  await page.goto(new URL(plan, proxy.url).href);
  await page.locator('#fleet-target').fill('6');
  await page.locator('#fleet-strategy').selectOption('diversified');
  await page.locator('#fleet-min-pools').fill('3');
  await page.locator('#fleet-max-per-pool').fill('2');
  await page.waitForFunction(() => document.querySelectorAll('#fleet-split tbody tr').length === 3);
  // Each zone's pools offer that zone's two vSwitches; choosing one for a pool serves every pool of its zone.
  const pickers = page.getByTestId('fleet-pool-subnet');
  await pickers.first().waitFor();
  await page.locator('.fleet-order-list').screenshot({ path: `${process.env.SPOTPLAN_ARTIFACTS}/pickers-fleet-before.png` });
  const chosen = {};
  for (let round = 0; round < 10 && await pickers.count() > 0; round += 1) {
    const picker = pickers.first();
    const zone = (await picker.locator('xpath=..').textContent()).match(/for (cn-hangzhou-[a-z])/)[1];
    const offered = await picker.locator('option').evaluateAll((options) => options.map((o) => o.value).filter(Boolean));
    const suffix = zone.slice(-1);
    assert.deepEqual(offered, [`vsw-${suffix}a`, `vsw-${suffix}b`], zone);
    await picker.selectOption(`vsw-${suffix}b`);
    chosen[zone] = `vsw-${suffix}b`;
    await page.waitForFunction((zone) => ![...document.querySelectorAll('[data-testid=fleet-pool-subnet]')]
      .some((select) => select.parentElement.textContent.includes(`for ${zone}`)), zone);
  }
  assert.equal(await pickers.count(), 0, 'every pool has its subnet');
  assert.equal(Object.keys(chosen).length, 3, `three zones: ${JSON.stringify(chosen)}`);
  const statuses = await page.locator('.fleet-order[data-standby=false] [data-testid=fleet-order-status]').allTextContents();
  assert.equal(statuses.length, 3);
  for (const status of statuses) assert.equal(status, 'passes every documented rule');
  assert.equal(await page.getByTestId('fleet-shared-subnet').count(), 0, 'no subnet is given to two zones');
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem('spotplan-launch:alibaba:cn-hangzhou')));
  for (const [zone, subnet] of Object.entries(chosen)) assert.equal(stored[`subnet@${zone}`], subnet);
  await page.locator('.fleet-orders').screenshot({ path: `${process.env.SPOTPLAN_ARTIFACTS}/pickers-fleet-after.png` });
  assert.deepEqual(problems, []);
});

test('Tencent live prices use the default public image until another is typed', async () => {
  const { page, problems } = await openPage(browser, new URL('?c=tencent', proxy.url).href);
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();
  const image = page.getByTestId('quote-image-tencent');
  await page.waitForFunction(() => document.querySelector('[data-testid=quote-image-tencent]')?.placeholder.startsWith('img-487zeit5'));
  assert.equal(await image.getAttribute('placeholder'), 'img-487zeit5 — Ubuntu Server 22.04 LTS 64位 (default public image)');
  assert.equal(await image.inputValue(), '');
  await page.getByRole('button', { name: 'Refresh live prices for the shortlist' }).click();
  const status = page.getByTestId('live-status');
  // Four Tencent offers quoted, each a spot and a pay-as-you-go price; none "not quoted" for want of an image.
  await status.getByText(/^8 live prices merged \(newest wins\)/).waitFor();
  assert.doesNotMatch(await status.textContent(), /Not quoted/);
  assert.deepEqual(problems, []);
});

test('without the cloud\'s credentials the fields stay plain and the page says how to get the lists', async () => {
  const { page, problems } = await openPage(browser, planningProxy.url);
  await page.goto(new URL('?c=alibaba&rg=cn-hangzhou-k', planningProxy.url).href);
  const table = page.getByTestId('ranked-table');
  await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
  await page.getByTestId('pickers-need-credentials').waitFor();
  assert.equal(await page.locator('[data-testid^=picker-note-]').count(), 0);
  assert.equal(await page.getByLabel('Image id').getAttribute('list'), null);
  assert.deepEqual(problems, []);
});
