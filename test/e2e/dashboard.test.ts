import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { drawStroke, launchBrowser, pageErrors, screenshot } from '../support/browser.js';
import { startService, type TestService } from '../support/service.js';

let service: TestService;
let browser: Browser;
let page: Page;
let errors: string[];

before(async () => {
  // The graph engine trains Iris's 30 epochs between two of the page's polls; eager's pace lets it see them arrive.
  service = await startService({ env: { TRAINING_ENGINE: 'eager' } });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = pageErrors(page);
});
after(async () => {
  await browser?.close();
  await service?.close();
});

/** What the dashboard keeps on each chart element: its uPlot instance, whose `data` is [epochs, ...series]. */
interface Charted {
  chart: { data: (number | null)[][] };
}

/** Every chart's plotted data, by metric. */
async function chartData(): Promise<Record<string, (number | null)[][]>> {
  const charts = await page.locator('.chart').evaluateAll((elements) => elements.map((element) => [element.getAttribute('data-metric'), (element as unknown as Charted).chart.data] as const));
  return Object.fromEntries(charts);
}

test('/ serves the dashboard under the API’s content security policy, with its modules from the service itself', async () => {
  const response = await page.goto(`${service.url}/`);
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await page.waitForSelector('main h1:has-text("Training jobs")');
  assert.match(await page.textContent('main') ?? '', /No jobs yet/);
  const unknown = await service.request('GET', '/no-such-page');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not_found');
  assert.deepEqual(errors, []);
});

test('keyboard only: the sections, the examples and the editor are reached with Tab and Enter', async () => {
  await page.goto(`${service.url}/#/jobs`);
  await page.waitForSelector('main h1');
  let focused = '';
  for (let presses = 0; presses < 10 && focused !== 'Define a model'; presses++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate<string>('document.activeElement.textContent');
  }
  assert.equal(focused, 'Define a model');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/define$/);
  await page.focus('button[data-example=mnist]');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate<string>('document.activeElement.id'), 'definition', 'choosing an example moves focus into the editor');
  assert.equal(JSON.parse(await page.inputValue('#definition')).name, 'digits');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Create model', 'Tab leaves the editor for its submit button');
  assert.deepEqual(errors, []);
});

test('define Iris from the example, train it, and watch its curves gain points as epochs arrive', async () => {
  await page.goto(`${service.url}/#/define`);
  await page.click('button[data-example=iris]');
  await page.click('#define-form button[type=submit]');
  await page.waitForURL(/#\/models\/iris$/);
  await page.waitForSelector('#train-form');
  // 30 steps an epoch on the eager engine: slow enough that the page sees epochs arrive one by one.
  await page.fill('#fit-epochs', '30');
  await page.fill('#fit-batch_size', '4');
  await page.check('#fit-standardize');
  await page.click('#train-form button[type=submit]');
  await page.waitForURL(/#\/jobs\/job_/);
  const jobId = decodeURIComponent(page.url().split('/').at(-1) ?? '');

  const seen: number[] = [];
  for (;;) {
    const points = (await chartData()).loss?.[0]?.length;
    if (points !== undefined && points !== seen.at(-1)) seen.push(points);
    if (points === 30) break;
    await page.waitForTimeout(50);
  }
  await page.waitForSelector('#job-status .badge.completed');
  assert.ok(seen.length >= 3, `the loss chart grew in steps ${JSON.stringify(seen)}`);
  assert.ok(seen.every((count, i) => i === 0 || count > seen[i - 1]!), `points only grow: ${JSON.stringify(seen)}`);

  const job = await service.request('GET', `/v1/jobs/${jobId}`);
  assert.equal(job.body.status, 'completed');
  const charts = await chartData();
  assert.deepEqual(Object.keys(charts).sort(), ['accuracy', 'loss']);
  assert.deepEqual(charts.loss?.[1], job.body.history.loss, 'the chart plots the history the API recorded');
  assert.deepEqual(charts.loss?.[2], job.body.history.val_loss);
  assert.deepEqual(charts.accuracy?.[2], job.body.history.val_accuracy);
  assert.match(await page.textContent('main') ?? '', /Final metrics[\s\S]*val_accuracy/);
  await screenshot(page, 'dashboard-job');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  assert.ok(overflow <= 0, `the job page fits a phone's width (overflow ${overflow}px)`);
  await screenshot(page, 'dashboard-job-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(errors, []);
});

test('cancel a running job from its page', async () => {
  await page.goto(`${service.url}/#/models/iris`);
  await page.waitForSelector('#train-form');
  await page.fill('#fit-epochs', '500');
  await page.fill('#fit-batch_size', '1');
  await page.click('#train-form button[type=submit]');
  await page.waitForURL(/#\/jobs\/job_/);
  await page.waitForSelector('#job-status .badge.running');
  await page.click('#cancel-job');
  await page.waitForSelector('#job-status .badge.cancelled', { timeout: 60_000 });
  const jobId = decodeURIComponent(page.url().split('/').at(-1) ?? '');
  assert.equal((await service.request('GET', `/v1/jobs/${jobId}`)).body.status, 'cancelled');
  assert.equal(await page.locator('#cancel-job').count(), 0, 'no cancel button once the job has ended');
  await screenshot(page, 'dashboard-cancelled');

  await page.goto(`${service.url}/#/jobs`);
  await page.waitForSelector(`tr[data-job="${jobId}"] .badge.cancelled`);
  await screenshot(page, 'dashboard-jobs');
  assert.deepEqual(errors, []);
});

test('a validation error shows at the path it names, on that line of the editor', async () => {
  await page.goto(`${service.url}/#/define`);
  await page.click('button[data-example=iris]');
  const text = await page.inputValue('#definition');
  const broken = JSON.parse(text);
  broken.name = 'broken';
  broken.architecture.layers[2].units = -3;
  await page.fill('#definition', JSON.stringify(broken));
  await page.click('#define-form button[type=submit]');
  const item = page.locator('#define-errors li[data-path="architecture.layers[2].units"]');
  await item.waitFor();
  assert.match(await item.textContent() ?? '', /must be a positive integer/);

  const marked = await page.locator('.gutter .bad').allTextContents();
  assert.equal(marked.length, 1);
  const lines = (await page.inputValue('#definition')).split('\n');
  assert.match(lines[Number(marked[0]) - 1] ?? '', /"units": -3/, 'the marked line holds the value the error names');
  await item.locator('button').click();
  const selected = await page.locator('#definition').evaluate((element) => {
    const editor = element as unknown as { value: string; selectionStart: number; selectionEnd: number };
    return editor.value.slice(editor.selectionStart, editor.selectionEnd);
  });
  assert.match(selected, /"units": -3/);
  assert.equal((await service.request('GET', '/v1/models/broken')).status, 404);
  await screenshot(page, 'dashboard-validation-error');
  assert.deepEqual(errors, []);
});

test("a pasted Keras to_json() becomes a definition, and its model page draws the functional graph", async () => {
  const keras = readFileSync('test/fixtures/keras/branches_concat.keras2.json', 'utf8');
  await page.goto(`${service.url}/#/define`);
  await page.locator('#definition').evaluate((element, text) => {
    const editor = element as unknown as { value: string; dispatchEvent(event: unknown): boolean };
    const data = new (globalThis as any).DataTransfer();
    data.setData('text/plain', text);
    editor.value = '';
    editor.dispatchEvent(new (globalThis as any).ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, keras);
  const wrapped = JSON.parse(await page.inputValue('#definition'));
  assert.equal(wrapped.architecture.type, 'keras');
  assert.deepEqual(wrapped.architecture.config, JSON.parse(keras));
  await page.click('#define-form button[type=submit]');
  await page.waitForURL(/#\/models\/model$/);
  await page.waitForSelector('.graph svg');
  // The input and seven layers; three branches from the input meet again in `joined`.
  assert.equal(await page.locator('.graph g.node').count(), 8);
  assert.equal(await page.locator('.graph path.edge').count(), 9);
  assert.match(await page.textContent('table.summary') ?? '', /joined \(Concatenate\)\(None, 9\)/);
  await screenshot(page, 'dashboard-functional-model');
  assert.deepEqual(errors, []);
});

test('the MNIST CNN: model page, a digit drawn on the pad gets a prediction, and the inspect view shows one image per Conv2D filter', async () => {
  const definition = {
    name: 'digits_cnn',
    architecture: {
      type: 'sequential',
      input_shape: [28, 28],
      layers: [
        { type: 'Reshape', target_shape: [28, 28, 1] },
        { type: 'Rescaling', scale: 1 / 255 },
        { type: 'Conv2D', filters: 6, kernel_size: 3, activation: 'relu' },
        { type: 'MaxPooling2D', pool_size: 2 },
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    },
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
  };
  assert.equal((await service.request('POST', '/v1/models', definition)).status, 201);
  const submitted = await service.request('POST', '/v1/jobs', { model: 'digits_cnn', dataset: { builtin: 'mnist', split: 'train', limit: 1000 }, fit: { epochs: 1 } });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  assert.equal((await service.waitForJob(submitted.body.id)).status, 'completed');

  await page.goto(`${service.url}/#/models/digits_cnn`);
  await page.waitForSelector('table.summary');
  const summaryRows = await page.locator('table.summary tbody tr').allTextContents();
  assert.equal(summaryRows.length, 6);
  assert.match(summaryRows[2] ?? '', /conv2d \(Conv2D\)\(None, 26, 26, 6\)60/);
  assert.match(await page.textContent('table.summary tfoot') ?? '', /Total params10,210/);
  assert.equal(await page.locator('.graph g.node').count(), 7, 'the input and six layers');
  assert.equal(await page.locator('.graph path.edge').count(), 6);
  assert.match(await page.textContent('#versions') ?? '', /accuracy/);
  await screenshot(page, 'dashboard-model');

  await page.click('a:has-text("Try it")');
  await page.waitForSelector('canvas.pad');
  await drawStroke(page, 'canvas.pad', [[150, 40], [150, 140], [148, 240]]);
  const predicted = await page.locator('#predicted-class').textContent({ timeout: 30_000 });
  assert.match(predicted ?? '', /^\d$/);
  assert.equal(await page.locator('#prediction .bars .bar').count(), 10);
  await screenshot(page, 'dashboard-try');

  await page.goto(`${service.url}/#/models/digits_cnn/inspect`);
  await page.waitForSelector('canvas.pad');
  await drawStroke(page, 'canvas.pad', [[90, 60], [190, 60], [120, 240]]);
  await page.waitForSelector('section.layer[data-type=Conv2D]');
  assert.equal(await page.locator('section.layer[data-type=Conv2D] canvas').count(), 6, 'one feature map per filter');
  assert.equal(await page.locator('section.layer[data-type=MaxPooling2D] canvas').count(), 6);
  assert.equal(await page.locator('section.layer[data-type=Dense] .bar').count(), 10);
  assert.equal(await page.locator('#weights [data-kernels] canvas').count(), 6, 'one kernel image per filter');
  await screenshot(page, 'dashboard-inspect');
  assert.deepEqual(errors, []);
});

test('datasets: a CSV dropped in is listed, and a bad one shows the API’s error', async () => {
  await page.goto(`${service.url}/#/datasets`);
  await page.waitForSelector('tr[data-dataset="mnist (train)"]');
  await page.fill('#upload-name', 'xor');
  await page.fill('#upload-target', 'label');
  await page.setInputFiles('#upload-files', { name: 'xor.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n') });
  await page.waitForSelector('tr[data-dataset="xor"]');
  assert.match(await page.textContent('#upload-result') ?? '', /Stored xor: 4 rows/);

  await page.fill('#upload-name', 'bad');
  await page.setInputFiles('#upload-files', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('a,label\n1,0\nseven,1\n') });
  await page.waitForSelector('#upload-result .error');
  assert.match(await page.textContent('#upload-result') ?? '', /^400 /);
  assert.equal((await service.request('GET', '/v1/datasets/bad')).status, 404);
  await screenshot(page, 'dashboard-datasets');
  assert.deepEqual(errors, []);
});
