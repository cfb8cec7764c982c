import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchReport, RunResult } from '../../bench/report-types.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'modelyard-bench-quick-'));

after(() => rmSync(out, { recursive: true, force: true }));

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

function assertRun(result: RunResult | null, where: string): void {
  assert.ok(result, `${where}: no result`);
  for (const key of ['total_s', 'fit_s', 'samples_per_s'] as const) assert.ok(isNumber(result[key]) && result[key] > 0, `${where}.${key} = ${result[key]}`);
  assert.ok(isNumber(result.metrics.loss), `${where}: no final loss in ${JSON.stringify(result.metrics)}`);
  assert.ok(isNumber(result.metrics.val_loss), `${where}: no final val_loss in ${JSON.stringify(result.metrics)}`);
}

// The limit only stops a hung bench, inside this test's own timeout so the failure shows the bench's output;
// its speed is the bench's to report, not this test's (each job now starts a training process).
test('npm run bench -- --quick measures every part and writes the report into --out', { timeout: 900_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 840_000,
  });

  const files = readdirSync(out).sort();
  assert.equal(files.length, 2, `expected one .json and one .md in --out, found ${files.join(', ')}`);
  const [jsonFile, mdFile] = files as [string, string];
  assert.match(jsonFile, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-quick\.json$/);
  assert.equal(mdFile, jsonFile.replace(/\.json$/, '.md'));
  const report = JSON.parse(readFileSync(join(out, jsonFile), 'utf8')) as BenchReport;
  const markdown = readFileSync(join(out, mdFile), 'utf8');
  assert.ok(stdout.includes('## Targets'), 'the report is printed');

  assert.equal(report.mode, 'quick');
  assert.deepEqual(report.parts, ['training', 'queue', 'serving', 'memory', 'sweeps', 'artifacts']);
  assert.deepEqual(report.notes.filter((n) => / failed: /.test(n)), []);
  assert.ok(report.machine.cpus > 0 && report.machine.memory_gb > 0);
  assert.ok(report.machine.node.startsWith('v'));
  assert.ok(report.machine.backend.length > 0);

  // 1. Training: every seed case the data allows, each trained by the service on both engines and by the tfjs script.
  const training = report.training ?? [];
  const names = training.map((c) => c.name);
  assert.deepEqual(names, ['iris', 'mnist_mlp', 'mnist_cnn', 'california_housing'], 'housing runs from the copy in the repository');
  for (const c of training) {
    assertRun(c.service, `${c.name}.service`);
    assertRun(c.service_eager, `${c.name}.service_eager`);
    assert.equal(c.service?.engine, 'graph', `${c.name}: the graph run trained on the graph engine`);
    assert.equal(c.service_eager?.engine, 'eager', `${c.name}: the eager run trained on the eager engine`);
    assertRun(c.tfjs, `${c.name}.tfjs`);
    assert.ok(isNumber(c.ratio_service_tfjs), `${c.name}: ratio_service_tfjs`);
    assert.ok(c.train_samples > 0 && c.validation_samples > 0, `${c.name}: samples`);
    if (report.machine.keras) {
      assertRun(c.keras, `${c.name}.keras`);
      assert.ok(isNumber(c.ratio_service_keras));
      assert.ok(isNumber(c.ratio_service_keras_fit));
    } else {
      assert.equal(c.keras, null);
    }
  }
  assert.equal(report.machine.keras === null, report.notes.some((n) => n.startsWith('Keras not run')));

  // 2. Queue: latency percentiles and jobs per second with one and two workers.
  const queue = report.queue;
  assert.ok(queue);
  assert.ok(queue.latency.count > 0 && isNumber(queue.latency.p50_ms) && isNumber(queue.latency.p99_ms));
  assert.ok(queue.latency.p50_ms <= queue.latency.p99_ms);
  assert.deepEqual(queue.throughput.map((t) => t.workers), [1, 2]);
  for (const t of queue.throughput) assert.ok(isNumber(t.jobs_per_s) && t.jobs_per_s > 0);

  // 3. Serving: every protocol and the bare route, for each body size and concurrency, without errors.
  const serving = report.serving;
  assert.ok(serving);
  assert.equal(serving.results.length, 5 * 2 * 3);
  assert.deepEqual([...new Set(serving.results.map((r) => r.target))], ['predict', 'v2', 'grpc', 'tfserving', 'bare']);
  for (const r of serving.results) {
    assert.ok(isNumber(r.requests_per_s) && r.requests_per_s > 0, `${r.target} ${r.instances}×${r.connections}`);
    assert.ok(isNumber(r.p50_ms) && isNumber(r.p99_ms));
    assert.equal(r.errors + r.non_2xx, 0, `${r.target} ${r.instances}×${r.connections}: errors`);
  }
  const sizes = (target: string) => serving.results.filter((r) => r.target === target).map((r) => r.response_bytes);
  assert.deepEqual(sizes('bare'), sizes('predict'), 'the bare route answers as many bytes as predict');
  // A new version, timed on every protocol from its job's completion.
  assert.deepEqual(serving.new_version?.map((d) => d.protocol), ['v1', 'v2', 'grpc', 'tfserving']);
  for (const d of serving.new_version ?? []) assert.ok(d.delays_ms.length === 1 && isNumber(d.max_ms), `${d.protocol}: ${JSON.stringify(d)}`);

  // 4. Memory: RSS around predictions and training jobs, and the peak on MNIST.
  const memory = report.memory;
  assert.ok(memory);
  assert.equal(memory.phases.length, 2);
  for (const p of memory.phases) {
    assert.ok(isNumber(p.before.rss_mb) && isNumber(p.after.rss_mb) && isNumber(p.rss_growth_mb), p.what);
    // The tensor count is there exactly when the service exposes it.
    assert.equal(p.tensor_growth === null, memory.tensor_source === null, p.what);
  }
  assert.ok(isNumber(memory.mnist_peak_rss_mb) && (memory.mnist_peak_rss_mb ?? 0) > 0);

  // 5. Sweeps: every trial completed, with one worker and with two.
  const sweeps = report.sweeps;
  assert.ok(sweeps);
  assert.deepEqual(sweeps.runs.map((r) => r.workers), [1, 2]);
  for (const r of sweeps.runs) assert.ok(r.trials > 0 && isNumber(r.trials_per_min) && r.trials_per_min > 0 && isNumber(r.best_objective), JSON.stringify(r));

  // 6. Artifact stores: the file store and the S3 store, each way, for one version size.
  const artifacts = report.artifacts;
  assert.ok(artifacts);
  assert.deepEqual(artifacts.runs.map((r) => r.store), ['file', 's3 (s3rver)']);
  for (const r of artifacts.runs) {
    assert.ok(r.version_bytes > 100_000, `${r.store}: ${r.version_bytes} bytes`);
    for (const key of ['writes_per_s', 'reads_per_s', 'write_mb_per_s', 'read_mb_per_s'] as const) assert.ok(isNumber(r[key]) && r[key] > 0, `${r.store}.${key}`);
  }
  assert.ok(markdown.includes('## 5. Sweeps') && markdown.includes('## 6. Artifact stores'));

  // Every target is stated, with a verdict where it was measured.
  assert.ok(report.targets.length >= 7);
  for (const t of report.targets) {
    assert.ok(markdown.includes(t.name), `the markdown states ${t.name}`);
    // Keras is compared with only where the bench's Python has it.
    const needsKeras = t.name.includes('/ Keras');
    if (needsKeras && !report.machine.keras) assert.equal(t.met, null, `${t.name}: not measured without Keras`);
    else if (!t.name.startsWith('no tensor growth')) assert.notEqual(t.met, null, `${t.name} was measured`);
  }
});
