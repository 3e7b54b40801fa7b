// A managed session's recording replayed in xterm.js, in its own tab of the engine dashboard.
// It reads the recording's events a page at a time (GET /api/webtty/sessions/{id}/events?
// from_seq=N, docs/api.md "Recordings"; an admin token: anyone else gets the engine's 403
// message in the pane) and plays the output at the recorded pace on a terminal of the recorded
// size: play / pause, speed (0.5× to 4×), and a seek bar. Seeking forwards writes the output up
// to that time at once; seeking backwards resets the terminal and does the same from the start.
// "Reload" reads the events a running session recorded since.
import { api, ApiError, h } from '../common/api.js';
import { createTerminal } from '../common/terminal.js';

const SPEEDS = [0.5, 1, 2, 4];
const PAGE_EVENTS = 1000;
/** Output bytes read at most (a larger recording is played up to there, and says so). */
const MAX_BYTES = 64 * 1024 * 1024;
const encoder = new TextEncoder();

function clock(us) {
  const seconds = Math.floor(us / 1e6);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function payload(event) {
  if (typeof event.text === 'string') return encoder.encode(event.text);
  if (typeof event.base64 === 'string') return Uint8Array.from(atob(event.base64), (c) => c.charCodeAt(0));
  return new Uint8Array(0);
}

/** Reads every event of the recording `id`: {recording, frames: [{time, bytes} | {time, cols, rows}], truncated}. */
async function readRecording(id) {
  const frames = [];
  let recording = null;
  let bytes = 0;
  let next = 1;
  for (;;) {
    const page = await api('GET', `/api/webtty/sessions/${encodeURIComponent(id)}/events?from_seq=${next}&limit=${PAGE_EVENTS}`);
    recording = page.recording;
    for (const event of page.events) {
      if (event.kind === 'output') {
        const data = payload(event);
        bytes += data.length;
        frames.push({ time: event.time_us, bytes: data });
      } else if (event.kind === 'resize' && event.fields) {
        frames.push({ time: event.time_us, cols: event.fields.cols, rows: event.fields.rows });
      }
    }
    if (!page.more || page.next_seq === next) return { recording, frames, truncated: false };
    if (bytes > MAX_BYTES) return { recording, frames, truncated: true };
    next = page.next_seq;
  }
}

export class RecordingReplay {
  constructor(sessionId, tabs) {
    this.sessionId = sessionId;
    this.frames = [];
    this.duration = 0;
    this.position = 0;   // µs of recording time shown
    this.written = 0;    // frames written to the terminal
    this.speed = 1;
    this.playing = false;
    this.timer = 0;
    this.error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'replay-error' });
    this.meta = h('span', { class: 'pane-meta', 'data-testid': 'replay-meta' }, 'loading…');
    this.playButton = h('button', { class: 'btn primary small', type: 'button', 'data-action': 'play',
      onclick: () => (this.playing ? this.pause() : this.play()) }, 'Play');
    this.speedSelect = h('select', { class: 'replay-speed', 'data-testid': 'replay-speed', title: 'Playback speed',
      onchange: () => { this.speed = Number(this.speedSelect.value); } },
    SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)));
    this.seek = h('input', { type: 'range', class: 'replay-seek', min: 0, max: 0, step: 1, value: 0,
      'data-testid': 'replay-seek', 'aria-label': 'Position in the recording' });
    // Dragging fires many input events: one seek per frame, to where the thumb is then.
    let seeking = 0;
    this.seek.addEventListener('input', () => {
      cancelAnimationFrame(seeking);
      seeking = requestAnimationFrame(() => this.seekTo(Number(this.seek.value)));
    });
    this.time = h('span', { class: 'replay-time mono small', 'data-testid': 'replay-time' }, '0:00 / 0:00');
    this.termHost = h('div', { class: 'term-host' });
    this.pane = h('div', { class: 'terminal-pane replay', dataset: { replay: sessionId } },
      h('div', { class: 'pane-toolbar' },
        h('div', { class: 'pane-heading' }, h('span', { class: 'pane-title' }, `Recording ${sessionId}`), this.meta),
        h('div', { class: 'pane-actions' },
          h('button', { class: 'btn ghost small', type: 'button', 'data-action': 'reload', onclick: () => this.load() }, 'Reload'))),
      h('div', { class: 'replay-controls' }, this.playButton, this.speedSelect, this.seek, this.time),
      this.error,
      h('div', { class: 'term-frame' }, this.termHost));
    this.terminal = createTerminal(this.termHost, { fixed: true });
    this.terminal.term.options.disableStdin = true;
    this.terminal.term.options.cursorBlink = false;
    this.tab = tabs.add({ title: `Replay · ${sessionId.slice(-6)}`, pane: this.pane, onClose: () => this.dispose() });
    this.tab.setStatus('ended');
    this.tab.show();
    this.load();
  }

  async load() {
    this.pause();
    this.error.textContent = '';
    let read;
    try {
      read = await readRecording(this.sessionId);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      this.error.textContent = e.message;
      this.meta.textContent = 'not available';
      return;
    }
    const { recording, frames, truncated } = read;
    this.recording = recording;
    this.frames = frames;
    this.duration = frames.length ? frames[frames.length - 1].time : 0;
    this.seek.max = String(this.duration);
    const ended = recording.ended_at ? `ended ${recording.ended_at}, exit code ${recording.exit_code ?? '?'}` : 'still running';
    this.meta.textContent = `${recording.server_name || ''} · ${(recording.argv || []).join(' ') || 'login shell'} · ` +
      `${recording.cols}×${recording.rows} · ${ended} · ${recording.events} events` +
      (truncated ? ` · only the first ${MAX_BYTES / 1024 / 1024} MiB of output` : '');
    this.restart();
    this.showPosition();
  }

  /** An empty terminal of the recording's first size, at time 0. */
  restart() {
    const term = this.terminal.term;
    term.reset();
    term.resize(Math.max(1, this.recording.cols || 80), Math.max(1, this.recording.rows || 24));
    this.position = 0;
    this.written = 0;
  }

  /** Writes every frame up to `time` (µs) in one go. */
  writeUntil(time) {
    const term = this.terminal.term;
    const chunks = [];
    const flush = () => {
      if (chunks.length === 0) return;
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const joined = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        joined.set(c, at);
        at += c.length;
      }
      term.write(joined);
      chunks.length = 0;
    };
    while (this.written < this.frames.length && this.frames[this.written].time <= time) {
      const frame = this.frames[this.written++];
      if (frame.bytes) {
        chunks.push(frame.bytes);
      } else {
        flush();
        term.resize(Math.max(1, frame.cols), Math.max(1, frame.rows));
      }
    }
    flush();
    this.position = time;
  }

  seekTo(time) {
    if (time < this.position) this.restart();
    this.writeUntil(time);
    this.showPosition();
  }

  play() {
    if (this.playing || !this.recording) return;
    if (this.position >= this.duration) this.restart();
    this.playing = true;
    this.playButton.textContent = 'Pause';
    let last = performance.now();
    const tick = () => {
      if (!this.playing) return;
      const now = performance.now();
      const next = Math.min(this.duration, this.position + (now - last) * 1000 * this.speed);
      last = now;
      this.writeUntil(next);
      this.showPosition();
      if (next >= this.duration) {
        this.pause();
        return;
      }
      this.timer = setTimeout(tick, 30);
    };
    tick();
  }

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
    this.playButton.textContent = 'Play';
  }

  showPosition() {
    this.seek.value = String(this.position);
    this.time.textContent = `${clock(this.position)} / ${clock(this.duration)}`;
  }

  dispose() {
    this.pause();
    this.terminal.dispose();
  }
}
