// After the order, in Chromium against the real proxy and the three clouds' stand-ins (which play each instance's
// lifecycle): placed instances are followed to running, cost so far ticks, a Tencent launch failure shows with its
// reason, an Alibaba reclaim notice counts down and ends as reclaimed, and releasing an order's instances — and then
// everything — reaches each cloud exactly once per instance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin, launchBrowser, openPage, screenshot, artifactsDir } from './harness.mjs';

const KEYS = {
  alibaba: ['LTAI5tLifeAccessKey01', 'AlibabaLifeSecret-5t6y7u8i9o0p'],
  tencent: ['AKIDLifeSecretId00001', 'TencentLifeSecret-1q2w3e4r5t6y'],
  baidu: ['bcelife123456789abcdef0123456789', 'BaiduLifeSecret-7u8i9o0p1a2s3'],
};

let browser;
let proxy;
const standins = {};
before(async () => {
  browser = await launchBrowser();
  const env = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.alibaba[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.alibaba[1],
    TENCENTCLOUD_SECRET_ID: KEYS.tencent[0], TENCENTCLOUD_SECRET_KEY: KEYS.tencent[1],
    BCE_ACCESS_KEY_ID: KEYS.baidu[0], BCE_SECRET_ACCESS_KEY: KEYS.baidu[1],
    SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-instances-')),
    SPOTPLAN_INSTANCE_POLL_MS: '300',
    SPOTPLAN_RUNNING_RECHECK_MS: '300',
  };
  for (const cloud of Object.keys(KEYS)) {
    standins[cloud] = await startStandin(cloud, ...KEYS[cloud], ['--pending-ms', '1500', '--notice-ms', '60000']);
    env[`SPOTPLAN_ENDPOINT_${cloud.toUpperCase()}`] = standins[cloud].url;
  }
  proxy = await startProxy({ env });
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  for (const standin of Object.values(standins)) standin.stop();
});

/** Places an order through the proxy's API (as a script would) and returns its record. */
async function place(cloud, image, count, key) {
  const order = JSON.parse(await readFile(new URL(`../../examples/orders/${cloud}.json`, import.meta.url), 'utf8'));
  Object.assign(order, { image_id: image, count });
  delete order.min_count;
  delete order.data_disks;
  const answer = await fetch(new URL('api/v1/orders', proxy.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spotplan-token': proxy.token, 'idempotency-key': key },
    body: JSON.stringify(order),
  });
  const record = await answer.json();
  assert.equal(record.status, 'succeeded', JSON.stringify(record));
  return record;
}

const post = (url) => fetch(url, { method: 'POST' }).then((answer) => assert.ok(answer.ok, `${url}: ${answer.status}`));
const lifecycle = async (cloud) => (await fetch(new URL('__standin/lifecycle', standins[cloud].url))).json();
const rowOf = (page, id) => page.locator(`tr[data-instance="${id}"]`);

test('instances are followed to running, fail, get reclaimed and are released exactly once', async () => {
  const alibaba = await place('alibaba', 'aliyun_3_x64_20G_alibase_20240819.vhd', 2, 'e2e-life-alibaba-0001');
  const tencent = await place('tencent', 'img-487zeit5', 2, 'e2e-life-tencent-0001');
  const failing = await place('tencent', 'img-launchfail', 1, 'e2e-life-tencent-0002');
  const baidu = await place('baidu', 'm-mRjO3cjs', 2, 'e2e-life-baidu-0001');
  const { page, problems } = await openPage(browser, new URL('#instances', proxy.url).href);
  await page.getByRole('heading', { name: 'Instances Spotplan placed' }).waitFor();
  const running = [...alibaba.instance_ids, ...tencent.instance_ids, ...baidu.instance_ids];
  for (const id of running) await rowOf(page, id).and(page.locator('[data-state="running"]')).waitFor({ timeout: 15_000 });
  // The cloud's own word beside Spotplan's; the zone the describe reported.
  assert.match(await rowOf(page, tencent.instance_ids[0]).textContent(), /TCrunning \(RUNNING\)ap-guangzhou-6/);
  assert.match(await rowOf(page, alibaba.instance_ids[0]).textContent(), /ALIrunning \(Running\)cn-hangzhou-k/);

  // A Tencent LAUNCH_FAILED is a failure with its reason, not a success.
  const failed = rowOf(page, failing.instance_ids[0]);
  await failed.and(page.locator('[data-state="launch_failed"]')).waitFor();
  assert.match(await failed.textContent(), /launch failed \(LAUNCH_FAILED\).*sold out after the order was accepted/);

  // Cost so far ticks every second from the bid: 0.2 CNY an hour per Alibaba instance.
  const cost = rowOf(page, alibaba.instance_ids[0]).getByTestId('cost-so-far');
  const before = await cost.textContent();
  await page.waitForTimeout(4_000);
  const later = await cost.textContent();
  assert.match(later, /^¥0\.\d{4}$/);
  assert.ok(Number(later.slice(1)) > Number(before.slice(1)), `${before} → ${later}`);
  await screenshot(page, 'instances-running');

  // A reclaim notice on Alibaba counts down, then the instance ends as reclaimed.
  const reclaimed = alibaba.instance_ids[1];
  await post(new URL(`__standin/reclaim?id=${reclaimed}`, standins.alibaba.url));
  await rowOf(page, reclaimed).and(page.locator('[data-state="being_reclaimed"]')).waitFor();
  assert.match(await rowOf(page, reclaimed).getByTestId('instance-notes').textContent(), /^reclaimed in [0-5]:\d\d — The spot instance is about to be reclaimed\.$/);
  await screenshot(page, 'instances-reclaim-notice');
  await post(new URL('__standin/advance?ms=120000', standins.alibaba.url));
  await rowOf(page, reclaimed).and(page.locator('[data-state="reclaimed"]')).waitFor();

  // Release the Tencent order's instances: the confirmation says what stops and what it has cost.
  await page.locator(`tr[data-order="${tencent.id}"]`).getByTestId("release-order").click();
  const dialog = page.getByTestId('release-dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), new RegExp(`2 × instances: ${tencent.instance_ids.join(', ')}`));
  assert.match(await dialog.textContent(), /So far they have cost at most ¥0\.\d{4}\./);
  // The first send is lost on the way: a retry repeats the release as sent, so its options are shown as sent and
  // cannot be changed (an unticked box the retry ignores would show a choice that is not made).
  await page.route('**/api/v1/instances/release', (route) => route.abort('connectionreset'), { times: 1 });
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await dialog.getByTestId('release-retry-note').waitFor();
  assert.match(await dialog.getByRole('alert').textContent(), /the release may have been sent, and the instances may be stopping/);
  for (const box of ['release-force', 'release-disks']) {
    assert.equal(await dialog.getByTestId(box).isDisabled(), true, box);
  }
  assert.equal(await dialog.getByTestId('release-disks').isChecked(), true, 'as sent: the default');
  // The release names the instances the confirmation listed, not the order (which the proxy would resolve on
  // arrival, taking any instance of it booked or back since).
  const sent = page.waitForRequest('**/api/v1/instances/release');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const body = (await sent).postDataJSON();
  assert.equal(body.order_id, undefined, JSON.stringify(body));
  assert.deepEqual(body.instances.map((one) => one.id).sort(), [...tencent.instance_ids].sort());
  const outcome = page.getByTestId('release-outcome');
  await outcome.waitFor();
  assert.equal(await outcome.locator('li.release-accepted').count(), 2);
  for (const id of tencent.instance_ids) await rowOf(page, id).and(page.locator('[data-state="released"]')).waitFor();
  await outcome.getByRole('button', { name: 'OK' }).click();

  // Release everything else that runs: one Alibaba and two Baidu instances, keeping Baidu's disks this time.
  await page.getByTestId('release-all').click();
  await page.getByTestId('release-dialog').getByLabel(/Also release their pay-as-you-go data disks and EIP/).uncheck();
  // An instance placed while the confirmation is open is not in its list, so it is not released.
  const late = await place('alibaba', 'aliyun_3_x64_20G_alibase_20240819.vhd', 1, 'e2e-life-alibaba-0002');
  await rowOf(page, late.instance_ids[0]).waitFor();
  await page.getByTestId('release-dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('release-outcome').waitFor();
  for (const id of [alibaba.instance_ids[0], ...baidu.instance_ids]) {
    await rowOf(page, id).and(page.locator('[data-state="released"]')).waitFor();
  }
  await screenshot(page, 'instances-released');
  // Each cloud received exactly one release per instance; the reclaimed and the failed were never released.
  assert.deepEqual((await lifecycle('tencent')).releases, Object.fromEntries(tencent.instance_ids.map((id) => [id, 1])));
  assert.deepEqual((await lifecycle('alibaba')).releases, { [alibaba.instance_ids[0]]: 1 });
  assert.deepEqual((await lifecycle('baidu')).releases, Object.fromEntries(baidu.instance_ids.map((id) => [id, 1])));
  // The options reach each cloud in its own words.
  assert.deepEqual((await lifecycle('baidu')).last_release_options, { relatedReleaseFlag: false, deleteCdsSnapshotFlag: false });
  assert.deepEqual((await lifecycle('alibaba')).last_release_options, { Force: 'true' });
  assert.notEqual(await rowOf(page, late.instance_ids[0]).getAttribute('data-state'), 'released');
  assert.equal(await page.getByTestId('release-all').isDisabled(), false, 'the late instance is left to release');
  // The orders page says what became of each order's instances: the accepted Tencent order failed to launch.
  await page.getByRole('button', { name: 'Orders' }).click();
  const orderRow = (id) => page.getByTestId('orders-table').locator('tr', { has: page.locator(`td[title^="${id} "]`) });
  await orderRow(failing.id).getByTestId('order-instance-states').getByText('1 launch failed').waitFor();
  assert.equal(await orderRow(failing.id).locator('td.status').textContent(), 'succeeded');
  assert.equal(await orderRow(alibaba.id).getByTestId('order-instance-states').textContent(), '1 released · 1 reclaimed');

  // A day later the ended instances are history: left out of the table (the page reads it every few seconds) and
  // counted, until asked for. The live one stays.
  const book = (await (await page.evaluate(() => fetch('/api/v1/instances').then((r) => r.json()))).instances);
  const ended = book.filter((row) => ['launch_failed', 'released', 'reclaimed', 'gone'].includes(row.state));
  assert.ok(ended.length >= 6, `released, reclaimed and failed instances: ${ended.length}`);
  await page.clock.setFixedTime(Date.now() + 25 * 3_600_000);
  await page.getByRole('button', { name: 'Instances' }).click();
  const note = page.getByTestId('ended-earlier');
  await note.waitFor();
  assert.equal(await note.textContent(), `Ended over a day ago, not shown: ${ended.length} Show them`);
  await rowOf(page, late.instance_ids[0]).waitFor();
  assert.equal(await rowOf(page, tencent.instance_ids[0]).count(), 0, 'a released instance is history');
  for (const [width, height] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width, height });
    assert.ok(await page.evaluate((w) => document.scrollingElement.scrollWidth <= w, width), `no sideways page scroll at ${width} px`);
    await screenshot(page, `instances-history-left-out-${width}`);
  }
  await note.getByTestId('show-ended-earlier').click();
  await rowOf(page, tencent.instance_ids[0]).and(page.locator('[data-state="released"]')).waitFor();
  assert.equal(await note.count(), 0);
  await page.getByTestId('hide-ended-earlier').click();
  await note.waitFor();
  assert.equal(await rowOf(page, tencent.instance_ids[0]).count(), 0);
  assert.deepEqual(problems.filter((p) => !/net::ERR_CONNECTION_RESET/.test(p)), [], 'only the lost send');
});

/** Runs the `spotplan` CLI against the proxy, with its token, and resolves with stdout. */
async function cli(...args) {
  const bin = process.env.SPOTPLAN_CLI_BIN;
  assert.ok(bin, 'SPOTPLAN_CLI_BIN is not set: run the end-to-end tests through `cargo xtask test`');
  const { stdout } = await promisify(execFile)(bin, args, {
    env: { ...process.env, SPOTPLAN_TOKEN: proxy.token, SPOTPLAN_PROXY_URL: proxy.url },
  });
  return stdout;
}

test('the CLI lists the instances and releases an order exactly once', async () => {
  const baidu = await place('baidu', 'm-mRjO3cjs', 2, 'e2e-life-baidu-cli-0001');
  let listed = '';
  for (let tries = 0; tries < 50 && !/running.*running/s.test(listed); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    listed = (await cli('instances')).split('\n').filter((line) => line.includes(baidu.id)).join('\n');
  }
  assert.match(listed, new RegExp(`baidu +${baidu.instance_ids[0]} +running +Running +cn-bj-d`));
  // What to release is named once, and an instance the proxy does not follow is named before anything is sent.
  await assert.rejects(cli('release', '--yes'), (error) => /name what to release with one of --instance/.test(error.stderr) && error.code === 2);
  await assert.rejects(cli('release', '--instance', 'baidu:i-nosuch0001', '--yes'),
    (error) => /--instance baidu:i-nosuch0001: not an instance the proxy follows/.test(error.stderr) && error.code === 2);
  const dry = await cli('release', '--order', baidu.id);
  assert.match(dry, /^2 instance\(s\) stop now and cannot be started again:/);
  assert.match(dry, /nothing was sent: add --yes to release them/);
  assert.deepEqual((await lifecycle('baidu')).releases[baidu.instance_ids[0]], undefined);
  const key = 'e2e-cli-release-0001';
  const sent = await cli('release', '--order', baidu.id, '--yes', '--idempotency-key', key);
  for (const id of baidu.instance_ids) assert.match(sent, new RegExp(`baidu:${id}: release accepted`));
  const again = await cli('release', '--order', baidu.id, '--yes', '--idempotency-key', key);
  assert.match(again, /the logged outcome of an earlier request with this key: nothing was sent now/);
  const releases = (await lifecycle('baidu')).releases;
  for (const id of baidu.instance_ids) assert.equal(releases[id], 1, `${id}: ${JSON.stringify(releases)}`);
});

test('the CLI looks an unknown order up at the cloud by its tag', async () => {
  const order = JSON.parse(await readFile(new URL('../../examples/orders/baidu.json', import.meta.url), 'utf8'));
  Object.assign(order, { image_id: 'm-gateway502', count: 2 });
  delete order.min_count;
  delete order.data_disks;
  const answer = await fetch(new URL('api/v1/orders', proxy.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-spotplan-token': proxy.token, 'idempotency-key': 'e2e-lookup-cli-0001' },
    body: JSON.stringify(order),
  });
  const record = await answer.json();
  assert.equal(record.status, 'unknown', JSON.stringify(record));
  const found = await cli('lookup', record.id);
  assert.match(found, new RegExp(`^${record.id}: 2 instance\\(s\\) found at the cloud by its tag; the order is succeeded\n  i-`));
  // Settled now: nothing is looked up again; the CLI reads the order's record and exits 0, as it succeeded.
  const settled = await cli('lookup', record.id);
  assert.match(settled, new RegExp(`^${record.id}: already settled, nothing was looked up; the order is succeeded\n  i-`));
});

test('an instance started elsewhere is watched by id, followed and released', async () => {
  await post(new URL('__standin/create?id=ins-elsewhere01', standins.tencent.url));
  const { page, problems } = await openPage(browser, new URL('#instances', proxy.url).href);
  const form = page.getByRole('form', { name: 'Watch instances started elsewhere' });
  await form.getByLabel('cloud').selectOption('tencent');
  await form.getByLabel('region').fill('ap-guangzhou');
  await form.getByLabel('Instance ids (comma-separated)').fill('ins-elsewhere01, ins-typo00001');
  await form.getByRole('button', { name: 'Watch' }).click();
  // A mistyped id is named as left out, not only counted.
  await page.getByTestId('watch-said').getByText(/^\+ ins-elsewhere01; left out: ins-typo00001 — not a spot instance this region lists$/).waitFor();
  const row = rowOf(page, 'ins-elsewhere01');
  await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 15_000 });
  // No order placed it: no price is claimed, so no cost either.
  assert.equal(await row.getByTestId('cost-so-far').textContent(), '');
  await row.getByTestId('release-one').click();
  await page.getByTestId('release-dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('release-outcome').locator('li.release-accepted').waitFor();
  await row.and(page.locator('[data-state="released"]')).waitFor();
  assert.equal((await lifecycle('tencent')).releases['ins-elsewhere01'], 1);
  // The region's spot instances the book lacks are found with the cloud's own list.
  await post(new URL('__standin/create?id=ins-elsewhere02', standins.tencent.url));
  await post(new URL('__standin/create?id=ins-ondemand01&on_demand=true', standins.tencent.url));
  await form.getByRole('button', { name: "Find this region's spot instances" }).click();
  await page.getByTestId('watch-said').getByText(/^\+ ins-elsewhere02 \(\d+ already watched, 1 not spot\)$/).waitFor();
  await rowOf(page, 'ins-elsewhere02').waitFor();
  assert.equal(await rowOf(page, 'ins-ondemand01').count(), 0, 'a pay-as-you-go instance is not added');
  // Baidu's list marks spot by paymentTiming: the bid instance joins, the pay-as-you-go one does not.
  await post(new URL('__standin/create?id=i-bdelsewhere1', standins.baidu.url));
  await post(new URL('__standin/create?id=i-bdondemand1&on_demand=true', standins.baidu.url));
  await form.getByLabel('cloud').selectOption('baidu');
  await form.getByLabel('region').fill('bj');
  await form.getByRole('button', { name: "Find this region's spot instances" }).click();
  await page.getByTestId('watch-said').getByText(/^\+ i-bdelsewhere1 \(\d+ already watched, 1 not spot\)$/).waitFor();
  await rowOf(page, 'i-bdelsewhere1').waitFor();
  assert.equal(await rowOf(page, 'i-bdondemand1').count(), 0);
  await form.getByLabel('cloud').selectOption('tencent');
  await form.getByLabel('region').fill('ap-guangzhou');
  // A malformed id is refused, naming the rule, and nothing joins the page.
  await form.getByLabel('Instance ids (comma-separated)').fill('ins-1;rm');
  await form.getByRole('button', { name: 'Watch' }).click();
  await page.locator('#watch-ids-problem').getByText(/`ins-1;rm` is not an instance id/).waitFor();
  assert.equal(await form.getByLabel('Instance ids (comma-separated)').getAttribute('aria-invalid'), 'true');
  assert.equal(await rowOf(page, 'ins-1;rm').count(), 0);
  // No region: named beside the field before anything is asked.
  await form.getByLabel('region').fill('');
  await form.getByRole('button', { name: "Find this region's spot instances" }).click();
  await page.locator('#watch-region-problem').getByText('✖ a region is needed: its id, such as cn-hangzhou, ap-guangzhou or bj').waitFor();
  assert.equal(await form.getByLabel('region').getAttribute('aria-invalid'), 'true');
  await form.getByLabel('region').fill('ap-guangzhou');
  // Corrected, the field's problem goes: it was about the text just replaced.
  await page.locator('#watch-region-problem').waitFor({ state: 'detached' });
  assert.equal(await form.getByLabel('region').getAttribute('aria-invalid'), 'false');
  await screenshot(page, 'instances-watched');
  assert.deepEqual(problems.filter((p) => !/status of 4(00|22)/.test(p)), []);

  // On a 390 px phone the page does not scroll sideways: the table scrolls in its own box, release in reach.
  const phone = await openPage(browser, new URL('#instances', proxy.url).href, { viewport: { width: 390, height: 844 } });
  await rowOf(phone.page, 'ins-elsewhere01').waitFor();
  assert.ok(await phone.page.evaluate(() => document.scrollingElement.scrollWidth <= 390), 'no sideways page scroll');
  // Scrolled to its right end, the table keeps each group's whole title and each instance's id in view, beside
  // the release buttons it scrolled to.
  const inView = () => phone.page.evaluate(() => {
    const box = document.querySelector('.instances-scroll').getBoundingClientRect();
    const within = (element) => {
      const rect = element.getBoundingClientRect();
      return rect.left >= box.left - 0.5 && rect.right <= box.right + 0.5;
    };
    const row = document.querySelector('.instances-table tr[data-instance]:has([data-testid=release-one])');
    return {
      titles: [...document.querySelectorAll('.instances-table .group-title')].filter((title) => !within(title) || title.firstChild.scrollWidth > title.firstChild.clientWidth || title.firstChild.scrollHeight > title.firstChild.clientHeight).map((title) => title.textContent),
      orderReleases: [...document.querySelectorAll('[data-testid=release-order]')].map(within),
      id: within(row.querySelector('td')),
      release: within(row.querySelector('[data-testid=release-one]')),
      // Every line keeps the 36 px the page's windowing counts on (ROW_PX), the two-line ones too.
      heights: [...new Set([...document.querySelectorAll('.instances-table tbody tr:not([aria-hidden])')].map((line) => Math.round(line.getBoundingClientRect().height)))],
    };
  });
  const unscrolled = await inView();
  assert.deepEqual(unscrolled.titles, [], 'every group line whole before scrolling');
  assert.deepEqual(unscrolled.heights, [36]);
  assert.ok(unscrolled.orderReleases.length > 0 && unscrolled.orderReleases.every(Boolean), "each order's release in view before scrolling");
  await phone.page.locator('.instances-scroll').evaluate((box) => { box.scrollLeft = box.scrollWidth; });
  await phone.page.waitForFunction(() => {
    const box = document.querySelector('.instances-scroll');
    return box.scrollLeft > 0 && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
  });
  const scrolled = await inView();
  assert.ok(scrolled.orderReleases.length > 0 && scrolled.orderReleases.every(Boolean), JSON.stringify(scrolled));
  assert.deepEqual(scrolled, { titles: [], orderReleases: scrolled.orderReleases, id: true, release: true, heights: [36] }, 'scrolled to the release buttons');
  await screenshot(phone.page, 'instances-390-scrolled');
  await phone.page.locator('.instances-scroll').evaluate((box) => { box.scrollLeft = 0; });
  await screenshot(phone.page, 'instances-390');
  assert.deepEqual(phone.problems, []);
  // At 1440×900 the page does not scroll sideways either (how wide the table is depends on the notes it holds: it
  // scrolls in its own box when it must).
  const wide = await openPage(browser, new URL('#instances', proxy.url).href, { viewport: { width: 1440, height: 900 } });
  await rowOf(wide.page, 'ins-elsewhere01').waitFor();
  assert.ok(await wide.page.evaluate(() => document.scrollingElement.scrollWidth <= 1440), 'no sideways page scroll at 1440 px');
  // Each live instance's release button is in view without scrolling the table: the column sticks to the table's
  // right edge (on a phone the table scrolls to it instead, so the id and state stay in view).
  const release = await wide.page.getByTestId('release-one').first().boundingBox();
  assert.ok(release && release.x >= 0 && release.x + release.width <= 1440, `release in view: ${JSON.stringify(release)}`);
  await screenshot(wide.page, 'instances-1440');
  assert.deepEqual(wide.problems, []);
});

test('a thousand instances: only the lines in view are rendered, and the last one is reached by scrolling', async () => {
  for (let batch = 0; batch < 10; batch += 1) {
    const ids = Array.from({ length: 100 }, (_, i) => `ins-many${batch}${String(i).padStart(3, '0')}`);
    for (const id of ids) await post(new URL(`__standin/create?id=${id}`, standins.tencent.url));
    const answer = await fetch(new URL('api/v1/instances/watch', proxy.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spotplan-token': proxy.token },
      body: JSON.stringify({ cloud: 'tencent', region: 'ap-guangzhou', ids }),
    });
    assert.equal(answer.status, 200);
  }
  const { page, problems } = await openPage(browser, new URL('#instances', proxy.url).href);
  await page.waitForFunction(
    async () => (await (await fetch('/api/v1/instances')).json()).instances.filter((i) => i.state === 'running' && i.id.startsWith('ins-many')).length === 1000,
    null,
    { timeout: 30_000, polling: 500 },
  );
  await page.waitForTimeout(3_500);
  const rendered = await page.locator('tr[data-instance]').count();
  assert.ok(rendered < 80, `${rendered} rows rendered for over a thousand instances`);
  // Frame times while costs tick every second and the list is read again every three (recorded, not asserted).
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const deltas = [];
    let last = performance.now();
    const end = last + 6_000;
    const step = (now) => { deltas.push(now - last); last = now; if (now < end) requestAnimationFrame(step); else resolve(deltas); };
    requestAnimationFrame(step);
  }));
  frames.sort((a, b) => b - a);
  const line = `instances page, 1,000+ instances, ${rendered} rows rendered: ${frames.length} frames in 6 s, worst ${frames.slice(0, 5).map((f) => f.toFixed(1)).join(' ')} ms`;
  console.log(`# ${line}`);
  await writeFile(join(artifactsDir(), 'instances-timing.txt'), `${line}\n`);
  // The last line (the oldest order's last instance, orders newest first) is rendered once scrolled to.
  const last = await page.evaluate(async () => {
    const groups = new Map();
    for (const row of (await (await fetch('/api/v1/instances')).json()).instances) {
      const key = row.order_id ?? '';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row.id);
    }
    return [...groups.values()].at(-1).at(-1);
  });
  assert.equal(await rowOf(page, last).count(), 0, 'not rendered while out of view');
  await page.locator('.instances-scroll').evaluate((element) => { element.scrollTop = element.scrollHeight; });
  await rowOf(page, last).waitFor();
  assert.deepEqual(problems, []);
});
