import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, pageErrors, screenshot } from '../support/browser.js';
import { startService, type TestService } from '../support/service.js';

const KEY = 'dashboard-test-key-0123456789';

let service: TestService;
let browser: Browser;
let page: Page;

before(async () => {
  service = await startService({ workers: 0, env: { API_KEYS: KEY } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});
after(async () => {
  await browser?.close();
  await service?.close();
});

test('with API_KEYS set, the dashboard asks for a key, refuses a wrong one, and sends the right one as a bearer token for this tab', async () => {
  const errors = pageErrors(page);
  const sent: (string | undefined)[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/v1/')) sent.push(request.headers().authorization);
  });
  await page.goto(`${service.url}/`);
  const dialog = page.locator('#key-dialog[open]');
  await dialog.waitFor();
  assert.match(await dialog.textContent() ?? '', /needs an API key/);
  await screenshot(page, 'dashboard-key-prompt');

  await page.fill('#key-input', 'not-the-key');
  await page.press('#key-input', 'Enter');
  await page.waitForSelector('#key-reason:has-text("not accepted")');
  assert.equal(await page.locator('#key-dialog[open]').count(), 1);

  await page.fill('#key-input', KEY);
  await page.press('#key-input', 'Enter');
  await page.waitForSelector('main h1:has-text("Training jobs")');
  await page.waitForSelector('main :text("No jobs yet")');
  assert.equal(await page.locator('#key-dialog[open]').count(), 0);
  assert.deepEqual(sent.slice(0, 3), [undefined, 'Bearer not-the-key', `Bearer ${KEY}`]);
  assert.equal(await page.evaluate<string | null>("sessionStorage.getItem('modelyard.api-key')"), KEY);
  assert.equal(await page.evaluate<string | null>("localStorage.getItem('modelyard.api-key')"), null, 'not kept beyond the tab');

  await page.click('a[data-section=datasets]');
  await page.waitForSelector('tr[data-dataset="iris"]');
  assert.equal(sent.at(-1), `Bearer ${KEY}`);
  await screenshot(page, 'dashboard-key-accepted');

  const other = await browser.newPage();
  await other.goto(`${service.url}/`);
  await other.locator('#key-dialog[open]').waitFor();
  await other.close();
  assert.deepEqual(errors, []);
});

test("with a tenant's key, the dashboard shows that tenant's jobs and models only, and another tenant's model as not found", async () => {
  const tenants = await startService({ workers: 0, env: { API_KEYS: 'dash-root,dash-acme:train:acme,dash-globex:train:globex' } });
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    const jobs: Record<string, string> = {};
    for (const tenant of ['acme', 'globex']) {
      const auth = { authorization: `Bearer dash-${tenant}` };
      const model = await tenants.request('POST', '/v1/models', { name: `${tenant}-model`, architecture: { type: 'sequential', layers: [{ type: 'Dense', units: 3 }] }, compile: { loss: 'sparse_categorical_crossentropy' } }, auth);
      assert.equal(model.status, 201);
      // No worker: the job stays queued, and listed.
      const job = await tenants.request('POST', '/v1/jobs', { model: `${tenant}-model`, dataset: { builtin: 'iris' } }, auth);
      assert.equal(job.status, 202);
      jobs[tenant] = job.body.id;
    }
    const errors = pageErrors(tab);
    await tab.goto(`${tenants.url}/`);
    await tab.locator('#key-dialog[open]').waitFor();
    await tab.fill('#key-input', 'dash-acme');
    await tab.press('#key-input', 'Enter');
    await tab.waitForSelector(`tr[data-job="${jobs.acme}"]`);
    assert.equal(await tab.locator(`tr[data-job="${jobs.globex}"]`).count(), 0);

    await tab.goto(`${tenants.url}/#/models`);
    await tab.waitForSelector('main a:has-text("acme-model")');
    assert.equal(await tab.locator('main a:has-text("globex-model")').count(), 0);
    await tab.goto(`${tenants.url}/#/models/acme-model`);
    await tab.waitForSelector('#train-form');
    await tab.goto(`${tenants.url}/#/models/globex-model`);
    await tab.waitForSelector("main [role=alert]:has-text(\"model 'globex-model' not found\")");
    await screenshot(tab, 'dashboard-tenant-key');
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
    await tenants.close();
  }
});
