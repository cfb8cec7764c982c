import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  /** The native TensorFlow library's version, when the backend is `tensorflow`. */
  tensorflowVersion: string | null;
  tfjsVersion: string;
  /** Why a preferred backend was passed over, in the order they were tried. */
  fallbacks: string[];
}

const require = createRequire(import.meta.url);
let selected: Promise<BackendInfo> | undefined;

/**
 * Chooses the TensorFlow.js backend once per process: `tensorflow` (tfjs-node)
 * when it loads, else `wasm`, else `cpu`. `forced` takes only that one, and
 * fails if it cannot load, so a deployment never runs silently on a slower one.
 */
export function selectBackend(forced?: BackendName): Promise<BackendInfo> {
  selected ??= choose(forced);
  return selected;
}

/** The backend chosen by `selectBackend`; throws when called before it settled. */
export function currentBackend(): BackendInfo {
  if (!current) throw new Error('selectBackend() has not finished');
  return current;
}

let current: BackendInfo | undefined;

async function choose(forced?: BackendName): Promise<BackendInfo> {
  // TensorFlow's C++ start-up chatter goes to stderr and would interleave with our JSON logs.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const candidates = forced ? [forced] : BACKENDS;
  const fallbacks: string[] = [];
  for (const name of candidates) {
    try {
      const tensorflowVersion = await activate(name);
      current = { name, tensorflowVersion, tfjsVersion: tf.version.tfjs, fallbacks };
      return current;
    } catch (error) {
      fallbacks.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be started (${fallbacks.join('; ')})`);
}

async function activate(name: BackendName): Promise<string | null> {
  if (name === 'tensorflow') {
    // tfjs-node registers the `tensorflow` backend on the shared tfjs-core and makes it current.
    await import('@tensorflow/tfjs-node');
    await switchTo('tensorflow');
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    return binding?.TF_Version ?? null;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const distDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    wasm.setWasmPaths(`${distDir}/`);
  }
  await switchTo(name);
  return null;
}

async function switchTo(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') refused`);
  await tf.ready();
}
