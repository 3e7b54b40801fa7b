// The live-sessions page of `rstream webtty server --listen` (docs/api.md, "Server: live
// sessions"): a sidebar of sessions, a terminal tab per attachment (WebSocket
// /ws/terminal/{id}: binary = terminal bytes, text = JSON control), the controller/spectator
// role, control requests, and a form to start a session.
import { api, ApiError, h, websocketUrl, ago } from '../common/api.js';
import { showLogin, logout } from '../common/login.js';
import { createTerminal } from '../common/terminal.js';
import { topbar, toast, Tabs, field, onSubmit } from '../common/ui.js';

const POLL_MS = 2000;
const encoder = new TextEncoder();

const state = {
  sessions: [],
  authRequired: false,
  tabs: null,
  attachments: new Set(),
};

function sessionTitle(session) {
  return session.name || session.id;
}

function commandText(session) {
  const argv = session.command || [];
  return argv.length ? argv.join(' ') : 'login shell';
}

// ---- one attachment: a WebSocket participant shown in a tab --------------------------------

class Attachment {
  constructor(session, { spectator = false } = {}) {
    this.sessionId = session.id;
    this.session = session;
    this.spectator = spectator;
    this.participantId = null;
    this.role = null;
    this.controller = session.controller || null;
    this.participants = new Map();
    this.requests = new Map();  // request_id → {participant_id, reason}
    this.myRequest = null;
    this.ended = false;
    this.socket = null;
    this.build();
    this.connect();
  }

  build() {
    this.badge = h('span', { class: 'badge', 'data-testid': 'role-badge' }, 'connecting');
    this.title = h('span', { class: 'pane-title' }, sessionTitle(this.session));
    this.meta = h('span', { class: 'pane-meta' }, '');
    this.requestButton = h('button', { class: 'btn', type: 'button', 'data-action': 'request-control',
      onclick: () => this.askForControl() }, 'Request control');
    this.releaseButton = h('button', { class: 'btn', type: 'button', 'data-action': 'release-control',
      onclick: () => this.send({ type: 'release_control' }) }, 'Release control');
    this.duplicateButton = h('button', { class: 'btn ghost', type: 'button', title: 'Open this session in another tab',
      onclick: () => openAttachment(this.session) }, 'New tab');
    this.killButton = h('button', { class: 'btn danger ghost', type: 'button', 'data-action': 'kill',
      onclick: () => killSession(this.session) }, 'End session');
    this.requestsBox = h('div', { class: 'requests', 'data-testid': 'control-requests' });
    this.reasonInput = h('input', { class: 'reason-input', name: 'reason', maxlength: 512,
      placeholder: 'Why do you need control? The controller sees this.', autocomplete: 'off' });
    this.askForm = h('form', { class: 'ask-control', hidden: true },
      h('span', { class: 'ask-label' }, 'Request control'), this.reasonInput,
      h('button', { class: 'btn primary small', type: 'submit', 'data-action': 'send-request' }, 'Send request'),
      h('button', { class: 'btn ghost small', type: 'button', onclick: () => { this.askForm.hidden = true; } }, 'Cancel'));
    this.askForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send({ type: 'request_control', reason: this.reasonInput.value.trim() || 'I would like to type' });
      this.askForm.hidden = true;
      this.myRequest = -1;  // until the control_requested event names it
      this.updateRole();
    });
    this.termHost = h('div', { class: 'term-host' });
    this.notice = h('div', { class: 'notice', hidden: true, 'data-testid': 'notice' });
    this.hint = h('div', { class: 'hint', hidden: true },
      'You are watching this session. Request control to type.');
    this.pane = h('div', { class: 'terminal-pane', dataset: { session: this.sessionId } },
      h('div', { class: 'pane-toolbar' },
        h('div', { class: 'pane-heading' }, this.title, this.badge, this.meta),
        h('div', { class: 'pane-actions' }, this.requestButton, this.releaseButton, this.duplicateButton, this.killButton)),
      this.requestsBox,
      this.askForm,
      h('div', { class: 'term-frame' }, this.termHost, this.hint, this.notice));
    this.terminal = createTerminal(this.termHost, {
      onResize: (cols, rows) => this.sendSize(cols, rows),
    });
    this.terminal.term.onData((data) => this.input(encoder.encode(data)));
    this.terminal.term.onBinary((data) => {
      this.input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
    });
    this.termHost.addEventListener('keydown', () => {
      if (this.role !== 'controller' && !this.ended) this.flashHint();
    }, true);
    this.tab = state.tabs.add({
      title: sessionTitle(this.session),
      pane: this.pane,
      onClose: () => this.dispose(),
      onShow: () => {
        location.hash = `#/session/${encodeURIComponent(this.sessionId)}`;
        requestAnimationFrame(() => {
          this.terminal.fit();
          this.terminal.term.focus();
        });
      },
    });
    this.updateRole();
  }

  connect() {
    // The session's first output repaints its screen: connect once the terminal has its size.
    this.terminal.fitted.then(() => this.openSocket());
  }

  openSocket() {
    const query = new URLSearchParams({ name: 'browser' });
    if (this.spectator) query.set('role', 'spectator');
    const socket = new WebSocket(websocketUrl(`/ws/terminal/${encodeURIComponent(this.sessionId)}?${query}`));
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.onControl(event.data);
      else this.terminal.term.write(new Uint8Array(event.data));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.ended) {
        this.showNotice('Disconnected from the session.', event.reason || `connection closed (${event.code})`, 'warn', true);
        this.role = null;
        this.updateRole();
      }
    };
    this.socket = socket;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  input(bytes) {
    if (this.role !== 'controller' || this.ended) return;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  sendSize(cols, rows) {
    if (this.role !== 'controller' || this.ended) return;
    this.send({ type: 'resize', cols, rows });
    this.session = { ...this.session, cols, rows };
    this.updateRole();
  }

  onControl(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        this.participantId = message.participant_id;
        this.role = message.role;
        if (message.session) {
          this.session = message.session;
          this.controller = message.session.controller || null;
          for (const p of message.session.participants || []) this.participants.set(p.id, p);
          if (message.session.state === 'terminated') this.ended = true;
        }
        this.updateRole();
        if (this.role === 'controller') this.sendSize(this.terminal.term.cols, this.terminal.term.rows);
        if (this.ended) this.showEnded(message.session);
        break;
      case 'participant_joined':
        this.participants.set(message.participant_id, { id: message.participant_id, name: message.name, role: message.role });
        this.updateRole();
        break;
      case 'participant_left':
        this.participants.delete(message.participant_id);
        if (this.controller === message.participant_id) this.controller = null;
        this.updateRole();
        break;
      case 'control_requested':
        if (message.participant_id === this.participantId) {
          this.myRequest = message.request_id;
        } else {
          this.requests.set(message.request_id, message);
        }
        this.updateRole();
        break;
      case 'control_granted':
        this.requests.delete(message.request_id);
        this.setController(message.participant_id);
        if (message.participant_id === this.participantId) {
          this.myRequest = null;
          toast('You now control this session.', 'success');
        } else if (message.previous_controller === this.participantId) {
          toast('Control passed to another participant: you are watching now.');
        }
        break;
      case 'control_refused':
      case 'control_expired':
        this.requests.delete(message.request_id);
        if (message.request_id === this.myRequest) {
          this.myRequest = null;
          toast(message.type === 'control_refused' ? 'Your control request was refused.' : 'Your control request expired.', 'error');
        }
        this.updateRole();
        break;
      case 'controller_revoked':
        if (this.controller === message.participant_id) this.controller = null;
        this.setController(this.controller);
        break;
      case 'state_changed':
        this.session = { ...this.session, state: message.state, exit_code: message.exit_code, signal: message.signal };
        if (message.state === 'terminated') {
          this.ended = true;
          this.showEnded(message);
        }
        this.updateRole();
        refreshSessions();
        break;
      case 'output_skipped':
        if (message.participant_id === this.participantId) {
          toast(`This tab fell behind: ${message.bytes} bytes of output were skipped.`);
        }
        break;
      case 'events_dropped':
        break;
      case 'error':
        toast(message.message || 'The server refused that.', 'error');
        break;
      default:
        break;
    }
  }

  setController(id) {
    this.controller = id;
    if (this.participantId) this.role = id === this.participantId ? 'controller' : 'spectator';
    for (const p of this.participants.values()) p.role = p.id === id ? 'controller' : 'spectator';
    this.updateRole();
    if (this.role === 'controller') this.sendSize(this.terminal.term.cols, this.terminal.term.rows);
  }

  updateRole() {
    const controlling = this.role === 'controller' && !this.ended;
    this.badge.textContent = this.ended ? 'ended' : this.role || 'connecting';
    this.badge.className = `badge ${this.ended ? 'ended' : this.role || 'pending'}`;
    this.badge.dataset.role = this.role || '';
    this.terminal.term.options.disableStdin = !controlling;
    this.terminal.term.options.cursorBlink = controlling;
    this.requestButton.hidden = this.ended || this.role !== 'spectator';
    if (this.requestButton.hidden) this.askForm.hidden = true;
    this.requestButton.disabled = this.myRequest !== null;
    this.requestButton.textContent = this.myRequest !== null ? 'Waiting for approval…' : 'Request control';
    this.releaseButton.hidden = !controlling;
    this.killButton.hidden = this.ended;
    const count = this.participants.size;
    const size = this.session.cols && this.session.rows ? `${this.session.cols}×${this.session.rows} · ` : '';
    this.meta.textContent = `${commandText(this.session)} · ${size}${count} ${count === 1 ? 'client' : 'clients'}`;
    this.tab.setStatus(this.ended ? 'ended' : this.role === 'controller' ? 'controller' : 'spectator');
    this.renderRequests();
  }

  renderRequests() {
    this.requestsBox.replaceChildren();
    if (this.role !== 'controller' || this.ended) {
      this.requestsBox.hidden = true;
      return;
    }
    for (const [id, request] of this.requests) {
      const who = this.participants.get(request.participant_id);
      const name = who && who.name ? `${who.name} (${request.participant_id})` : request.participant_id;
      this.requestsBox.append(h('div', { class: 'request', dataset: { request: id } },
        h('span', { class: 'request-text' }, h('strong', {}, name), ' asks for control',
          request.reason ? h('span', { class: 'reason' }, ` — “${request.reason}”`) : ''),
        h('button', { class: 'btn primary small', type: 'button', 'data-action': 'grant',
          onclick: () => this.send({ type: 'resolve_control', request_id: id, action: 'grant' }) }, 'Grant'),
        h('button', { class: 'btn small', type: 'button', 'data-action': 'refuse',
          onclick: () => this.send({ type: 'resolve_control', request_id: id, action: 'refuse' }) }, 'Refuse')));
    }
    this.requestsBox.hidden = this.requests.size === 0;
  }

  askForControl() {
    this.askForm.hidden = false;
    this.reasonInput.focus();
  }

  flashHint() {
    this.hint.hidden = false;
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => { this.hint.hidden = true; }, 2500);
  }

  showEnded(info) {
    const code = info.exit_code;
    const signal = info.signal;
    let detail = code === null || code === undefined ? 'exit code unknown' : `exit code ${code}`;
    if (signal) detail += ` (signal ${signal})`;
    this.showNotice('Session ended', detail, code === 0 ? 'ok' : 'warn', false);
  }

  showNotice(title, detail, kind, reconnect) {
    this.notice.replaceChildren(h('strong', {}, title), h('span', {}, detail));
    if (reconnect) {
      this.notice.append(h('button', { class: 'btn small', type: 'button', onclick: () => {
        this.notice.hidden = true;
        this.connect();
      } }, 'Reconnect'));
    }
    this.notice.className = `notice ${kind}`;
    this.notice.hidden = false;
  }

  dispose() {
    state.attachments.delete(this);
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.terminal.dispose();
    if (state.tabs.items.length === 0) history.replaceState(null, '', location.pathname);
  }
}

function openAttachment(session, options) {
  const attachment = new Attachment(session, options);
  state.attachments.add(attachment);
  attachment.tab.show();
  return attachment;
}

function focusOrOpen(session) {
  for (const attachment of state.attachments) {
    if (attachment.sessionId === session.id) {
      attachment.tab.show();
      return;
    }
  }
  openAttachment(session);
}

async function killSession(session) {
  if (!window.confirm(`End session “${sessionTitle(session)}”? Its processes get SIGHUP.`)) return;
  try {
    await api('DELETE', `/api/terminal/sessions/${encodeURIComponent(session.id)}`);
    toast(`Session ${sessionTitle(session)} ended.`);
  } catch (e) {
    toast(e.message, 'error');
  }
  refreshSessions();
}

// ---- sidebar -------------------------------------------------------------------------------

const sidebar = {
  running: h('ul', { class: 'session-list', 'data-testid': 'running-sessions' }),
  terminated: h('ul', { class: 'session-list', 'data-testid': 'terminated-sessions' }),
  runningCount: h('span', { class: 'count' }),
  terminatedCount: h('span', { class: 'count' }),
  status: h('span', { class: 'status-dot', title: 'connected' }),
};

function sessionItem(session) {
  const running = session.state !== 'terminated';
  const clients = session.clients ?? 0;
  const open = h('button', { class: 'session-open', type: 'button', onclick: () => focusOrOpen(session) },
    h('span', { class: `state-dot ${session.state}` }),
    h('span', { class: 'session-text' },
      h('span', { class: 'session-name' }, sessionTitle(session)),
      h('span', { class: 'session-sub' }, commandText(session))),
    h('span', { class: 'session-side' },
      running
        ? h('span', { class: 'pill', title: `${clients} attached` }, `${clients} ${clients === 1 ? 'client' : 'clients'}`)
        : h('span', { class: `pill ${session.exit_code === 0 ? 'ok' : 'bad'}` }, `exit ${session.exit_code ?? '?'}`),
      h('span', { class: 'session-time' }, ago(running ? session.created_at : session.terminated_at))));
  const watch = h('button', { class: 'session-watch', type: 'button', title: 'Watch as a spectator',
    'data-action': 'watch', onclick: () => openAttachment(session, { spectator: true }) }, 'watch');
  return h('li', { class: `session ${session.state}`, dataset: { session: session.id, state: session.state } }, open, watch);
}

function renderSessions() {
  const running = state.sessions.filter((s) => s.state !== 'terminated');
  const terminated = state.sessions.filter((s) => s.state === 'terminated');
  sidebar.running.replaceChildren(...(running.length ? running.map(sessionItem)
    : [h('li', { class: 'empty-item' }, 'No running session.')]));
  sidebar.terminated.replaceChildren(...terminated.map(sessionItem));
  sidebar.runningCount.textContent = String(running.length);
  sidebar.terminatedCount.textContent = String(terminated.length);
  sidebar.terminatedSection.hidden = terminated.length === 0;
}

let refreshing = null;
async function refreshSessions() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const body = await api('GET', '/api/terminal/sessions');
      state.sessions = body.sessions || [];
      sidebar.status.className = 'status-dot ok';
      sidebar.status.title = 'connected';
      renderSessions();
    } catch (e) {
      sidebar.status.className = 'status-dot bad';
      sidebar.status.title = e.message;
      if (e instanceof ApiError && e.status === 401) location.reload();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// ---- new session dialog --------------------------------------------------------------------

function newSessionDialog() {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const name = h('input', { name: 'name', placeholder: 'e.g. build', autocomplete: 'off', spellcheck: 'false' });
  const command = h('input', { name: 'command', placeholder: 'login shell', autocomplete: 'off', spellcheck: 'false' });
  const workdir = h('input', { name: 'working_dir', placeholder: 'the server’s directory', autocomplete: 'off', spellcheck: 'false' });
  const cols = h('input', { name: 'cols', type: 'number', min: 1, max: 4096, placeholder: 'fit' });
  const rows = h('input', { name: 'rows', type: 'number', min: 1, max: 4096, placeholder: 'fit' });
  const submit = h('button', { class: 'btn primary', type: 'submit' }, 'Start session');
  const form = h('form', { method: 'dialog', class: 'dialog-form', id: 'new-session-form' },
    h('h2', {}, 'New session'),
    h('p', { class: 'muted' }, 'Starts a terminal on this server that keeps running when you close the page.'),
    field('Name', name, 'optional, unique among running sessions'),
    field('Command', command, 'run by /bin/sh -c; empty: the login shell'),
    field('Working directory', workdir),
    h('div', { class: 'field-row' }, field('Columns', cols), field('Rows', rows)),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn ghost', type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      submit));
  const dialog = h('dialog', { class: 'dialog' }, form);
  onSubmit(form, { submit, error, send: async () => {
    const body = {};
    if (name.value.trim()) body.name = name.value.trim();
    if (command.value.trim()) body.command = command.value.trim();
    if (workdir.value.trim()) body.working_dir = workdir.value.trim();
    const size = estimateSize();
    body.cols = cols.value ? Number(cols.value) : size.cols;
    body.rows = rows.value ? Number(rows.value) : size.rows;
    const session = await api('POST', '/api/terminal/sessions', body);
    dialog.close();
    form.reset();
    await refreshSessions();
    openAttachment(session);
  } });
  document.body.append(dialog);
  return { open: () => { dialog.showModal(); name.focus(); } };
}

/** The terminal size a new tab would get, so the session starts at the right size. */
function estimateSize() {
  const panes = state.tabs.panes.getBoundingClientRect();
  const cols = Math.floor((panes.width - 24) / 8.4);
  const rows = Math.floor((panes.height - 70) / 18.4);
  return { cols: Math.min(4096, Math.max(20, cols || 80)), rows: Math.min(4096, Math.max(5, rows || 24)) };
}

// ---- page ----------------------------------------------------------------------------------

function build() {
  const dialog = newSessionDialog();
  const signOut = h('button', { class: 'btn ghost small', type: 'button', hidden: !state.authRequired,
    onclick: () => logout() }, 'Sign out');
  const newButton = h('button', { class: 'btn primary wide', type: 'button', 'data-action': 'new-session',
    onclick: () => dialog.open() }, '+ New session');
  const cleanup = h('button', { class: 'link', type: 'button', onclick: async () => {
    try {
      await api('POST', '/api/terminal/cleanup');
    } catch (e) {
      toast(e.message, 'error');
    }
    refreshSessions();
  } }, 'clear');
  sidebar.terminatedSection = h('section', { class: 'side-section' },
    h('h3', {}, 'Terminated ', sidebar.terminatedCount, cleanup), sidebar.terminated);
  const aside = h('aside', { class: 'sidebar' },
    newButton,
    h('section', { class: 'side-section' }, h('h3', {}, 'Running ', sidebar.runningCount), sidebar.running),
    sidebar.terminatedSection);
  const empty = h('div', { class: 'empty-state' },
    h('div', { class: 'empty-icon' }, '>_'),
    h('h2', {}, 'No terminal open'),
    h('p', { class: 'muted' }, 'Pick a session on the left to attach to it, or start a new one.'),
    h('button', { class: 'btn primary', type: 'button', onclick: () => dialog.open() }, 'New session'));
  state.tabs = new Tabs({ empty });
  document.body.append(
    topbar('webtty sessions', h('span', { class: 'host' }, sidebar.status, location.host), signOut),
    h('div', { class: 'layout' }, aside, state.tabs.el));
  state.tabs.show(null);
}

async function openFromHash() {
  const match = /^#\/session\/(.+)$/.exec(location.hash);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  const session = state.sessions.find((s) => s.id === id || s.name === id);
  if (session) openAttachment(session);
  else toast(`Session ${id} is gone.`, 'error');
}

async function main() {
  // GET /api/login says whether this server wants a token and whether our cookie carries a
  // valid one; only then do we ask for it.
  let login;
  try {
    login = await api('GET', '/api/login');
  } catch (e) {
    document.body.append(h('div', { class: 'fatal' }, `Cannot reach the server: ${e.message}`));
    return;
  }
  state.authRequired = !!login.auth_required;
  if (login.auth_required && !login.authenticated) {
    await showLogin({ product: 'this webtty server',
      hint: 'Paste the token this server was started with (its --token option).' });
  }
  try {
    const body = await api('GET', '/api/terminal/sessions');
    state.sessions = body.sessions || [];
  } catch (e) {
    document.body.append(h('div', { class: 'fatal' }, `Cannot load sessions: ${e.message}`));
    return;
  }
  build();
  sidebar.status.className = 'status-dot ok';
  renderSessions();
  await openFromHash();
  setInterval(refreshSessions, POLL_MS);
}

main();
