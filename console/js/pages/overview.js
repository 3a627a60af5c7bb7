// A tenant's settings toggles and its usage against its limits.
import { api, path } from '../api.js';
import { action, field, h, show, table, toast } from '../dom.js';

const toggles = [
  ['bot_enabled', 'Bot on'], ['ai_responses', 'AI answers'], ['auto_reply', 'Auto reply'],
];
const numbers = [
  ['max_messages_per_hour', 'Replies per hour (0: no limit)'],
  ['max_messages_per_user_per_day', 'Messages per customer per day (0: no limit)'],
];

export async function overviewPage(root, tenant) {
  const base = path`/tenants/${tenant.slug}`;
  const [settings, usage] = await Promise.all([api('GET', `${base}/settings`), api('GET', `${base}/usage`)]);
  const inputs = {};
  const form = h('form', { class: 'card', id: 'settings-form', onsubmit: action(async (event) => {
    event.preventDefault();
    const change = {};
    for (const [name] of toggles) change[name] = inputs[name].checked;
    for (const [name] of numbers) change[name] = Number(inputs[name].value);
    change.escalation_phone = inputs.escalation_phone.value.trim();
    await api('PATCH', `${base}/settings`, change);
    toast('Settings saved');
  }) }, h('h2', {}, 'Settings'));
  for (const [name, label] of toggles) {
    inputs[name] = h('input', { type: 'checkbox', name, checked: settings[name] });
    form.append(h('label', { class: 'toggle' }, inputs[name], h('span', {}, label)));
  }
  for (const [name, label] of numbers) {
    inputs[name] = h('input', { type: 'number', min: 0, name, value: settings[name] ?? 0 });
    form.append(field(label, inputs[name]));
  }
  inputs.escalation_phone = h('input', { type: 'tel', name: 'escalation_phone', value: settings.escalation_phone || '' });
  form.append(field('Escalation phone', inputs.escalation_phone, 'Told when a conversation needs a person.'));
  form.append(h('button', { class: 'primary', type: 'submit' }, 'Save settings'));

  const counts = ['inbound', 'outbound', 'faq_answers', 'ai_answers', 'human_replies', 'ai_calls', 'tokens', 'escalations', 'unanswered'];
  const usageCard = h('div', { class: 'card' }, h('h2', {}, `Usage today (${usage.period})`),
    h('dl', { class: 'stats' }, counts.map((c) => [h('dt', {}, c.replace(/_/g, ' ')), h('dd', {}, String(usage[c] ?? 0))]),
      h('dt', {}, 'estimated cost'), h('dd', {}, `$${Number(usage.estimated_cost_usd || 0).toFixed(4)}`),
      h('dt', {}, 'median reply'), h('dd', {}, usage.median_reply_ms == null ? '—' : `${usage.median_reply_ms} ms`)),
    h('h3', {}, 'Limits'),
    table(['Limit', 'Used', 'Of'], Object.entries(usage.limits).map(([name, l]) =>
      h('tr', {}, h('td', {}, name.replace(/_/g, ' ')), h('td', { class: 'num' }, l.used ?? '—'),
        h('td', { class: 'num' }, l.limit ? String(l.limit) : 'no limit')))));
  show(root, h('div', { class: 'grid' }, form, usageCard));
}
