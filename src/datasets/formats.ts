import { ValidationError } from '../errors.js';
import { datasetFromCsvChunks } from './csv.js';
import { readNpzDataset } from './npz.js';
import { encodeForStore, storeWithNpyFiles, type EncodedDataset } from './storage.js';

export interface DecodeOptions {
  /** The dataset's name, for messages. */
  name: string;
  /** CSV: the label column(s), comma-separated. */
  target: string | undefined;
  maxBytes: number;
}

/**
 * A file format a dataset can be uploaded in, as one entry: the content types
 * a raw body may carry, the extensions a multipart file may have, what the
 * OpenAPI document says of it, and its decoder. The upload route, its limits
 * and the document all read this table, so a new format is one entry.
 */
export interface DatasetFormat {
  name: string;
  /** Documented content types, in the order the document lists them. */
  contentTypes: readonly string[];
  /** Accepted too, but not documented. */
  alsoAccepted: readonly string[];
  extensions: readonly string[];
  /** How the document describes a body in this format. */
  description: string;
  /** A body the document shows as text (CSV) rather than as a file. */
  text: boolean;
  /** Reads the file as it arrives, into the dataset as it is stored. */
  decode(chunks: AsyncIterable<Uint8Array>, options: DecodeOptions): Promise<EncodedDataset>;
}

export const DATASET_FORMATS: readonly DatasetFormat[] = [
  {
    name: 'csv',
    contentTypes: ['text/csv'],
    alsoAccepted: [],
    extensions: ['.csv'],
    description: 'CSV with a header row; ?name= names the dataset, ?target= the label column(s)',
    text: true,
    async decode(chunks, { name, target }) {
      if (!target) throw ValidationError.at('target', 'give the label column(s): ?target=COLUMN (several: ?target=a,b)');
      return encodeForStore(await datasetFromCsvChunks(chunks, { name, target: target.split(',').map((column) => column.trim()).filter(Boolean) }));
    },
  },
  {
    name: 'npz',
    contentTypes: ['application/zip', 'application/octet-stream'],
    alsoAccepted: ['application/x-npz'],
    extensions: ['.npz'],
    description: 'a .npz archive as np.savez(file, x=..., y=...) writes it; name it with ?name=',
    text: false,
    async decode(chunks, { maxBytes }) {
      const { dataset, npy } = await readNpzDataset(chunks, 'upload', maxBytes);
      return storeWithNpyFiles(dataset, npy);
    },
  },
];

/** The format a raw body of this content type is in, if any. */
export function formatOfContentType(type: string): DatasetFormat | undefined {
  return DATASET_FORMATS.find((format) => format.contentTypes.includes(type) || format.alsoAccepted.includes(type));
}

/** Every content type a raw upload body may have. */
export function uploadContentTypes(): string[] {
  return DATASET_FORMATS.flatMap((format) => [...format.contentTypes, ...format.alsoAccepted]);
}

/** The format of a multipart file by its name; a name no format claims is read as the last resort, .npz. */
export function formatOfFileName(fileName: string): DatasetFormat {
  const lower = fileName.toLowerCase();
  const found = DATASET_FORMATS.find((format) => format.extensions.some((extension) => lower.endsWith(extension)));
  return found ?? (formatOfContentType('application/octet-stream') as DatasetFormat);
}
