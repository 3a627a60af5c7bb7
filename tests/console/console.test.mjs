// The console in headless Chromium against a real engine and a mock Graph API (issue 18).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { login, newPage, openBrowser, pageText, shot, startEngine, TENANTS, waitFor } from './harness.mjs';

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

  for (const width of [1280, 390]) {
    test(`every page loads without a console error at ${width} px, and fits`, async () => {
      const pages = [
        [engine.dukaKey, ['#/t/duka/overview', '#/t/duka/inbox', '#/t/duka/faq', '#/t/duka/templates', '#/t/duka/script', '#/t/duka/ai', '#/t/duka/analytics'], 'tenant'],
        [null, ['#/tenants', '#/operations', '#/t/duka/overview', '#/t/duka/keys', '#/t/other-shop/inbox'], 'operator'],
      ];
      for (const [credential, hashes, who] of pages) {
        const page = await newPage(browser, width);
        await login(page, engine, credential || (await import('./harness.mjs')).OPERATOR);
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
