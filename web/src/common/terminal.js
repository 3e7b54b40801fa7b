// An xterm.js terminal as rstream's pages use it: fitted to its container (re-fitted when the
// container changes size), Unicode 11 widths, clickable links, a deep scrollback, and
// Ctrl+Shift+C / Ctrl+Shift+V for copy and paste (plain Ctrl+C stays the interrupt key).
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';

export const theme = {
  background: '#0b0f14',
  foreground: '#d7dde5',
  cursor: '#7dd3fc',
  cursorAccent: '#0b0f14',
  selectionBackground: '#2b4a66',
  black: '#1c232c', red: '#f87171', green: '#4ade80', yellow: '#facc15',
  blue: '#60a5fa', magenta: '#c084fc', cyan: '#22d3ee', white: '#d7dde5',
  brightBlack: '#5b6776', brightRed: '#fca5a5', brightGreen: '#86efac', brightYellow: '#fde68a',
  brightBlue: '#93c5fd', brightMagenta: '#d8b4fe', brightCyan: '#67e8f9', brightWhite: '#f8fafc',
};

/**
 * Creates a terminal inside `container`. `onResize(cols, rows)` is called after every fit that
 * changed the size. With `fixed: true` the terminal keeps the size given to term.resize() (a
 * recording's) instead of fitting its pane. Returns {term, fit, fitted, dispose}.
 */
export function createTerminal(container, { onResize, fixed = false } = {}) {
  const term = new Terminal({
    allowProposedApi: true,
    cursorBlink: true,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    lineHeight: 1.15,
    scrollback: 10000,
    theme,
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.loadAddon(new WebLinksAddon());
  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') {
      const selection = term.getSelection();
      if (selection && navigator.clipboard) navigator.clipboard.writeText(selection).catch(() => {});
      return false;
    }
    if (event.code === 'KeyV') return false;  // the browser's paste event reaches xterm
    return true;
  });
  term.open(container);
  container.addEventListener('mousedown', () => term.focus());

  let last = { cols: term.cols, rows: term.rows };
  let markFitted;
  // Resolved once the terminal has its real size (its container is shown): a live session's
  // first output is a repaint of its screen, which must land on a terminal of that size.
  const fitted = new Promise((resolve) => { markFitted = resolve; });
  const fit = () => {
    if (fixed) {
      markFitted();
      return;
    }
    if (!container.isConnected || container.clientWidth === 0 || container.clientHeight === 0) return;
    try {
      fitAddon.fit();
    } catch {
      return;
    }
    markFitted();
    if (term.cols !== last.cols || term.rows !== last.rows) {
      last = { cols: term.cols, rows: term.rows };
      if (onResize) onResize(term.cols, term.rows);
    }
  };
  let pending = 0;
  const observer = new ResizeObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(fit);
  });
  observer.observe(container);
  requestAnimationFrame(fit);
  return {
    term,
    fit,
    fitted,
    dispose() {
      observer.disconnect();
      term.dispose();
    },
  };
}
