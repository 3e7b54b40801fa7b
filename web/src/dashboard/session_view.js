// One managed session in its own tab of the engine dashboard: xterm.js joined as a spectator
// through the engine's WebSocket /api/webtty/sessions/{id}/ws?role=spectator (the same
// participant protocol as a server's live sessions: live_participant.js). The engine sends a
// repaint of the current screen, then live output; keystrokes go nowhere until this participant
// controls the session. "Request control" sends the reason with
// POST /api/webtty/sessions/{id}/control-requests as this participant, so the engine's refusal
// (403 for a read-only token, 409 for a pending request) is shown as its message; the request's
// state (pending, granted, refused, expired) comes back as the session's events.
import { api, ApiError, h } from '../common/api.js';
import { endedText, LiveParticipant } from '../common/live_participant.js';
import { createTerminal } from '../common/terminal.js';
import { toast } from '../common/ui.js';

const REQUEST_TEXT = {
  pending: 'Control requested: waiting for the controller or an admin to decide.',
  granted: 'Control granted: your keystrokes go to the session.',
  refused: 'Your control request was refused.',
  expired: 'Your control request expired.',
};

export class SessionView {
  constructor(session, tabs) {
    this.closed = false;
    this.badge = h('span', { class: 'badge pending', 'data-testid': 'role-badge' }, 'connecting');
    this.meta = h('span', { class: 'pane-meta' });
    this.reason = h('input', { class: 'reason-input', name: 'reason', maxlength: 1024, autocomplete: 'off',
      placeholder: 'Why do you need control? The controller sees this.', 'data-testid': 'control-reason' });
    this.askButton = h('button', { class: 'btn primary small', type: 'submit', 'data-action': 'request-control' },
      'Request control');
    this.askForm = h('form', { class: 'ask-control' }, h('span', { class: 'ask-label' }, 'Control'),
      this.reason, this.askButton);
    this.askForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.askForControl();
    });
    this.requestStatus = h('p', { class: 'request-status', role: 'status', 'data-testid': 'request-status' });
    this.error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'session-error' });
    this.termHost = h('div', { class: 'term-host' });
    this.notice = h('div', { class: 'notice', hidden: true, 'data-testid': 'notice' });
    this.hint = h('div', { class: 'hint', hidden: true }, 'You are watching this session. Request control to type.');
    this.pane = h('div', { class: 'terminal-pane', dataset: { session: session.id } },
      h('div', { class: 'pane-toolbar' },
        h('div', { class: 'pane-heading' }, h('span', { class: 'pane-title' }, session.id), this.badge, this.meta)),
      this.askForm, this.requestStatus, this.error,
      h('div', { class: 'term-frame' }, this.termHost, this.hint, this.notice));
    this.terminal = createTerminal(this.termHost, { onResize: (cols, rows) => this.live.sendSize(cols, rows) });
    this.live = new LiveParticipant({
      path: `/api/webtty/sessions/${encodeURIComponent(session.id)}/ws?name=dashboard&role=spectator`,
      terminal: this.terminal,
      session,
      onChange: () => this.render(),
      onEnded: (info) => this.showNotice('Session ended', endedText(info), info.exit_code === 0 ? 'ok' : 'warn'),
      onClosed: (reason) => this.showNotice('Disconnected from the session', reason, 'warn'),
      notify: toast,
    });
    this.termHost.addEventListener('keydown', () => {
      if (!this.live.controlling && !this.live.ended) this.flashHint();
    }, true);
    this.tab = tabs.add({
      title: `${session.server || 'session'} · ${session.id.slice(-6)}`,
      pane: this.pane,
      onClose: () => this.dispose(),
      onShow: () => requestAnimationFrame(() => {
        this.terminal.fit();
        this.terminal.term.focus();
      }),
    });
    this.render();
    this.tab.show();
    this.live.connect();
  }

  get path() {
    return `/api/webtty/sessions/${encodeURIComponent(this.live.session.id)}`;
  }

  async askForControl() {
    this.error.textContent = '';
    if (!this.live.participantId) {
      this.error.textContent = 'Not joined yet: wait until the session is shown.';
      return;
    }
    this.askButton.disabled = true;
    try {
      const request = await api('POST', `${this.path}/control-requests`, {
        participant_id: this.live.participantId,
        reason: this.reason.value.trim() || 'I would like to type',
      });
      // Granted at once when nobody controls; the control_granted event follows either way.
      if (request.state === 'pending') this.live.requested(request.id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      this.error.textContent = e.message;
    }
    this.render();
  }

  render() {
    const live = this.live;
    const session = live.session;
    live.showRole(this.badge, this.tab);
    if (live.controlling) this.hint.hidden = true;
    this.askForm.hidden = live.ended || live.role !== 'spectator';
    this.askButton.disabled = live.myRequest !== null;
    this.requestStatus.textContent = live.requestState ? REQUEST_TEXT[live.requestState] : '';
    this.requestStatus.dataset.state = live.requestState || '';
    this.requestStatus.hidden = !live.requestState;
    const count = live.participants.size;
    const size = session.cols && session.rows ? ` · ${session.cols}×${session.rows}` : '';
    this.meta.textContent = `${session.server || ''}${size} · ${count} ${count === 1 ? 'participant' : 'participants'}`;
  }

  flashHint() {
    this.hint.hidden = false;
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => { this.hint.hidden = true; }, 2500);
  }

  showNotice(title, detail, kind) {
    this.notice.replaceChildren(h('strong', {}, title), h('span', {}, detail));
    this.notice.className = `notice ${kind}`;
    this.notice.hidden = false;
  }

  dispose() {
    this.closed = true;
    this.live.close();
    this.terminal.dispose();
  }
}
