import { AppError } from '../errors.js';
import type { JobError } from '../jobs/record.js';
import { GraphEngineUnavailable } from './engine.js';

/** A job's failure as the training process reported it, carried to the worker that records it. */
export class TrainingFailure extends Error {
  constructor(readonly jobError: JobError) {
    super(jobError.message);
  }
}

/** What a job's record says of the error that ended it. */
export function jobErrorOf(error: unknown): JobError {
  if (error instanceof TrainingFailure) return error.jobError;
  if (error instanceof AppError) return { code: error.code, message: error.message };
  if (error instanceof GraphEngineUnavailable) return { code: 'engine_unavailable', message: error.message };
  // The disk, not the model or the data: an operator frees room and the same job succeeds.
  if (isStorageFull(error)) return { code: 'storage_full', message: `no room left to store the job's files: ${error.message}` };
  return { code: 'training_error', message: error instanceof Error ? error.message : String(error) };
}

function isStorageFull(error: unknown): error is Error {
  return error instanceof Error && ['ENOSPC', 'EDQUOT'].includes(String((error as { code?: unknown }).code));
}
