// Tenants (operator, organization key): status, today's volume, alerts, search.
import { api, session } from '../api.js';
import { h, show, table } from '../dom.js';

export async function tenantsPage(root) {
  const search = h('input', { type: 'search', id: 'tenant-search', placeholder: 'Search by name or slug' });
  const list = h('div', {});
  show(root, h('div', { class: 'toolbar' }, search), list);

  // Alerts by tenant: tokens about to expire, quarantined scripts; the operator also sees dead
  // letters of the inbox and the outbox.
  const alerts = {};
  const note = (slug, text) => { (alerts[slug] = alerts[slug] || []).push(text); };
  if (session.role === 'operator') {
    const alertList = await api('GET', '/alerts');
    for (const a of alertList.alerts) note(a.tenant, a.kind.replace(/_/g, ' '));
    const [inbox, outbox] = await Promise.all([
      api('GET', '/inbox?status=dead&limit=500'), api('GET', '/outbox?status=dead&limit=500')]);
    for (const e of inbox.events) if (e.tenant) note(e.tenant, 'dead inbox event');
    for (const s of outbox.sends) note(s.tenant, 'dead send');
  }

  async function load() {
    const q = search.value.trim();
    const page = await api('GET', `/tenants?limit=500${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    const rows = page.tenants.map((t) => {
      const mine = alerts[t.slug] || [];
      return h('tr', {},
        h('td', {}, h('a', { href: `#/t/${encodeURIComponent(t.slug)}/overview` }, t.name)),
        h('td', {}, t.slug),
        h('td', {}, h('span', { class: t.active ? 'pill ok' : 'pill off' }, t.active ? 'active' : 'paused')),
        h('td', { class: 'num' }, String(t.today.inbound)),
        h('td', { class: 'num' }, String(t.today.outbound)),
        h('td', {}, mine.length ? h('span', { class: 'pill warn', title: mine.join(', ') }, `${mine.length} alert${mine.length > 1 ? 's' : ''}`) : ''));
    });
    show(list, rows.length ? table(['Tenant', 'Slug', 'Status', 'In today', 'Out today', 'Alerts'], rows)
      : h('p', { class: 'muted' }, 'No tenant matches.'));
  }
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  await load();
}
