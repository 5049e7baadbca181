// A proxy killed in the middle of a release, for real: the cloud (its stand-in) has acted on the release and is
// slow to say so; the proxy process gets SIGKILL before the answer arrives. The next proxy on the same data settles
// the release from the log — describing first, so nothing is sent twice — and a retry with the same key answers
// what was done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, startStandin } from './harness.mjs';

const KEY = ['AKIDCrashSecretId0001', 'TencentCrashSecret-9o8i7u6y5t4r'];
let standin;
let env;
before(async () => {
  standin = await startStandin('tencent', ...KEY, ['--pending-ms', '0', '--release-delay-ms', '4000']);
  env = {
    TENCENTCLOUD_SECRET_ID: KEY[0],
    TENCENTCLOUD_SECRET_KEY: KEY[1],
    SPOTPLAN_ENDPOINT_TENCENT: standin.url,
    SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), 'spotplan-e2e-crash-')),
    SPOTPLAN_INSTANCE_POLL_MS: '300',
    SPOTPLAN_RUNNING_RECHECK_MS: '300',
    SPOTPLAN_TOKEN: 'crash-test-token-0123456789abcdef',
  };
});
after(() => standin?.stop());

const api = (proxy, path, init = {}) =>
  fetch(new URL(path, proxy.url), {
    ...init,
    headers: { 'content-type': 'application/json', 'x-spotplan-token': proxy.token, ...(init.headers ?? {}) },
  });

test('a proxy killed mid-release: the next one settles it without sending it twice', async () => {
  const first = await startProxy({ env });
  const order = JSON.parse(await readFile(new URL('../../examples/orders/tencent.json', import.meta.url), 'utf8'));
  Object.assign(order, { count: 2 });
  delete order.min_count;
  const placed = await (await api(first, 'api/v1/orders', {
    method: 'POST', headers: { 'idempotency-key': 'e2e-crash-order-0001' }, body: JSON.stringify(order),
  })).json();
  assert.equal(placed.status, 'succeeded', JSON.stringify(placed));
  const running = async (proxy) => (await (await api(proxy, 'api/v1/instances')).json()).instances;
  for (let tries = 0; tries < 50 && !(await running(first)).every((row) => row.state === 'running'); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // The release reaches the cloud, which acts and answers four seconds later; the proxy dies in between.
  const body = JSON.stringify({ order_id: placed.id });
  const headers = { 'idempotency-key': 'e2e-crash-release-0001' };
  const pending = api(first, 'api/v1/instances/release', { method: 'POST', headers, body }).catch((error) => error);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await first.kill();
  assert.ok((await pending) instanceof Error, 'the client saw no answer');
  const acted = await (await fetch(new URL('__standin/lifecycle', standin.url))).json();
  for (const id of placed.instance_ids) assert.equal(acted.releases[id], 1, JSON.stringify(acted));

  // The next proxy on the same data settles the release from its log: the cloud no longer has them.
  const second = await startProxy({ env });
  try {
    let answer;
    for (let tries = 0; tries < 50; tries += 1) {
      answer = await (await api(second, 'api/v1/instances/release', { method: 'POST', headers, body })).json();
      if (answer.outcomes?.every((outcome) => outcome.result !== 'unknown')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(answer.replayed, true, JSON.stringify(answer));
    assert.deepEqual(answer.outcomes.map((outcome) => outcome.result), ['already_gone', 'already_gone']);
    for (let tries = 0; tries < 50 && !(await running(second)).every((row) => row.state === 'released'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual((await running(second)).map((row) => row.state), ['released', 'released']);
    const after = await (await fetch(new URL('__standin/lifecycle', standin.url))).json();
    assert.deepEqual(after.releases, acted.releases, 'nothing was sent twice');
  } finally {
    await second.stop();
  }
});
