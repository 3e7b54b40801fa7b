// The "Register server" form of the engine dashboard: POST /api/servers with the name, the
// description, durable labels and the three policies. The API's refusal (400 bad_request,
// 403 for a token that is not admin, 409 for a taken name) is shown as its message.
import { api, h } from '../common/api.js';
import { field, onSubmit } from '../common/ui.js';
import { POLICIES, chipEditor, fieldGroup, parseLabel, policySelect } from './server_fields.js';

/** The dialog; `onCreated(record)` runs after the engine created the record. */
export function createServerDialog(onCreated) {
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'create-error' });
  const name = h('input', { id: 'server-name', name: 'name', required: true, placeholder: 'e.g. build-01',
    autocomplete: 'off', spellcheck: 'false' });
  const description = h('input', { id: 'server-description', name: 'description', placeholder: 'optional',
    autocomplete: 'off' });
  let labels;
  const labelsSlot = h('div');
  const recording = policySelect('server-recording', POLICIES.recording, 'recorded');
  const encryption = policySelect('server-encryption', POLICIES.encryption, 'disabled');
  const access = policySelect('server-access', POLICIES.access, 'project_members');
  const submit = h('button', { class: 'btn primary', type: 'submit' }, 'Register');
  const form = h('form', { method: 'dialog', class: 'dialog-form', id: 'create-server-form' },
    h('h2', {}, 'Register a server'),
    h('p', { class: 'muted' }, 'A durable record: it stays listed while its host is offline, and only the host that enrolls it can bring it online.'),
    field('Name', name, 'the tunnel name it will have: letters, digits, . _ -'),
    field('Description', description),
    fieldGroup('Labels', labelsSlot, 'key=value, one at a time (Enter adds it)'),
    h('div', { class: 'field-row' },
      field('Recording', recording),
      field('Access', access)),
    field('Encryption', encryption, 'fixed at creation: it cannot be changed later'),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'btn ghost', type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      submit));
  const dialog = h('dialog', { class: 'dialog wide' }, form);
  const reset = () => {
    form.reset();
    error.textContent = '';
    labels = chipEditor({ id: 'server-label-input', placeholder: 'role=ci', parse: parseLabel,
      show: (key, value) => `${key}=${value}` });
    labelsSlot.replaceChildren(labels.el);
  };
  onSubmit(form, { submit, error, send: async () => {
    const body = {
      name: name.value.trim(),
      labels: Object.fromEntries(labels.value()),
      recording_policy: recording.value,
      encryption_policy: encryption.value,
      access_policy: access.value,
    };
    if (description.value.trim()) body.description = description.value.trim();
    const record = await api('POST', '/api/servers', body);
    dialog.close();
    onCreated(record);
  } });
  document.body.append(dialog);
  return {
    open: () => {
      reset();
      dialog.showModal();
      name.focus();
    },
  };
}
