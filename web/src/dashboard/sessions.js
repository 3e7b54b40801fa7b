// The "Sessions" tab of the engine dashboard: the engine's managed sessions
// (GET /api/webtty/sessions, docs/api.md "Managed sessions") with the columns of
// `rstream webtty sessions list`, active ones or all (a terminated session stays listed for ten
// minutes). A row's Spectate opens the session in its own tab (session_view.js), Replay its
// recording (replay.js); "Replay by id" opens any recording, listed or not. The engine has no
// event stream of the list, so it is polled, only while the tab is on screen and the browser
// tab is visible. Everything from the engine goes into text nodes.
import { api, ApiError, h, ago } from '../common/api.js';
import { RecordingReplay } from './replay.js';
import { SessionView } from './session_view.js';

const COLUMNS = ['Id', 'Server', 'Status', 'Mode', 'Controller', 'Participants', 'Started', 'Origin', 'Group', ''];
const POLL_MS = 3000;

function statusCell(session) {
  const ended = session.status === 'terminated';
  const code = session.exit_code === null || session.exit_code === undefined ? '?' : session.exit_code;
  return h('span', { class: 'status-cell' },
    h('span', { class: `state-dot ${ended ? '' : 'running'}` }),
    ended ? `terminated (${code})` : session.status);
}

function participantsCell(session) {
  const list = (session.participants || []).map((p) => `${p.id} ${p.name || ''} (${p.role})`).join('\n');
  return h('td', { title: list }, String(session.clients ?? (session.participants || []).length));
}

export class ManagedSessions {
  constructor(tabs) {
    this.tabs = tabs;
    this.sessions = [];
    this.answer = '';
    this.views = new Map();  // id → SessionView
    this.rows = h('tbody');
    this.count = h('span', { class: 'count-text' });
    this.loadError = h('p', { class: 'form-error inline', role: 'alert', 'data-testid': 'sessions-error' });
    this.status = h('select', { id: 'session-status', title: 'Which sessions to list',
      onchange: () => this.refresh(true) },
    h('option', { value: 'active' }, 'Active'), h('option', { value: '' }, 'All (terminated: last 10 min)'));
    const replayId = h('input', { id: 'replay-id', placeholder: 'ses_…', autocomplete: 'off', spellcheck: 'false',
      title: 'A session id, to replay its recording' });
    const replayForm = h('form', { class: 'replay-by-id' }, replayId,
      h('button', { class: 'btn small', type: 'submit' }, 'Replay by id'));
    replayForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const id = replayId.value.trim();
      if (id) this.replay({ id });
    });
    this.pane = h('div', { class: 'inventory' },
      h('div', { class: 'inventory-head' },
        h('div', {}, h('h1', {}, 'Sessions'),
          h('p', { class: 'muted' }, 'Managed sessions to registered servers: watch one, ask for control, replay a recording.')),
        h('div', { class: 'inventory-tools' }, this.status, this.count, replayForm)),
      this.loadError,
      h('div', { class: 'table-wrap' },
        h('table', { class: 'tunnels', 'data-testid': 'sessions' },
          h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', {}, c)))),
          this.rows)));
    this.tab = tabs.add({ title: 'Sessions', pane: this.pane, closable: false, onShow: () => this.refresh(true) });
    this.tab.setStatus('home');
    this.timer = setInterval(() => this.refresh(), POLL_MS);
    document.addEventListener('visibilitychange', () => this.refresh());
  }

  row(session) {
    const active = session.status === 'active';
    let watch = '';
    if (active && session.end_to_end) {
      watch = h('span', { class: 'chip e2e', title: 'Its content reaches only clients that hold its keys' }, 'E2E');
    } else if (active) {
      watch = h('button', { class: 'btn primary small', type: 'button', 'data-action': 'spectate',
        onclick: () => this.spectate(session) }, 'Spectate');
    }
    const replay = session.recording === 'recorded'
      ? h('button', { class: 'btn small', type: 'button', 'data-action': 'replay',
        onclick: () => this.replay(session) }, 'Replay')
      : '';
    return h('tr', { dataset: { session: session.id, status: session.status } },
      h('td', { class: 'mono small' }, session.id),
      h('td', {}, session.server || session.server_id || '—'),
      h('td', {}, statusCell(session)),
      h('td', {}, session.mode || '—'),
      h('td', { class: 'mono small' }, session.controller || '—'),
      participantsCell(session),
      h('td', { class: 'muted small', title: session.started_at || '' }, ago(session.started_at)),
      h('td', {}, session.origin || '—'),
      h('td', {}, session.group || '—'),
      h('td', { class: 'actions' }, watch, replay));
  }

  render() {
    if (this.sessions.length === 0) {
      this.rows.replaceChildren(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty-row' },
        this.status.value === 'active'
          ? 'No active managed session. Sessions to a registered server through this engine show up here.'
          : 'No managed session in the last ten minutes.')));
    } else {
      this.rows.replaceChildren(...this.sessions.map((s) => this.row(s)));
    }
    this.count.textContent = `${this.sessions.length} ${this.sessions.length === 1 ? 'session' : 'sessions'}`;
  }

  /** Whether the list is on screen in a visible browser tab (the poll skips otherwise). */
  visible() {
    return !this.pane.hidden && document.visibilityState === 'visible';
  }

  /** Reads the list (when visible, or `force`) and updates the table. */
  async refresh(force = false) {
    if (!force && !this.visible()) return;
    const status = this.status.value;
    let listing;
    try {
      listing = await api('GET', `/api/webtty/sessions${status ? `?status=${encodeURIComponent(status)}` : ''}`);
      this.loadError.textContent = '';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      this.loadError.textContent = e.message;
      return;
    }
    const answer = status + JSON.stringify(listing.sessions);
    if (answer === this.answer) return;
    this.answer = answer;
    this.sessions = listing.sessions || [];
    this.render();
  }

  /** The session's tab, opened once while it is open. */
  spectate(session) {
    const open = this.views.get(session.id);
    if (open && !open.closed) {
      open.tab.show();
      return;
    }
    this.views.set(session.id, new SessionView(session, this.tabs));
  }

  replay(session) {
    new RecordingReplay(session.id, this.tabs);
  }
}
