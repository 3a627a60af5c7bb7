// The script editor: check, test against a sample message, activate, versions, roll back.
import { api, path } from '../api.js';
import { action, field, h, show, table, toast, when } from '../dom.js';

function problem(e) {
  const line = e.body && e.body.line ? `line ${e.body.line}: ` : '';
  return `${line}${e.message}`;
}

export async function scriptPage(root, tenant) {
  const base = path`/tenants/${tenant.slug}/script`;
  const source = h('textarea', { id: 'script-source', class: 'code', rows: 18, spellcheck: 'false' });
  const result = h('div', { id: 'script-result', class: 'result' });
  const sample = h('input', { id: 'script-sample', value: 'Habari, mko wazi leo?' });
  const note = h('input', { id: 'script-note', placeholder: 'What changed (optional)' });
  const versions = h('div', {});
  const active = await api('GET', base).catch((e) => { if (e.status === 404) return null; throw e; });
  source.value = active ? active.source : '-- return the hooks this tenant overrides\nreturn {}\n';

  const report = (ok, ...lines) => show(result, h('div', { class: ok ? 'ok' : 'error' }, lines.map((l) => h('p', {}, l))));
  const check = action(async () => {
    try {
      const r = await api('POST', `${base}/check`, { source: source.value });
      report(true, `Loads. Hooks: ${r.hooks.join(', ') || 'none'}.`, ...r.warnings.map((w) => `line ${w.line ?? '?'}: ${w.message}`));
    } catch (e) { if (e.status !== 400) throw e; report(false, problem(e)); }
  });
  const test = action(async () => {
    try {
      const r = await api('POST', `${base}/test`, { source: source.value, message: sample.value });
      const reply = r.reply ? JSON.stringify(r.reply) : 'no reply from the script';
      report(r.failures.length === 0, `Route: ${r.route}`, `Reply: ${reply}${r.vetoed ? ' (vetoed by before_send)' : ''}`,
        r.escalation ? `Escalation: ${JSON.stringify(r.escalation)}` : 'No escalation',
        ...r.logs.map((l) => `log ${l}`), ...r.failures.map((f) => `failure ${f}`));
    } catch (e) { if (e.status !== 400) throw e; report(false, problem(e)); }
  });
  const save = action(async () => {
    try {
      const v = await api('PUT', base, { source: source.value, activate: true, note: note.value.trim() });
      toast(`Version ${v.version} is active`);
      report(true, `Version ${v.version} saved and active.`);
      await loadVersions();
    } catch (e) { if (e.status !== 400) throw e; report(false, problem(e)); }
  });
  async function loadVersions() {
    const page = await api('GET', `${base}/versions?limit=50`);
    show(versions, table(['Version', 'Active', 'Note', 'By', 'Created', ''], page.versions.map((v) =>
      h('tr', {}, h('td', {}, String(v.version)), h('td', {}, v.active ? (v.quarantined_at ? 'quarantined' : 'active') : ''),
        h('td', {}, v.note || ''), h('td', {}, v.created_by), h('td', {}, when(v.created_at)),
        h('td', { class: 'actions' }, v.active ? '' : h('button', { onclick: action(async () => {
          await api('POST', `${base}/versions/${v.version}/activate`);
          const chosen = await api('GET', `${base}/versions/${v.version}`);
          source.value = chosen.source;
          toast(`Version ${v.version} is active again`);
          await loadVersions();
        }) }, 'Activate'))))));
  }
  show(root,
    h('div', { class: 'card' }, field('Lua script', source),
      h('div', { class: 'row' }, h('button', { id: 'script-check', onclick: check }, 'Check'),
        field('Sample message', sample), h('button', { id: 'script-test', onclick: test }, 'Test')),
      h('div', { class: 'row' }, note, h('button', { class: 'primary', id: 'script-save', onclick: save }, 'Save and activate')),
      result),
    h('h2', {}, 'Versions'), versions);
  await loadVersions();
}
