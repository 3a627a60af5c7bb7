// API keys (operator): list, create (the key is shown once), revoke.
import { api, path, session } from '../api.js';
import { action, h, show, table, toast, when } from '../dom.js';

export async function keysPage(root, tenant) {
  if (session.role !== 'operator') return show(root, h('p', { class: 'muted' }, 'Only the operator manages API keys.'));
  const base = path`/tenants/${tenant.slug}/api-keys`;
  const list = h('div', {});
  const shown = h('div', {});
  const name = h('input', { placeholder: 'What the key is for', id: 'key-name' });
  async function load() {
    const page = await api('GET', base);
    show(list, table(['Name', 'Prefix', 'Created', 'State', ''], page.api_keys.map((k) =>
      h('tr', {}, h('td', {}, k.name), h('td', {}, h('code', {}, k.prefix)), h('td', {}, when(k.created_at)),
        h('td', {}, k.revoked ? 'revoked' : 'active'),
        h('td', {}, k.revoked ? '' : h('button', { class: 'danger', onclick: action(async () => {
          if (!confirm(`Revoke ${k.prefix}?`)) return;
          await api('DELETE', `${base}/${encodeURIComponent(k.id)}`);
          await load();
        }) }, 'Revoke'))))));
  }
  show(root, h('div', { class: 'toolbar' }, name, h('button', { class: 'primary', onclick: action(async () => {
    const k = await api('POST', base, { name: name.value.trim() || 'console' });
    show(shown, h('div', { class: 'card ok' }, h('p', {}, 'The new key, shown this once:'), h('code', { class: 'secret' }, k.key)));
    toast('Key created');
    await load();
  }) }, 'Create key')), shown, list);
  await load();
}
