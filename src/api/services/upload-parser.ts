import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedDataset } from '../../datasets/storage.js';
import type { UploadJob, UploadSource } from '../../datasets/upload.js';
import { AppError, ERROR_CODES, PayloadTooLargeError, type ErrorCode, type ErrorDetail } from '../../errors.js';

export type ParentMessage = { type: 'chunk'; data: Uint8Array } | { type: 'end' };

interface ThreadFailure {
  status?: number;
  code?: string;
  message: string;
  details?: ErrorDetail[];
}

export type ThreadMessage =
  | { type: 'pull'; source: UploadSource }
  | { type: 'done'; result: EncodedDataset }
  | { type: 'failed'; error: ThreadFailure };

const THREAD_ENTRY = fileURLToPath(new URL(`./upload-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * Run from source, the thread's TypeScript needs tsx, whose hooks Node 20
 * does not carry into worker threads: a bootstrap module registers them there first.
 */
function threadScript(): string | URL {
  if (extname(THREAD_ENTRY) !== '.ts') return THREAD_ENTRY;
  const bootstrap = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(pathToFileURL(THREAD_ENTRY).href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

function isErrorCode(code: string | undefined): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code ?? '');
}

function revive(failure: ThreadFailure): Error {
  if (failure.status !== undefined && isErrorCode(failure.code)) return new AppError(failure.status, failure.code, failure.message, failure.details ?? []);
  return new Error(`reading the upload failed: ${failure.message}`);
}

/**
 * Decodes an upload's files in a worker thread of its own, so that the API's
 * event loop only passes chunks along while a large file is parsed. The
 * thread pulls each chunk when it is ready for it, so the file streams from
 * `open` at the parser's pace; its heap is capped at `memoryMb`, and a file
 * that needs more is refused with a 413 instead of taking the process down.
 */
export function parseInThread(job: UploadJob, open: (source: UploadSource) => AsyncIterable<Uint8Array>, memoryMb: number): Promise<EncodedDataset> {
  const worker = new Worker(threadScript(), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: memoryMb } });
  const readers = new Map<UploadSource, AsyncIterator<Uint8Array>>();
  return new Promise<EncodedDataset>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      for (const reader of readers.values()) void reader.return?.();
      void worker.terminate();
      outcome();
    };
    const pull = async (source: UploadSource): Promise<void> => {
      let reader = readers.get(source);
      if (!reader) {
        reader = open(source)[Symbol.asyncIterator]();
        readers.set(source, reader);
      }
      const next = await reader.next();
      if (settled) return;
      const message: ParentMessage = next.done ? { type: 'end' } : { type: 'chunk', data: next.value };
      worker.postMessage(message);
    };
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'pull') pull(message.source).catch((error: unknown) => settle(() => reject(error)));
      else if (message.type === 'done') settle(() => resolve(message.result));
      else settle(() => reject(revive(message.error)));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const refused =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new PayloadTooLargeError(`reading this upload needs more than the ${memoryMb} MB it may use (UPLOAD_PARSE_MEMORY_MB)`)
          : error;
      settle(() => reject(refused));
    });
    worker.on('exit', (code) => settle(() => reject(new Error(`the upload's worker thread stopped early (exit code ${code})`))));
  });
}
