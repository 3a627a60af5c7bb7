// The FAQ manager: search, add, edit, delete, import and export as CSV or JSON.
import { api, path } from '../api.js';
import { action, field, h, show, table, toast } from '../dom.js';

function download(name, type, text) {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function entryForm(entry, onSave, onCancel) {
  const question = h('input', { name: 'question', value: entry.question || '', required: true });
  const answer = h('textarea', { name: 'answer', rows: 3, required: true });
  answer.value = entry.answer || '';
  const keywords = h('input', { name: 'keywords', value: (entry.keywords || []).join(', ') });
  const category = h('input', { name: 'category', value: entry.category || 'general' });
  const priority = h('input', { name: 'priority', type: 'number', min: 1, max: 10, value: entry.priority || 5 });
  const active = h('input', { name: 'active', type: 'checkbox', checked: entry.active !== false });
  return h('form', { class: 'card faq-form', onsubmit: action(async (event) => {
    event.preventDefault();
    await onSave({
      question: question.value.trim(), answer: answer.value.trim(),
      keywords: keywords.value.split(',').map((k) => k.trim()).filter(Boolean),
      category: category.value.trim() || 'general', priority: Number(priority.value), active: active.checked,
    });
  }) },
  field('Question', question), field('Answer', answer), field('Keywords (comma separated)', keywords),
  h('div', { class: 'row' }, field('Category', category), field('Priority', priority)),
  h('label', { class: 'toggle' }, active, h('span', {}, 'Active')),
  h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'),
    h('button', { type: 'button', onclick: onCancel }, 'Cancel')));
}

export async function faqPage(root, tenant) {
  const base = path`/tenants/${tenant.slug}/knowledge`;
  const search = h('input', { type: 'search', id: 'faq-search', placeholder: 'Search questions, answers, keywords' });
  const editor = h('div', {});
  const list = h('div', {});
  const mode = h('select', { name: 'mode' }, h('option', { value: 'merge' }, 'merge'), h('option', { value: 'replace' }, 'replace'));
  const file = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json', id: 'faq-import-file' });

  async function load() {
    const q = search.value.trim();
    const page = await api('GET', `${base}?type=faq&limit=500${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    const rows = page.entries.map((e) => h('tr', { dataset: { id: e.id } },
      h('td', {}, e.question), h('td', {}, e.answer), h('td', {}, (e.keywords || []).join(', ')),
      h('td', {}, e.active ? 'yes' : 'no'),
      h('td', { class: 'actions' },
        h('button', { onclick: () => edit(e) }, 'Edit'),
        h('button', { class: 'danger', onclick: action(async () => {
          if (!confirm(`Delete “${e.question}”?`)) return;
          await api('DELETE', `${base}/${encodeURIComponent(e.id)}`);
          toast('Entry deleted');
          await load();
        }) }, 'Delete'))));
    show(list, rows.length ? table(['Question', 'Answer', 'Keywords', 'Active', ''], rows)
      : h('p', { class: 'muted' }, 'No entry matches.'));
  }
  function edit(entry) {
    show(editor, entryForm(entry, async (body) => {
      if (entry.id) await api('PATCH', `${base}/${encodeURIComponent(entry.id)}`, body);
      else await api('POST', base, { type: 'faq', ...body });
      toast('Entry saved');
      show(editor);
      await load();
    }, () => show(editor)));
    editor.querySelector('input').focus();
  }
  const importNow = action(async () => {
    const chosen = file.files[0];
    if (!chosen) throw new Error('Choose a CSV or JSON file first');
    const text = await chosen.text();
    const csv = chosen.name.endsWith('.csv') || chosen.type === 'text/csv';
    const result = await api('POST', `${base}/import?mode=${mode.value}`, text, { type: csv ? 'text/csv' : 'application/json' });
    toast(`Imported: ${result.created} created, ${result.updated} updated, ${result.deleted} deleted`);
    await load();
  });
  const exportAs = (format) => action(async () => {
    const text = await api('GET', `${base}/export?format=${format}`, undefined, { raw: true });
    download(`${tenant.slug}-faq.${format}`, format === 'csv' ? 'text/csv' : 'application/json', text);
  });
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  show(root,
    h('div', { class: 'toolbar' }, search, h('button', { class: 'primary', id: 'faq-add', onclick: () => edit({}) }, 'Add entry')),
    editor, list,
    h('details', { class: 'card' }, h('summary', {}, 'Import or export'),
      h('div', { class: 'row' }, file, mode, h('button', { onclick: importNow }, 'Import')),
      h('div', { class: 'row' }, h('button', { onclick: exportAs('csv') }, 'Export CSV'),
        h('button', { onclick: exportAs('json') }, 'Export JSON'))));
  await load();
}
