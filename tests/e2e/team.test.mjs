// Team mode in Chromium against the real proxy keeping everything in PostgreSQL: two people added with
// `spotplan-proxy users add` each place an Alibaba order (on the stand-in) with their own API key; a browser signed
// in with alice's key sees who placed each order and instance and filters both pages to bob's; once bob's key is
// revoked, it no longer signs a browser in. Needs SPOTPLAN_TEST_DATABASE_URL (skipped without it, unless
// SPOTPLAN_REQUIRE_POSTGRES says PostgreSQL must be there).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin, launchBrowser, openPage, screenshot, withToken, proxyBin } from './harness.mjs';

const DATABASE_URL = process.env.SPOTPLAN_TEST_DATABASE_URL;
const REQUIRED = Boolean(process.env.SPOTPLAN_REQUIRE_POSTGRES);
const SKIP = !DATABASE_URL && !REQUIRED ? 'SPOTPLAN_TEST_DATABASE_URL is not set: team mode needs PostgreSQL' : false;
const KEYS = ['LTAI5tTeamAccessKey01', 'AlibabaTeamSecret-9i8u7y6t5r4e'];
// The database may outlive this run: names and idempotency keys are unique per run.
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const ALICE = `alice_${RUN}`;
const BOB = `bob_${RUN}`;

let browser;
let proxy;
let standin;
let dataDir;
before(async () => {
  if (SKIP) return;
  assert.ok(DATABASE_URL, 'SPOTPLAN_REQUIRE_POSTGRES is set but SPOTPLAN_TEST_DATABASE_URL is not: give the URL of a PostgreSQL database (postgres://…) for the team-mode test');
  browser = await launchBrowser();
  dataDir = await mkdtemp(join(tmpdir(), 'spotplan-e2e-team-'));
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
  standin?.stop();
});

/** Runs `spotplan-proxy users …` on the shared database (and this run's data folder) and returns its stdout. */
function users(...args) {
  return execFileSync(proxyBin(), ['--data-dir', dataDir, 'users', ...args], {
    env: { ...process.env, SPOTPLAN_DATABASE_URL: DATABASE_URL },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Places a one-instance Alibaba order as the person holding `key` (as a script would) and returns its record. */
async function placeAs(key, person, idempotencyKey) {
  const order = JSON.parse(await readFile(new URL('../../examples/orders/alibaba.json', import.meta.url), 'utf8'));
  Object.assign(order, { count: 1 });
  delete order.min_count;
  delete order.data_disks;
  const answer = await fetch(new URL('api/v1/orders', proxy.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey },
    body: JSON.stringify(order),
  });
  const record = await answer.json();
  assert.equal(record.status, 'succeeded', JSON.stringify(record));
  assert.equal(record.placed_by, person, 'the order names who placed it');
  return record;
}

/** The texts of the rendered `placed_by` cells under `scope`. */
const placers = (scope) => scope.locator('td[data-col="placed_by"]').allTextContents();

test('team mode: who placed each order and instance, filtered by person; a revoked key cannot sign in', { skip: SKIP }, async () => {
  const aliceKey = users('add', ALICE);
  const bobKey = users('add', BOB);
  for (const key of [aliceKey, bobKey]) assert.match(key, /^spk_[0-9a-f]+$/, 'users add prints only the API key');

  standin = await startStandin('alibaba', ...KEYS);
  proxy = await startProxy({
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS[1],
      SPOTPLAN_ENDPOINT_ALIBABA: standin.url,
      SPOTPLAN_DATA_DIR: dataDir,
      SPOTPLAN_DATABASE_URL: DATABASE_URL,
      SPOTPLAN_INSTANCE_POLL_MS: '300',
      SPOTPLAN_RUNNING_RECHECK_MS: '300',
    },
  });
  const hers = await placeAs(aliceKey, ALICE, `e2e-team-a-${RUN}`);
  const his = await placeAs(bobKey, BOB, `e2e-team-b-${RUN}`);

  // Alice signs this browser in with her own key (not the proxy's token).
  const { page, problems } = await openPage(browser, withToken(proxy.url, aliceKey), { signIn: false });
  assert.equal(new URL(page.url()).search, '', 'the key is gone from the URL');
  await page.getByTestId('proxy-status').getByText(/Proxy .* connected/).waitFor();

  // The orders page: a "Placed by" column naming alice and bob; the filter keeps only bob's order.
  await page.getByRole('button', { name: 'Orders' }).click();
  const orders = page.getByTestId('orders-table');
  const orderRow = (id) => orders.locator('tbody tr', { has: page.locator(`td[title^="${id} "]`) });
  await orderRow(hers.id).waitFor();
  assert.ok((await orders.locator('thead th').allTextContents()).includes('Placed by'));
  assert.equal(await orderRow(hers.id).locator('td[data-col="placed_by"]').textContent(), ALICE);
  assert.equal(await orderRow(his.id).locator('td[data-col="placed_by"]').textContent(), BOB);
  const orderFilter = page.getByTestId('person-filter');
  const options = await orderFilter.locator('option').allTextContents();
  assert.equal(options[0], 'Everyone');
  assert.ok(options.includes(ALICE) && options.includes(BOB), options.join(', '));
  assert.deepEqual(options.slice(1), [...options.slice(1)].sort(), 'the people are sorted');
  await orderFilter.selectOption(BOB);
  await orderRow(hers.id).waitFor({ state: 'detached' });
  assert.equal(await orderRow(his.id).count(), 1);
  assert.deepEqual([...new Set(await placers(orders))], [BOB], 'only bob\'s orders remain');
  await screenshot(page, 'team-orders-bob');

  // The instances page: each instance with who placed its order; the filter keeps only bob's, across refreshes.
  await page.getByRole('button', { name: 'Instances' }).click();
  const instances = page.getByTestId('instances-table');
  const instanceRow = (id) => instances.locator(`tr[data-instance="${id}"]`);
  await instanceRow(hers.instance_ids[0]).waitFor();
  assert.equal(await instanceRow(hers.instance_ids[0]).locator('td[data-col="placed_by"]').textContent(), ALICE);
  assert.equal(await instanceRow(his.instance_ids[0]).locator('td[data-col="placed_by"]').textContent(), BOB);
  const instanceFilter = page.getByTestId('person-filter');
  assert.equal(await instanceFilter.inputValue(), '', 'each page starts with everyone');
  await instanceFilter.selectOption(BOB);
  await instanceRow(hers.instance_ids[0]).waitFor({ state: 'detached' });
  // The page reads the instances again every 3 s: the choice holds.
  await page.waitForTimeout(3_500);
  assert.equal(await instanceFilter.inputValue(), BOB);
  assert.equal(await instanceRow(hers.instance_ids[0]).count(), 0);
  assert.equal(await instanceRow(his.instance_ids[0]).count(), 1);
  assert.deepEqual([...new Set(await placers(instances))], [BOB], 'only bob\'s instances remain');
  await instanceFilter.selectOption({ label: 'Everyone' });
  await instanceRow(hers.instance_ids[0]).waitFor();
  await screenshot(page, 'team-instances');
  // Her "release all" is all of hers, and says so: the dialog names her instances and none of bob's (then cancelled).
  assert.equal(await page.getByTestId('release-all').textContent(), 'Release all of mine');
  await page.getByTestId('release-all').click();
  const dialog = page.getByTestId('release-dialog');
  const named = await dialog.locator('p').first().textContent();
  for (const id of hers.instance_ids) assert.ok(named.includes(id), named);
  for (const id of his.instance_ids) assert.ok(!named.includes(id), named);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // A link with bob's key opened in her signed-in browser (from a chat: a navigation of her own) does not swap
  // her session for his, over plain HTTP too: her cookie reaches the page that reads the link.
  await page.goto(withToken(proxy.url, bobKey));
  assert.equal(new URL(page.url()).search, '', 'the key is gone from the URL');
  await page.getByRole('button', { name: 'Instances' }).click();
  await instanceRow(hers.instance_ids[0]).waitFor();
  await page.getByTestId('release-all').click();
  const stillHers = await dialog.locator('p').first().textContent();
  for (const id of hers.instance_ids) assert.ok(stillHers.includes(id), `still signed in as alice: ${stillHers}`);
  for (const id of his.instance_ids) assert.ok(!stillHers.includes(id), stillHers);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // On a 390 px phone the person filter and each order's status stay in view, with no sideways page scroll.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: 'Orders' }).click();
  await orderRow(his.id).waitFor();
  const phoneFilter = page.getByTestId('person-filter');
  await phoneFilter.selectOption(BOB);
  await orderRow(hers.id).waitFor({ state: 'detached' });
  const box = await phoneFilter.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the filter is in view: ${JSON.stringify(box)}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no page scroll');
  const status = await orderRow(his.id).locator('td.status').boundingBox();
  assert.ok(status && status.x + status.width <= 390, `the status is in view: ${JSON.stringify(status)}`);
  await screenshot(page, 'team-orders-390');

  // A revoked key is refused: by the API, and as a sign-in link in a fresh browser context.
  users('revoke', BOB);
  const refused = await fetch(new URL('api/v1/orders', proxy.url), { headers: { authorization: `Bearer ${bobKey}` } });
  assert.equal(refused.status, 401);
  const revoked = await openPage(browser, withToken(proxy.url, bobKey), { signIn: false });
  assert.equal(new URL(revoked.page.url()).search, '', 'the key is gone from the URL');
  await revoked.page.getByTestId('proxy-status').getByText(/not signed in/).waitFor();
  assert.doesNotMatch(await revoked.page.getByTestId('proxy-status').textContent(), /connected/);
  const cookies = await revoked.context.cookies();
  assert.ok(!cookies.some((cookie) => cookie.value === bobKey), 'no session cookie for a revoked key');
  await screenshot(revoked.page, 'team-revoked-not-signed-in');

  assert.deepEqual(revoked.problems, []);
  assert.deepEqual(problems, []);
});
