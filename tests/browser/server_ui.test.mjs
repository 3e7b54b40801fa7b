// The live-sessions page of `rstream webtty server --listen` in a real browser: sign in,
// start a session from the form, type and see the output, a second page on the same session,
// reload and get the scrollback back, resize and see `stty size` follow, a spectator that
// cannot type, control requested and granted, the exit notice. Also the browser auth rules:
// a WebSocket upgrade from a foreign Origin and a cookie POST without the CSRF header.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser, rawRequest, screenText, screenshot, startServer, typeInTerminal, upgradeHeaders,
  waitForScreenLine,
} from './harness.mjs';

const TOKEN = 'browser-test-token-6c0e2a4f8b1d3e5a7092c4e6f8a1b3d5';
let server;
let browser;
let context;
let page1;
let page2;
let sessionId;

/** The terminal of `page` shows a line equal to `text`. */
function waitForText(page, text, what) {
  return waitForScreenLine(page, (line) => line.trim() === text, { what: what || JSON.stringify(text) });
}

/** Runs `echo TAG:$(stty size)` in `page` and answers [rows, cols] as the command saw them. */
async function sttySize(page, tag) {
  await typeInTerminal(page, `echo ${tag}:$(stty size)\n`);
  const line = await waitForScreenLine(page, (l) => new RegExp(`^${tag}:\\d+ \\d+$`).test(l.trim()),
    { what: `${tag}:ROWS COLS` });
  return line.trim().slice(tag.length + 1).split(' ').map(Number);
}

/** Rows of the visible terminal as xterm.js lays them out. */
function visibleRows(page) {
  return page.evaluate(() => document.querySelector('.pane:not([hidden]) .xterm-rows').children.length);
}

async function badge(page) {
  return page.locator('.pane:not([hidden]) [data-testid=role-badge]').getAttribute('data-role');
}

async function waitForBadge(page, role) {
  await page.locator(`.pane:not([hidden]) [data-testid=role-badge][data-role=${role}]`).waitFor();
}

before(async () => {
  server = await startServer(['--token', TOKEN]);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
  page1 = await context.newPage();
  page2 = await context.newPage();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('the page asks for the token and keeps it out of the URL', async () => {
  await page1.goto(server.url + '/');
  await page1.waitForSelector('#login-form');
  await screenshot(page1, 'server-login');
  await page1.fill('#login-token', TOKEN);
  await page1.click('#login-form button[type=submit]');
  await page1.waitForSelector('.sidebar');
  assert.ok(!page1.url().includes(TOKEN));
  await screenshot(page1, 'server-empty');
});

test('a session started from the form runs what is typed', async () => {
  await page1.click('[data-action=new-session]');
  await page1.fill('#new-session-form input[name=name]', 'demo');
  await page1.fill('#new-session-form input[name=command]', "env PS1='$ ' bash --norc --noprofile");
  await page1.click('#new-session-form button[type=submit]');
  await waitForBadge(page1, 'controller');
  sessionId = await page1.locator('.terminal-pane.pane:not([hidden])').getAttribute('data-session');
  assert.ok(sessionId);
  await typeInTerminal(page1, 'echo "hel""lo"\n');
  await waitForText(page1, 'hello');
  // The sidebar lists it as running, with its client.
  await page1.locator(`.session[data-session="${sessionId}"][data-state=running]`).waitFor();
  await screenshot(page1, 'server-session');
});

test('a second page on the same session sees the scrollback and the live output', async () => {
  await page2.goto(`${server.url}/#/session/${sessionId}`);
  await waitForBadge(page2, 'spectator');
  await waitForText(page2, 'hello');
  await typeInTerminal(page1, 'echo "sec""ond"\n');
  await waitForText(page2, 'second');
});

test('a spectator page cannot type', async () => {
  await typeInTerminal(page2, 'echo "no""pe"\n');
  await page2.locator('.pane:not([hidden]) .hint').waitFor();
  await screenshot(page2, 'server-spectator');
  // Whatever the spectator typed would have come before this marker.
  await typeInTerminal(page1, 'echo "mar""ker"\n');
  await waitForText(page1, 'marker');
  await waitForText(page2, 'marker');
  assert.ok(!(await screenText(page1)).includes('nope'));
});

test('resizing the viewport changes the size the session sees', async () => {
  const [rows1, cols1] = await sttySize(page1, 'sizeA');
  assert.equal(rows1, await visibleRows(page1));
  await page1.setViewportSize({ width: 980, height: 560 });
  // Wait for the terminal to refit: the resize message goes out in the same step.
  await page1.waitForFunction((before) =>
    document.querySelector('.pane:not([hidden]) .xterm-rows').children.length !== before, rows1);
  const [rows2, cols2] = await sttySize(page1, 'sizeB');
  assert.ok(rows2 < rows1, `rows ${rows1} → ${rows2}`);
  assert.ok(cols2 < cols1, `cols ${cols1} → ${cols2}`);
  assert.equal(rows2, await visibleRows(page1));
  await page1.setViewportSize({ width: 1360, height: 820 });
  await page1.waitForFunction((before) =>
    document.querySelector('.pane:not([hidden]) .xterm-rows').children.length !== before, rows2);
});

test('a reload brings the scrollback back', async () => {
  await page1.reload();
  await page1.locator('.pane:not([hidden]) [data-testid=role-badge]:not([data-role=""])').waitFor();
  await waitForText(page1, 'hello');
  await waitForText(page1, 'second');
});

test('control is requested by one page and granted by the other', async () => {
  // After the reload page1 may have come back as controller or spectator; make page2 ask
  // whoever controls.
  let asker = page2;
  let holder = page1;
  if ((await badge(page1)) !== 'controller') {
    [asker, holder] = [page1, page2];
    if ((await badge(holder)) !== 'controller') {
      // Nobody controls: a request is granted at once, then the other page asks.
      await holder.click('.pane:not([hidden]) [data-action=request-control]');
      await holder.fill('.pane:not([hidden]) .ask-control input', 'take it');
      await holder.click('.pane:not([hidden]) [data-action=send-request]');
      await waitForBadge(holder, 'controller');
    }
  }
  await asker.click('.pane:not([hidden]) [data-action=request-control]');
  await asker.fill('.pane:not([hidden]) .ask-control input', 'fix the build');
  await asker.click('.pane:not([hidden]) [data-action=send-request]');
  const request = holder.locator('.pane:not([hidden]) .request');
  await request.waitFor();
  assert.match(await request.innerText(), /fix the build/);
  await screenshot(holder, 'server-control-request');
  await request.locator('[data-action=grant]').click();
  await waitForBadge(asker, 'controller');
  await waitForBadge(holder, 'spectator');
  await typeInTerminal(asker, 'echo "gran""ted"\n');
  await waitForText(holder, 'granted');
  page1 = asker;  // the controller from here on
  page2 = holder;
});

test('the session end shows the exit code', async () => {
  await typeInTerminal(page1, 'exit 3\n');
  for (const page of [page1, page2]) {
    const notice = page.locator('.pane:not([hidden]) [data-testid=notice]');
    await notice.waitFor();
    assert.match(await notice.innerText(), /exit code 3/);
  }
  await page1.locator(`.session[data-session="${sessionId}"][data-state=terminated]`).waitFor();
  await screenshot(page1, 'server-ended');
});

test('a WebSocket upgrade from a foreign Origin is refused', async () => {
  const cookies = await context.cookies(server.url);
  const login = cookies.find((c) => c.name === `rstream_token_${server.port}`);
  assert.ok(login, 'the login cookie is set');
  assert.equal(login.httpOnly, true);
  assert.equal(login.sameSite, 'Strict');
  const cookie = `${login.name}=${login.value}`;
  const host = `127.0.0.1:${server.port}`;
  const foreign = await rawRequest(server.port, {
    path: `/ws/terminal/${sessionId}`,
    headers: upgradeHeaders({ Host: host, Origin: 'http://evil.example', Cookie: cookie }),
  });
  assert.equal(foreign.status, 403);
  const noOrigin = await rawRequest(server.port, {
    path: `/ws/terminal/${sessionId}`, headers: upgradeHeaders({ Host: host, Cookie: cookie }),
  });
  assert.equal(noOrigin.status, 403);
  const ours = await rawRequest(server.port, {
    path: `/ws/terminal/${sessionId}`,
    headers: upgradeHeaders({ Host: host, Origin: `http://${host}`, Cookie: cookie }),
  });
  assert.equal(ours.status, 101);
});

test('a cookie-authenticated POST without the CSRF header is refused', async () => {
  const cookies = await context.cookies(server.url);
  const login = cookies.find((c) => c.name === `rstream_token_${server.port}`);
  const headers = { Host: `127.0.0.1:${server.port}`, Cookie: `${login.name}=${login.value}`, 'Content-Type': 'application/json' };
  const body = JSON.stringify({ command: 'true' });
  const refused = await rawRequest(server.port, { method: 'POST', path: '/api/terminal/sessions', headers, body });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /X-Rstream-CSRF/);
  const allowed = await rawRequest(server.port, {
    method: 'POST', path: '/api/terminal/sessions', headers: { ...headers, 'X-Rstream-CSRF': '1' }, body,
  });
  assert.equal(allowed.status, 201);
  const noCookie = await rawRequest(server.port, {
    method: 'POST', path: '/api/terminal/sessions', headers: { 'Content-Type': 'application/json', 'X-Rstream-CSRF': '1' }, body,
  });
  assert.equal(noCookie.status, 401);
});
