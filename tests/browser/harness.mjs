// Shared helpers for the browser tests: start the real rstream binary on 127.0.0.1 port 0 (the
// port is read back from its banner), drive Debian's chromium with playwright-core, serve an
// attacker's page on another origin, read what an xterm.js terminal shows, and keep screenshots
// as test artifacts.
//
// Environment (set by tests/CMakeLists.txt):
//   RSTREAM_BIN        the binary under test
//   RSTREAM_ARTIFACTS  where screenshots go (BUILD/test-artifacts)
//   RSTREAM_CHROMIUM   the browser (default /usr/bin/chromium)
//   RSTREAM_BROWSER_NODE_MODULES  where playwright-core is installed
// Every wait is bounded and waits for an event or a condition, never a fixed time.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// playwright-core is installed by the build (tests/CMakeLists.txt) into the build directory.
const modules = process.env.RSTREAM_BROWSER_NODE_MODULES ||
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules');
const { chromium } = createRequire(path.join(modules, 'noop.js'))('playwright-core');

export const artifacts = process.env.RSTREAM_ARTIFACTS || path.join(os.tmpdir(), 'rstream-test-artifacts');
mkdirSync(artifacts, { recursive: true });

export function binary() {
  const bin = process.env.RSTREAM_BIN;
  if (!bin) throw new Error('set RSTREAM_BIN to the rstream binary under test');
  return bin;
}

/** The environment for rstream processes: ours without RSTREAM_*, plus `extra`. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RSTREAM_')) env[k] = v;
  return { ...env, ...extra };
}

/** Resolves with stdout lines until `match` returns a value; rejects on exit or timeout. */
function waitForLine(proc, match, what, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; stdout so far: ${buffer}`)), timeoutMs);
    const onData = (chunk) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const value = match(line);
        if (value !== undefined && value !== null && value !== false) {
          finish(null, value);
          return;
        }
      }
    };
    const onExit = (code) => finish(new Error(`rstream exited (${code}) before ${what}: ${proc.stderrText()}`));
    function finish(error, value) {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      if (error) reject(error);
      else resolve(value);
    }
    proc.stdout.on('data', onData);
    proc.on('exit', onExit);
  });
}

function launch(args, env) {
  const proc = spawn(binary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr.on('data', (chunk) => { stderr += chunk.toString(); });
  proc.stderrText = () => stderr.slice(-4000);
  proc.stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  };
  return proc;
}

/** `rstream webtty server --listen 127.0.0.1:0 ARGS`; resolves {proc, port, url, stop}. */
export async function startServer(args = [], env = {}) {
  const proc = launch(['webtty', 'server', '--listen', '127.0.0.1:0', ...args], cleanEnv(env));
  const port = await waitForLine(proc, (line) => {
    const m = /^rstream webtty server listening on \S+:(\d+)$/.exec(line);
    return m && Number(m[1]);
  }, 'the server banner');
  proc.stdout.resume();
  return { proc, port, url: `http://127.0.0.1:${port}`, stop: () => proc.stop() };
}

/** `rstream engine --listen 127.0.0.1:0` with its own HOME; resolves {port, url, adminToken, ...}. */
export async function startEngine() {
  const home = mkdtempSync(path.join(os.tmpdir(), 'rstream-browser-engine-'));
  const proc = launch(['engine', '--listen', '127.0.0.1:0'], cleanEnv({ HOME: home }));
  const port = await waitForLine(proc, (line) => {
    const m = /^rstream engine listening on \S+:(\d+)$/.exec(line);
    return m && Number(m[1]);
  }, 'the engine banner');
  proc.stdout.resume();
  const adminToken = readFileSync(path.join(home, '.rstream', 'engine', 'admin-token'), 'utf8').trim();
  const url = `http://127.0.0.1:${port}`;
  return {
    proc, port, url, adminToken, home,
    env: { RSTREAM_ENGINE: url, RSTREAM_AUTHENTICATION_TOKEN: adminToken },
    async stop() {
      await proc.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A webtty server registered with `engine` as tunnel `name`; resolves once it is online. */
export async function startTunnelServer(engine, name, extraArgs = []) {
  const proc = launch(['webtty', 'server', '--listen', '127.0.0.1:0', '--rstream', '--name', name, ...extraArgs],
    cleanEnv({ ...engine.env, HOME: engine.home }));
  await waitForLine(proc, (line) => line.includes(`online as rstrm://${name}`), `tunnel ${name} online`);
  proc.stdout.resume();
  return { proc, stop: () => proc.stop() };
}

/** `rstream ARGS` run to its end as the engine's admin (plus `env`); answers its stdout, throws
 *  with its stderr when it fails. */
export function runCli(engine, args, env = {}) {
  return execFileSync(binary(), args, {
    env: cleanEnv({ ...engine.env, HOME: engine.home, ...env }),
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000,
  });
}

/** A registered server: `webtty server create NAME CREATE_ARGS` on `engine`, enrolled from a host
 *  HOME of its own, and running (`webtty server --server-id ID`); resolves {id, stop} once online. */
export async function startRegisteredServer(engine, name, createArgs = []) {
  const record = JSON.parse(runCli(engine, ['webtty', 'server', 'create', name, '-o', 'json', ...createArgs]));
  const home = mkdtempSync(path.join(os.tmpdir(), 'rstream-browser-host-'));
  runCli(engine, ['webtty', 'server', 'enroll', record.id], { HOME: home });
  const proc = launch(['webtty', 'server', '--server-id', record.id], cleanEnv({ ...engine.env, HOME: home }));
  await waitForLine(proc, (line) => line.startsWith('online as rstrm://'), `registered server ${name} online`);
  proc.stdout.resume();
  return {
    id: record.id, proc,
    async stop() {
      await proc.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A page on its own origin (another port of 127.0.0.1, so the same site: a browser sends
 *  cookies of the other ports to it): the attacker's site. Resolves the http.Server. */
export function startAttackerSite() {
  return new Promise((resolve) => {
    const site = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>attacker</title><p>nothing to see</p>');
    });
    site.listen(0, '127.0.0.1', () => resolve(site));
  });
}

/** Headless Debian chromium; `extraArgs` adds command-line switches. */
export async function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.RSTREAM_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', ...extraArgs],
  });
}

/** A new context of `browser` signed into the engine dashboard with `token`, on the tab named
 *  `tab` once `ready` (a selector) shows; `options` go to newContext. Resolves {context, page}. */
export async function dashboardAs(browser, engine, token, { tab, ready, ...options }) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, ...options });
  const page = await context.newPage();
  await page.goto(engine.url + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-token', token);
  await page.click('#login-form button[type=submit]');
  await page.locator('.tab', { hasText: tab }).click();
  await page.waitForSelector(ready);
  return { context, page };
}

/** The text rows an xterm.js terminal shows (its DOM renderer's rows), in `scope`. */
export async function screenText(page, scope = '.pane:not([hidden])') {
  return page.evaluate((sel) => {
    const rows = document.querySelector(`${sel} .xterm-rows`);
    if (!rows) return '';
    return Array.from(rows.children, (row) => row.textContent.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
  }, scope);
}

/** Waits until a screen line satisfies `test` (a RegExp or a function of the line). */
export async function waitForLine_(page, test, { scope, timeout = 15000, what } = {}) {
  const deadline = Date.now() + timeout;
  const ok = typeof test === 'function' ? test : (line) => test.test(line);
  let last = '';
  for (;;) {
    last = await screenText(page, scope);
    const hit = last.split('\n').find(ok);
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what || test} on the terminal; it shows:\n${last}`);
    }
    await page.waitForTimeout(50);  // poll the rendered screen; bounded by the deadline above
  }
}
export { waitForLine_ as waitForScreenLine };

/** Types into the visible terminal (it must have focus). */
export async function typeInTerminal(page, text, scope = '.pane:not([hidden])') {
  await page.click(`${scope} .term-host`);
  await page.keyboard.type(text);
}

export async function screenshot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** One raw HTTP request from Node (no browser rules apply): resolves {status, headers, body}. */
export function rawRequest(port, { method = 'GET', path: target = '/', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('request timed out')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Headers of a WebSocket upgrade request, for rawRequest. */
export function upgradeHeaders(extra = {}) {
  return {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
  };
}
