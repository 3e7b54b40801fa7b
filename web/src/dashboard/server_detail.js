// One registered server in its own tab of the engine dashboard: its facts (status, online or
// last seen, id, host key, times), the enrollment commands while it is pending, a form for what
// an admin may change (description, labels, recording and access policy, allowed tokens: one
// PATCH /api/servers/{id} of the differences), and suspend/resume, reset enrollment and delete.
// The API's refusals (400, 403, 404, 409) are shown as their message. The poll refreshes the
// facts only; the form keeps what is being typed until it is saved.
import { api, ApiError, h, ago } from '../common/api.js';
import { field, onSubmit, toast } from '../common/ui.js';
import {
  POLICIES, chipEditor, enrollmentCommands, fieldGroup, onlineCell, parseLabel, policySelect, statusBadge,
} from './server_fields.js';

/** The changes from `before` to `after` (Maps) as [set or added, removed]. */
function differences(before, after) {
  const added = [...after].filter(([key, value]) => before.get(key) !== value);
  const removed = [...before.keys()].filter((key) => !after.has(key));
  return [added, removed];
}

function when(iso) {
  return iso ? `${ago(iso)} (${iso})` : '—';
}

export class ServerDetail {
  /** `tokenNames`: token id → name when this token may list tokens (admin), else empty. */
  constructor(record, { tabs, tokenNames, onChanged }) {
    this.record = record;
    this.tokenNames = tokenNames;
    this.onChanged = onChanged;
    this.head = h('div', { class: 'inventory-head' });
    this.error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'detail-error' });
    this.facts = h('div');
    this.form = h('div');
    this.actions = h('div', { class: 'record-actions' });
    this.pane = h('div', { class: 'inventory server-detail', dataset: { serverId: record.id } },
      this.head, this.error, this.facts, this.form, this.actions);
    this.tab = tabs.add({ title: record.name, pane: this.pane, onClose: () => { this.closed = true; } });
    this.render(record, { form: true });
    this.tab.show();
  }

  get path() {
    return `/api/servers/${encodeURIComponent(this.record.id)}`;
  }

  /** Shows `record`; with form: true the edit form starts again from it. */
  render(record, { form = false } = {}) {
    this.record = record;
    this.tab.setTitle(record.name);
    this.tab.setStatus(record.online ? 'controller' : 'ended');
    this.head.replaceChildren(
      h('div', {},
        h('h1', { class: 'record-title' }, record.name, statusBadge(record)),
        h('p', { class: 'muted' }, onlineCell(record))));
    const row = (label, value, attributes = {}) => [h('dt', {}, label), h('dd', attributes, value)];
    this.facts.replaceChildren(
      record.status === 'pending_enrollment' ? enrollmentCommands(record) : '',
      h('dl', { class: 'facts' },
        row('Server id', record.id, { class: 'mono', 'data-testid': 'server-id' }),
        row('Description', record.description || '—', { 'data-testid': 'description' }),
        row('Encryption', `${record.encryption_policy} (fixed at creation)`),
        row('Host key', record.host_key || 'not enrolled', { class: 'mono wrap' }),
        row('Enrolled', when(record.enrolled_at)),
        row('Created', when(record.created_at)),
        row('Updated', when(record.updated_at)),
        row('Last seen', record.online ? 'online now' : when(record.last_seen))));
    this.renderActions(record);
    if (form) this.renderForm(record);
  }

  renderForm(record) {
    const description = h('input', { id: 'edit-description', value: record.description || '', autocomplete: 'off' });
    const recording = policySelect('edit-recording', POLICIES.recording, record.recording_policy);
    const access = policySelect('edit-access', POLICIES.access, record.access_policy);
    const labelsBefore = new Map(Object.entries(record.labels || {}));
    const labels = chipEditor({ id: 'edit-label-input', placeholder: 'role=ci', items: labelsBefore,
      parse: parseLabel, show: (key, value) => `${key}=${value}` });
    const tokensBefore = new Map((record.allowed_token_ids || []).map((id) => [id, id]));
    const tokens = chipEditor({ id: 'edit-token-input', placeholder: 'token name or id', items: tokensBefore,
      parse: (text) => [text, text], show: (key) => this.tokenNames.get(key) || key });
    const save = h('button', { class: 'btn primary', type: 'submit' }, 'Save changes');
    const form = h('form', { class: 'record-form', id: 'server-edit-form' },
      h('h2', {}, 'Settings'),
      field('Description', description),
      h('div', { class: 'field-row' }, field('Recording', recording), field('Access', access)),
      fieldGroup('Labels', labels.el, 'key=value; Enter adds, × removes'),
      fieldGroup('Allowed tokens', tokens.el, 'with access restricted, only these tokens may open sessions'),
      h('div', { class: 'dialog-actions' }, save));
    onSubmit(form, { submit: save, error: this.error, send: async () => {
      const [setLabels, removeLabels] = differences(labelsBefore, labels.value());
      const [allow, disallow] = differences(tokensBefore, tokens.value());
      const body = {
        set_labels: Object.fromEntries(setLabels),
        remove_labels: removeLabels,
        allow_tokens: allow.map(([key]) => key),
        disallow_tokens: disallow,
      };
      if (description.value.trim() !== (record.description || '')) body.description = description.value.trim();
      if (recording.value !== record.recording_policy) body.recording_policy = recording.value;
      if (access.value !== record.access_policy) body.access_policy = access.value;
      await this.change('PATCH', body, 'Saved');
    } });
    this.form.replaceChildren(form);
  }

  renderActions(record) {
    const button = (text, action, onclick, kind = '') => h('button', { class: `btn ${kind}`, type: 'button',
      'data-action': action, onclick }, text);
    const suspended = record.status === 'suspended';
    this.actions.replaceChildren(
      suspended
        ? button('Resume', 'resume', () => this.change('PATCH', { suspended: false }, 'Resumed'))
        : button('Suspend', 'suspend', () => this.change('PATCH', { suspended: true }, 'Suspended')),
      record.status === 'pending_enrollment' ? '' : button('Reset enrollment', 'reset-enrollment', () => {
        if (!window.confirm(`Reset the enrollment of “${record.name}”? Its host key is forgotten; the host must enroll again.`)) return;
        this.change('PATCH', { reset_enrollment: true }, 'Enrollment reset');
      }),
      button('Delete', 'delete', () => {
        if (!window.confirm(`Delete the registered server “${record.name}” (${record.id})? Its id is never reused.`)) return;
        this.change('DELETE', undefined, 'Deleted');
      }, 'danger'));
  }

  /** Sends one change; shows the answer, or the API's refusal as its message. */
  async change(method, body, done) {
    this.error.textContent = '';
    try {
      const record = await api(method, this.path, body);
      toast(`${done}: ${record.name}`, 'success', 2500);
      if (method === 'DELETE') this.tab.close();
      else this.render(record, { form: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      this.error.textContent = e.message;
      this.error.scrollIntoView({ block: 'nearest' });
    }
    this.onChanged();
  }

  /** The poll's view of this record (facts only), or null when it is gone. */
  refresh(record) {
    if (this.closed) return;
    if (record) {
      this.render(record);
    } else {
      this.error.textContent = `The registered server “${this.record.name}” no longer exists on this engine.`;
      this.form.replaceChildren();
      this.actions.replaceChildren();
    }
  }
}
