// Who may use the proxy, seen from the browser: loading the page hands out no token, so a page opened without
// signing in still plans offline and says how to sign in; the one-time link the proxy printed signs it in (and
// works only once); the page runs under its Content-Security-Policy without a single violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startProxy, launchBrowser, openPage, screenshot, cloudRows } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Records CSP violations the page reports (they are console errors too, but this names the directive). */
async function watchViolations(context) {
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}

test('not signed in: plans offline and says how to sign in; the printed link signs in once', async () => {
  const proxy = await startProxy();
  try {
    const { page, problems, context } = await openPage(browser, proxy.url, { signIn: false });
    await page.getByRole('heading', { level: 1, name: 'Spotplan' }).waitFor();
    const status = page.getByTestId('proxy-status');
    await status.getByText(/not signed in/).waitFor();
    const statusText = await status.textContent();
    assert.match(statusText, /open the sign-in link the proxy printed when it started/);
    assert.doesNotMatch(statusText, /connected/);
    // Planning needs no proxy: the core ranks offers from the embedded catalog in the page.
    const table = page.getByTestId('ranked-table');
    await table.locator('tbody tr:not([aria-hidden])').first().waitFor();
    assert.match(await page.getByTestId('plan-summary').textContent(), /^\d+ offers match\./);
    await screenshot(page, 'security-not-signed-in');

    // The link the proxy printed signs this browser in and leaves no token in the address bar.
    await watchViolations(context);
    const response = await page.goto(proxy.signInLink);
    assert.equal(new URL(page.url()).search, '', 'the token is gone from the URL');
    const policy = response.headers()['content-security-policy'];
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.match(policy, /frame-ancestors 'none'/);
    await status.getByText(/Proxy .* connected/).waitFor();
    await page.getByTestId('ranked-table').locator('tbody tr:not([aria-hidden])').first().waitFor();
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    await screenshot(page, 'security-signed-in');

    // It works once: another browser opening the same link is not signed in.
    const { page: other, problems: otherProblems } = await openPage(browser, proxy.signInLink, { signIn: false });
    await other.getByTestId('proxy-status').getByText(/not signed in/).waitFor();
    assert.deepEqual(otherProblems, []);
    assert.deepEqual(problems, [], 'no console errors, CSP violations included');
  } finally {
    assert.equal(await proxy.stop(), 0, 'Ctrl-C stops the proxy cleanly');
  }
});

test('the sign-in form: a wrong token is refused beside the field, the right one signs in and stays out of the URL', async () => {
  const proxy = await startProxy();
  try {
    const { page, problems } = await openPage(browser, proxy.url, { signIn: false });
    const status = page.getByTestId('proxy-status');
    await status.getByText(/not signed in/).waitFor();
    const form = page.getByTestId('sign-in-form');
    const field = form.getByLabel(/token/);
    assert.equal(await field.getAttribute('type'), 'password');
    // Sent empty (or blank), the form says so beside the field rather than do nothing.
    await field.fill('   ');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('sign-in-refused').getByText('Nothing to sign in with: paste the token, a sign-in code or your key first').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    // Typing takes the note away: it was about the empty field.
    await field.fill('not-the-token-0123456789');
    await page.getByTestId('sign-in-refused').waitFor({ state: 'detached' });
    assert.equal(await field.getAttribute('aria-invalid'), 'false');
    await form.getByRole('button', { name: 'Sign in' }).click();
    const refused = page.getByTestId('sign-in-refused');
    await refused.waitFor();
    assert.match(await refused.textContent(), /not the proxy's token/);
    await status.getByText(/not signed in/).waitFor();
    await screenshot(page, 'security-sign-in-refused');

    // A bid typed before signing in stays: the page asks the proxy again, it does not reload.
    const table = page.getByTestId('ranked-table');
    await cloudRows(table, 'alibaba').first().getByRole('button', { name: /^Choose/ }).click();
    await page.getByLabel('Set a maximum price').check();
    const bid = page.getByRole('textbox', { name: /^Maximum price/ });
    await bid.fill('0.4321');
    await field.fill(proxy.token);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await status.getByText(/Proxy .* connected/).waitFor();
    assert.equal(await bid.inputValue(), '0.4321', 'the typed bid is kept');
    assert.ok(!page.url().includes(proxy.token), 'the token never entered the URL');
    assert.equal(await page.getByTestId('sign-in-form').count(), 0, 'the form is gone once signed in');
    // The only console errors are the browser's note of the refused attempt's 401.
    assert.deepEqual(problems.filter((problem) => !/401/.test(problem)), []);
  } finally {
    assert.equal(await proxy.stop(), 0);
  }
});
