// One participant of a live session over a WebSocket, for both pages: the server's own
// /ws/terminal/{id} and the engine's managed /api/webtty/sessions/{id}/ws speak the same
// protocol (docs/api.md, "WebSocket /ws/terminal/{id}"): binary messages are terminal bytes
// (output in, the controller's input out), text messages are JSON control messages.
// It keeps this participant's view of the session (its id and role, the controller, the other
// participants, pending control requests, its own request and what became of it, whether the
// session ended) and leaves the drawing to the page through its hooks:
//   onChange()          after every change of that view
//   onEnded(info)       the session ended ({exit_code, signal})
//   onClosed(reason)    the socket closed before the session ended
//   notify(text, kind)  a short message for a toast (kind: info | error | success)
// Keystrokes and sizes go out only while this participant controls the session.
import { websocketUrl } from './api.js';

const encoder = new TextEncoder();

export class LiveParticipant {
  /** `path`: the WebSocket's path and query; `terminal`: createTerminal()'s handle. */
  constructor({ path, terminal, session, onChange, onEnded, onClosed, notify }) {
    this.path = path;
    this.terminal = terminal;
    this.session = session;
    this.participantId = null;
    this.role = null;
    this.controller = session.controller || null;
    this.participants = new Map();
    this.requests = new Map();  // request_id → {participant_id, reason} of the others
    this.myRequest = null;      // our pending request's id (-1 until the engine names it)
    this.requestState = null;   // pending | granted | refused | expired, of our last request
    this.ended = false;
    this.socket = null;
    this.hooks = { onChange, onEnded, onClosed, notify };
    terminal.term.onData((data) => this.input(encoder.encode(data)));
    terminal.term.onBinary((data) => this.input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  }

  get controlling() {
    return this.role === 'controller' && !this.ended;
  }

  /** Opens the socket once the terminal has its size (the first output repaints the screen). */
  connect() {
    this.terminal.fitted.then(() => this.openSocket());
  }

  openSocket() {
    const socket = new WebSocket(websocketUrl(this.path));
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.onControl(event.data);
      else this.terminal.term.write(new Uint8Array(event.data));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.ended) return;
      this.role = null;
      this.hooks.onClosed(event.reason || `connection closed (${event.code})`);
      this.hooks.onChange();
    };
    this.socket = socket;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  input(bytes) {
    if (!this.controlling) return;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes);
  }

  sendSize(cols, rows) {
    if (!this.controlling) return;
    this.send({ type: 'resize', cols, rows });
    this.session = { ...this.session, cols, rows };
    this.hooks.onChange();
  }

  /** Marks our request as asked for, until the control_requested event (or `id`) names it. */
  requested(id = -1) {
    this.myRequest = id;
    this.requestState = 'pending';
    this.hooks.onChange();
  }

  onControl(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const mine = message.participant_id === this.participantId;
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
        this.hooks.onChange();
        this.sendSize(this.terminal.term.cols, this.terminal.term.rows);
        if (this.ended) this.hooks.onEnded(message.session);
        break;
      case 'participant_joined':
        this.participants.set(message.participant_id, { id: message.participant_id, name: message.name, role: message.role });
        this.hooks.onChange();
        break;
      case 'participant_left':
        this.participants.delete(message.participant_id);
        if (this.controller === message.participant_id) this.controller = null;
        this.hooks.onChange();
        break;
      case 'control_requested':
        if (mine) this.requested(message.request_id);
        else this.requests.set(message.request_id, message);
        this.hooks.onChange();
        break;
      case 'control_granted':
        this.requests.delete(message.request_id);
        if (mine) {
          this.myRequest = null;
          this.requestState = 'granted';
          this.hooks.notify('You now control this session.', 'success');
        } else if (message.previous_controller === this.participantId) {
          this.hooks.notify('Control passed to another participant: you are watching now.');
        }
        this.setController(message.participant_id);
        break;
      case 'control_refused':
      case 'control_expired':
        this.requests.delete(message.request_id);
        if (message.request_id === this.myRequest || (mine && this.myRequest !== null)) {
          this.myRequest = null;
          this.requestState = message.type === 'control_refused' ? 'refused' : 'expired';
          this.hooks.notify(`Your control request was ${this.requestState}.`, 'error');
        }
        this.hooks.onChange();
        break;
      case 'controller_revoked':
        if (this.controller === message.participant_id) this.controller = null;
        this.setController(this.controller);
        break;
      case 'state_changed':
        this.session = { ...this.session, state: message.state, exit_code: message.exit_code, signal: message.signal };
        if (message.state === 'terminated') {
          this.ended = true;
          this.hooks.onEnded(message);
        }
        this.hooks.onChange();
        break;
      case 'output_skipped':
        if (mine) this.hooks.notify(`This tab fell behind: ${message.bytes} bytes of output were skipped.`);
        break;
      case 'error':
        this.hooks.notify(message.message || 'The session refused that.', 'error');
        break;
      default:
        break;
    }
  }

  setController(id) {
    this.controller = id;
    if (this.participantId) this.role = id === this.participantId ? 'controller' : 'spectator';
    for (const p of this.participants.values()) p.role = p.id === id ? 'controller' : 'spectator';
    this.hooks.onChange();
    this.sendSize(this.terminal.term.cols, this.terminal.term.rows);
  }

  /** Shows the role on `badge` and the tab's dot; the terminal takes keys only while controlling. */
  showRole(badge, tab) {
    const controlling = this.controlling;
    badge.textContent = this.ended ? 'ended' : this.role || 'connecting';
    badge.className = `badge ${this.ended ? 'ended' : this.role || 'pending'}`;
    badge.dataset.role = this.role || '';
    this.terminal.term.options.disableStdin = !controlling;
    this.terminal.term.options.cursorBlink = controlling;
    tab.setStatus(this.ended ? 'ended' : controlling ? 'controller' : 'spectator');
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
  }
}

/** "exit code 7", "exit code 137 (signal 9)" or "exit code unknown", for a session's end. */
export function endedText(info) {
  const code = info.exit_code;
  let text = code === null || code === undefined ? 'exit code unknown' : `exit code ${code}`;
  if (info.signal) text += ` (signal ${info.signal})`;
  return text;
}
