// Operations (operator): pipeline state, dead letters of the inbox and the outbox with a retry,
// and alerts.
import { api } from '../api.js';
import { action, h, show, table, toast, when } from '../dom.js';

export async function operationsPage(root) {
  async function load() {
    const [stats, inbox, outbox, alerts] = await Promise.all([
      api('GET', '/pipeline/stats?queues=1'), api('GET', '/inbox?status=dead&limit=100'),
      api('GET', '/outbox?status=dead&limit=100'), api('GET', '/alerts')]);
    show(root,
      h('div', { class: 'card' }, h('h2', {}, 'Pipeline'),
        h('dl', { class: 'stats', id: 'pipeline-state' },
          h('dt', {}, 'inbox pending'), h('dd', {}, String(stats.inbox.pending)),
          h('dt', {}, 'inbox processing'), h('dd', {}, String(stats.inbox.processing)),
          h('dt', {}, 'outbox pending'), h('dd', {}, String(stats.outbox.pending)),
          h('dt', {}, 'outbox sending'), h('dd', {}, String(stats.outbox.sending)))),
      h('h2', {}, 'Alerts'),
      alerts.alerts.length ? table(['Kind', 'Tenant', 'What'], alerts.alerts.map((a) => h('tr', {},
        h('td', {}, a.kind.replace(/_/g, ' ')), h('td', {}, a.tenant),
        h('td', {}, a.reason || (a.expires_at ? `expires ${when(a.expires_at)}` : ''))))) : h('p', { class: 'muted' }, 'No alert.'),
      h('h2', {}, 'Dead inbox events'),
      inbox.events.length ? table(['Id', 'Tenant', 'Kind', 'Attempts', 'Error', ''], inbox.events.map((e) => h('tr', {},
        h('td', {}, String(e.id)), h('td', {}, e.tenant || '—'), h('td', {}, e.kind), h('td', { class: 'num' }, String(e.attempts)),
        h('td', {}, e.error), h('td', {}, h('button', { onclick: action(async () => {
          await api('POST', `/inbox/${e.id}/replay`);
          toast(`Event ${e.id} queued again`);
          await load();
        }) }, 'Retry'))))) : h('p', { class: 'muted' }, 'None.'),
      h('h2', {}, 'Dead sends'),
      outbox.sends.length ? table(['Tenant', 'To', 'Attempts', 'Error', 'Queued', ''], outbox.sends.map((s) => h('tr', {},
        h('td', {}, s.tenant), h('td', {}, s.recipient), h('td', { class: 'num' }, String(s.attempts)), h('td', {}, s.error),
        h('td', {}, when(new Date(s.created_ms).toISOString())), h('td', {}, h('button', { dataset: { send: s.id }, onclick: action(async () => {
          await api('POST', `/outbox/${encodeURIComponent(s.id)}/retry`);
          toast('Send queued again');
          await load();
        }) }, 'Retry'))))) : h('p', { class: 'muted' }, 'None.'));
  }
  await load();
  const timer = setInterval(() => { if (!document.hidden) load().catch(() => {}); }, 5000);
  return () => clearInterval(timer);
}
