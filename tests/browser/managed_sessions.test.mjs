// Managed sessions in the engine dashboard, in a real browser against the real binaries: an
// engine, a registered server whose recording policy is `recorded`, and a session to it opened by
// `rstream webtty client` on a pseudo-terminal (util-linux `script`). The dashboard lists the
// session, spectates it (the screen it printed, then live output; keystrokes go nowhere), asks
// for control with a reason (granted from the CLI: then typed text reaches the shell), and after
// the session exits replays its recording (play, speed, seek to the end and back). A read-only
// token watches but gets the engine's 403 messages for control and for the recording.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  binary, cleanEnv, dashboardAs, launchBrowser, rawRequest, runCli, screenText, screenshot, startEngine,
  startRegisteredServer, typeInTerminal, waitForScreenLine,
} from './harness.mjs';

let engine;
let server;
let client;
let browser;
let admin;   // {context, page} signed in with the admin token
let viewer;  // the same with a read-only token
let sessionId;
const serverName = `rec-${process.pid}`;

/** One request to the engine's API as the admin (Bearer): {status, json}. */
async function engineApi(method, target, body) {
  const headers = { Authorization: `Bearer ${engine.adminToken}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const answer = await rawRequest(engine.port, { method, path: target, headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : null };
}

/** Polls `read` (async) until it answers a truthy value; bounded by `timeout`. */
async function eventually(read, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `rstream webtty client --url rstrm://NAME -- sh` on a pseudo-terminal: type(), waitFor(), seen. */
function startClient() {
  const quoted = `'${binary().replace(/'/g, "'\\''")}'`;
  const proc = spawn('script', ['-qfec', `exec ${quoted} webtty client --url rstrm://${serverName} -- sh`, '/dev/null'],
    { env: cleanEnv({ ...engine.env, HOME: engine.home, TERM: 'xterm' }), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const handle = {
    proc,
    seen: '',
    type: (text) => proc.stdin.write(text),
    waitFor: (marker) => eventually(() => handle.seen.includes(marker), `${marker} at the client; it saw ${handle.seen.slice(-800)}`),
    exited: new Promise((resolve) => proc.once('exit', resolve)),
    stop() {
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
  proc.stdout.on('data', (chunk) => { handle.seen += chunk.toString(); });
  proc.stderr.on('data', (chunk) => { handle.seen += chunk.toString(); });
  return handle;
}

/** A browser context signed into the dashboard with `token`, on the Sessions tab. */
function signedIn(token) {
  return dashboardAs(browser, engine, token, { tab: 'Sessions', ready: 'table[data-testid=sessions]' });
}

before(async () => {
  engine = await startEngine();
  server = await startRegisteredServer(engine, serverName, ['--recording-policy', 'recorded']);
  client = startClient();
  client.type('echo SPECTATE-$((6*7))\n');
  await client.waitFor('SPECTATE-42');
  const listing = await eventually(async () => {
    const answer = await engineApi('GET', '/api/webtty/sessions?status=active');
    return answer.json.sessions.length === 1 && answer.json;
  }, 'the session in the engine\'s list');
  sessionId = listing.sessions[0].id;
  const made = await engineApi('POST', '/api/tokens', { role: 'read-only', name: 'viewer' });
  assert.equal(made.status, 201);
  browser = await launchBrowser();
  admin = await signedIn(engine.adminToken);
  viewer = await signedIn(made.json.token);
});

after(async () => {
  if (browser) await browser.close();
  if (client) client.stop();
  if (server) await server.stop();
  if (engine) await engine.stop();
});

test('the Sessions tab lists the active session like `sessions list`', async () => {
  const row = admin.page.locator(`tr[data-session="${sessionId}"]`);
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, new RegExp(serverName));
  assert.match(text, /active/);
  assert.match(text, /interactive/);
  assert.match(text, /human/);
  assert.match(text, /p1/);
  await row.locator('[data-action=replay]').waitFor();  // recorded
  await screenshot(admin.page, 'sessions-list');
});

test('spectating shows the screen, then live output, and keystrokes go nowhere', async () => {
  const { page } = admin;
  await page.locator(`tr[data-session="${sessionId}"] [data-action=spectate]`).click();
  await page.waitForSelector('.pane:not([hidden]) [data-testid=role-badge][data-role=spectator]');
  // Markers end a line (the shell may print its prompt first when the command was typed early).
  await waitForScreenLine(page, (line) => line.endsWith('SPECTATE-42'), { what: 'the repainted SPECTATE-42' });
  client.type('echo LIVE-$((1+1))\n');
  await waitForScreenLine(page, (line) => line.endsWith('LIVE-2'), { what: 'live output LIVE-2' });
  await typeInTerminal(page, 'echo LEAK-$((2+2))\n');
  await screenshot(page, 'sessions-spectate');
});

test('a read-only token watches but gets the engine\'s 403 for control and for recordings', async () => {
  const { page } = viewer;
  await page.locator(`tr[data-session="${sessionId}"] [data-action=spectate]`).click();
  await waitForScreenLine(page, (line) => line.endsWith('LIVE-2'), { what: 'LIVE-2 for the read-only token' });
  await page.fill('.pane:not([hidden]) [data-testid=control-reason]', 'let me in');
  await page.click('.pane:not([hidden]) [data-action=request-control]');
  const error = page.locator('.pane:not([hidden]) [data-testid=session-error]');
  await error.waitFor();
  assert.match(await error.innerText(), /read-only: requesting control needs a read-write token/);
  // Nor through the WebSocket's own control message (what `sessions join --request-control` sends).
  const answer = await page.evaluate((id) => new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${location.host}/api/webtty/sessions/${id}/ws?name=sneak`);
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const message = JSON.parse(event.data);
      if (message.type === 'hello') socket.send(JSON.stringify({ type: 'request_control', reason: 'sneak' }));
      if (message.type === 'error' || message.type === 'control_requested') {
        socket.close();
        resolve(message);
      }
    };
    socket.onclose = () => reject(new Error('closed before an answer'));
  }), sessionId);
  assert.equal(answer.code, 'forbidden', JSON.stringify(answer));
  assert.match(answer.message, /read-only/);
  const requests = await engineApi('GET', `/api/webtty/sessions/${sessionId}/control-requests`);
  assert.deepEqual(requests.json.requests, []);
  await page.locator('.tab', { hasText: 'Sessions' }).click();
  await page.fill('#replay-id', sessionId);
  await page.click('.replay-by-id button[type=submit]');
  const refusal = page.locator('.pane:not([hidden]) [data-testid=replay-error]');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /reading recordings needs an admin token/);
  await screenshot(page, 'sessions-read-only');
});

test('control requested with a reason and granted from the CLI: typed text reaches the session', async () => {
  const { page } = admin;
  await page.locator('.tab', { hasText: sessionId.slice(-6) }).first().click();
  await page.fill('.pane:not([hidden]) [data-testid=control-reason]', 'fix the build');
  await page.click('.pane:not([hidden]) [data-action=request-control]');
  const status = page.locator('.pane:not([hidden]) [data-testid=request-status]');
  await page.waitForSelector('.pane:not([hidden]) [data-testid=request-status][data-state=pending]');
  const pending = await eventually(async () => {
    const answer = await engineApi('GET', `/api/webtty/sessions/${sessionId}/control-requests`);
    return answer.json.requests.find((r) => r.state === 'pending');
  }, 'the pending control request');
  assert.equal(pending.reason, 'fix the build');
  runCli(engine, ['webtty', 'sessions', 'resolve-control', sessionId, String(pending.id), '--action', 'grant']);
  await page.waitForSelector('.pane:not([hidden]) [data-testid=role-badge][data-role=controller]');
  assert.match(await status.innerText(), /granted/);
  await typeInTerminal(page, 'echo CTRL-$((3+3))\n');
  await waitForScreenLine(page, (line) => line.endsWith('CTRL-6'), { what: 'CTRL-6 typed by the browser' });
  await client.waitFor('CTRL-6');
  // What was typed while spectating never reached the shell (input is ordered: it would be here).
  assert.ok(!client.seen.includes('LEAK'), 'a spectator\'s keystrokes reached the session');
  await screenshot(page, 'sessions-controller');
  await typeInTerminal(page, 'echo FINAL-$((5*5))\nexit 0\n');
  const notice = page.locator('.pane:not([hidden]) [data-testid=notice]');
  await notice.waitFor();
  assert.match(await notice.innerText(), /exit code 0/);
  assert.equal(await client.exited, 0);
});

test('the recording replays: play at 4x, seek to the end, seek back to the start', async () => {
  const { page } = admin;
  await page.locator('.tab', { hasText: 'Sessions' }).click();
  await page.selectOption('#session-status', '');
  const row = page.locator(`tr[data-session="${sessionId}"][data-status=terminated]`);
  await row.waitFor();
  await row.locator('[data-action=replay]').click();
  const pane = '.pane.replay:not([hidden])';
  await page.waitForFunction((sel) => /ended/.test(document.querySelector(`${sel} [data-testid=replay-meta]`)?.textContent || ''), pane);
  await page.selectOption(`${pane} [data-testid=replay-speed]`, '4');
  await page.click(`${pane} [data-action=play]`);
  await waitForScreenLine(page, (line) => line.endsWith('SPECTATE-42'), { scope: pane, what: 'SPECTATE-42 played back' });
  const seek = page.locator(`${pane} [data-testid=replay-seek]`);
  const seekTo = (where) => seek.evaluate((input, to) => {
    input.value = to === 'end' ? input.max : '0';
    input.dispatchEvent(new Event('input'));
  }, where);
  await seekTo('end');
  await waitForScreenLine(page, (line) => line.endsWith('FINAL-25'), { scope: pane, what: 'FINAL-25 at the end' });
  await screenshot(page, 'sessions-replay-end');
  const play = page.locator(`${pane} [data-action=play]`);
  if ((await play.innerText()) === 'Pause') await play.click();
  await seekTo('start');
  await eventually(async () => {
    const start = await screenText(page, pane);
    return !start.includes('FINAL-25') && !start.includes('SPECTATE-42');
  }, 'an empty screen at the start of the recording');
  await seekTo('end');
  await waitForScreenLine(page, (line) => line.endsWith('CTRL-6'), { scope: pane, what: 'CTRL-6 after seeking again' });
  assert.match(await page.locator(`${pane} [data-testid=replay-time]`).innerText(), /^(\d+:\d\d) \/ \1$/);
});
