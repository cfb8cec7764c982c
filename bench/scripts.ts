import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadBuiltin } from '../src/datasets/builtins.js';
import { datasetFromCsv } from '../src/datasets/csv.js';
import { encodeNpy } from '../src/datasets/npy.js';
import type { Dataset } from '../src/datasets/types.js';
import type { CaseSpec } from './cases.js';
import { REPO_ROOT } from './processes.js';
import type { Machine, RunResult } from './report-types.js';

const run = promisify(execFile);
const HOUR_MS = 3_600_000;

export interface ScriptResult extends RunResult {
  train_samples: number;
  validation_samples: number;
}

/** The last line a script printed, parsed: its result. */
function lastJsonLine(stdout: string, who: string): ScriptResult {
  const line = stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`${who} printed no result`);
  return JSON.parse(line) as ScriptResult;
}

/** The plain tfjs script (bench/tfjs-fit.ts) in a process of its own. */
export async function runTfjsScript(spec: CaseSpec, workDir: string): Promise<ScriptResult> {
  const specPath = join(workDir, `${spec.name}.tfjs.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/tfjs-fit.ts', specPath], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: HOUR_MS,
  });
  return lastJsonLine(stdout, 'bench/tfjs-fit.ts');
}

/** The graph engine (bench/graph-fit.ts) in a process of its own. */
export async function runGraphScript(spec: CaseSpec, workDir: string): Promise<ScriptResult> {
  const specPath = join(workDir, `${spec.name}.graph.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/graph-fit.ts', specPath], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: HOUR_MS,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return lastJsonLine(stdout, 'bench/graph-fit.ts');
}

/** Python with Keras importable: its versions; null (with the reason) when `import keras` fails. */
export async function detectKeras(python: string): Promise<{ found: Machine['keras']; reason: string | null }> {
  const probe = 'import json, keras, tensorflow as tf, sys; print(json.dumps({"python": sys.version.split()[0], "keras": keras.__version__, "tensorflow": tf.__version__}))';
  try {
    const { stdout } = await run(python, ['-c', probe], { timeout: 300_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    return { found: JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Machine['keras'], reason: null };
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n').find((l) => /Error/.test(l)) ?? error.message.split('\n')[0]) : String(error);
    return { found: null, reason: `Keras not run: \`${python} -c "import keras"\` failed (${message?.trim()})` };
  }
}

/** The arrays a case trains on, exactly as the service and the tfjs script read them. */
export function caseArrays(spec: CaseSpec): Dataset {
  const data = spec.data;
  if (data.kind === 'builtin') return loadBuiltin(data.builtin, data.split, data.limit);
  return datasetFromCsv(readFileSync(data.path), { target: [data.target] });
}

/** bench/keras_fit.py on the case's arrays, written as .npy files. */
export async function runKeras(python: string, spec: CaseSpec, workDir: string): Promise<ScriptResult> {
  const dataset = caseArrays(spec);
  const arrays = { x: join(workDir, `${spec.name}.x.npy`), y: join(workDir, `${spec.name}.y.npy`) };
  writeFileSync(arrays.x, encodeNpy(dataset.x));
  writeFileSync(arrays.y, encodeNpy(dataset.y));
  const specPath = join(workDir, `${spec.name}.keras.json`);
  writeFileSync(specPath, JSON.stringify({ ...spec, arrays }));
  const { stdout } = await run(python, ['bench/keras_fit.py', specPath], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: HOUR_MS,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return lastJsonLine(stdout, 'bench/keras_fit.py');
}
