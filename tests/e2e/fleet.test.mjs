// Fleets in Chromium against the real proxy and the Alibaba stand-in: plan six 4 vCPU / 8 GiB instances over
// cn-hangzhou (diversified over three pools, at most two each, capped at 0.3 CNY an instance-hour), read the split
// with its reasons, the job's cost with reclaims and Alibaba's own group request, place the fleet, watch it reach
// 6 / 6 (Alibaba's interruption buckets read through the proxy on the way), lose an instance to a reclaim and get exactly one replacement, see one stopped, replaced and started again trimmed back to six, then stop it and release what runs — each
// release reaching the cloud once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin, launchBrowser, openPage, screenshot } from './harness.mjs';

const KEYS = ['LTAI5tFleetAccessKey1', 'AlibabaFleetSecret-5t6y7u8i9o0p'];

let browser;
let proxy;
let standin;
before(async () => {
  browser = await launchBrowser();
  standin = await startStandin('alibaba', ...KEYS, ['--pending-ms', '1000', '--notice-ms', '1500']);
  proxy = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS[0],
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS[1],
      SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-fleet-')),
      SPOTPLAN_INSTANCE_POLL_MS: '300',
      SPOTPLAN_RUNNING_RECHECK_MS: '300',
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
    },
  });
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  standin?.stop();
});

const api = async (path) =>
  (await fetch(new URL(path, proxy.url), { headers: { 'x-spotplan-token': proxy.token } })).json();

/** Waits until the fleet page has read its risk signals (the instances followed, the clouds' own signals): an
 * answer landing after Place was clicked moves the plan, and the page then asks for the new plan to be looked at
 * before Confirm — the test's Confirm would wait for good. No request for half a second: all of them answered. */
const signalsRead = (page) => page.waitForLoadState('networkidle', { timeout: 15_000 });

/** The fleet page at 1440 × 900 with launch details remembered for every Hangzhou zone (`tag` names the made-up
 * ids), and `fill`, which types a fleet of two instances under a ¥0.3 cap and a ¥5 ceiling. */
const openFleetPage = async (tag) => {
  const plan = '?v=4&m=8&h=48&c=alibaba&rg=cn-hangzhou#fleet';
  const { page, problems } = await openPage(browser, new URL(plan, proxy.url).href, { viewport: { width: 1440, height: 900 } });
  await page.evaluate((tag) => {
    const zones = Object.fromEntries([...'abcdefghijklmnopqrstuvwxyz'].map((letter) => [`subnet@cn-hangzhou-${letter}`, `vsw-bp1${tag}${letter}`]));
    localStorage.setItem('spotplan-launch:alibaba:cn-hangzhou', JSON.stringify({
      image: 'aliyun_3_x64_20G_alibase_20240819.vhd', vpc: `vpc-bp1${tag}`, security_group: `sg-bp1${tag}`, ...zones,
    }));
  }, tag);
  await page.goto(new URL(plan, proxy.url).href);
  const fill = async () => {
    await page.locator('#fleet-target').fill('2');
    await page.locator('#fleet-cap').fill('0.3');
    await page.locator('#fleet-ceiling').fill('5');
    await signalsRead(page);
  };
  return { page, problems, fill };
};

test('a fleet is planned, placed, kept at six through a reclaim and a stop, trimmed back to six, and stopped with its instances released', async () => {
  const plan = '?v=4&m=8&h=48&c=alibaba&rg=cn-hangzhou#fleet';
  const { page, problems } = await openPage(browser, new URL(plan, proxy.url).href, { viewport: { width: 1440, height: 900 } });
  // The launch details the planner remembers for the region, and a vSwitch for each zone of it (as if typed on the
  // plan page for an offer in each zone: a subnet is remembered per zone).
  await page.evaluate(() => {
    const zones = Object.fromEntries([...'abcdefghijklmnopqrstuvwxyz'].map((letter) => [`subnet@cn-hangzhou-${letter}`, `vsw-bp1fleet${letter}`]));
    localStorage.setItem('spotplan-launch:alibaba:cn-hangzhou', JSON.stringify({
      image: 'aliyun_3_x64_20G_alibase_20240819.vhd', vpc: 'vpc-bp1fleet', security_group: 'sg-bp1fleet',
      key_pair: 'batch-workers', ...zones,
    }));
  });
  await page.goto(new URL(plan, proxy.url).href);
  await page.locator('#fleet-target').waitFor();

  await page.locator('#fleet-target').fill('6');
  await page.locator('#fleet-strategy').selectOption('diversified');
  await page.locator('#fleet-min-pools').fill('3');
  await page.locator('#fleet-max-per-pool').fill('2');
  await page.locator('#fleet-cap').fill('0.3');
  await page.locator('#fleet-ceiling').fill('5');
  await page.locator('#fleet-checkpoint').fill('30');

  // Three pools of two, each with its reason; the totals say what the job costs and that its risk is unknown.
  const rows = page.locator('#fleet-split tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#fleet-split tbody tr').length === 3);
  for (let index = 0; index < 3; index += 1) {
    assert.match(await rows.nth(index).textContent(), /spread over 3 pools/);
  }
  // Alibaba's own interruption bucket (DescribeSpotAdvice through the proxy) where the stand-in reports one.
  await page.locator('#fleet-split tbody tr', { hasText: 'cn-hangzhou-k' }).filter({ hasText: '10-100%' }).waitFor({ timeout: 10_000 });
  const totals = await page.locator('#fleet-totals').textContent();
  assert.match(totals, /6 \/ 6|6 of 6/, totals);
  assert.match(totals, /unknown/i, totals);
  // Alibaba-only in one region with a cap: Alibaba's own group request is offered.
  assert.ok((await page.content()).includes('CreateAutoProvisioningGroup'));
  await screenshot(page, 'fleet-plan');

  await signalsRead(page);

  // Place it.
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  const live = page.locator('.fleet-live').first();
  await live.waitFor({ timeout: 15_000 });
  await live.locator('.fleet-running', { hasText: /^6 \/ 6$/ }).waitFor({ timeout: 20_000 });
  const fleetId = await live.getAttribute('data-fleet-id');
  await screenshot(page, 'fleet-running');

  // A reclaim: the keeper orders one replacement, and the fleet is back at six.
  const { instances } = await api('api/v1/instances');
  const running = instances.filter((row) => row.state === 'running');
  assert.equal(running.length, 6, JSON.stringify(instances));
  const reclaimed = running[0].id;
  const reclaim = await fetch(new URL(`__standin/reclaim?id=${reclaimed}`, standin.url), { method: 'POST' });
  assert.ok(reclaim.ok);
  await live.locator('.fleet-replacements', { hasText: /^1$/ }).waitFor({ timeout: 20_000 });
  await live.locator('.fleet-running', { hasText: /^6 \/ 6$/ }).waitFor({ timeout: 20_000 });
  const { fleet } = await api(`api/v1/fleets/${fleetId}`);
  assert.equal(fleet.orders.length, 4, JSON.stringify(fleet.orders));
  assert.equal(fleet.instances.reclaimed, 1, JSON.stringify(fleet.instances));
  await page.waitForTimeout(1_500);
  assert.equal((await api(`api/v1/fleets/${fleetId}`)).fleet.orders.length, 4, 'no second replacement');

  // A stop (Alibaba's reclaim with the Stop behaviour: its compute bills nothing) gets a replacement too. Started
  // again by hand, the stopped one takes the fleet to 7 of 6: the keeper releases one, and the card says which.
  const stopped = (await api('api/v1/instances')).instances.find((row) => row.state === 'running').id;
  assert.ok((await fetch(new URL(`__standin/stop?id=${stopped}`, standin.url), { method: 'POST' })).ok);
  await live.locator('.fleet-replacements', { hasText: /^2$/ }).waitFor({ timeout: 20_000 });
  await live.locator('.fleet-running', { hasText: /^6 \/ 6$/ }).waitFor({ timeout: 20_000 });
  assert.ok((await fetch(new URL(`__standin/start?id=${stopped}`, standin.url), { method: 'POST' })).ok);
  const fleetState = page.locator(`.fleet-live[data-fleet-id="${fleetId}"] .fleet-state`);
  await fleetState.filter({ hasText: '7 units ran above the target of 6' }).waitFor({ timeout: 20_000 });
  await live.locator('.fleet-running', { hasText: /^6 \/ 6$/ }).waitFor({ timeout: 20_000 });
  const trimmed = (await api(`api/v1/fleets/${fleetId}`)).fleet;
  assert.equal(trimmed.reason.kind, 'trimmed', JSON.stringify(trimmed.reason));
  const [released] = Object.keys((await (await fetch(new URL('__standin/lifecycle', standin.url))).json()).releases);
  assert.ok(released && released !== stopped && trimmed.reason.en.includes(released), JSON.stringify(trimmed.reason));
  assert.equal(trimmed.orders.length, 5, 'nothing ordered in place of the released one');
  await screenshot(page, 'fleet-trimmed');

  // Stop it and release its instances: each running instance released once.
  await live.locator('.fleet-release').check();
  await live.locator('.fleet-stop').click();
  // While the stop is confirmed, the box holds the choice the dialog carries.
  assert.equal(await live.locator('.fleet-release').isDisabled(), true);
  assert.equal(await live.locator('.fleet-release').isChecked(), true);
  // The proxy stops it, but its answer is lost: the card says the fleet may be stopped, not that the stop failed.
  await page.route('**/api/v1/fleets/*/stop', async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  }, { times: 1 });
  // The list is held back until the card has said so: a list that already shows the fleet stopped closes the
  // dialog (the test would race the page's refresh).
  let holdList = true;
  const listHeld = async (route) => {
    while (holdList && route.request().method() === 'GET') await new Promise((done) => setTimeout(done, 50));
    // Unrouting lets a held request through on its own: then it is handled already.
    await route.continue().catch(() => {});
  };
  await page.route('**/api/v1/fleets', listHeld);
  await page.locator('.fleet-stop-confirm').click();
  await live.getByText(/No answer that settles it .*the fleet may be stopped already/).waitFor();
  holdList = false;
  await page.unroute('**/api/v1/fleets', listHeld);
  await page.locator(`.fleet-live[data-fleet-id="${fleetId}"] .fleet-state.stopped`).waitFor({ timeout: 10_000 });
  // Once the list shows it stopped, the unanswered stop's dialog has said all it can: it closes.
  await live.getByRole('dialog').waitFor({ state: 'detached' });
  const counts = await (await fetch(new URL('__standin/lifecycle', standin.url))).json();
  const releases = Object.values(counts.releases ?? {});
  // The six running, and the one the trim released (once, not again at the stop).
  assert.equal(releases.length, 7, JSON.stringify(counts));
  assert.ok(releases.every((times) => times === 1), JSON.stringify(counts));
  await screenshot(page, 'fleet-stopped');
  // Why it stopped is a typed reason the page words in the reader's language.
  const state = page.locator(`.fleet-live[data-fleet-id="${fleetId}"] .fleet-state`);
  assert.equal((await state.textContent()).trim(), 'stopped — its instances released');
  const language = page.locator('header label.lang select');
  await language.selectOption('zh');
  await page.waitForFunction((id) => document.querySelector(`.fleet-live[data-fleet-id="${id}"] .fleet-state`)?.textContent.includes('已停止'), fleetId);
  assert.equal((await state.textContent()).trim(), '已停止 — 其实例已释放');
  await language.selectOption('en');
  assert.deepEqual(problems.filter((problem) => !/ERR_CONNECTION_RESET|Failed to fetch|net::/.test(problem)), []);
});

test('the fleet page on a 390 px phone: no sideways page scroll, the split and Place in view as cards', async () => {
  const { page, problems } = await openPage(browser, new URL('?v=4&m=8&h=48&c=alibaba&rg=cn-hangzhou#fleet', proxy.url).href, { viewport: { width: 390, height: 844 } });
  await page.locator('#fleet-target').waitFor();
  await page.locator('#fleet-totals').waitFor();
  await screenshot(page, 'fleet-390');
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(widths[0] <= widths[1], `page ${widths[0]} px wide in a ${widths[1]} px window`);
  const place = await page.locator('#fleet-place').boundingBox();
  assert.ok(place && place.x >= 0 && place.x + place.width <= 390, JSON.stringify(place));
  await screenshot(page, 'fleet-390');
  assert.deepEqual(problems, []);
});

test('a fleet sent without an answer is sent again under its key after a visit to another page: one fleet', async () => {
  const { page, problems, fill } = await openFleetPage('again');
  await fill();
  const before = (await api('api/v1/fleets')).fleets.length;
  // The proxy receives the fleet and places it; its answer never reaches the page.
  const keys = [];
  await page.route('**/api/v1/fleets', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    const answer = await route.fetch();
    assert.equal(answer.status(), 201, await answer.text());
    await route.abort('connectionreset');
  }, { times: 1 });
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  await page.getByText(/^No answer came, so the proxy may have the fleet already/).waitFor();
  assert.equal((await api('api/v1/fleets')).fleets.length, before + 1, 'the proxy has it');
  // Away to the plan and back: the form as typed and its draft are still there.
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  await page.getByRole('button', { name: 'Fleet', exact: true }).click();
  await page.getByText(/^No answer came, so the proxy may have the fleet already/).waitFor();
  assert.equal(await page.locator('#fleet-target').inputValue(), '2', 'not the default target');
  assert.equal(await page.locator('#fleet-ceiling').inputValue(), '5');
  // An input made invalid takes the orders away, not the note that the fleet may exist.
  await page.locator('#fleet-target').fill('0');
  await page.getByTestId('fleet-unsettled').waitFor();
  // The form changes meanwhile: the confirmation describes the fleet that is sent again (target 2), not the form.
  await page.locator('#fleet-target').fill('3');
  await page.route('**/api/v1/fleets', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    await route.continue();
  }, { times: 1 });
  await page.locator('#fleet-place').click();
  await page.getByTestId('fleet-resend-summary').getByText(/Confirm sends that fleet again under its key — target 2 instances: 2 instances in \d+ pools, ceiling [^,]*5\.00[^,]*, (not )?maintained — not the form as it stands now\./).waitFor();
  await page.locator('#fleet-confirm').click();
  await page.getByTestId('fleet-placed').waitFor({ timeout: 15_000 });
  assert.equal(keys.length, 2, JSON.stringify(keys));
  assert.equal(keys[1], keys[0], 'resent under the key it was first sent with');
  assert.equal((await api('api/v1/fleets')).fleets.length, before + 1, 'one fleet, not two');
  await screenshot(page, 'fleet-resent-after-no-answer');
  assert.deepEqual(problems.filter((problem) => !/ERR_CONNECTION_RESET|Failed to fetch|net::/.test(problem)), []);
});

test('a fleet the proxy refuses names the pool it refused, not an index path', async () => {
  const capped = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS[0],
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS[1],
      SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-fleet-capped-')),
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
      SPOTPLAN_MAX_INSTANCES_PER_ORDER: '1',
    },
  });
  try {
    const plan = '?v=4&m=8&h=48&c=alibaba&rg=cn-hangzhou#fleet';
    const { page, problems } = await openPage(browser, new URL(plan, capped.url).href, { viewport: { width: 1440, height: 900 } });
    await page.evaluate(() => {
      const zones = Object.fromEntries([...'abcdefghijklmnopqrstuvwxyz'].map((letter) => [`subnet@cn-hangzhou-${letter}`, `vsw-bp1capped${letter}`]));
      localStorage.setItem('spotplan-launch:alibaba:cn-hangzhou', JSON.stringify({
        image: 'aliyun_3_x64_20G_alibase_20240819.vhd', vpc: 'vpc-bp1capped', security_group: 'sg-bp1capped', ...zones,
      }));
    });
    await page.goto(new URL(plan, capped.url).href);
    // More instances than pools: some pool's first order starts two or more, past this proxy's limit of one.
    await page.locator('#fleet-target').fill('40');
    await page.locator('#fleet-cap').fill('0.3');
    await page.locator('#fleet-ceiling').fill('50');
    // The form as typed survives a reload of the tab (once the app has kept it: it does after the render that
    // follows the keystroke).
    await page.waitForFunction(() => (sessionStorage.getItem('spotplan.fleet-form') ?? '').includes('"ceiling":"50"'));
    await page.reload();
    await page.locator('#fleet-target').waitFor();
    assert.deepEqual(
      [await page.locator('#fleet-target').inputValue(), await page.locator('#fleet-cap').inputValue(), await page.locator('#fleet-ceiling').inputValue()],
      ['40', '0.3', '50'],
    );
    await signalsRead(page);
    await page.locator('#fleet-place').click();
    // The confirmation is not modal: a ceiling lowered while it is open blocks the plan, and Confirm with it.
    await page.locator('#fleet-ceiling').fill('0.01');
    await page.locator('#fleet-place-blockers').waitFor();
    assert.equal(await page.locator('#fleet-confirm').isDisabled(), true);
    await page.locator('#fleet-ceiling').fill('50');
    await page.locator('#fleet-place-blockers').waitFor({ state: 'detached' });
    await page.locator('#fleet-confirm').click();
    const refused = page.getByTestId('fleet-refused');
    await refused.getByText(/a pool's first order may start at most 1 instances \(the proxy's per-order limit\), got \d+ \(pool \d+, alibaba ecs\.\S+ in cn-hangzhou-[a-z]: count\)/).waitFor();
    assert.equal(await refused.getByText(/pools\[\d+\]/).count(), 0, 'no index path');
    // Beside the input that sets it too: how many one pool's order starts is "most per pool".
    await page.locator('#fleet-max-per-pool-problem').getByText(/at most 1 instances \(the proxy's per-order limit\)/).waitFor();
    assert.equal(await page.locator('#fleet-max-per-pool').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'fleet-refused-names-the-pool');
    // Edited, the form is no longer what was refused: the mark beside the input goes.
    await page.locator('#fleet-max-per-pool').fill('1');
    await page.locator('#fleet-max-per-pool-problem').waitFor({ state: 'detached' });
    assert.equal(await page.locator('#fleet-max-per-pool').getAttribute('aria-invalid'), 'false');
    // The pools come from the Plan page's requirement: a field there showing text the plan cannot use holds the
    // fleet's Place too (the plan still holds 4 vCPUs while the field shows "4x").
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('#vcpu-min').fill('4x');
    await page.getByRole('button', { name: 'Fleet', exact: true }).click();
    await page.locator('#fleet-place-blockers').getByText(/shows “4x”, which the plan cannot use/).waitFor();
    assert.equal(await page.locator('#fleet-place').isDisabled(), true);
    assert.equal((await (await fetch(new URL('api/v1/fleets', capped.url), { headers: { 'x-spotplan-token': capped.token } })).json()).fleets.length, 0);
    assert.deepEqual(problems.filter((problem) => !/status of 422|status of 400/.test(problem)), []);
  } finally {
    await capped.stop();
  }
});

test('a fleet the proxy saved before failing with a server error is unknown, and sent again under its key: one fleet', async () => {
  const { page, problems, fill } = await openFleetPage('fault');
  await fill();
  const before = (await api('api/v1/fleets')).fleets.length;
  // The proxy saves and places the fleet, then its answer is a server error in its own JSON shape (its order log
  // failed after the fleet was saved): the page must not read that as "nothing was placed".
  const keys = [];
  await page.route('**/api/v1/fleets', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    const answer = await route.fetch();
    assert.equal(answer.status(), 201, await answer.text());
    await route.fulfill({ status: 503, json: { error: { code: 'order_log_unavailable', message: 'the order log is unavailable' } } });
  }, { times: 1 });
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  await page.getByTestId('fleet-unsettled').waitFor();
  // The form changes: the key does not, and Confirm sends the fleet as it was sent.
  await page.locator('#fleet-target').fill('3');
  await page.route('**/api/v1/fleets', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    await route.continue();
  }, { times: 1 });
  await page.locator('#fleet-place').click();
  await page.getByTestId('fleet-resend-summary').waitFor();
  await page.locator('#fleet-confirm').click();
  await page.getByTestId('fleet-placed').waitFor({ timeout: 15_000 });
  assert.equal(keys.length, 2, JSON.stringify(keys));
  assert.equal(keys[1], keys[0], 'resent under the key it was first sent with');
  assert.equal((await api('api/v1/fleets')).fleets.length, before + 1, 'one fleet, not two');
  assert.deepEqual(problems.filter((problem) => !/503|Service Unavailable/.test(problem)), []);
});

test('the fleet confirmation lists its pools and sends what it showed: a plan that moved meanwhile must be looked at first', async () => {
  const { page, problems, fill } = await openFleetPage('moved');
  await fill();
  await page.locator('#fleet-place').click();
  const pools = page.getByTestId('fleet-confirm-pools');
  await pools.waitFor();
  const listed = (await pools.locator('li').allTextContents());
  assert.ok(listed.length >= 1, JSON.stringify(listed));
  for (const line of listed) assert.match(line, /^\d+ × alibaba \S+ in cn-hangzhou-[a-z] ≤ ¥0\.3\/hour$/, line);
  // The form changes while the dialog is open: Confirm is off until the new plan is shown.
  await page.locator('#fleet-target').fill('3');
  await page.getByTestId('fleet-plan-moved').waitFor();
  assert.equal(await page.locator('#fleet-confirm').isDisabled(), true);
  await page.locator('#fleet-show-new').click();
  await page.getByTestId('fleet-plan-moved').waitFor({ state: 'detached' });
  const sent = page.waitForRequest('**/api/v1/fleets');
  await page.locator('#fleet-confirm').click();
  assert.equal((await sent).postDataJSON().target, 3, 'the fleet shown is the fleet sent');
  await page.getByTestId('fleet-placed').waitFor({ timeout: 15_000 });
  assert.deepEqual(problems, []);
});

test('a fleet sent without an answer is still known after a reload: found placed, or let go only when it is not', async () => {
  const { page, problems, fill } = await openFleetPage('reload');
  await fill();
  const before = (await api('api/v1/fleets')).fleets.length;
  const keys = [];
  // The proxy places it; the answer is lost, and the page reloads.
  await page.route('**/api/v1/fleets', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    const answer = await route.fetch();
    assert.equal(answer.status(), 201, await answer.text());
    await route.abort('connectionreset');
  });
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  await page.getByTestId('fleet-unsettled').waitFor();
  await page.unrouteAll();
  await page.reload();
  // The page still knows the send, finds the fleet under its key in the proxy's list, and says it was placed.
  await page.getByTestId('fleet-placed').waitFor({ timeout: 15_000 });
  assert.equal((await api('api/v1/fleets')).fleets.length, before + 1, 'one fleet');
  assert.equal(keys.length, 1);

  // A send that never reached the proxy: after a reload it is not in the list; the person may let it go, and the
  // next fleet goes under a new key.
  await fill();
  await page.route('**/api/v1/fleets', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    await route.abort('connectionreset');
  });
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  await page.getByTestId('fleet-unsettled').waitFor();
  await page.unrouteAll();
  await page.reload();
  await page.getByTestId('fleet-unsettled').waitFor();
  await page.locator('#fleet-discard').click();
  await page.getByTestId('fleet-unsettled').waitFor({ state: 'detached' });
  await fill();
  const sent = page.waitForRequest((request) => request.url().endsWith('/api/v1/fleets') && request.method() === 'POST');
  await page.locator('#fleet-place').click();
  await page.locator('#fleet-confirm').click();
  const third = (await sent).headers()['idempotency-key'];
  assert.notEqual(third, keys[1], 'a new key after the discard');
  assert.notEqual(third, keys[0]);
  await page.getByTestId('fleet-placed').waitFor({ timeout: 15_000 });
  assert.equal((await api('api/v1/fleets')).fleets.length, before + 2, 'the lost send placed nothing');
  assert.deepEqual(problems.filter((problem) => !/ERR_CONNECTION_RESET|Failed to fetch|net::/.test(problem)), []);
});

test('launch details the Plan page remembered in its own syntax are named on the fleet, never sent as a default', async () => {
  const { page, problems, fill } = await openFleetPage('typed');
  await page.locator('#fleet-target').waitFor();
  // "40G" and a tag without "=", as typed on the Plan page for this region.
  await page.evaluate(() => {
    const key = 'spotplan-launch:alibaba:cn-hangzhou';
    const remembered = JSON.parse(localStorage.getItem(key));
    localStorage.setItem(key, JSON.stringify({ ...remembered, system_disk_gb: '40G', tags: 'team' }));
  });
  await page.goto(page.url());
  await fill();
  const shared = page.getByTestId('fleet-shared-problems');
  await shared.getByText('system disk “40G” is not a whole number of GB (leave it empty for the cloud\'s default size)').waitFor();
  await shared.getByText('tag “team” has no “=”: write key=value (key= for an empty value)').waitFor();
  assert.deepEqual(problems, []);
});
