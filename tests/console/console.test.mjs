// The console in headless Chromium against a real engine and a mock Graph API (issue 18).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login, newPage, OPERATOR, openBrowser, pageText, shot, startEngine, TENANTS, waitFor } from './harness.mjs';

let engine;
let browser;

before(async () => {
  engine = await startEngine();
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await engine?.stop();
});

const settle = (page) => page.waitForNetworkIdle({ idleTime: 300, timeout: 10000 });
async function goto(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await settle(page);
}
function assertClean(page, what) {
  assert.deepEqual(page.problems, [], `${what}: the browser reported problems`);
}

describe('console', { concurrency: false }, () => {
  test('a tenant key logs in and sees only its own tenant', async () => {
    const page = await newPage(browser);
    const fetched = [];
    page.on('request', (r) => { if (r.url().includes('/admin/v1/')) fetched.push(r.url()); });
    await login(page, engine, engine.dukaKey);
    await settle(page);
    assert.match(page.url(), /#\/t\/duka\/overview$/);
    let text = await pageText(page);
    assert.match(text, /Duka la Mama/);
    assert.doesNotMatch(text, /Other Shop|other-shop/);
    // The credential lives in this tab's session storage only.
    const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie }));
    assert.deepEqual(stored, { session: 1, local: 0, cookie: '' });
    // Another tenant's pages show nothing of it, and the API refuses what the page would fetch.
    page.expectErrors = true;
    await goto(page, '#/t/other-shop/faq');
    text = await pageText(page);
    assert.match(text, /No tenant 'other-shop' for this credential/);
    assert.doesNotMatch(text, /Mombasa/);
    const status = await page.evaluate(async () => (await fetch('/admin/v1/tenants/other-shop/knowledge', {
      headers: { Authorization: `Bearer ${sessionStorage.getItem('baraza.credential')}` } })).status);
    assert.equal(status, 404);
    for (const tab of ['faq', 'inbox', 'analytics', 'script']) await goto(page, `#/t/duka/${tab}`);
    assert.ok(fetched.length > 5);
    for (const url of fetched) {
      const p = new URL(url).pathname;
      assert.ok(p === '/admin/v1/session' || p === '/admin/v1/tenants' || p.startsWith('/admin/v1/tenants/duka/') ||
        p === '/admin/v1/tenants/other-shop/knowledge', `the page fetched ${url}`);
    }
    await page.close();
  });

  test('a wrong credential is refused on the login page and stored nowhere', async () => {
    const page = await newPage(browser);
    await page.goto(`${engine.base}/console`, { waitUntil: 'networkidle0' });
    await page.type('#credential', 'bzk_not-a-real-key');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#login-error')?.innerText.includes('refused'));
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
    await page.close();
  });

  test('an FAQ entry edited in the console answers the next customer message', async () => {
    const page = await newPage(browser);
    await login(page, engine, engine.dukaKey);
    await goto(page, '#/t/duka/faq');
    await page.type('#faq-search', 'open');
    await page.waitForFunction(() => [...document.querySelectorAll('tbody tr')].length === 1);
    await page.click('tbody tr button');
    await page.waitForSelector('textarea[name=answer]');
    await page.$eval('textarea[name=answer]', (t) => { t.value = ''; });
    await page.type('textarea[name=answer]', 'From today we open at 6am sharp.');
    await page.click('.faq-form button[type=submit]');
    await page.waitForFunction(() => document.body.innerText.includes('6am sharp') && !document.querySelector('.faq-form'));
    await shot(page, 'faq');
    assertClean(page, 'faq page');
    await page.close();
    const customer = '254711000001';
    await waitFor(async () => {
      await engine.customerSays(TENANTS.duka, customer, 'When do you open?');
      return engine.graph.sends.find((s) => s.body.to === customer && JSON.stringify(s.body).includes('6am sharp'));
    }, 20000, 'the new answer (the tenant cache reloads within a second)');
  });

  test('an escalation shows up live; a person replies, the mock Graph gets it, and resolving gives it back to the bot', async () => {
    const page = await newPage(browser);
    await login(page, engine, engine.dukaKey);
    await goto(page, '#/t/duka/inbox');
    const customer = '254722000002';
    await engine.customerSays(TENANTS.duka, customer, 'I want to talk to a human please', 'Achieng');
    // No reload: the open page finds it.
    await page.waitForFunction(() => document.querySelector('#threads')?.innerText.includes('Achieng'), { timeout: 20000 });
    assert.match(await page.$eval('#threads li:first-child', (li) => li.innerText), /Achieng[\s\S]*open/);
    // Clicked inside the page: the poll may redraw the list between a lookup and a click.
    await page.$eval('#threads li:first-child a', (a) => a.click());
    await page.waitForSelector('#reply-text');
    await page.type('#reply-author', 'Amina');
    await page.type('#reply-text', 'Habari Achieng, Amina here. How can I help?');
    await page.click('#reply-form button[type=submit]');
    const sent = await engine.sentTo(customer, 'Amina here');
    assert.equal(sent.body.type, 'text');
    await page.waitForFunction(() => document.querySelector('#messages')?.innerText.includes('Amina (api-key:'), { timeout: 20000 });
    await shot(page, 'inbox');
    // The person's reply is recorded and audited with who wrote it.
    const messages = await engine.admin('GET', '/tenants/duka/messages?direction=outbound&q=Amina%20here');
    assert.equal(messages.body.messages.length, 1);
    assert.match(messages.body.messages[0].sent_by, /^Amina \(api-key:bzk_/);
    assert.equal(messages.body.messages[0].strategy, 'human');
    const audit = await engine.admin('GET', '/tenants/duka/audit?action=reply');
    assert.equal(audit.body.entries.length, 1);
    // While a person has it, the bot stays silent.
    const before = engine.graph.sends.length;
    await engine.customerSays(TENANTS.duka, customer, 'When do you open?', 'Achieng');
    await new Promise((ok) => setTimeout(ok, 1500));
    assert.equal(engine.graph.sends.filter((s, i) => i >= before && s.body.to === customer).length, 0);
    // Resolve: the bot answers again.
    await page.$eval('button[data-action]', (b) => b.click());
    await page.waitForFunction(() => !document.querySelector('button[data-action]') && !document.querySelector('#release'), { timeout: 20000 });
    await engine.customerSays(TENANTS.duka, customer, 'When do you open?', 'Achieng');
    await engine.sentTo(customer, '6am sharp');
    assertClean(page, 'inbox');
    await page.close();
  });

  test('a customer message with markup shows as text', async () => {
    const customer = '254733000003';
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await engine.customerSays(TENANTS.duka, customer, evil, '<b onmouseover=alert(1)>Mallory</b>');
    const page = await newPage(browser);
    page.on('dialog', (d) => { page.problems.push(`dialog: ${d.message()}`); d.dismiss(); });
    await login(page, engine, engine.dukaKey);
    await goto(page, '#/t/duka/inbox');
    await page.waitForFunction(() => document.querySelector('#threads')?.innerText.includes('Mallory'));
    await page.$$eval('#threads a', (links) => links.find((a) => a.innerText.includes('Mallory')).click());
    await page.waitForSelector('#messages .bubble');
    const seen = await page.evaluate(() => ({
      pwned: window.__pwned, images: document.querySelectorAll('main img, main script, main b').length,
      bubbles: [...document.querySelectorAll('#messages .bubble')].map((b) => b.textContent),
    }));
    assert.equal(seen.pwned, undefined);
    assert.equal(seen.images, 0);
    assert.ok(seen.bubbles.includes(evil), JSON.stringify(seen.bubbles));
    await shot(page, 'xss-as-text');
    assertClean(page, 'xss');
    await page.close();
  });

  test('the script editor rejects a broken script with its line number, and a good one goes live', async () => {
    const page = await newPage(browser);
    page.expectErrors = true;  // the 400 of the broken script is the point
    await login(page, engine, engine.dukaKey);
    await goto(page, '#/t/duka/script');
    const broken = 'return {\n  on_message = function(ctx, msg)\n    local x = = 1\n  end,\n}\n';
    await page.$eval('#script-source', (t, s) => { t.value = s; }, broken);
    await page.click('#script-check');
    await page.waitForFunction(() => document.querySelector('#script-result .error'));
    assert.match(await page.$eval('#script-result', (e) => e.innerText), /^line 3: .*duka\.lua:3:/);
    await page.$eval('#script-result', (e) => e.replaceChildren());
    await page.click('#script-save');
    await page.waitForFunction(() => document.querySelector('#script-result .error'));
    assert.match(await page.$eval('#script-result', (e) => e.innerText), /^line 3: /);
    assert.equal((await engine.admin('GET', '/tenants/duka/script/versions')).body.versions.length, 0);
    const good = 'return {\n  on_message = function(ctx, msg)\n    if (msg.text or ""):find("ping") then ctx.reply("pong from the console") end\n  end,\n}\n';
    await page.$eval('#script-source', (t, s) => { t.value = s; }, good);
    await page.$eval('#script-sample', (t) => { t.value = 'ping'; });
    await page.click('#script-test');
    await page.waitForFunction(() => document.querySelector('#script-result')?.innerText.includes('pong from the console'));
    await page.click('#script-save');
    await page.waitForFunction(() => document.querySelector('#script-result')?.innerText.includes('Version 1 saved and active'));
    await shot(page, 'script');
    await page.close();
    const customer = '254744000004';
    await waitFor(async () => {
      await engine.customerSays(TENANTS.duka, customer, 'ping');
      return engine.graph.sends.find((s) => s.body.to === customer && JSON.stringify(s.body).includes('pong from the console'));
    }, 20000, 'the script reply');
  });

  test('the analytics page draws its charts from the recorded messages', async () => {
    // Earlier tests' last messages may still be on their way: wait until the figures hold still.
    let expected = null;
    await waitFor(async () => {
      const now = (await engine.admin('GET', '/tenants/duka/analytics?days=7')).body;
      const same = expected && JSON.stringify(now.totals) === JSON.stringify(expected.totals);
      expected = now;
      if (!same) await new Promise((ok) => setTimeout(ok, 700));
      return same;
    }, 15000, 'the analytics to settle');
    assert.ok(expected.totals.inbound >= 7, JSON.stringify(expected.totals));
    assert.ok(expected.totals.human_replies >= 1 && expected.totals.faq_answers >= 2 && expected.totals.escalations >= 1);
    const page = await newPage(browser);
    await login(page, engine, engine.dukaKey);
    await goto(page, '#/t/duka/analytics');
    await page.select('#analytics-days', '7');
    await page.waitForFunction(() => window.Chart && window.Chart.getChart('chart-median'));
    const drawn = await page.evaluate(() => {
      const sum = (id, i) => window.Chart.getChart(id).data.datasets[i].data.reduce((a, b) => a + (b || 0), 0);
      return { inbound: sum('chart-volume', 0), outbound: sum('chart-volume', 1), faq: sum('chart-answered', 0),
        people: sum('chart-answered', 2), escalations: sum('chart-escalations', 0), days: window.Chart.getChart('chart-volume').data.labels.length,
        painted: [...document.querySelectorAll('canvas')].every((c) => c.width > 0 && c.height > 0) };
    });
    assert.deepEqual(drawn, { inbound: expected.totals.inbound, outbound: expected.totals.outbound, faq: expected.totals.faq_answers,
      people: expected.totals.human_replies, escalations: expected.totals.escalations, days: 7, painted: true });
    await shot(page, 'analytics');
    assertClean(page, 'analytics');
    await page.close();
  });

  test('settings, templates, AI providers and the FAQ file round trip change what the API serves', async () => {
    const page = await newPage(browser);
    await login(page, engine, engine.dukaKey);
    // Settings: the bot off, then on again.
    await goto(page, '#/t/duka/overview');
    await page.$eval('input[name=bot_enabled]', (c) => c.click());
    await page.$eval('input[name=max_messages_per_hour]', (i) => { i.value = '250'; });
    await page.click('#settings-form button[type=submit]');
    await waitFor(async () => (await engine.admin('GET', '/tenants/duka/settings')).body.max_messages_per_hour === 250, 10000, 'the settings');
    assert.equal((await engine.admin('GET', '/tenants/duka/settings')).body.bot_enabled, false);
    await page.$eval('input[name=bot_enabled]', (c) => c.click());
    await page.click('#settings-form button[type=submit]');
    await waitFor(async () => (await engine.admin('GET', '/tenants/duka/settings')).body.bot_enabled === true, 10000, 'the bot on');
    // A template.
    await goto(page, '#/t/duka/templates');
    await page.click('.toolbar button');
    await page.type('input[name=name]', 'evening');
    await page.type('textarea[name=system_prompt]', 'You answer after hours, briefly.');
    await page.click('form.card button[type=submit]');
    await page.waitForFunction(() => document.querySelector('tbody')?.innerText.includes('evening'));
    const templates = (await engine.admin('GET', '/tenants/duka/templates')).body.templates;
    assert.equal(templates.find((t) => t.name === 'evening').system_prompt, 'You answer after hours, briefly.');
    // AI providers: the key goes in, and never comes back out.
    await goto(page, '#/t/duka/ai');
    await page.$$eval('button', (bs) => bs.find((b) => b.innerText === 'Add provider').click());
    await page.select('.provider select', 'openrouter');
    await page.type('.provider input[name=api_key]', 'sk-or-console-secret');
    await page.$$eval('button', (bs) => bs.find((b) => b.innerText === 'Save').click());
    await waitFor(async () => (await engine.admin('GET', '/tenants/duka/ai-providers')).body.providers.length === 1, 10000, 'the provider');
    const providers = (await engine.admin('GET', '/tenants/duka/ai-providers')).body.providers;
    assert.deepEqual(providers[0], { name: 'openrouter', model: null, api_key: '********' });
    await goto(page, '#/t/duka/ai');
    assert.doesNotMatch(await page.content(), /sk-or-console-secret/);
    // FAQ: export as CSV through the browser's download, import a file with a new entry.
    await goto(page, '#/t/duka/faq');
    const downloads = mkdtempSync(join(tmpdir(), 'baraza-downloads-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.$eval('details', (d) => { d.open = true; });
    await page.$$eval('button', (bs) => bs.find((b) => b.innerText === 'Export CSV').click());
    const exported = await waitFor(() => existsSync(join(downloads, 'duka-faq.csv')) && readFileSync(join(downloads, 'duka-faq.csv'), 'utf8'), 10000, 'the CSV download');
    assert.match(exported, /^"type","question","answer"/);
    assert.match(exported, /6am sharp/);
    const file = join(downloads, 'more.csv');
    writeFileSync(file, '"question","answer","keywords"\n"Do you deliver?","Yes, within Nairobi, every day.","deliver;delivery"\n');
    await (await page.$('#faq-import-file')).uploadFile(file);
    await page.$$eval('button', (bs) => bs.find((b) => b.innerText === 'Import').click());
    await page.waitForFunction(() => document.querySelector('tbody')?.innerText.includes('Do you deliver?'));
    const entries = (await engine.admin('GET', '/tenants/duka/knowledge?q=deliver')).body.entries;
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0].keywords, ['deliver', 'delivery']);
    rmSync(downloads, { recursive: true, force: true });
    assertClean(page, 'tenant pages');
    await page.close();
  });

  test('the operator makes a key that logs in, and retries a dead send from Operations', async () => {
    const page = await newPage(browser);
    await login(page, engine, OPERATOR);
    await goto(page, '#/t/duka/keys');
    await page.type('#key-name', 'shop owner phone');
    await page.$$eval('button', (bs) => bs.find((b) => b.innerText === 'Create key').click());
    await page.waitForSelector('code.secret');
    const key = await page.$eval('code.secret', (c) => c.textContent);
    assert.match(key, /^bzk_/);
    const owner = await newPage(browser, 390);
    await login(owner, engine, key);
    assert.match(owner.url(), /#\/t\/duka\/overview$/);
    await owner.close();
    // A send the outbox gave up on, retried from the page.
    const customer = '254755000005';
    await engine.customerSays(TENANTS.duka, customer, 'When do you open?');
    await engine.sentTo(customer, '6am sharp');
    execFileSync('sqlite3', [join(engine.work, 'baraza.db'),
      `UPDATE outbox_messages SET status = 'dead', last_error = 'Graph said no' WHERE recipient = '${customer}'`]);
    const sentBefore = engine.graph.sends.filter((s) => s.body.to === customer).length;
    await goto(page, '#/operations');
    await page.waitForSelector('button[data-send]');
    assert.match(await pageText(page), /Graph said no/);
    await page.$eval('button[data-send]', (b) => b.click());
    await waitFor(() => engine.graph.sends.filter((s) => s.body.to === customer).length === sentBefore + 1, 20000, 'the retried send');
    await page.waitForFunction(() => !document.querySelector('button[data-send]'), { timeout: 20000 });
    assertClean(page, 'operator pages');
    await page.close();
  });

  for (const width of [1280, 390]) {
    test(`every page loads without a console error at ${width} px, and fits`, async () => {
      const pages = [
        [engine.dukaKey, ['#/t/duka/overview', '#/t/duka/inbox', '#/t/duka/faq', '#/t/duka/templates', '#/t/duka/script', '#/t/duka/ai', '#/t/duka/analytics'], 'tenant'],
        [null, ['#/tenants', '#/operations', '#/t/duka/overview', '#/t/duka/keys', '#/t/other-shop/inbox'], 'operator'],
      ];
      for (const [credential, hashes, who] of pages) {
        const page = await newPage(browser, width);
        await login(page, engine, credential || OPERATOR);
        for (const hash of hashes) {
          await goto(page, hash);
          await page.waitForFunction(() => !document.body.innerText.includes('Loading…'));
          const fit = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
          assert.ok(fit, `${hash} overflows ${width} px`);
          await shot(page, `${who}-${hash.replace(/[#/]+/g, '-').replace(/^-/, '')}-${width}`);
        }
        if (who === 'operator') {
          const text = await pageText(page);
          assert.match(text, /Other Shop Ltd|other-shop/);
        }
        assertClean(page, `${who} pages at ${width} px`);
        await page.close();
      }
    });
  }
});
