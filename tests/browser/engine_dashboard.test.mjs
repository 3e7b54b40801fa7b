// The engine dashboard in a real browser: sign in with an engine token, see a labelled tunnel
// in the inventory, filter it, see why a --no-publish tunnel has no terminal, and open a
// terminal on the published one (WebTTY frames over the published WebSocket). Also the
// browser auth rules on the engine: foreign Origin on an upgrade, cookie POST without CSRF.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser, rawRequest, screenshot, startEngine, startTunnelServer, typeInTerminal,
  upgradeHeaders, waitForScreenLine,
} from './harness.mjs';

let engine;
let published;
let hidden;
let browser;
let page;
const suffix = String(process.pid);
const names = { published: `web-${suffix}`, hidden: `hidden-${suffix}` };

before(async () => {
  engine = await startEngine();
  published = await startTunnelServer(engine, names.published, ['--label', 'role=browser-test', '--label', 'team=ui']);
  hidden = await startTunnelServer(engine, names.hidden, ['--no-publish', '--label', 'role=private']);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
});

after(async () => {
  if (browser) await browser.close();
  if (published) await published.stop();
  if (hidden) await hidden.stop();
  if (engine) await engine.stop();
});

test('the dashboard asks for a token and refuses a wrong one', async () => {
  await page.goto(engine.url + '/');
  await page.waitForSelector('#login-form');
  await screenshot(page, 'engine-login');
  await page.fill('#login-token', 'not-the-token');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('.login-error:text("not accepted")');
  await page.fill('#login-token', engine.adminToken);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('table.tunnels');
  // The token never shows up in the URL.
  assert.ok(!page.url().includes(engine.adminToken));
});

test('the inventory lists the labelled tunnel and says why the unpublished one has no terminal', async () => {
  const row = page.locator(`tr[data-tunnel="${names.published}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /role=browser-test/);
  assert.match(await row.innerText(), /team=ui/);
  await row.locator('[data-action=open-terminal]').waitFor();
  const hiddenRow = page.locator(`tr[data-tunnel="${names.hidden}"]`);
  await hiddenRow.waitFor();
  assert.match(await hiddenRow.locator('[data-testid=no-terminal]').innerText(), /not published/);
  assert.equal(await hiddenRow.locator('[data-action=open-terminal]').count(), 0);
  await screenshot(page, 'engine-dashboard');

  // Free text filters in the page; key=value terms go to the engine's filter.
  await page.fill('#tunnel-filter', 'browser-test');
  await page.locator(`tr[data-tunnel="${names.hidden}"]`).waitFor({ state: 'detached' });
  assert.equal(await page.locator(`tr[data-tunnel="${names.published}"]`).count(), 1);
  await page.fill('#tunnel-filter', 'labels.rstream.webtty.label.role=private');
  await page.locator(`tr[data-tunnel="${names.published}"]`).waitFor({ state: 'detached' });
  await page.locator(`tr[data-tunnel="${names.hidden}"]`).waitFor();
  await screenshot(page, 'engine-dashboard-filtered');
  await page.fill('#tunnel-filter', '');
  await page.locator(`tr[data-tunnel="${names.published}"]`).waitFor();
});

test('a terminal on the published tunnel runs commands', async () => {
  await page.locator(`tr[data-tunnel="${names.published}"] [data-action=open-terminal]`).click();
  await page.waitForSelector('.terminal-pane .badge.controller');
  await typeInTerminal(page, 'echo "hel""lo from $((6*7))"\n');
  await waitForScreenLine(page, (line) => line.trim() === 'hello from 42', { what: '"hello from 42"' });
  await screenshot(page, 'engine-terminal');
  await typeInTerminal(page, 'exit 7\n');
  const notice = page.locator('.pane:not([hidden]) [data-testid=notice]');
  await notice.waitFor();
  assert.match(await notice.innerText(), /exit code 7/);
});

test('the engine refuses a WebSocket upgrade from a foreign Origin', async () => {
  const cookie = `rstream_token_${engine.port}=${engine.adminToken}`;
  const foreign = await rawRequest(engine.port, {
    path: `/api/tunnels/${names.published}/webtty`,
    headers: upgradeHeaders({ Host: `127.0.0.1:${engine.port}`, Origin: 'http://evil.example', Cookie: cookie }),
  });
  assert.equal(foreign.status, 403);
  const bearer = await rawRequest(engine.port, {
    path: `/api/tunnels/${names.published}/webtty`,
    headers: upgradeHeaders({ Host: `127.0.0.1:${engine.port}`, Origin: 'http://127.0.0.1:1', Authorization: `Bearer ${engine.adminToken}` }),
  });
  assert.equal(bearer.status, 403);
});

test('a cookie-authenticated POST without the CSRF header is refused', async () => {
  const cookies = await page.context().cookies(engine.url);
  const login = cookies.find((c) => c.name === `rstream_token_${engine.port}`);
  assert.ok(login, 'the login cookie is set');
  assert.equal(login.httpOnly, true);
  assert.equal(login.sameSite, 'Strict');
  const body = JSON.stringify({ role: 'read-only', name: 'csrf-probe' });
  const headers = { Host: `127.0.0.1:${engine.port}`, Cookie: `${login.name}=${login.value}`, 'Content-Type': 'application/json' };
  const refused = await rawRequest(engine.port, { method: 'POST', path: '/api/tokens', headers, body });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /X-Rstream-CSRF/);
  const allowed = await rawRequest(engine.port, {
    method: 'POST', path: '/api/tokens', headers: { ...headers, 'X-Rstream-CSRF': '1' }, body,
  });
  assert.equal(allowed.status, 201);
});
