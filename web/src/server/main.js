// The live-sessions page of `rstream webtty server --listen` (docs/api.md, "Server: live
// sessions"): a sidebar of sessions, a terminal tab per attachment (WebSocket
// /ws/terminal/{id}: binary = terminal bytes, text = JSON control), the controller/spectator
// role, control requests, and a form to start a session.
import { api, ApiError, h, ago } from '../common/api.js';
import { showLogin, logout } from '../common/login.js';
import { endedText, LiveParticipant } from '../common/live_participant.js';
import { createTerminal } from '../common/terminal.js';
import { topbar, toast, Tabs, field, onSubmit } from '../common/ui.js';

const POLL_MS = 2000;

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
    this.spectator = spectator;
    this.build(session);
    this.live.connect();
  }

  get session() {
    return this.live.session;
  }

  build(session) {
    this.badge = h('span', { class: 'badge', 'data-testid': 'role-badge' }, 'connecting');
    this.title = h('span', { class: 'pane-title' }, sessionTitle(session));
    this.meta = h('span', { class: 'pane-meta' }, '');
    this.requestButton = h('button', { class: 'btn', type: 'button', 'data-action': 'request-control',
      onclick: () => this.askForControl() }, 'Request control');
    this.releaseButton = h('button', { class: 'btn', type: 'button', 'data-action': 'release-control',
      onclick: () => this.live.send({ type: 'release_control' }) }, 'Release control');
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
      this.live.send({ type: 'request_control', reason: this.reasonInput.value.trim() || 'I would like to type' });
      this.askForm.hidden = true;
      this.live.requested();
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
      onResize: (cols, rows) => this.live.sendSize(cols, rows),
    });
    const query = new URLSearchParams({ name: 'browser' });
    if (this.spectator) query.set('role', 'spectator');
    this.live = new LiveParticipant({
      path: `/ws/terminal/${encodeURIComponent(this.sessionId)}?${query}`,
      terminal: this.terminal,
      session,
      onChange: () => this.updateRole(),
      onEnded: (info) => {
        this.showEnded(info);
        refreshSessions();
      },
      onClosed: (reason) => this.showNotice('Disconnected from the session.', reason, 'warn', true),
      notify: toast,
    });
    this.termHost.addEventListener('keydown', () => {
      if (!this.live.controlling && !this.live.ended) this.flashHint();
    }, true);
    this.tab = state.tabs.add({
      title: sessionTitle(session),
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

  updateRole() {
    const live = this.live;
    const controlling = live.controlling;
    live.showRole(this.badge, this.tab);
    this.requestButton.hidden = live.ended || live.role !== 'spectator';
    if (this.requestButton.hidden) this.askForm.hidden = true;
    this.requestButton.disabled = live.myRequest !== null;
    this.requestButton.textContent = live.myRequest !== null ? 'Waiting for approval…' : 'Request control';
    this.releaseButton.hidden = !controlling;
    this.killButton.hidden = live.ended;
    const count = live.participants.size;
    const size = this.session.cols && this.session.rows ? `${this.session.cols}×${this.session.rows} · ` : '';
    this.meta.textContent = `${commandText(this.session)} · ${size}${count} ${count === 1 ? 'client' : 'clients'}`;
    this.renderRequests();
  }

  renderRequests() {
    const live = this.live;
    this.requestsBox.replaceChildren();
    if (!live.controlling) {
      this.requestsBox.hidden = true;
      return;
    }
    for (const [id, request] of live.requests) {
      const who = live.participants.get(request.participant_id);
      const name = who && who.name ? `${who.name} (${request.participant_id})` : request.participant_id;
      this.requestsBox.append(h('div', { class: 'request', dataset: { request: id } },
        h('span', { class: 'request-text' }, h('strong', {}, name), ' asks for control',
          request.reason ? h('span', { class: 'reason' }, ` — “${request.reason}”`) : ''),
        h('button', { class: 'btn primary small', type: 'button', 'data-action': 'grant',
          onclick: () => live.send({ type: 'resolve_control', request_id: id, action: 'grant' }) }, 'Grant'),
        h('button', { class: 'btn small', type: 'button', 'data-action': 'refuse',
          onclick: () => live.send({ type: 'resolve_control', request_id: id, action: 'refuse' }) }, 'Refuse')));
    }
    this.requestsBox.hidden = live.requests.size === 0;
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
    this.showNotice('Session ended', endedText(info), info.exit_code === 0 ? 'ok' : 'warn', false);
  }

  showNotice(title, detail, kind, reconnect) {
    this.notice.replaceChildren(h('strong', {}, title), h('span', {}, detail));
    if (reconnect) {
      this.notice.append(h('button', { class: 'btn small', type: 'button', onclick: () => {
        this.notice.hidden = true;
        this.live.connect();
      } }, 'Reconnect'));
    }
    this.notice.className = `notice ${kind}`;
    this.notice.hidden = false;
  }

  dispose() {
    state.attachments.delete(this);
    this.live.close();
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
