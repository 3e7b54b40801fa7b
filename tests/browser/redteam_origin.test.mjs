// The red-team's browser attacks (issue 12, items 1 and 7), as they were made: a page on
// another origin in Chromium tries to run a command on a server that has no token, through
// /webtty and through the live-sessions API, and to open a terminal through an engine whose
// dashboard the same browser is logged into (the cookie is sent: 127.0.0.1 on another port is
// the same site). A name that rebinds to 127.0.0.1 gets nothing from either listener.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser, rawRequest, startAttackerSite, startEngine, startServer, startTunnelServer,
} from './harness.mjs';

let server;
let engine;
let tunnel;
let attacker;
let attackerPort;
let browser;
const tunnelName = `victim-${process.pid}`;
const REBIND = 'rebind.attacker.test';

/** In `page`, opens a WebSocket to `url` and sends `firstMessage` if it opens; resolves
 *  'opened' or 'refused' (error/close before open), bounded by the page's own timer. */
function tryWebSocket(page, url, firstMessage) {
  return page.evaluate(([target, message]) => new Promise((resolve) => {
    const ws = new WebSocket(target);
    ws.binaryType = 'arraybuffer';
    const timer = setTimeout(() => resolve('timeout'), 8000);
    ws.onopen = () => {
      clearTimeout(timer);
      if (message) ws.send(new Uint8Array(message));
      resolve('opened');
    };
    ws.onerror = () => { clearTimeout(timer); resolve('refused'); };
    ws.onclose = () => { clearTimeout(timer); resolve('refused'); };
  }), [url, firstMessage]);
}

/** An encoded WebTTY Open frame for `argv` (version 1, type 1, JSON payload). */
function openFrame(argv) {
  const payload = Buffer.from(JSON.stringify({ argv, env: {}, workdir: '', interactive: false, tty: false, cols: 80, rows: 24, heartbeat_ms: 0, token: '' }));
  const head = Buffer.alloc(6);
  head.writeUInt8(1, 0);
  head.writeUInt8(1, 1);
  head.writeUInt32BE(payload.length, 2);
  return Array.from(Buffer.concat([head, payload]));
}

before(async () => {
  server = await startServer();
  engine = await startEngine();
  tunnel = await startTunnelServer(engine, tunnelName);
  attacker = await startAttackerSite();
  attackerPort = attacker.address().port;
  browser = await launchBrowser([`--host-resolver-rules=MAP ${REBIND} 127.0.0.1`]);
});

after(async () => {
  if (browser) await browser.close();
  if (attacker) attacker.close();
  if (tunnel) await tunnel.stop();
  if (engine) await engine.stop();
  if (server) await server.stop();
});

test('a page on another origin cannot open /webtty on a server without a token', async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${attackerPort}/`);
  const marker = `/tmp/rstream-redteam-${process.pid}`;
  const outcome = await tryWebSocket(page, `ws://127.0.0.1:${server.port}/webtty`, openFrame(['touch', marker]));
  assert.equal(outcome, 'refused');
  await page.close();
});

test('a page on another origin cannot create a live session with a simple POST', async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${attackerPort}/`);
  const status = await page.evaluate(async (url) => {
    // text/plain: a "simple" request, sent without a preflight; no-cors hides the answer.
    await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ command: ['sh', '-c', 'id'] }) }).catch(() => {});
    return 'sent';
  }, `http://127.0.0.1:${server.port}/api/terminal/sessions`);
  assert.equal(status, 'sent');
  const listed = await rawRequest(server.port, { path: '/api/terminal/sessions' });
  assert.equal(listed.status, 200);
  assert.deepEqual(JSON.parse(listed.body).sessions, [], 'no session was created');
  await page.close();
});

test('a page on another origin cannot ride the engine login cookie into a terminal', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Log this browser into the engine dashboard: the cookie is now in the jar.
  await page.goto(engine.url + '/');
  const login = await page.evaluate(async (token) => {
    const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Rstream-CSRF': '1' },
      body: JSON.stringify({ token }) });
    return r.status;
  }, engine.adminToken);
  assert.equal(login, 200);
  // The same origin can open the published terminal (the control)...
  const own = await tryWebSocket(page, `ws://127.0.0.1:${engine.port}/api/tunnels/${tunnelName}/webtty`);
  assert.equal(own, 'opened');
  // ...another origin of the same site cannot, though the browser sends the cookie.
  await page.goto(`http://127.0.0.1:${attackerPort}/`);
  const outcome = await tryWebSocket(page, `ws://127.0.0.1:${engine.port}/api/tunnels/${tunnelName}/webtty`, openFrame(['id']));
  assert.equal(outcome, 'refused');
  await context.close();
});

test('a name that rebinds to 127.0.0.1 reaches neither the server nor the engine', async () => {
  const page = await browser.newPage();
  for (const port of [server.port, engine.port]) {
    const response = await page.goto(`http://${REBIND}:${port}/`);
    assert.equal(response.status(), 421, `port ${port}`);
    const body = await response.text();
    assert.match(body, /unknown_host/);
    // From the rebound origin, the API answers nothing either.
    const apiStatus = await page.evaluate(async () => (await fetch('/api/terminal/sessions')).status);
    assert.equal(apiStatus, 421);
  }
  await page.close();
});
