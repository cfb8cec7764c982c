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
