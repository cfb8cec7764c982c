/**
 * The entry of a worker thread that reads one upload (see upload-parser.ts):
 * it asks its parent for each file's chunks one at a time, so a file never
 * waits in memory, and answers with the dataset encoded as it is stored.
 */
import { once } from 'node:events';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { decodeUpload, type UploadJob, type UploadSource } from '../../datasets/upload.js';
import { AppError } from '../../errors.js';
import type { ParentMessage, ThreadMessage } from './upload-parser.js';

function parent(): MessagePort {
  if (!parentPort) throw new Error('upload-thread runs as a worker thread');
  return parentPort;
}
const port = parent();

function send(message: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function open(source: UploadSource): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        send({ type: 'pull', source });
        const [message] = (await once(port, 'message')) as [ParentMessage];
        if (message.type === 'end') return;
        yield message.data;
      }
    },
  };
}

try {
  const result = await decodeUpload(workerData as UploadJob, open);
  // The arrays' buffers move to the parent rather than being copied.
  const buffers = Object.values(result.files).map((file) => file.buffer as ArrayBuffer);
  send({ type: 'done', result }, buffers);
} catch (error) {
  const failure =
    error instanceof AppError
      ? { status: error.status, code: error.code, message: error.message, details: error.details }
      : { message: error instanceof Error ? error.message : String(error) };
  send({ type: 'failed', error: failure });
}
