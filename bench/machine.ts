import { createRequire } from 'node:module';
import os from 'node:os';
import type { Machine } from './report-types.js';

const require = createRequire(import.meta.url);

/** What the numbers were measured on; `backend` and `tensorflow` come from the service's /readyz. */
export function describeMachine(
  service: { backend: string; tensorflow: string | null },
  keras: Machine['keras'],
  loadStart: number,
  loadAtPartStart: Record<string, number>,
): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: (require('@tensorflow/tfjs/package.json') as { version: string }).version,
    backend: service.backend,
    tensorflow: service.tensorflow,
    keras,
    load_start: loadStart,
    load_end: os.loadavg()[0] ?? 0,
    load_at_part_start: loadAtPartStart,
    tf_threads: {
      intra_op: process.env.TF_NUM_INTRAOP_THREADS ?? null,
      inter_op: process.env.TF_NUM_INTEROP_THREADS ?? null,
    },
  };
}
