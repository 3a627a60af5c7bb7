// A real engine (`build/baraza serve`, SQLite in a temporary folder) with two tenants, a mock
// Graph API that records every send, signed webhooks, and headless Chromium (Debian's
// `chromium`) driven by puppeteer-core. Screenshots go to $CONSOLE_ARTIFACTS (default
// build/console-artifacts).
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';

export const root = resolve(import.meta.dirname, '../..');
const build = process.env.BARAZA_BUILD_DIR ? resolve(process.env.BARAZA_BUILD_DIR) : join(root, 'build');
export const artifacts = process.env.CONSOLE_ARTIFACTS || join(build, 'console-artifacts');
const APP_SECRET = 'console-test-app-secret';
export const OPERATOR = 'console-test-operator-token';

// Records what the engine sends to Graph; answers every send with a new wamid.
export async function startMockGraph() {
  const sends = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'POST' && req.url.endsWith('/messages')) {
        let parsed = {};
        try { parsed = JSON.parse(body); } catch { /* recorded as is */ }
        sends.push({ path: req.url, body: parsed });
        return res.end(JSON.stringify({ messaging_product: 'whatsapp', messages: [{ id: `wamid.MOCK${++n}` }] }));
      }
      res.end(JSON.stringify({ id: 'mock' }));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, sends, close: () => server.close() };
}

const tenantYaml = (slug, name, phoneId, faq) => `slug: ${slug}
name: ${name}
channels:
  - type: whatsapp
    phone_number_id: "${phoneId}"
    display_phone_number: "2547${phoneId.slice(-8)}"
    access_token: "EAAX-console-test-${slug}"
settings:
  ai_responses: false
  strategies: "escalation,faq,static_reply"
  static_reply: "Asante! We will get back to you."
  escalation_phone: "254799000111"
faq:
${faq.map(([q, a, k]) => `  - question: "${q}"\n    answer: "${a}"\n    keywords: [${k.join(', ')}]\n    priority: 9`).join('\n')}
`;

export const TENANTS = {
  duka: { slug: 'duka', name: 'Duka la Mama', phoneId: '119200000000101' },
  other: { slug: 'other-shop', name: 'Other Shop Ltd', phoneId: '119200000000202' },
};

export async function startEngine() {
  const graph = await startMockGraph();
  const work = mkdtempSync(join(tmpdir(), 'baraza-console-'));
  writeFileSync(join(work, 'duka.yaml'), tenantYaml('duka', TENANTS.duka.name, TENANTS.duka.phoneId,
    [['When do you open?', 'We open at 8am every day.', ['open', 'hours']]]));
  writeFileSync(join(work, 'other.yaml'), tenantYaml('other-shop', TENANTS.other.name, TENANTS.other.phoneId,
    [['Where are you?', 'Secret other-shop answer in Mombasa.', ['where', 'location']]]));
  writeFileSync(join(work, 'config.yaml'), `server: { listen: "127.0.0.1:0", threads: 4, access_log: false }
database: { url: "sqlite://${work}/baraza.db" }
plugins: { dir: "${build}/plugins", load: [whatsapp, faq, escalation, static_reply] }
security: { master_key_file: "${work}/master.key" }
console: { dir: "${root}/console" }
channels:
  whatsapp:
    graph_base_url: "${graph.url}"
    apps: [{ name: default, app_secret: "${APP_SECRET}" }]
pipeline: { poll_ms: 50, pair_interval_ms: 0 }
log: { level: info }
`);
  const env = { ...process.env, BARAZA_ADMIN_TOKEN: OPERATOR };
  const baraza = join(build, 'baraza');
  execFileSync(baraza, ['tenant', 'import', '--config', join(work, 'config.yaml'), join(work, 'duka.yaml'), join(work, 'other.yaml')],
    { env, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const proc = spawn(baraza, ['serve', '--config', join(work, 'config.yaml')], { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((ok, fail) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); fail(new Error(`engine did not start:\n${log}`)); }, 20000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /listening on http:\/\/[\d.]+:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    proc.on('exit', (code) => fail(new Error(`engine exited ${code}:\n${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const engine = {
    base, graph, work, log: () => log,
    async admin(method, path, body, token = OPERATOR) {
      const r = await fetch(`${base}/admin/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    // A customer's text message to a tenant's number, signed as Meta signs it.
    async customerSays(tenant, from, text, name = 'Wanjiku') {
      const id = `wamid.TEST${Date.now()}${Math.random().toString(16).slice(2)}`;
      const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '108900000000001', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: '254700000000', phone_number_id: tenant.phoneId },
        contacts: [{ profile: { name }, wa_id: from }],
        messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] } }] }] });
      const signature = 'sha256=' + createHmac('sha256', APP_SECRET).update(body).digest('hex');
      const r = await fetch(`${base}/webhook/whatsapp`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature } });
      if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${await r.text()}`);
      return id;
    },
    // The first send to `to` whose JSON contains `needle`, waited for.
    async sentTo(to, needle, timeoutMs = 20000) {
      return waitFor(() => graph.sends.find((s) => s.body.to === to && JSON.stringify(s.body).includes(needle)), timeoutMs,
        `a send to ${to} containing ${needle}; sends: ${JSON.stringify(graph.sends.map((s) => s.body))}`);
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((ok) => { proc.once('exit', ok); setTimeout(ok, 5000); });
      graph.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
  const key = await engine.admin('POST', '/tenants/duka/api-keys', { name: 'console test' });
  if (key.status !== 201) throw new Error(`no key: ${JSON.stringify(key)}`);
  engine.dukaKey = key.body.key;
  return engine;
}

export async function waitFor(fn, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

// A browser page that fails the test on any console error, page error or failed request.
export async function openBrowser() {
  mkdirSync(artifacts, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  return browser;
}

export async function newPage(browser, width = 1280) {
  const page = await browser.newPage();
  await page.setViewport({ width, height: width < 500 ? 844 : 900, deviceScaleFactor: 1 });
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') page.problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400 && !page.expectErrors) page.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return page;
}

export async function login(page, engine, credential) {
  await page.goto(`${engine.base}/console`, { waitUntil: 'networkidle0' });
  await page.type('#credential', credential);
  await Promise.all([page.click('button[type=submit]'), page.waitForFunction(() => location.hash.length > 2)]);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// The text of the whole page.
export const pageText = (page) => page.evaluate(() => document.body.innerText);
