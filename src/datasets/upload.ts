import { ValidationError } from '../errors.js';
import { DATASET_FORMATS, gather, type DecodeOptions } from './formats.js';
import { decodeNpy } from './npy.js';
import { datasetFromArrays } from './npz.js';
import { encodeForStore, type EncodedDataset } from './storage.js';

/** The files an upload consists of: one file in some format, or an x and a y .npy. */
export type UploadSource = 'file' | 'x' | 'y';

/** What to make of an upload's files; plain data, so that it can cross to a worker thread. */
export type UploadJob = { kind: 'file'; format: string; options: DecodeOptions } | { kind: 'npy-pair' };

/** An upload's files, read as they arrive (`open` is called once per file), → the dataset as it is stored. */
export async function decodeUpload(job: UploadJob, open: (source: UploadSource) => AsyncIterable<Uint8Array>): Promise<EncodedDataset> {
  if (job.kind === 'npy-pair') {
    const x = decodeNpy(await gather(open('x')), 'x');
    const y = decodeNpy(await gather(open('y')), 'y');
    return encodeForStore(datasetFromArrays({ x, y }));
  }
  const format = DATASET_FORMATS.find((f) => f.name === job.format);
  if (!format) throw ValidationError.at('format', `no dataset format named ${JSON.stringify(job.format)}`);
  return encodeForStore(await format.decode(open('file'), job.options));
}
