// Analytics per day: volume, who answered, AI use and cost, escalations, unanswered, median
// reply time. Charts by Chart.js (Debian's libjs-chart.js, served by the engine).
import { api, path } from '../api.js';
import { h, show, table } from '../dom.js';

const colors = ['#1f6feb', '#2da44e', '#bf8700', '#cf222e', '#8250df', '#57606a'];

function chart(title, id, type, labels, series, options = {}) {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': title });
  const card = h('div', { class: 'card chart' }, h('h3', {}, title), h('div', { class: 'canvas-box' }, canvas));
  return { card, draw: () => new window.Chart(canvas, {
    type,
    data: { labels, datasets: series.map(([label, data], i) => ({ label, data, backgroundColor: colors[i], borderColor: colors[i], tension: 0.2 })) },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: options.stacked ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } : { y: { beginAtZero: true } } },
  }) };
}

export async function analyticsPage(root, tenant) {
  const days = h('select', { id: 'analytics-days' }, [7, 30, 90].map((d) => h('option', { value: d }, `${d} days`)));
  days.value = '30';
  const body = h('div', {});
  const charts = [];
  async function load() {
    for (const c of charts.splice(0)) c.destroy();
    const a = await api('GET', path`/tenants/${tenant.slug}/analytics` + `?days=${days.value}`);
    const labels = a.days.map((d) => d.day.slice(5));
    const col = (name) => a.days.map((d) => d[name]);
    const parts = [
      chart('Messages', 'chart-volume', 'line', labels, [['inbound', col('inbound')], ['outbound', col('outbound')]]),
      chart('Who answered', 'chart-answered', 'bar', labels, [['FAQ', col('faq_answers')], ['AI', col('ai_answers')], ['people', col('human_replies')]], { stacked: true }),
      chart('Escalations and unanswered', 'chart-escalations', 'bar', labels, [['escalations', col('escalations')], ['unanswered', col('unanswered')]]),
      chart('AI calls', 'chart-ai', 'bar', labels, [['AI calls', col('ai_calls')]]),
      chart('Median time to reply (ms)', 'chart-median', 'line', labels, [['median', col('median_reply_ms')]]),
    ];
    const t = a.totals;
    const answered = t.faq_answers + t.ai_answers + t.human_replies;
    const share = (n) => (answered ? `${Math.round((100 * n) / answered)}%` : '—');
    show(body,
      table(['', `${a.from} to ${a.to}`], [
        ['inbound', t.inbound], ['outbound', t.outbound], ['answered by FAQ', `${t.faq_answers} (${share(t.faq_answers)})`],
        ['answered by AI', `${t.ai_answers} (${share(t.ai_answers)})`], ['answered by people', `${t.human_replies} (${share(t.human_replies)})`],
        ['AI calls', t.ai_calls], ['tokens', t.tokens], ['estimated AI cost', `$${t.estimated_cost_usd.toFixed(4)}`],
        ['escalations', t.escalations], ['unanswered', t.unanswered],
      ].map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'num', dataset: { total: k } }, String(v))))),
      h('div', { class: 'charts' }, parts.map((p) => p.card)));
    if (!window.Chart) throw new Error('Chart.js is not served: install libjs-chart.js (console.chart_js)');
    for (const p of parts) charts.push(p.draw());
  }
  days.addEventListener('change', () => load());
  show(root, h('div', { class: 'toolbar' }, days), body);
  await load();
  return () => { for (const c of charts) c.destroy(); };
}
