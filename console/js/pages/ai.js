// The tenant's AI provider chain; keys are write-only.
import { api, path } from '../api.js';
import { action, h, show, toast } from '../dom.js';

export async function aiPage(root, tenant) {
  const base = path`/tenants/${tenant.slug}/ai-providers`;
  const current = await api('GET', base);
  const rows = h('div', {});
  const addRow = (p = {}) => {
    const name = h('select', { name: 'name' }, ['openai', 'openrouter', 'huggingface'].map((n) => h('option', { value: n }, n)));
    name.value = p.name || 'openai';
    const model = h('input', { name: 'model', placeholder: 'model (default)', value: p.model || '' });
    const key = h('input', { name: 'api_key', type: 'password', autocomplete: 'off', placeholder: p.api_key ? 'key kept (type to replace)' : 'API key (optional)' });
    const row = h('div', { class: 'row provider' }, name, model, key, h('button', { type: 'button', onclick: () => row.remove() }, 'Remove'));
    row.read = () => {
      const out = { name: name.value };
      if (model.value.trim()) out.model = model.value.trim();
      if (key.value) out.api_key = key.value;
      return out;
    };
    rows.append(row);
  };
  current.providers.forEach(addRow);
  show(root, h('div', { class: 'card' },
    h('p', { class: 'muted' }, 'Tried in this order. Empty: the engine’s configured chain with its shared keys.'),
    rows,
    h('div', { class: 'row' }, h('button', { onclick: () => addRow() }, 'Add provider'),
      h('button', { class: 'primary', onclick: action(async () => {
        await api('PUT', base, { providers: [...rows.children].map((r) => r.read()) });
        toast('AI providers saved');
      }) }, 'Save'))));
}
