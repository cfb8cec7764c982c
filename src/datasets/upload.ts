import { ValidationError } from '../errors.js';
import { DATASET_FORMATS, type DecodeOptions } from './formats.js';
import { ByteBudget, readNpy } from './npy-stream.js';
import { datasetFromArrays } from './npz.js';
import { storeWithNpyFiles, type EncodedDataset } from './storage.js';

/** The files an upload consists of: one file in some format, or an x and a y .npy. */
export type UploadSource = 'file' | 'x' | 'y';

/**
 * What to make of an upload's files; plain data, so that it can cross to a worker thread.
 * `maxBytes` caps the array data the pair's headers may declare together.
 */
export type UploadJob = { kind: 'file'; format: string; options: DecodeOptions } | { kind: 'npy-pair'; maxBytes: number };

/** An upload's files, read as they arrive (`open` is called once per file), → the dataset as it is stored. */
export async function decodeUpload(job: UploadJob, open: (source: UploadSource) => AsyncIterable<Uint8Array>): Promise<EncodedDataset> {
  if (job.kind === 'npy-pair') {
    const budget = new ByteBudget(job.maxBytes);
    const x = await readNpy(open('x'), 'x', budget);
    const y = await readNpy(open('y'), 'y', budget);
    return storeWithNpyFiles(datasetFromArrays({ x: x.array, y: y.array }), { x: x.file, y: y.file });
  }
  const format = DATASET_FORMATS.find((f) => f.name === job.format);
  if (!format) throw ValidationError.at('format', `no dataset format named ${JSON.stringify(job.format)}`);
  return format.decode(open('file'), job.options);
}
