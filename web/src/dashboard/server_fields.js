// The pieces of a registered server (docs/api.md, "Registered servers") that the list, the
// create form and the detail pane share: the policy choices, an editable set of chips (labels,
// allowed tokens), the status and online badges, and the enrollment commands to copy.
// Everything from the API is put in as text (h() makes text nodes), never as markup.
import { h, ago } from '../common/api.js';
import { copyButton } from '../common/ui.js';

/** The policy words the engine takes, with what each means. */
export const POLICIES = {
  recording: [['recorded', 'recorded'], ['private', 'private (not recorded)']],
  encryption: [['disabled', 'disabled'], ['explicit_key', 'explicit_key (end-to-end only)']],
  access: [['project_members', 'project_members (every token)'], ['restricted', 'restricted (allowed tokens only)']],
};

/** A <select> of one policy's words, `chosen` selected. */
export function policySelect(id, choices, chosen) {
  return h('select', { id, name: id },
    choices.map(([value, text]) => h('option', { value, selected: value === chosen }, text)));
}

/** A field around a compound control (several inputs and buttons: not one <label>). */
export function fieldGroup(label, control, help) {
  return h('div', { class: 'field', role: 'group', 'aria-label': label }, h('span', {}, label), control,
    help ? h('small', {}, help) : '');
}

/** "key=value" → [key, value] (the value is everything after the first '='). */
export function parseLabel(text) {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`“${text}” is not a label: write key=value, e.g. role=ci`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

/**
 * An editable set of chips over a Map: each chip has a remove button, the input adds one
 * (Enter or Add; a text that does not parse is shown below it). parse(text) answers [key, value]
 * or throws an Error for the user; show(key, value) is a chip's text. value() answers the Map,
 * with what is still typed in the input added (so "role=ci" then Save works without Add); it
 * throws parse's Error when that text does not parse (the form shows it).
 */
export function chipEditor({ id, placeholder, items = [], parse, show }) {
  const current = new Map(items);
  const chips = h('span', { class: 'chip-list', 'data-testid': `${id}-chips` });
  const input = h('input', { id, placeholder, autocomplete: 'off', spellcheck: 'false' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const render = () => {
    const sorted = [...current].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    chips.replaceChildren(...sorted.map(([key, value]) => {
      const text = show(key, value);
      return h('span', { class: 'chip user', dataset: { key } }, text,
        h('button', { class: 'chip-remove', type: 'button', title: `Remove ${text}`, 'aria-label': `Remove ${text}`,
          onclick: () => { current.delete(key); render(); } }, '×'));
    }));
  };
  const addTyped = () => {
    const text = input.value.trim();
    error.textContent = '';
    if (!text) return;
    const [key, value] = parse(text);
    current.set(key, value);
    input.value = '';
    render();
  };
  const add = () => {
    try {
      addTyped();
    } catch (e) {
      error.textContent = e.message;
    }
  };
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();  // not the form's submit
    add();
  });
  render();
  const el = h('div', { class: 'chip-editor' }, chips,
    h('div', { class: 'chip-add' }, input, h('button', { class: 'btn small', type: 'button', onclick: add }, 'Add')),
    error);
  return {
    el,
    value() {
      addTyped();
      return new Map(current);
    },
  };
}

/** The status word as a badge. */
export function statusBadge(record) {
  const kind = { enrolled: 'controller', pending_enrollment: 'awaiting', suspended: 'ended' }[record.status] || '';
  return h('span', { class: `badge record-status ${kind}`, 'data-testid': 'status' }, record.status);
}

/** online, or offline with when it was last seen. */
export function onlineText(record) {
  if (record.online) return 'online';
  return record.last_seen ? `offline, last seen ${ago(record.last_seen)}` : 'offline, never seen';
}

export function onlineCell(record) {
  return h('span', { class: 'online', 'data-testid': 'online', title: record.last_seen || '' },
    h('span', { class: `state-dot ${record.online ? 'running' : ''}` }), onlineText(record));
}

/** The record's labels as chips. */
export function recordLabelChips(labels) {
  return Object.entries(labels || {}).sort().map(([key, value]) =>
    h('span', { class: 'chip user', title: `${key}=${value}` }, `${key}=${value}`));
}

/** The commands that bring a pending record online, each with a copy button. */
export function enrollmentCommands(record) {
  const steps = [
    ['On the host, once (sends its public key; needs a read-write token):', `rstream webtty server enroll ${record.id}`],
    ['Then run it (as a service, or by hand):', `rstream webtty server --server-id ${record.id}`],
  ];
  return h('section', { class: 'enroll-box', 'data-testid': 'enrollment' },
    h('h3', {}, 'Enroll the host'),
    steps.map(([why, command], index) => {
      const code = h('code', { 'data-testid': `enroll-command-${index}` }, command);
      return h('div', { class: 'command' }, h('p', { class: 'muted small' }, why),
        h('div', { class: 'command-line' }, code, copyButton(command, code, { 'data-action': `copy-command-${index}` })));
    }));
}
