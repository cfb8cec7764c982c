import { fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { JobEngine, JobError } from '../jobs/record.js';
import type { BackendName } from '../tf/backend.js';
import { TrainingFailure } from './job-error.js';
import type { TrainInput, TrainResult } from './train.js';

/** One job's training, as the worker hands it to its training process. */
export interface TrainingRequest {
  engine: JobEngine;
  /** GRAPH_THREADS; unset: the graph engine's per-model rule. */
  threads: number | undefined;
  backend: BackendName;
  input: Omit<TrainInput, 'onEpoch' | 'shouldStop'>;
}

/** `TrainResult` with the trained model as its saved artifacts: a model does not cross processes. */
export type TrainedResult = Omit<TrainResult, 'model'> & { artifacts: tf.io.ModelArtifacts };

export type ParentMessage = { type: 'train'; request: TrainingRequest } | { type: 'stop' } | { type: 'epoch-recorded' };
export type ChildMessage =
  | { type: 'epoch'; epoch: number; logs: Record<string, number> }
  | { type: 'done'; result: TrainedResult }
  | { type: 'failed'; error: JobError };

export interface TrainingHooks {
  /** Called after every epoch; the training process waits for it. A throw ends the training process and rejects. */
  onEpoch: (epoch: number, logs: Record<string, number>) => Promise<void>;
  /** Polled; once true, training stops at its next batch. */
  shouldStop: () => boolean;
}

const CHILD_ENTRY = fileURLToPath(new URL(`./training-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const STOP_POLL_MS = 100;

/**
 * Trains in a child process, so that a fatal TensorFlow CHECK (an abort)
 * ends that process, not the worker: the job fails with the reason and the
 * worker (and, under `modelyard all`, the API) goes on. Typed arrays cross
 * by structured clone (`serialization: 'advanced'`).
 */
export function trainInChildProcess(request: TrainingRequest, hooks: TrainingHooks): Promise<TrainedResult> {
  const child = fork(CHILD_ENTRY, [], { execArgv: loaderArgs(), serialization: 'advanced' });
  return new Promise<TrainedResult>((resolve, reject) => {
    let settled = false;
    let stopSent = false;
    const send = (message: ParentMessage) => {
      if (child.connected) child.send(message);
    };
    const poll = setInterval(() => {
      if (stopSent || !hooks.shouldStop()) return;
      stopSent = true;
      send({ type: 'stop' });
    }, STOP_POLL_MS);
    const settle = (end: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      // The child exits once its channel closes (see training-child.ts).
      if (child.connected) child.disconnect();
      end();
    };

    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'epoch':
          hooks.onEpoch(message.epoch, message.logs).then(
            () => send({ type: 'epoch-recorded' }),
            (error: unknown) => {
              child.kill('SIGKILL');
              settle(() => reject(error));
            },
          );
          return;
        case 'done':
          return settle(() => resolve(message.result));
        case 'failed':
          return settle(() => reject(new TrainingFailure(message.error)));
      }
    });
    child.on('error', (error) => settle(() => reject(error)));
    child.on('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const message = `the training process ${how} before training finished (a fatal TensorFlow error aborts it); the worker goes on`;
      settle(() => reject(new TrainingFailure({ code: 'training_crashed', message })));
    });
    send({ type: 'train', request });
  });
}

/**
 * The parent's module loaders (tsx under development and tests), without the
 * rest of its flags: `--test` or `--inspect` would change what the child is.
 */
function loaderArgs(): string[] {
  const args: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (/^--(import|require|loader)=/.test(arg)) args.push(arg);
    else if (['--import', '--require', '-r', '--loader'].includes(arg) && argv[i + 1] !== undefined) args.push(arg, argv[++i] as string);
  }
  return args;
}
