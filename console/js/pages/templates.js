// The prompt template editor.
import { api, path } from '../api.js';
import { action, field, h, show, table, toast } from '../dom.js';

export async function templatesPage(root, tenant) {
  const base = path`/tenants/${tenant.slug}/templates`;
  const editor = h('div', {});
  const list = h('div', {});
  async function load() {
    const page = await api('GET', `${base}?limit=500`);
    show(list, page.templates.length ? table(['Name', 'Tone', 'Default', 'Active', ''], page.templates.map((t) =>
      h('tr', {}, h('td', {}, t.name), h('td', {}, t.tone || ''), h('td', {}, t.default ? 'yes' : ''),
        h('td', {}, t.active ? 'yes' : 'no'),
        h('td', { class: 'actions' }, h('button', { onclick: () => edit(t) }, 'Edit'),
          h('button', { class: 'danger', onclick: action(async () => {
            if (!confirm(`Delete template “${t.name}”?`)) return;
            await api('DELETE', `${base}/${encodeURIComponent(t.id)}`);
            await load();
          }) }, 'Delete')))))
      : h('p', { class: 'muted' }, 'No template yet.'));
  }
  function edit(t) {
    const name = h('input', { name: 'name', value: t.name || '', required: true });
    const prompt = h('textarea', { name: 'system_prompt', rows: 6 });
    prompt.value = t.system_prompt || '';
    const tone = h('input', { name: 'tone', value: t.tone || '' });
    const length = h('input', { name: 'max_response_length', type: 'number', min: 1, max: 4096, value: t.max_response_length || 500 });
    const isDefault = h('input', { type: 'checkbox', checked: !!t.default });
    const active = h('input', { type: 'checkbox', checked: t.active !== false });
    show(editor, h('form', { class: 'card', onsubmit: action(async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), system_prompt: prompt.value, tone: tone.value.trim(),
        max_response_length: Number(length.value), default: isDefault.checked, active: active.checked };
      if (t.id) await api('PATCH', `${base}/${encodeURIComponent(t.id)}`, body);
      else await api('POST', base, body);
      toast('Template saved');
      show(editor);
      await load();
    }) }, field('Name', name), field('System prompt', prompt), h('div', { class: 'row' }, field('Tone', tone), field('Longest answer (characters)', length)),
    h('label', { class: 'toggle' }, isDefault, h('span', {}, 'Default')), h('label', { class: 'toggle' }, active, h('span', {}, 'Active')),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: () => show(editor) }, 'Cancel'))));
  }
  show(root, h('div', { class: 'toolbar' }, h('button', { class: 'primary', onclick: () => edit({}) }, 'New template')), editor, list);
  await load();
}
