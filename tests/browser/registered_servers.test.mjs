// Registered servers in the engine dashboard, in a real browser against the real binary:
// register one through the form (pending_enrollment, the enrollment commands and their copy
// button), edit its labels, policies and allowed tokens (the API shows the change), suspend and
// resume it, the API's 400/409 messages in the page, delete with a confirmation, a hostile
// description and label shown as text, a read-only token that sees the list but cannot change
// it; and the attack: a page on another origin of the same site, in a browser logged into the
// dashboard, tries to create, change and delete records with the browser's cookie.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  dashboardAs, launchBrowser, rawRequest, screenshot, startAttackerSite, startEngine,
} from './harness.mjs';

let engine;
let browser;
let admin;  // {context, page} logged in with the admin token
let viewer;  // the read-only token's {name, id, token}
let attacker;
let hostileId;
const suffix = String(process.pid);
const names = { form: `build-${suffix}`, hostile: `hostile-${suffix}`, victim: `victim-${suffix}` };
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

/** One request to the engine's API with a Bearer token (the admin's unless given). */
async function engineApi(method, target, body, token = engine.adminToken) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const answer = await rawRequest(engine.port, { method, path: target, headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : null };
}

async function record(name) {
  const answer = await engineApi('GET', `/api/servers/${encodeURIComponent(name)}`);
  return answer.status === 200 ? answer.json : null;
}

/** A new browser context signed into the dashboard with `token`, on the servers tab. */
function signedIn(token, options = {}) {
  return dashboardAs(browser, engine, token,
    { tab: 'Registered servers', ready: 'table[data-testid=servers]', ...options });
}

/** The visible detail pane of the record `name`. */
function detailPane(page) {
  return page.locator('.pane.server-detail:not([hidden])');
}

/** A real host key (an endpoint identity made by the binary in the engine's HOME). */
function hostKey() {
  const env = { PATH: process.env.PATH, HOME: engine.home };
  const rstream = (...args) => execFileSync(process.env.RSTREAM_BIN, args, { env, encoding: 'utf8' });
  rstream('webtty', 'identity', 'create', '--name', 'host');
  return rstream('webtty', 'identity', 'show', '--name', 'host', '--endpoint-identity').trim();
}

before(async () => {
  engine = await startEngine();
  const created = await engineApi('POST', '/api/tokens', { role: 'read-only', name: `viewer-${suffix}` });
  assert.equal(created.status, 201);
  viewer = created.json;
  attacker = await startAttackerSite();
  browser = await launchBrowser();
  admin = await signedIn(engine.adminToken, { permissions: ['clipboard-read', 'clipboard-write'] });
});

after(async () => {
  if (browser) await browser.close();
  if (attacker) attacker.close();
  if (engine) await engine.stop();
});

test('a server registered through the form is pending, with the enrollment commands to copy', async () => {
  const { page } = admin;
  await page.waitForSelector('td.empty-row:text("No registered server yet")');
  await page.click('[data-action=register-server]');
  await page.fill('#server-name', names.form);
  await page.fill('#server-description', 'CI runner in rack 4');
  await page.fill('#server-label-input', 'role=ci');
  await page.press('#server-label-input', 'Enter');
  await page.fill('#server-label-input', 'team=web');  // left in the input: Register adds it
  await page.selectOption('#server-recording', 'private');
  await page.selectOption('#server-encryption', 'explicit_key');
  assert.match(await page.locator('#create-server-form').innerText(), /fixed at creation/);
  await screenshot(page, 'servers-create-form');
  await page.click('#create-server-form button[type=submit]');

  const pane = detailPane(page);
  await pane.waitFor();
  const created = await record(names.form);
  assert.ok(created, 'the engine has the record');
  assert.equal(created.status, 'pending_enrollment');
  assert.deepEqual(created.labels, { role: 'ci', team: 'web' });
  assert.equal(created.recording_policy, 'private');
  assert.equal(created.encryption_policy, 'explicit_key');
  assert.equal(created.access_policy, 'project_members');
  assert.equal(created.description, 'CI runner in rack 4');
  assert.equal(await pane.locator('[data-testid=status]').innerText(), 'pending_enrollment');
  assert.equal(await pane.locator('[data-testid=enroll-command-0]').innerText(), `rstream webtty server enroll ${created.id}`);
  assert.equal(await pane.locator('[data-testid=enroll-command-1]').innerText(), `rstream webtty server --server-id ${created.id}`);
  await pane.locator('[data-action=copy-command-0]').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `rstream webtty server enroll ${created.id}`);
  await screenshot(page, 'servers-detail-pending');

  // The list shows it with its columns.
  await page.locator('.tab', { hasText: 'Registered servers' }).click();
  const row = page.locator(`tr[data-server="${names.form}"]`);
  await row.waitFor();
  const text = await row.innerText();
  for (const expected of ['pending_enrollment', 'offline, never seen', 'private', 'explicit_key',
    'project_members', 'role=ci', 'team=web', created.id]) {
    assert.ok(text.includes(expected), `the row shows ${expected}: ${text}`);
  }
  await screenshot(page, 'servers-list');

  // A label that is not key=value is refused in the page; the API's refusals are shown as
  // their message: a taken name (409).
  await page.click('[data-action=register-server]');
  await page.fill('#server-name', names.form);
  await page.fill('#server-label-input', 'no-equals-sign');
  await page.click('#create-server-form button[type=submit]');
  await page.waitForSelector('[data-testid=create-error]:has-text("is not a label")');
  await page.fill('#server-label-input', '');
  await page.click('#create-server-form button[type=submit]');
  await page.waitForSelector('[data-testid=create-error]:has-text("exists already")');
  await page.click('#create-server-form button:text("Cancel")');
});

test('labels, policies and allowed tokens edited in the page reach the API', async () => {
  const { page } = admin;
  await page.locator(`tr[data-server="${names.form}"]`).click();
  const pane = detailPane(page);
  await pane.waitFor();
  await pane.locator('[data-key=team] .chip-remove').click();
  await pane.locator('#edit-label-input').fill('zone=eu-west');
  await pane.locator('#edit-label-input').press('Enter');
  await pane.locator('#edit-description').fill('CI runner, rack 5');
  await pane.locator('#edit-recording').selectOption('recorded');
  await pane.locator('#edit-access').selectOption('restricted');
  await pane.locator('#edit-token-input').fill(viewer.name);
  await pane.locator('#server-edit-form button[type=submit]').click();
  await pane.locator('[data-testid=description]:has-text("rack 5")').waitFor();

  const changed = await record(names.form);
  assert.deepEqual(changed.labels, { role: 'ci', zone: 'eu-west' });
  assert.equal(changed.description, 'CI runner, rack 5');
  assert.equal(changed.recording_policy, 'recorded');
  assert.equal(changed.access_policy, 'restricted');
  assert.deepEqual(changed.allowed_token_ids, [viewer.id]);
  assert.equal(changed.encryption_policy, 'explicit_key', 'the encryption policy never changes');
  // An admin page names the allowed token.
  assert.match(await pane.locator('[data-testid=edit-token-input-chips]').innerText(), new RegExp(viewer.name));

  // A key the engine refuses: its 400 message in the page, nothing changed.
  await pane.locator('#edit-label-input').fill('bad key=1');
  await pane.locator('#server-edit-form button[type=submit]').click();
  await pane.locator('[data-testid=detail-error]:has-text("may only contain")').waitFor();
  assert.deepEqual((await record(names.form)).labels, { role: 'ci', zone: 'eu-west' });
  await screenshot(page, 'servers-detail-error');

  // Suspend and resume.
  await pane.locator('[data-action=suspend]').click();
  await pane.locator('[data-testid=status]:has-text("suspended")').waitFor();
  assert.equal((await record(names.form)).status, 'suspended');
  await pane.locator('[data-action=resume]').click();
  await pane.locator('[data-testid=status]:has-text("pending_enrollment")').waitFor();
  assert.equal((await record(names.form)).status, 'pending_enrollment');
});

test('a hostile description and label are shown as text; no markup is made from them', async () => {
  const { page } = admin;
  const created = await engineApi('POST', '/api/servers', { name: names.hostile, description: HOSTILE,
    labels: { note: '<script>window.__pwned=2</script>' } });
  assert.equal(created.status, 201);
  hostileId = created.json.id;
  await page.locator('.tab', { hasText: 'Registered servers' }).click();
  const row = page.locator(`tr[data-server="${names.hostile}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.record-description').innerText(), HOSTILE);
  assert.match(await row.innerText(), /note=<script>window.__pwned=2<\/script>/);
  await row.click();
  const pane = detailPane(page);
  await pane.waitFor();
  assert.equal(await pane.locator('[data-testid=description]').innerText(), HOSTILE);
  assert.equal(await pane.locator('#edit-description').inputValue(), HOSTILE);
  // The page's CSP would stop an inline handler anyway; what matters is that no element was
  // made from the text: with innerHTML there would be an <img>/<script> here.
  assert.equal(await page.locator('.panes img, .panes script').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await screenshot(page, 'servers-hostile-text');
});

test('delete asks first; dismissed keeps the record, accepted deletes it', async () => {
  const { page } = admin;
  const pane = detailPane(page);  // the hostile record's tab is open
  let asked = '';
  page.once('dialog', (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await pane.locator('[data-action=delete]').click();
  assert.match(asked, new RegExp(`Delete the registered server “${names.hostile}”`));
  assert.ok(await record(names.hostile), 'dismissed: still there');
  page.once('dialog', (dialog) => dialog.accept());
  await pane.locator('[data-action=delete]').click();
  await page.locator(`.pane.server-detail[data-server-id="${hostileId}"]`).waitFor({ state: 'detached' });
  assert.equal(await record(names.hostile), null);
  await page.locator('.tab', { hasText: 'Registered servers' }).click();
  await page.locator(`tr[data-server="${names.hostile}"]`).waitFor({ state: 'detached' });
});

test('the list turns a record online when its enrolled host runs it, and offline with last seen when it dies', async () => {
  const { page } = admin;
  const name = `live-${suffix}`;
  const created = await engineApi('POST', '/api/servers', { name });
  assert.equal(created.status, 201);
  const hostHome = mkdtempSync(path.join(os.tmpdir(), 'rstream-browser-host-'));
  const env = { PATH: process.env.PATH, HOME: hostHome, ...engine.env };
  try {
    execFileSync(process.env.RSTREAM_BIN, ['webtty', 'server', 'enroll', created.json.id], { env });
    const server = spawn(process.env.RSTREAM_BIN, ['webtty', 'server', '--server-id', created.json.id],
      { env, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    const cell = page.locator(`tr[data-server="${name}"] [data-testid=online]`);
    try {
      await page.locator('.tab', { hasText: 'Registered servers' }).click();
      await cell.filter({ hasText: /^online$/ }).waitFor({ timeout: 15000 });
    } finally {
      process.kill(-server.pid, 'SIGKILL');
    }
    await cell.filter({ hasText: /^offline, last seen / }).waitFor({ timeout: 20000 });
    await screenshot(page, 'registered-server-offline');
  } finally {
    rmSync(hostHome, { recursive: true, force: true });
  }
});

test('a read-only token sees the list but cannot register or change a server', async () => {
  const { context, page } = await signedIn(viewer.token);
  try {
    await page.locator(`tr[data-server="${names.form}"]`).waitFor();
    await page.click('[data-action=register-server]');
    await page.fill('#server-name', `readonly-${suffix}`);
    await page.click('#create-server-form button[type=submit]');
    const error = page.locator('[data-testid=create-error]:has-text("needs an admin token")');
    await error.waitFor();
    assert.match(await error.innerText(), new RegExp(`token 'viewer-${suffix}' is read-only`));
    assert.equal(await record(`readonly-${suffix}`), null);
    await screenshot(page, 'servers-read-only-refused');
    await page.click('#create-server-form button:text("Cancel")');

    await page.locator(`tr[data-server="${names.form}"]`).click();
    const pane = detailPane(page);
    await pane.locator('[data-action=suspend]').click();
    await pane.locator('[data-testid=detail-error]:has-text("needs an admin token")').waitFor();
    assert.equal((await record(names.form)).status, 'pending_enrollment');
  } finally {
    await context.close();
  }
});

test('a page on another origin cannot create, change or delete records with the dashboard cookie', async () => {
  const victim = await engineApi('POST', '/api/servers', { name: names.victim, labels: { owner: 'ops' } });
  assert.equal(victim.status, 201);
  const before = victim.json;
  const key = hostKey();
  const { context, page } = await signedIn(engine.adminToken);
  try {
    const base = engine.url;
    const item = `${base}/api/servers/${before.id}`;
    // The control: this browser's own dashboard origin can change the record with its cookie.
    const own = await page.evaluate(async (target) => (await fetch(target, { method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-Rstream-CSRF': '1' },
      body: JSON.stringify({ description: 'changed by its own page' }) })).status, item);
    assert.equal(own, 200);
    const control = await record(names.victim);

    await page.goto(`http://127.0.0.1:${attacker.address().port}/`);
    const outcomes = await page.evaluate(async ([list, target, hostKey]) => {
      const attempt = async (url, init) => {
        try {
          const r = await fetch(url, { credentials: 'include', ...init });
          return r.type === 'opaque' ? 'opaque' : `status ${r.status}`;
        } catch {
          return 'blocked';
        }
      };
      const json = { 'Content-Type': 'application/json', 'X-Rstream-CSRF': '1' };
      return {
        // "Simple" requests go without a preflight: the browser sends them with the cookie.
        simpleCreate: await attempt(list, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
          body: JSON.stringify({ name: 'evil-simple' }) }),
        simpleEnroll: await attempt(`${target}/enrollment`, { method: 'POST', mode: 'no-cors',
          headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ host_key: hostKey }) }),
        // With the CSRF header or another method: a preflight, which the engine never grants.
        corsCreate: await attempt(list, { method: 'POST', headers: json, body: JSON.stringify({ name: 'evil-cors' }) }),
        corsUpdate: await attempt(target, { method: 'PATCH', headers: json, body: JSON.stringify({ suspended: true }) }),
        corsDelete: await attempt(target, { method: 'DELETE', headers: { 'X-Rstream-CSRF': '1' } }),
        read: await attempt(list, {}),
      };
    }, [`${base}/api/servers`, item, key]);
    assert.deepEqual(outcomes, { simpleCreate: 'opaque', simpleEnroll: 'opaque', corsCreate: 'blocked',
      corsUpdate: 'blocked', corsDelete: 'blocked', read: 'blocked' });

    // A form POST (a navigation: no CORS at all) whose text/plain body is valid JSON.
    await Promise.all([
      page.waitForURL(`${base}/api/servers`),
      page.evaluate((target) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = target;
        form.enctype = 'text/plain';
        const input = document.createElement('input');
        input.name = '{"name":"evil-form","description":"';
        input.value = '"}';
        form.append(input);
        document.body.append(form);
        form.submit();
      }, `${base}/api/servers`),
    ]);
    assert.match(await page.content(), /cross-origin request refused/);

    const listing = await engineApi('GET', '/api/servers');
    assert.deepEqual(listing.json.servers.map((s) => s.name).filter((n) => n.startsWith('evil')), []);
    assert.deepEqual(await record(names.victim), control, 'the record is unchanged and still there');
  } finally {
    await context.close();
  }

  // Below the browser: a foreign Origin is refused whatever the credential.
  for (const [method, target, body] of [['POST', '/api/servers', { name: 'evil-raw' }],
    ['PATCH', `/api/servers/${before.id}`, { suspended: true }], ['DELETE', `/api/servers/${before.id}`]]) {
    const answer = await rawRequest(engine.port, { method, path: target,
      headers: { Authorization: `Bearer ${engine.adminToken}`, Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body) });
    assert.equal(answer.status, 403, `${method} ${target} with a foreign Origin`);
  }
  // The login cookie without the CSRF header (what a form or a simple request carries).
  const cookie = `rstream_token_${engine.port}=${engine.adminToken}`;
  for (const [method, target] of [['PATCH', `/api/servers/${before.id}`], ['DELETE', `/api/servers/${before.id}`]]) {
    const answer = await rawRequest(engine.port, { method, path: target,
      headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: method === 'PATCH' ? '{"suspended":true}' : undefined });
    assert.equal(answer.status, 403, `${method} by cookie without X-Rstream-CSRF`);
  }
  assert.ok(await record(names.victim));
  assert.equal(await record('evil-raw'), null);
  // The attack's host key was a real one: the enrollment it tried works from a real client.
  const enrolled = await engineApi('POST', `/api/servers/${before.id}/enrollment`, { host_key: key });
  assert.equal(enrolled.status, 200);
  assert.equal(enrolled.json.status, 'enrolled');
});
