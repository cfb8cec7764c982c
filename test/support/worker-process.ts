import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../src/config.js';

/**
 * A `modelyard worker` process on the given service's Redis and data, with
 * `env` on top. Its own process group, so that a signal to the group reaches
 * its training process too, as a machine's death or Ctrl-C in a terminal does.
 */
export function startWorkerProcess(config: Pick<Config, 'REDIS_URL' | 'KEY_PREFIX' | 'DATA_DIR'>, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    env: { ...process.env, REDIS_URL: config.REDIS_URL, KEY_PREFIX: config.KEY_PREFIX, DATA_DIR: config.DATA_DIR, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
}

/** Signals the worker's whole process group and waits for the worker to exit. */
export async function killGroup(worker: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  process.kill(-(worker.pid as number), signal);
  await exited;
}
