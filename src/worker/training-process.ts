import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { JobEngine, JobError } from '../jobs/record.js';
import type { BackendName } from '../tf/backend.js';
import { TrainingFailure } from './job-error.js';
import type { TrainingCheckpoint } from './checkpoint.js';
import type { EpochReply, TrainInput, TrainResult } from './train.js';

/** One job's training, as the worker hands it to its training process. */
export interface TrainingRequest {
  engine: JobEngine;
  /** GRAPH_THREADS; unset: the graph engine's per-model rule. */
  threads: number | undefined;
  backend: BackendName;
  input: Omit<TrainInput, 'onEpoch' | 'onCheckpoint' | 'shouldStop'>;
}

/** `TrainResult` with the trained model as its saved artifacts: a model does not cross processes. */
export type TrainedResult = Omit<TrainResult, 'model'> & { artifacts: tf.io.ModelArtifacts };

export type ParentMessage =
  | { type: 'train'; request: TrainingRequest }
  | { type: 'stop' }
  | { type: 'epoch-recorded'; reply: EpochReply }
  | { type: 'checkpoint-saved' };
export type ChildMessage =
  | { type: 'epoch'; epoch: number; logs: Record<string, number> }
  | { type: 'checkpoint'; checkpoint: TrainingCheckpoint }
  | { type: 'done'; result: TrainedResult }
  | { type: 'failed'; error: JobError };

export interface TrainingHooks {
  /** Called after every epoch; the training process waits for it. A throw ends the training process and rejects. */
  onEpoch: (epoch: number, logs: Record<string, number>) => Promise<EpochReply | void>;
  /** Takes the checkpoint an epoch's reply asked for; the training process waits for it. A throw as for `onEpoch`. */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void>;
  /** Polled; once true, training stops at its next batch. */
  shouldStop: () => boolean;
}

const CHILD_ENTRY = fileURLToPath(new URL(`./training-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const STOP_POLL_MS = 100;

/**
 * Trains in child processes, so that a fatal TensorFlow CHECK (an abort)
 * ends that process, not the worker: the job fails with the reason and the
 * worker (and, under `modelyard all`, the API) goes on. A process that
 * finished a job stays warm for the next one: starting one and loading
 * TensorFlow costs seconds, more than a small job's training. There is one
 * per job running at once; one that crashed, or was ended with its job
 * (hand-back, a failed epoch hook), is replaced by a fresh one. Typed arrays
 * cross by structured clone (`serialization: 'advanced'`).
 */
export class TrainingProcesses {
  private readonly idle: ChildProcess[] = [];
  private readonly live = new Set<ChildProcess>();

  train(request: TrainingRequest, hooks: TrainingHooks): Promise<TrainedResult> {
    const child = this.idle.pop() ?? this.start();
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
      const onMessage = (message: ChildMessage) => {
        switch (message.type) {
          case 'epoch':
            hooks.onEpoch(message.epoch, message.logs).then(
              (reply) => send({ type: 'epoch-recorded', reply: reply ?? {} }),
              (error: unknown) => settle(false, () => reject(error)),
            );
            return;
          case 'checkpoint':
            Promise.resolve(hooks.onCheckpoint?.(message.checkpoint)).then(
              () => send({ type: 'checkpoint-saved' }),
              (error: unknown) => settle(false, () => reject(error)),
            );
            return;
          case 'done':
            return settle(true, () => resolve(message.result));
          case 'failed':
            return settle(true, () => reject(new TrainingFailure(message.error)));
        }
      };
      const onError = (error: Error) => settle(false, () => reject(error));
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const message = `the training process ${how} before training finished (a fatal TensorFlow error aborts it); the worker goes on`;
        settle(false, () => reject(new TrainingFailure({ code: 'training_crashed', message })));
      };
      // `reusable`: the process ended the job itself and waits for the next one; otherwise it is in an unknown state and goes.
      const settle = (reusable: boolean, end: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        child.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (reusable && child.connected) this.idle.push(child);
        else this.stop(child);
        end();
      };
      child.on('message', onMessage).on('error', onError).on('exit', onExit);
      send({ type: 'train', request });
    });
  }

  /** The training processes alive now, busy or idle. */
  get size(): number {
    return this.live.size;
  }

  /** Ends every training process; a job still training in one fails as crashed. */
  close(): void {
    for (const child of this.live) this.stop(child);
  }

  private start(): ChildProcess {
    const child = fork(CHILD_ENTRY, [], { execArgv: loaderArgs(), serialization: 'advanced' });
    this.live.add(child);
    child.on('exit', () => {
      this.live.delete(child);
      const at = this.idle.indexOf(child);
      if (at >= 0) this.idle.splice(at, 1);
    });
    // An idle process has no job listening: an error of its own is the exit that follows.
    child.on('error', () => undefined);
    return child;
  }

  private stop(child: ChildProcess): void {
    child.kill('SIGKILL');
  }
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
