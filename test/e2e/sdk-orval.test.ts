import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { generate } from 'orval';
import { OPENAPI_PATH } from '../../scripts/write-openapi.js';
import { NEW_FLOWERS } from '../support/seed.js';
import { startService, type TestService } from '../support/service.js';

// A second, independent generator: its client must type-check and run the seed flow as generated, with no edits.
const FIXTURES = fileURLToPath(new URL('../fixtures/orval/', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** What fixtures/orval/iris-flow.ts exports; that file imports the generated client, so only its own tsc run sees it. */
interface IrisFlow {
  irisFlow(baseUrl: string, flowers: number[][]): Promise<{
    modelId: string;
    job: { status: string; model_id: string; version: number | null; error: unknown };
    predictions: unknown[];
    classes: string[] | undefined;
    missingCode: string;
  }>;
}

let service: TestService;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelyard-orval-'));
  cpSync(FIXTURES, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  await generate({
    input: { target: OPENAPI_PATH },
    output: {
      target: join(dir, 'client.ts'),
      client: 'fetch',
      mode: 'single',
      override: { mutator: { path: join(dir, 'fetcher.ts'), name: 'fetcher' } },
    },
  });
  service = await startService();
});
after(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the orval client type-checks under strict TypeScript', async () => {
  const result = await promisify(execFile)(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  assert.equal(result, '', 'tsc --noEmit on the orval client and the flow failed');
});

test('the orval client runs the Iris flow', async () => {
  const flow: IrisFlow = await import(pathToFileURL(join(dir, 'iris-flow.ts')).href);
  const result = await flow.irisFlow(service.url, NEW_FLOWERS);
  assert.equal(result.job.status, 'completed', JSON.stringify(result.job.error));
  assert.equal(result.job.model_id, result.modelId);
  assert.equal(result.job.version, 1);
  assert.equal(result.predictions.length, 3);
  assert.ok(result.predictions.every((row) => Array.isArray(row) && row.length === 3));
  assert.deepEqual(result.classes?.length, 3);
  assert.equal(result.missingCode, 'not_found');
});
