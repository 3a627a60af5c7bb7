// The inbox for the people who answer: escalated conversations and open actions first, a
// conversation's messages kept current, take over, release, reply, resolve.
import { api, path, session } from '../api.js';
import { action, field, h, show, toast, when } from '../dom.js';

const POLL_MS = 2000;

function windowOpen(c) {
  const at = new Date(String(c.window_expires_at || '').replace(' ', 'T').replace(/\+00$/, 'Z'));
  return !isNaN(at) && at > new Date();
}

function contactName(c) { return c.contact.profile_name || c.contact.wa_id || c.contact.user_id || 'customer'; }

async function conversationList(base) {
  const [escalated, open, actions] = await Promise.all([
    api('GET', `${base}/conversations?status=escalated&limit=100`),
    api('GET', `${base}/conversations?status=open&limit=100`),
    api('GET', `${base}/actions?status=open&limit=200`)]);
  const openActions = {};
  for (const a of actions.actions) if (a.conversation_id) (openActions[a.conversation_id] = openActions[a.conversation_id] || []).push(a);
  const all = [...escalated.conversations, ...open.conversations];
  // Open actions first, then escalated, then the rest; each most recent first (the API's order).
  const rank = (c) => (openActions[c.id] ? 0 : c.status === 'escalated' ? 1 : 2);
  return { list: all.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c), openActions };
}

function listView(slug, { list, openActions }, selected) {
  if (!list.length) return h('p', { class: 'muted' }, 'No conversation yet.');
  return h('ul', { class: 'threads', id: 'threads' }, list.map((c) => h('li', { class: c.id === selected ? 'selected' : '' },
    h('a', { href: `#/t/${encodeURIComponent(slug)}/inbox/${encodeURIComponent(c.id)}`, dataset: { conversation: c.id } },
      h('strong', {}, contactName(c)),
      openActions[c.id] ? h('span', { class: 'pill warn' }, `${openActions[c.id].length} open`) : null,
      c.status === 'escalated' ? h('span', { class: 'pill esc' }, c.assigned_to ? `with ${c.assigned_to}` : 'escalated') : null,
      h('small', { class: 'muted' }, when(c.last_message_at))))));
}

function messageView(m) {
  const who = m.direction === 'inbound' ? 'customer' : m.sent_by ? m.sent_by : m.strategy ? `bot · ${m.strategy}` : 'bot';
  return h('li', { class: `msg ${m.direction}`, dataset: { id: m.id } },
    h('div', { class: 'bubble' }, m.text || `[${m.type}]`),
    h('small', { class: 'muted' }, `${who} · ${when(m.at)}${m.direction === 'outbound' ? ` · ${m.status}` : ''}`));
}

function replyForm(base, c, refresh) {
  const author = h('input', { id: 'reply-author', placeholder: 'Your name', value: session.author });
  if (windowOpen(c)) {
    const text = h('textarea', { id: 'reply-text', rows: 2, required: true, placeholder: 'Write to the customer…' });
    return h('form', { class: 'reply', id: 'reply-form', onsubmit: action(async (event) => {
      event.preventDefault();
      session.author = author.value.trim();
      await api('POST', `${base}/conversations/${encodeURIComponent(c.id)}/reply`, { text: text.value, author: session.author || undefined });
      text.value = '';
      toast('Reply queued');
      await refresh();
    }) }, text, h('div', { class: 'row' }, author, h('button', { class: 'primary', type: 'submit' }, 'Send')));
  }
  const name = h('input', { id: 'reply-template', required: true, placeholder: 'approved template name' });
  const language = h('input', { value: 'en', size: 5 });
  const params = h('input', { placeholder: 'parameters, separated by |' });
  return h('form', { class: 'reply', id: 'reply-form', onsubmit: action(async (event) => {
    event.preventDefault();
    session.author = author.value.trim();
    const parameters = params.value ? params.value.split('|').map((p) => p.trim()) : undefined;
    await api('POST', `${base}/conversations/${encodeURIComponent(c.id)}/reply`,
      { template: { name: name.value.trim(), language: language.value.trim(), parameters }, author: session.author || undefined });
    toast('Template queued');
    await refresh();
  }) }, h('p', { class: 'muted' }, 'The 24-hour window is closed: only an approved template may go.'),
  h('div', { class: 'row' }, field('Template', name), field('Language', language)), field('Parameters', params),
  h('div', { class: 'row' }, author, h('button', { class: 'primary', type: 'submit' }, 'Send template')));
}

export async function inboxPage(root, tenant, rest) {
  const base = path`/tenants/${tenant.slug}`;
  const selected = rest[0] || null;
  const side = h('aside', { class: 'inbox-list' });
  const main = h('div', { class: 'inbox-thread' });
  show(root, h('div', { class: selected ? 'inbox has-thread' : 'inbox' }, side, main));
  let lastMessages = '';
  let lastHeader = '';
  let stopped = false;

  async function refresh() {
    const threads = await conversationList(base);
    show(side, listView(tenant.slug, threads, selected));
    if (!selected) return show(main, h('p', { class: 'muted' }, 'Choose a conversation.'));
    const c = await api('GET', `${base}/conversations/${encodeURIComponent(selected)}`);
    const actions = threads.openActions[selected] || [];
    const header = JSON.stringify([c.status, c.assigned_to, c.window_expires_at, actions.map((a) => a.id)]);
    const messages = JSON.stringify(c.recent_messages.map((m) => [m.id, m.status]));
    if (header === lastHeader && messages === lastMessages) return;
    const typing = main.querySelector('#reply-text');
    const draft = typing ? typing.value : '';
    const list = h('ol', { class: 'messages', id: 'messages' }, [...c.recent_messages].reverse().map(messageView));
    if (header !== lastHeader || !main.querySelector('#reply-form')) {
      show(main,
        h('a', { class: 'back', href: `#/t/${encodeURIComponent(tenant.slug)}/inbox` }, '← All conversations'),
        h('h2', {}, contactName(c), ' ', h('small', { class: 'muted' }, c.contact.wa_id || '')),
        h('div', { class: 'row' },
          h('span', { class: 'pill' }, c.status), c.assigned_to ? h('span', { class: 'pill esc' }, `taken over by ${c.assigned_to}`) : null,
          h('span', { class: windowOpen(c) ? 'pill ok' : 'pill off' }, windowOpen(c) ? 'window open' : 'window closed')),
        h('div', { class: 'row' },
          c.assigned_to
            ? h('button', { id: 'release', onclick: action(async () => { await api('POST', `${base}/conversations/${encodeURIComponent(c.id)}/release`); await refresh(); }) }, 'Release to the bot')
            : h('button', { id: 'take-over', onclick: action(async () => {
              await api('POST', `${base}/conversations/${encodeURIComponent(c.id)}/assign`, { assignee: session.author || 'console' });
              await refresh();
            }) }, 'Take over'),
          actions.map((a) => h('button', { class: 'primary', dataset: { action: a.id }, onclick: action(async () => {
            await api('PATCH', `${base}/actions/${encodeURIComponent(a.id)}`, { status: 'resolved', resolution: `resolved by ${session.author || 'console'}` });
            toast('Resolved: the bot answers again');
            await refresh();
          }) }, `Resolve: ${a.details || a.type}`))),
        list, replyForm(base, c, refresh));
      const again = main.querySelector('#reply-text');
      if (again && draft) again.value = draft;
    } else {
      main.querySelector('#messages').replaceWith(list);
    }
    list.scrollTop = list.scrollHeight;
    lastHeader = header;
    lastMessages = messages;
  }
  await refresh();
  const timer = setInterval(() => { if (!stopped && !document.hidden) refresh().catch((e) => toast(e.message, 'error')); }, POLL_MS);
  return () => { stopped = true; clearInterval(timer); };
}
