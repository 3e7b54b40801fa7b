// The engine's dashboard (`rstream engine`, page /): the tunnel inventory (GET /api/tunnels)
// with labels and a filter, a browser terminal on any published tunnel through the published
// WebSocket /api/tunnels/{name}/webtty, which carries WebTTY frames (webtty.js), the
// registered servers (servers.js), and the managed sessions: watch, ask for control, replay
// (sessions.js).
import { api, ApiError, h, websocketUrl, ago } from '../common/api.js';
import { showLogin, logout } from '../common/login.js';
import { createTerminal } from '../common/terminal.js';
import { topbar, toast, Tabs } from '../common/ui.js';
import {
  FrameType, FrameError, decodeFrame, encodeOpen, encodeResize, encodeStdin,
} from '../common/webtty.js';
import { RegisteredServers } from './servers.js';
import { ManagedSessions } from './sessions.js';

const POLL_MS = 3000;
const USER_LABEL = 'rstream.webtty.label.';
const encoder = new TextEncoder();

const state = {
  tunnels: [],
  filter: '',
  filterError: '',
  authRequired: false,
  tabs: null,
  servers: null,
  sessions: null,
};

// ---- a terminal on one tunnel: one WebTTY session --------------------------------------------

class TunnelTerminal {
  constructor(tunnel) {
    this.tunnel = tunnel;
    this.started = false;
    this.ended = false;
    this.notice = h('div', { class: 'notice', hidden: true, 'data-testid': 'notice' });
    this.status = h('span', { class: 'badge pending' }, 'connecting');
    this.termHost = h('div', { class: 'term-host' });
    this.pane = h('div', { class: 'terminal-pane', dataset: { tunnel: tunnel.name } },
      h('div', { class: 'pane-toolbar' },
        h('div', { class: 'pane-heading' },
          h('span', { class: 'pane-title' }, tunnel.name), this.status,
          h('span', { class: 'pane-meta' }, `${tunnel.hostname || ''} · login shell · rstrm://${tunnel.name}`)),
        h('div', { class: 'pane-actions' },
          h('button', { class: 'btn ghost', type: 'button', onclick: () => this.restart() }, 'Restart'))),
      h('div', { class: 'term-frame' }, this.termHost, this.notice));
    this.terminal = createTerminal(this.termHost, {
      onResize: (cols, rows) => this.sendFrame(encodeResize(cols, rows)),
    });
    this.terminal.term.onData((data) => this.sendFrame(encodeStdin(encoder.encode(data))));
    this.terminal.term.onBinary((data) => {
      this.sendFrame(encodeStdin(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    });
    this.tab = state.tabs.add({
      title: tunnel.name,
      pane: this.pane,
      onClose: () => this.dispose(),
      onShow: () => requestAnimationFrame(() => {
        this.terminal.fit();
        this.terminal.term.focus();
      }),
    });
    this.tab.setStatus('spectator');
    this.tab.show();
    requestAnimationFrame(() => this.connect());
  }

  connect() {
    this.terminal.fit();
    const socket = new WebSocket(websocketUrl(`/api/tunnels/${encodeURIComponent(this.tunnel.name)}/webtty`));
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      const { cols, rows } = this.terminal.term;
      socket.send(encodeOpen({ cols, rows, env: { TERM: 'xterm-256color', COLORTERM: 'truecolor' } }));
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') return;
      let frame;
      try {
        frame = decodeFrame(event.data);
      } catch (e) {
        this.end('Protocol error', e instanceof FrameError ? `${e.code}: ${e.message}` : String(e), 'warn');
        socket.close();
        return;
      }
      this.onFrame(frame);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.ended) {
        this.end('Disconnected', this.started ? 'the connection closed before the session ended'
          : `the engine refused the terminal (${event.code}${event.reason ? `: ${event.reason}` : ''})`, 'warn');
      }
    };
    this.socket = socket;
  }

  onFrame(frame) {
    switch (frame.type) {
      case FrameType.Ack:
        this.started = true;
        this.status.textContent = `running · pid ${frame.pid}`;
        this.status.className = 'badge controller';
        this.tab.setStatus('controller');
        // The pane may have changed size between Open and now.
        this.sendFrame(encodeResize(this.terminal.term.cols, this.terminal.term.rows));
        break;
      case FrameType.Data:
        if (frame.bytes.length) this.terminal.term.write(frame.bytes);
        break;
      case FrameType.Close: {
        let detail = `exit code ${frame.exitCode}`;
        if (frame.signal) detail += ` (signal ${frame.signal})`;
        this.end('Session ended', detail, frame.exitCode === 0 ? 'ok' : 'warn');
        break;
      }
      case FrameType.Error:
        this.end(frame.code === 'e2e_required' ? 'End-to-end encryption required' : 'The server refused the session',
          frame.code === 'e2e_required'
            ? 'this server only talks to pinned clients: use rstream webtty client rstrm://' + this.tunnel.name
            : `${frame.code}: ${frame.message}`, 'warn');
        break;
      case FrameType.E2eHandshake:
        // We never send a ClientHello: a server only answers one it got. Nothing to do.
        break;
      default:
        break;
    }
  }

  sendFrame(bytes) {
    if (this.ended || !this.started) return;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  end(title, detail, kind) {
    this.ended = true;
    this.status.textContent = 'ended';
    this.status.className = 'badge ended';
    this.tab.setStatus('ended');
    this.terminal.term.options.disableStdin = true;
    this.terminal.term.options.cursorBlink = false;
    this.notice.replaceChildren(h('strong', {}, title), h('span', {}, detail),
      h('button', { class: 'btn small', type: 'button', onclick: () => this.restart() }, 'New session'));
    this.notice.className = `notice ${kind}`;
    this.notice.hidden = false;
  }

  restart() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.ended = false;
    this.started = false;
    this.notice.hidden = true;
    this.terminal.term.reset();
    this.terminal.term.options.disableStdin = false;
    this.terminal.term.options.cursorBlink = true;
    this.status.textContent = 'connecting';
    this.status.className = 'badge pending';
    this.connect();
  }

  dispose() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.terminal.dispose();
  }
}

// ---- inventory -----------------------------------------------------------------------------

const view = {
  rows: h('tbody'),
  count: h('span', { class: 'count-text' }),
  filterError: h('span', { class: 'form-error inline' }),
  health: h('span', { class: 'host' }),
};

/** Why a tunnel has no browser terminal, or null when it has one. */
function noTerminalReason(tunnel) {
  if (!tunnel.publish) return 'not published (--no-publish): reachable only by native clients at rstrm://' + tunnel.name;
  if (tunnel.e2e === 'required') return 'end-to-end encrypted: use rstream webtty client rstrm://' + tunnel.name;
  return null;
}

function labelChips(labels) {
  const user = [];
  const system = [];
  for (const [key, value] of Object.entries(labels || {}).sort()) {
    if (key.startsWith(USER_LABEL)) {
      user.push(h('span', { class: 'chip user', title: `${key}=${value}` }, `${key.slice(USER_LABEL.length)}=${value}`));
    } else if (key === 'rstream.webtty.os_id' || key === 'rstream.webtty.arch') {
      system.push(h('span', { class: 'chip', title: `${key}=${value}` }, value));
    }
  }
  return [...user, ...system];
}

function tunnelRow(tunnel) {
  const reason = noTerminalReason(tunnel);
  const action = reason
    ? h('span', { class: 'no-terminal', 'data-testid': 'no-terminal' }, reason)
    : h('button', { class: 'btn primary small', type: 'button', 'data-action': 'open-terminal',
      onclick: () => new TunnelTerminal(tunnel) }, 'Open terminal');
  const labels = tunnel.labels || {};
  return h('tr', { dataset: { tunnel: tunnel.name } },
    h('td', {},
      h('div', { class: 'tunnel-name' }, h('span', { class: 'state-dot running' }), tunnel.name),
      h('div', { class: 'tunnel-url' }, tunnel.rstream_url || `rstrm://${tunnel.name}`)),
    h('td', {},
      h('div', {}, tunnel.hostname || '—'),
      h('div', { class: 'muted small' }, [labels['rstream.webtty.kernel_release']].filter(Boolean).join(' '))),
    h('td', { class: 'labels' }, labelChips(labels)),
    h('td', {}, (tunnel.capabilities || []).map((c) => h('span', { class: 'chip cap' }, c)),
      h('span', { class: `chip ${tunnel.e2e === 'required' ? 'e2e' : 'muted-chip'}` }, tunnel.e2e === 'required' ? 'E2E' : 'no E2E'),
      tunnel.publish ? '' : h('span', { class: 'chip muted-chip' }, 'unpublished')),
    h('td', { class: 'muted small', title: tunnel.connected_at }, ago(tunnel.connected_at)),
    h('td', { class: 'actions' }, action));
}

/** Client-side match of the free-text filter over name, host and labels. */
function matchesText(tunnel, text) {
  const haystack = [tunnel.name, tunnel.id, tunnel.hostname,
    ...Object.entries(tunnel.labels || {}).map(([k, v]) => `${k}=${v}`)].join('\n').toLowerCase();
  return text.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

function renderTunnels() {
  const text = state.filter.trim();
  const serverSide = text.includes('=');
  const shown = serverSide ? state.tunnels : state.tunnels.filter((t) => matchesText(t, text));
  if (shown.length === 0) {
    view.rows.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty-row' },
      state.tunnels.length === 0 && !text
        ? 'No tunnel is online. Start one with: rstream webtty server --rstream --name NAME'
        : 'No tunnel matches the filter.')));
  } else {
    view.rows.replaceChildren(...shown.map(tunnelRow));
  }
  view.count.textContent = `${shown.length} ${shown.length === 1 ? 'tunnel' : 'tunnels'}`;
  view.filterError.textContent = state.filterError;
}

let refreshing = null;
async function refreshTunnels() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const text = state.filter.trim();
    // key=value terms go to the engine (the same syntax as `webtty list --filter`).
    const path = text.includes('=') ? `/api/tunnels?filter=${encodeURIComponent(text.replace(/\s+/g, ''))}` : '/api/tunnels';
    try {
      state.tunnels = await api('GET', path);
      state.filterError = '';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      if (e instanceof ApiError && e.code === 'bad_filter') {
        state.filterError = e.message;
        state.tunnels = [];
      } else {
        toast(e.message, 'error');
      }
    } finally {
      refreshing = null;
    }
    renderTunnels();
  })();
  return refreshing;
}

async function refreshHealth() {
  try {
    const health = await api('GET', '/api/health');
    view.health.textContent = `${location.host} · v${health.version}`;
  } catch {
    view.health.textContent = location.host;
  }
}

function build() {
  const filter = h('input', { type: 'search', class: 'filter', id: 'tunnel-filter', placeholder: 'Filter by name, host or label — or key=value,…', title: 'Words match names, hosts and labels; key=value terms (e.g. labels.rstream.webtty.label.role=ci) are the engine filter',
    spellcheck: 'false', autocomplete: 'off' });
  let timer = 0;
  filter.addEventListener('input', () => {
    state.filter = filter.value;
    clearTimeout(timer);
    if (filter.value.includes('=')) timer = setTimeout(refreshTunnels, 250);
    else renderTunnels();
  });
  const inventory = h('div', { class: 'inventory' },
    h('div', { class: 'inventory-head' },
      h('div', {}, h('h1', {}, 'Tunnels'), h('p', { class: 'muted' }, 'Servers connected to this engine. Open a terminal on any published one.')),
      h('div', { class: 'inventory-tools' }, filter, view.count)),
    view.filterError,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'tunnels', 'data-testid': 'tunnels' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Host'), h('th', {}, 'Labels'),
          h('th', {}, 'Features'), h('th', {}, 'Connected'), h('th', {}, ''))),
        view.rows)));
  state.tabs = new Tabs();
  const home = state.tabs.add({ title: 'Tunnels', pane: inventory, closable: false });
  home.setStatus('home');
  state.servers = new RegisteredServers(state.tabs);
  state.sessions = new ManagedSessions(state.tabs);
  const signOut = h('button', { class: 'btn ghost small', type: 'button', hidden: !state.authRequired,
    onclick: () => logout() }, 'Sign out');
  document.body.append(topbar('engine', view.health, signOut), h('div', { class: 'layout single' }, state.tabs.el));
  home.show();
}

async function main() {
  let login;
  try {
    login = await api('GET', '/api/login');
  } catch (e) {
    document.body.append(h('div', { class: 'fatal' }, `Cannot reach the engine: ${e.message}`));
    return;
  }
  state.authRequired = !!login.auth_required;
  if (login.auth_required && !login.authenticated) {
    await showLogin({ product: 'the rstream engine',
      hint: 'Paste an engine token (the admin token is in ~/.rstream/engine/admin-token). Opening terminals needs a read-write or admin token; changing registered servers needs an admin token.' });
  }
  build();
  await Promise.all([refreshTunnels(), refreshHealth(), state.servers.refresh(true)]);
  setInterval(refreshTunnels, POLL_MS);
  setInterval(() => state.servers.refresh(), POLL_MS);
}

main();
