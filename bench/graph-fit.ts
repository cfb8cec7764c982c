/**
 * The graph engine as a worker would call it: the case's definition and data
 * given to `trainOnGraph` (src/graph) with the service's fit settings and
 * preprocessing, in a process of its own.
 *
 *   node --import tsx bench/graph-fit.ts SPEC.json   → one line of JSON on stdout
 */
import { readFileSync } from 'node:fs';
import { trainOnGraph } from '../src/graph/index.js';
import { parseModelDefinition } from '../src/models/index.js';
import { selectBackend, type BackendName } from '../src/tf/backend.js';
import { FitSchema } from '../src/jobs/contract.js';
import type { CaseSpec } from './cases.js';
import { procMemoryMb } from './proc.js';
import { caseArrays } from './scripts.js';

async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw new Error('usage: graph-fit.ts SPEC.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as CaseSpec;
  await selectBackend(process.env.TF_BACKEND as BackendName | undefined);

  const started = performance.now();
  const dataset = caseArrays(spec);
  const definition = parseModelDefinition({
    architecture: { type: 'sequential', layers: spec.layers, ...(spec.inputShape ? { input_shape: spec.inputShape } : {}) },
    compile: spec.compile,
  });
  const fitStarted = performance.now();
  const result = await trainOnGraph({
    definition,
    dataset,
    fit: FitSchema.parse({ ...spec.fit, shuffle: true }),
    ...(spec.standardize ? { preprocessing: { standardize: true } } : {}),
    limits: { maxParams: 50_000_000, maxLayers: 100 },
  });
  const finished = performance.now();
  result.model.dispose();

  const fitSeconds = (finished - fitStarted) / 1000;
  const validation = Math.floor((dataset.x.shape[0] ?? 0) * spec.fit.validation_split);
  const trainSamples = (dataset.x.shape[0] ?? 0) - validation;
  process.stdout.write(
    `${JSON.stringify({
      total_s: (finished - started) / 1000,
      fit_s: fitSeconds,
      samples_per_s: (trainSamples * spec.fit.epochs) / fitSeconds,
      metrics: result.metrics,
      peak_rss_mb: procMemoryMb('self', 'VmHWM'),
      train_samples: trainSamples,
      validation_samples: validation,
    })}\n`,
  );
}

await main();
