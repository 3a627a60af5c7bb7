import { h, show } from '../dom.js';

// The credential is the operator token, a tenant key (bzk_...) or an organization key (bzo_...).
export function loginPage(app, onLogin) {
  const input = h('input', { type: 'password', id: 'credential', autocomplete: 'off', required: true,
    placeholder: 'bzk_… or the operator token' });
  const error = h('p', { class: 'error', id: 'login-error' });
  const form = h('form', { class: 'card login', onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await onLogin(input.value.trim());
    } catch (e) {
      error.textContent = e.status === 401 ? 'That credential was refused.' : e.message;
    }
  } },
  h('h1', {}, 'Log in'),
  h('p', { class: 'muted' }, 'Use the operator token, a tenant API key or an organization key. It is kept for this tab only and forgotten when the tab closes.'),
  h('label', { class: 'field' }, h('span', {}, 'Credential'), input),
  h('button', { class: 'primary', type: 'submit' }, 'Log in'),
  error);
  show(app, form);
  input.focus();
}
