// The "Registered servers" tab of the engine dashboard: the durable records (GET /api/servers)
// with their status, online or offline (the record's own `online` and `last_seen`), policies
// and labels; a "Register server" form; a row opens the record in its own tab (server_detail).
// Any token may read the list; changes need an admin token and the page shows the API's 403
// message to others. The list polls only while one of its tabs is visible.
import { api, ApiError, h } from '../common/api.js';
import { toast } from '../common/ui.js';
import { createServerDialog } from './server_create.js';
import { ServerDetail } from './server_detail.js';
import { onlineCell, recordLabelChips, statusBadge } from './server_fields.js';

const COLUMNS = ['Name', 'Status', 'Online', 'Recording', 'Encryption', 'Access', 'Labels', 'Server id'];
const STALE_MS = 30000;  // re-render an unchanged list this often, for its "last seen … ago"

export class RegisteredServers {
  constructor(tabs) {
    this.tabs = tabs;
    this.records = [];
    this.answer = '';
    this.renderedAt = 0;
    this.details = new Map();  // id → ServerDetail
    this.tokenNames = new Map();
    this.rows = h('tbody');
    this.count = h('span', { class: 'count-text' });
    this.loadError = h('p', { class: 'form-error inline', role: 'alert' });
    const dialog = createServerDialog((record) => {
      toast(`Registered ${record.name}`, 'success', 2500);
      this.refresh(true);
      this.open(record);
    });
    this.pane = h('div', { class: 'inventory' },
      h('div', { class: 'inventory-head' },
        h('div', {}, h('h1', {}, 'Registered servers'),
          h('p', { class: 'muted' }, 'Durable records of the machines of a fleet: listed while offline; only the enrolled host brings one online.')),
        h('div', { class: 'inventory-tools' }, this.count,
          h('button', { class: 'btn primary', type: 'button', 'data-action': 'register-server',
            onclick: () => dialog.open() }, '+ Register server'))),
      this.loadError,
      h('div', { class: 'table-wrap' },
        h('table', { class: 'tunnels', 'data-testid': 'servers' },
          h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', {}, c)))),
          this.rows)));
    this.tab = tabs.add({ title: 'Registered servers', pane: this.pane, closable: false,
      onShow: () => this.refresh(true) });
    this.tab.setStatus('home');
  }

  /** Whether the list or a record's tab is on screen (the poll skips otherwise). */
  visible() {
    return !this.pane.hidden || [...this.details.values()].some((d) => !d.pane.hidden);
  }

  row(record) {
    return h('tr', { class: 'clickable', dataset: { server: record.name, serverId: record.id },
      title: 'Open this record', onclick: () => this.open(record) },
    h('td', {},
      h('div', { class: 'tunnel-name' }, h('span', { class: `state-dot ${record.online ? 'running' : ''}` }), record.name),
      record.description ? h('div', { class: 'muted small record-description' }, record.description) : ''),
    h('td', {}, statusBadge(record)),
    h('td', { class: 'small' }, onlineCell(record)),
    h('td', {}, record.recording_policy),
    h('td', {}, record.encryption_policy),
    h('td', {}, record.access_policy),
    h('td', { class: 'labels' }, recordLabelChips(record.labels)),
    h('td', { class: 'mono small' }, record.id));
  }

  render() {
    this.renderedAt = Date.now();
    if (this.records.length === 0) {
      this.rows.replaceChildren(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty-row' },
        'No registered server yet. Register one here, or: rstream webtty server create NAME')));
    } else {
      this.rows.replaceChildren(...this.records.map((r) => this.row(r)));
    }
    this.count.textContent = `${this.records.length} ${this.records.length === 1 ? 'server' : 'servers'}`;
  }

  /** Reads the list (when visible, or `force`) and updates the table and the open records. */
  async refresh(force = false) {
    if (!force && !this.visible()) return;
    let listing;
    try {
      listing = await api('GET', '/api/servers');
      this.loadError.textContent = '';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.reload();
      this.loadError.textContent = e.message;
      return;
    }
    const answer = JSON.stringify(listing.servers);
    const changed = answer !== this.answer;
    this.answer = answer;
    this.records = listing.servers;
    if (changed || Date.now() - this.renderedAt > STALE_MS) this.render();
    if (!changed) return;
    const byId = new Map(this.records.map((r) => [r.id, r]));
    for (const [id, detail] of this.details) {
      if (JSON.stringify(byId.get(id)) !== JSON.stringify(detail.record)) detail.refresh(byId.get(id));
    }
  }

  /** Shows `record` in its tab, opened once. */
  async open(record) {
    const existing = this.details.get(record.id);
    if (existing && !existing.closed) {
      existing.tab.show();
      return;
    }
    await this.loadTokenNames();
    const detail = new ServerDetail(record, { tabs: this.tabs, tokenNames: this.tokenNames,
      onChanged: () => this.refresh(true) });
    this.details.set(record.id, detail);
  }

  /** Token names for the allowed tokens; only an admin token may list them (else ids show). */
  async loadTokenNames() {
    try {
      const tokens = await api('GET', '/api/tokens');
      this.tokenNames = new Map(tokens.map((t) => [t.id, t.name]));
    } catch {
      this.tokenNames = new Map();
    }
  }
}
