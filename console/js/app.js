// The console's shell: log in, find what the credential sees, and route #/... to a page.
import { api, session, whenUnauthorized } from './api.js';
import { h, show, toast } from './dom.js';
import { loginPage } from './pages/login.js';
import { tenantsPage } from './pages/tenants.js';
import { overviewPage } from './pages/overview.js';
import { faqPage } from './pages/faq.js';
import { templatesPage } from './pages/templates.js';
import { scriptPage } from './pages/script.js';
import { aiPage } from './pages/ai.js';
import { keysPage } from './pages/keys.js';
import { inboxPage } from './pages/inbox.js';
import { analyticsPage } from './pages/analytics.js';
import { operationsPage } from './pages/operations.js';

const app = document.getElementById('app');
let stopPage = null;  // a page's poller, stopped when another page shows

const tenantTabs = [
  ['overview', 'Overview', overviewPage],
  ['inbox', 'Inbox', inboxPage],
  ['faq', 'FAQ', faqPage],
  ['templates', 'Templates', templatesPage],
  ['script', 'Script', scriptPage],
  ['ai', 'AI providers', aiPage],
  ['keys', 'API keys', keysPage],
  ['analytics', 'Analytics', analyticsPage],
];

// Which kind of credential this is, and the tenants it sees.
async function discover() {
  const [who, list] = await Promise.all([api('GET', '/session'), api('GET', '/tenants?limit=500')]);
  session.role = who.role;
  session.tenants = list.tenants;
}

function logout() {
  session.token = null;
  session.role = null;
  location.hash = '#/login';
  render();
}
// A credential refused while logged in (revoked, or the token changed): back to the login page.
// While logging in, the login form says it was refused.
whenUnauthorized(() => { if (session.role) logout(); });

function navigation(slug) {
  const links = [];
  if (session.role !== 'tenant') links.push(h('a', { href: '#/tenants' }, 'Tenants'));
  if (session.role === 'operator') links.push(h('a', { href: '#/operations' }, 'Operations'));
  if (slug) {
    for (const [tab, label] of tenantTabs) {
      if (tab === 'keys' && session.role !== 'operator') continue;
      links.push(h('a', { href: `#/t/${encodeURIComponent(slug)}/${tab}` }, label));
    }
  }
  links.push(h('button', { class: 'link', onclick: logout }, 'Log out'));
  show(document.getElementById('nav'), links);
  const who = session.role === 'operator' ? 'operator' : `${session.role} key`;
  show(document.getElementById('who'), slug ? `${who} · ${slug}` : who);
  for (const a of document.querySelectorAll('#nav a')) {
    if (location.hash.startsWith(a.getAttribute('href'))) a.classList.add('active');
  }
}

async function render() {
  if (stopPage) { stopPage(); stopPage = null; }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (!session.token) {
    show(document.getElementById('nav'));
    show(document.getElementById('who'));
    return loginPage(app, async (token) => {
      session.token = token;
      try {
        await discover();
      } catch (e) {
        session.token = null;
        throw e;
      }
      location.hash = session.role === 'tenant' ? `#/t/${session.tenants[0].slug}/overview` : '#/tenants';
      render();
    });
  }
  try {
    if (!session.role) await discover();
  } catch (e) {
    toast(e.message, 'error');
    return;
  }
  if (parts[0] === 't' && parts[1]) {
    const slug = parts[1];
    const tenant = session.tenants.find((t) => t.slug === slug);
    navigation(slug);
    if (!tenant) return show(app, h('p', { class: 'error' }, `No tenant '${slug}' for this credential.`));
    const tab = tenantTabs.find(([name]) => name === (parts[2] || 'overview')) || tenantTabs[0];
    show(app, h('h1', {}, tenant.name, ' ', h('small', { class: 'muted' }, tab[1])));
    const body = h('section', {});
    app.append(body);
    stopPage = await tab[2](body, tenant, parts.slice(3)) || null;
    return;
  }
  if (parts[0] === 'operations' && session.role === 'operator') {
    navigation();
    show(app, h('h1', {}, 'Operations'));
    const body = h('section', {});
    app.append(body);
    stopPage = await operationsPage(body) || null;
    return;
  }
  if (session.role === 'tenant') {
    location.hash = `#/t/${session.tenants[0].slug}/overview`;
    return;
  }
  navigation();
  show(app, h('h1', {}, 'Tenants'));
  const body = h('section', {});
  app.append(body);
  stopPage = await tenantsPage(body) || null;
}

window.addEventListener('hashchange', () => render().catch((e) => toast(e.message, 'error')));
render().catch((e) => toast(e.message, 'error'));
