// The end-to-end harness: starts the real proxy process on a free loopback port, serves a folder statically
// when a test needs "no proxy", and launches Debian's Chromium (never a downloaded browser) with playwright-core.
// A browser gets the proxy's token only through a sign-in link, so `openPage` signs in by adding the proxy's
// token (fixed per run with SPOTPLAN_TOKEN) to the URL, unless a test asks it not to.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through \`cargo xtask test\``);
  return value;
};

export const proxyBin = () => required('SPOTPLAN_PROXY_BIN');
export const distDir = () => required('SPOTPLAN_DIST');
export const artifactsDir = () => required('SPOTPLAN_ARTIFACTS');

/** Starts a cloud's stand-in (`spotplan-standin`) on 127.0.0.1:0 (with `extraArgs`, e.g. `--pending-ms`) and resolves with its URL. */
export async function startStandin(cloud, accessKeyId, secret, extraArgs = []) {
  const child = spawn(required('SPOTPLAN_STANDIN_BIN'), ['--cloud', cloud, '--access-key-id', accessKeyId, '--secret', secret, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`stand-in ${cloud} did not start`)), 10_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/at (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
  });
  return { url, stop: () => child.kill('SIGINT') };
}

/** Each cloud's credential variables, as its SDK and CLI name them. */
const CREDENTIAL_VARIABLES = {
  alibaba: ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
  tencent: ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY'],
  baidu: ['BCE_ACCESS_KEY_ID', 'BCE_SECRET_ACCESS_KEY'],
};

/**
 * Starts a stand-in for each cloud of `keys` (`{ alibaba: [id, secret], … }`) and resolves with the proxy environment
 * that holds those credentials, points each cloud's endpoint at its stand-in and keeps its data in a fresh folder
 * named after `name`, and the stand-ins (to stop afterwards).
 */
export async function standinsFor(keys, name) {
  const env = { SPOTPLAN_DATA_DIR: await mkdtemp(join(tmpdir(), `spotplan-e2e-${name}-`)) };
  const standins = [];
  for (const [cloud, [id, secret]] of Object.entries(keys)) {
    const standin = await startStandin(cloud, id, secret);
    standins.push(standin);
    const [idVariable, secretVariable] = CREDENTIAL_VARIABLES[cloud];
    env[idVariable] = id;
    env[secretVariable] = secret;
    env[`SPOTPLAN_ENDPOINT_${cloud.toUpperCase()}`] = standin.url;
  }
  return { env, standins };
}

/** The API token of each running proxy, by origin: `openPage` signs in with it. */
const tokens = new Map();

/**
 * Starts `spotplan-proxy` on 127.0.0.1:0 with a random SPOTPLAN_TOKEN and resolves once it prints its URL and its
 * one-time sign-in link.
 */
export async function startProxy({ env = {}, args = [] } = {}) {
  const token = env.SPOTPLAN_TOKEN ?? randomBytes(24).toString('hex');
  const child = spawn(proxyBin(), ['--listen', '127.0.0.1:0', '--static-dir', distDir(), ...args], {
    env: { ...process.env, SPOTPLAN_LOG: 'warn', SPOTPLAN_TOKEN: token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const { url, signInLink } = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start in 10 s: ${stderr}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const running = stdout.match(/running at (http:\/\/127\.0\.0\.1:\d+\/)/);
      const link = stdout.match(/Sign in with this link[^:]*: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/);
      if (running && link) { clearTimeout(timer); resolve({ url: running[1], signInLink: link[1] }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`proxy exited with ${code}: ${stderr}`)); });
  });
  const origin = new URL(url).origin;
  tokens.set(origin, token);
  return {
    url,
    token,
    signInLink,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Kills the process at once (SIGKILL): no shutdown, as a crash or a power cut. */
    kill: () => new Promise((resolve) => {
      tokens.delete(origin);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
    stop: () => new Promise((resolve) => {
      tokens.delete(origin);
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    }),
  };
}

/** `url` with `token=…` added to its query (the rest of the query and the fragment kept as they are). */
export function withToken(url, token) {
  const hashAt = url.indexOf('#');
  const [base, hash] = hashAt < 0 ? [url, ''] : [url.slice(0, hashAt), url.slice(hashAt)];
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}${hash}`;
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves a folder with a plain static server (no API at all), as a user might host the built app. */
export async function startStaticServer(dir) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** Launches headless Debian Chromium; collects console errors so a test can assert there were none. */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/**
 * Opens a page that records console errors and failed requests (a Content-Security-Policy violation is a console
 * error too). On a proxy's URL it signs the fresh browser context in first, unless `signIn` is false; the proxy
 * answers the sign-in with a redirect to `url` itself.
 */
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 }, fakeClock = false, signIn = true } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // A fake clock still flows in real time, but a test can jump it ahead (page.clock.fastForward).
  if (fakeClock) await page.clock.install();
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  const token = signIn ? tokens.get(new URL(url).origin) : undefined;
  await page.goto(token ? withToken(url, token) : url);
  return { page, problems, context };
}

/** Saves a full-page screenshot under the artefacts folder and returns its path. */
export async function screenshot(page, name) {
  await mkdir(artifactsDir(), { recursive: true });
  const path = join(artifactsDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A table row's cells by column id (each cell's `data-col`): `cells.place` is the zone's text; `cells.titles.place`
 * its hover text (the provenance of a price, the full name of a cloud).
 */
export async function rowCells(row) {
  return row.evaluate((tr) => {
    const cells = { titles: {} };
    for (const td of tr.querySelectorAll('td[data-col]')) {
      cells[td.dataset.col] = td.textContent;
      cells.titles[td.dataset.col] = td.getAttribute('title') ?? '';
    }
    return cells;
  });
}

/** The rendered rows of one cloud (`alibaba`, `tencent`, `baidu`) in the offer table. */
export function cloudRows(table, cloud) {
  return table.locator(`tbody tr:has(td[data-col=cloud].${cloud})`);
}

/**
 * Finds the first row of the windowed offer table whose cells (see `rowCells`) satisfy `matches(cells)`, scrolling the table
 * from the top until it is rendered (only the rows in view exist in the page). Resolves with the row's locator
 * and cells, or throws naming what was looked for.
 */
export async function findOfferRow(page, matches, description) {
  const scroller = page.getByRole('region', { name: 'Ranked offers' });
  const table = page.getByTestId('ranked-table');
  await scroller.evaluate((element) => { element.scrollTop = 0; });
  for (let step = 0; step < 400; step += 1) {
    const rows = table.locator('tbody tr:not([aria-hidden])');
    for (let index = 0; index < (await rows.count()); index += 1) {
      const cells = await rowCells(rows.nth(index));
      if (matches(cells)) return { row: rows.nth(index), cells };
    }
    const moved = await scroller.evaluate((element) => {
      const before = element.scrollTop;
      element.scrollTop = before + element.clientHeight * 0.8;
      return element.scrollTop > before;
    });
    if (!moved) break;
    // Wait for the rows of the new window to replace the old ones.
    await page.waitForTimeout(0);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }
  throw new Error(`no offer row ${description}`);
}
