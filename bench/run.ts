/**
 * npm run bench [-- --quick] [--out DIR] [--python PATH] [--parts training,queue,serving,memory,sweeps,artifacts]
 *
 * Starts its own redis-server and `modelyard all` (child processes, a temporary
 * DATA_DIR), runs the parts, prints the report and writes it as JSON and
 * Markdown to bench/results/ (or --out).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASE_NAMES } from './cases.js';
import { ServiceClient } from './client.js';
import { log } from './log.js';
import { describeMachine } from './machine.js';
import { runArtifacts } from './artifacts.js';
import { runMemory } from './memory.js';
import { REPO_ROOT, startRedis, startService, type ServiceEnv } from './processes.js';
import { runQueue } from './queue.js';
import { writeReport } from './report.js';
import type { BenchReport, Machine } from './report-types.js';
import { detectKeras } from './scripts.js';
import { runServing } from './serving.js';
import { runSweeps } from './sweeps.js';
import { FULL, QUICK } from './sizes.js';
import { evaluateTargets } from './targets.js';
import { HOUSING_CSV, runTraining } from './training.js';

const PARTS = ['training', 'queue', 'serving', 'memory', 'sweeps', 'artifacts'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench -- [options]

  --quick            every part at a tiny size (under two minutes): proves the bench works, measures nothing
  --out DIR          where the report goes (default bench/results)
  --python PATH      the Python whose Keras to compare with (default python3); Keras is skipped when it cannot import keras
  --parts LIST       comma-separated subset of ${PARTS.join(',')} (default all)
  --cases LIST       comma-separated subset of the training cases ${CASE_NAMES.join(',')} (default all)
  --repeat N         train each case N times with each runner, in turn, and report the median run (default 1)
  --housing PATH     the California housing CSV, plain or gzipped (default ${HOUSING_CSV})
  -h, --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results') },
      python: { type: 'string', default: 'python3' },
      parts: { type: 'string', default: PARTS.join(',') },
      cases: { type: 'string', default: CASE_NAMES.join(',') },
      repeat: { type: 'string', default: '1' },
      housing: { type: 'string', default: HOUSING_CSV },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const refuse = (message: string) => {
    console.error(`${message}\n\n${USAGE}`);
    process.exit(2);
  };
  const list = (value: string) => value.split(',').map((item) => item.trim());
  const parts = list(values.parts) as Part[];
  const unknownParts = parts.filter((p) => !PARTS.includes(p));
  if (unknownParts.length) refuse(`unknown part(s) ${unknownParts.join(', ')}`);
  const cases = list(values.cases);
  const unknownCases = cases.filter((c) => !(CASE_NAMES as readonly string[]).includes(c));
  if (unknownCases.length) refuse(`unknown case(s) ${unknownCases.join(', ')}`);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) refuse(`--repeat takes a positive integer, found ${values.repeat}`);
  return { ...values, parts, cases, repeat, out: resolve(values.out), housing: resolve(values.housing) };
}

async function main(): Promise<void> {
  const opts = options();
  const sizes = opts.quick ? QUICK : FULL;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const notes: string[] = [];
  const failed: string[] = [];
  const loads: Record<string, number> = {};

  let keras: Machine['keras'] = null;
  if (opts.parts.includes('training')) {
    const detected = await detectKeras(opts.python);
    keras = detected.found;
    if (detected.reason) notes.push(detected.reason);
  }

  const workDir = mkdtempSync(join(os.tmpdir(), 'modelyard-bench-'));
  const redis = await startRedis();
  const env: ServiceEnv = { redisUrl: redis.url, dataDir: join(workDir, 'data') };
  let report: Omit<BenchReport, 'targets'> | undefined;
  try {
    log('starting modelyard all');
    const service = await startService(env);
    try {
      const client = new ServiceClient(service.url);
      const ready = await client.expect<{ backend: string; tensorflow_version: string | null }>(200, 'GET', '/readyz');
      log(`service ready: backend ${ready.backend}${ready.tensorflow_version ? `, TensorFlow ${ready.tensorflow_version}` : ''}`);

      const attempt = async <T>(part: Part, run: () => Promise<T>): Promise<T | null> => {
        if (!opts.parts.includes(part)) return null;
        loads[part] = os.loadavg()[0] ?? 0;
        try {
          return await run();
        } catch (error) {
          failed.push(part);
          notes.push(`${part} failed: ${error instanceof Error ? error.message : String(error)}`);
          log(`${part} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${service.output()}`);
          return null;
        }
      };
      const training = await attempt('training', () =>
        runTraining({
          client,
          servicePid: service.pid,
          sizes,
          python: keras ? opts.python : null,
          workDir,
          housingCsv: opts.housing,
          repeat: opts.repeat,
          only: opts.cases.length === CASE_NAMES.length ? null : opts.cases,
        }),
      );
      notes.push(...(training?.notes ?? []));
      const queue = await attempt('queue', () => runQueue({ client, sizes, env }));
      const serving = await attempt('serving', () => runServing({ client, sizes, workDir }, service));
      const memory = await attempt('memory', () =>
        runMemory({ client, servicePid: service.pid, sizes, mnistPeakRssMb: training?.mnistPeakRssMb ?? null }),
      );
      const sweeps = await attempt('sweeps', () => runSweeps({ client, sizes, env }));
      const artifacts = await attempt('artifacts', () => runArtifacts({ sizes, workDir }));
      report = {
        mode: opts.quick ? 'quick' : 'full',
        started_at: startedAt.toISOString(),
        finished_s: (Date.now() - startedAt.getTime()) / 1000,
        machine: describeMachine({ backend: ready.backend, tensorflow: ready.tensorflow_version }, keras, loadStart, loads),
        parts: opts.parts,
        repeat: opts.repeat,
        training: training?.cases ?? null,
        queue,
        serving,
        memory,
        sweeps,
        artifacts,
        notes,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await redis.stop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const full: BenchReport = { ...report, targets: evaluateTargets(report) };
  const written = writeReport(full, opts.out);
  process.stdout.write(`${written.text}\n`);
  log(`report: ${written.json} and ${written.markdown}`);
  if (failed.length) {
    log(`failed parts: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
