// Small pieces both pages share: the top bar, toasts, the tab strip, form fields, copy buttons.
import { h } from './api.js';

/** The top bar: brand, product name, a slot for status, and actions. */
export function topbar(product, ...right) {
  return h('header', { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'rstream'),
    h('span', { class: 'product' }, product),
    h('div', { class: 'spacer' }),
    ...right);
}

/** A labelled form field: the label text, the control, and an optional help line. */
export function field(label, control, help) {
  return h('label', { class: 'field' }, h('span', {}, label), control, help ? h('small', {}, help) : '');
}

/** A button that copies `text` to the clipboard (or selects `source` when it cannot). */
export function copyButton(text, source, attributes = {}) {
  return h('button', { class: 'btn small', type: 'button', title: 'Copy to the clipboard', ...attributes,
    onclick: async () => {
      try {
        // Only a secure context (https, or a loopback address) has the clipboard API.
        await navigator.clipboard.writeText(text);
        toast('Copied', 'success', 2000);
      } catch {
        getSelection().selectAllChildren(source);
        toast('Press Ctrl+C to copy the selected text', 'info');
      }
    } }, 'Copy');
}

/**
 * A form's submit: send() runs with the submit button disabled; what it throws (a refusal of the
 * API, or a field that does not parse) is shown in `error` as its message.
 */
export function onSubmit(form, { submit, error, send }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      await send();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  });
}

let toastStack = null;
/** A short message in the bottom-right corner; kind: info | error | success. */
export function toast(message, kind = 'info', ms = 5000) {
  if (!toastStack) {
    toastStack = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.append(toastStack);
  }
  const el = h('div', { class: `toast ${kind}` }, message);
  toastStack.append(el);
  setTimeout(() => el.remove(), ms);
}

/**
 * A tab strip over a stack of panes. add({key, title, pane, closable, onClose, onShow}) returns
 * a handle with setTitle(), setStatus(cls), show(), close().
 */
export class Tabs {
  constructor({ empty } = {}) {
    this.strip = h('nav', { class: 'tabs', role: 'tablist' });
    this.panes = h('div', { class: 'panes' });
    this.emptyPane = empty || null;
    if (this.emptyPane) this.panes.append(this.emptyPane);
    this.el = h('section', { class: 'workspace' }, this.strip, this.panes);
    this.items = [];
    this.active = null;
    this.onChange = null;
  }

  add({ title, pane, closable = true, onClose, onShow }) {
    const label = h('span', { class: 'tab-title' }, title);
    const dot = h('span', { class: 'tab-dot' });
    const button = h('button', { class: 'tab', role: 'tab', type: 'button' }, dot, label);
    const item = { button, pane, label, dot, onClose, onShow };
    if (closable) {
      const close = h('span', { class: 'tab-close', title: 'Close tab', role: 'button' }, '×');
      close.addEventListener('click', (event) => {
        event.stopPropagation();
        item.close();
      });
      button.append(close);
    }
    button.addEventListener('click', () => item.show());
    item.show = () => this.show(item);
    item.close = () => this.close(item);
    item.setTitle = (text) => { label.textContent = text; };
    item.setStatus = (cls) => { dot.className = `tab-dot ${cls || ''}`; };
    pane.classList.add('pane');
    this.items.push(item);
    this.strip.append(button);
    this.panes.append(pane);
    return item;
  }

  show(item) {
    for (const other of this.items) {
      const on = other === item;
      other.button.classList.toggle('active', on);
      other.button.setAttribute('aria-selected', on ? 'true' : 'false');
      other.pane.hidden = !on;
    }
    if (this.emptyPane) this.emptyPane.hidden = !!item;
    this.active = item;
    if (item && item.onShow) item.onShow();
    if (this.onChange) this.onChange(item);
  }

  close(item) {
    const index = this.items.indexOf(item);
    if (index < 0) return;
    this.items.splice(index, 1);
    item.button.remove();
    item.pane.remove();
    if (item.onClose) item.onClose();
    if (this.active === item) {
      this.show(this.items[Math.min(index, this.items.length - 1)] || null);
    }
  }
}
