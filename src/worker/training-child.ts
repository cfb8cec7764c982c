import { selectBackend } from '../tf/backend.js';
import { trainOn } from './engine.js';
import { toArtifacts } from './in-memory-artifacts.js';
import { jobErrorOf } from './job-error.js';
import type { EpochReply } from './train.js';
import type { ChildMessage, ParentMessage, TrainingRequest } from './training-process.js';

// A training process (see training-process.ts): it trains one job at a time, reports each epoch and
// waits for the worker to record it, and sends back the trained model's artifacts.

let stopRequested = false;
let epochRecorded: ((reply: EpochReply) => void) | undefined;
let checkpointSaved: (() => void) | undefined;

function send(message: ChildMessage): void {
  process.send?.(message);
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'train':
      stopRequested = false;
      void train(message.request);
      return;
    case 'stop':
      stopRequested = true;
      return;
    case 'epoch-recorded':
      epochRecorded?.(message.reply);
      return;
    case 'checkpoint-saved':
      checkpointSaved?.();
      return;
  }
});
// The worker is done with this process, or gone (killed): nothing is left to train for.
process.on('disconnect', () => process.exit(0));
// Ctrl-C or a stop signal to the process group is the worker's to handle: it hands the job back at the
// epoch's end and then ends this process, which a signal here would turn into a crashed job.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);

async function train(request: TrainingRequest): Promise<void> {
  try {
    await selectBackend(request.backend);
    const result = await trainOn(
      request.engine,
      {
        ...request.input,
        shouldStop: () => stopRequested,
        onEpoch: (epoch, logs) =>
          new Promise<EpochReply>((resolve) => {
            epochRecorded = resolve;
            send({ type: 'epoch', epoch, logs });
          }),
        onCheckpoint: (checkpoint) =>
          new Promise<void>((resolve) => {
            checkpointSaved = resolve;
            send({ type: 'checkpoint', checkpoint });
          }),
      },
      request.threads,
    );
    try {
      const { model, ...rest } = result;
      send({ type: 'done', result: { ...rest, artifacts: await toArtifacts(model) } });
    } finally {
      result.model.dispose();
    }
  } catch (error) {
    send({ type: 'failed', error: jobErrorOf(error) });
  }
}
