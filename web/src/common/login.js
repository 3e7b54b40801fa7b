// The token prompt. The token goes once, in a POST body, to /api/login, which answers with an
// HttpOnly cookie; it never appears in a URL, in storage or in the page afterwards.
import { api, ApiError, h } from './api.js';

/** Shows the sign-in card over the page and resolves once the server accepted a token. */
export function showLogin({ product, hint }) {
  return new Promise((resolve) => {
    const error = h('p', { class: 'login-error', role: 'alert' });
    const input = h('input', {
      type: 'password', name: 'token', id: 'login-token', autocomplete: 'current-password',
      placeholder: 'Token', required: true, spellcheck: 'false',
    });
    const button = h('button', { type: 'submit', class: 'btn primary wide' }, 'Sign in');
    const form = h('form', { class: 'login-card', id: 'login-form' },
      h('div', { class: 'brand big' }, h('span', { class: 'brand-mark' }), 'rstream'),
      h('h1', {}, `Sign in to ${product}`),
      h('p', { class: 'muted' }, hint),
      h('label', { for: 'login-token' }, 'Access token'),
      input, error, button);
    const overlay = h('div', { class: 'login-overlay' }, form);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      button.disabled = true;
      try {
        await api('POST', '/api/login', { token: input.value.trim() });
        overlay.remove();
        resolve();
      } catch (e) {
        error.textContent = e instanceof ApiError && e.status === 401
          ? 'That token was not accepted.' : e.message;
        input.select();
      } finally {
        button.disabled = false;
      }
    });
    document.body.append(overlay);
    input.focus();
  });
}

/** Forgets the cookie on the server side and shows the prompt again. */
export async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    location.reload();
  }
}
