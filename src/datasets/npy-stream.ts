import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { checkFinite, kindOf, npyHeader, readElement, readHeader, readPreamble, type Kind } from './npy.js';
import { DTYPE_BYTES, elementCount, viewOf, type NDArray } from './types.js';

/** numpy writes headers of a few hundred bytes; anything near this is not a .npy file. */
const MAX_HEADER_BYTES = 1 << 20;
/** Bytes a .npy file needs before its header's length is known (format 2.0 and 3.0 spend four on it). */
const PREAMBLE_BYTES = 12;

/**
 * The bytes of array data the files of one upload may declare, as the files
 * hold them, shared by its arrays: a header is checked against it before
 * anything is allocated for it, and a compressed archive cannot expand past it.
 */
export class ByteBudget {
  private spent = 0;

  constructor(readonly limit: number) {}

  take(bytes: number, what: string): void {
    this.spent += bytes;
    if (this.spent > this.limit) throw new PayloadTooLargeError(`${what} come to more than the limit of ${this.limit} bytes`);
  }
}

/** An array read from a .npy file, and the .npy file it is stored as, whose data the array is a view of. */
export interface StoredNpy {
  array: NDArray;
  file: Uint8Array;
}

interface Layout {
  kind: Kind;
  little: boolean;
  shape: number[];
  count: number;
  /** Stored bytes as they are (float32 or int32 little-endian, uint8, bool): no element needs converting. */
  raw: boolean;
  file: Uint8Array;
  array: NDArray;
  /** `file` from the array's first byte on. */
  data: Uint8Array;
}

/**
 * A `.npy` file read as it arrives, straight into the `.npy` file the store
 * keeps (see `decodeNpy`, whose checks and messages it repeats in the same
 * order): the header is read first, the array is allocated from its shape,
 * and each chunk is copied or converted into it. Besides the array, it holds
 * only the header and the few bytes of an element split between chunks, so
 * its memory does not grow with the file. The data its header declares is
 * taken from `budget` before anything is allocated.
 */
export class NpyReader {
  private head: Uint8Array[] = [];
  private headBytes = 0;
  /** Where the header ends, once its first bytes have said. */
  private headerEnd: number | undefined;
  private layout: Layout | undefined;
  /** Data bytes received so far, including any beyond what the shape needs. */
  private received = 0;
  /** An element split between two chunks: its first bytes. */
  private carry = new Uint8Array(0);
  private firstBadElement: ValidationError | undefined;

  constructor(
    private readonly path: string,
    private readonly budget: ByteBudget,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.layout) {
      this.feed(chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    this.headerEnd ??= this.headerBytesNeeded();
    const needed = this.headerEnd;
    if (needed === undefined || this.headBytes < needed) return;
    const prefix = Buffer.concat(this.head, this.headBytes);
    this.head = [];
    this.layout = this.plan(prefix.subarray(0, needed));
    this.feed(prefix.subarray(needed));
  }

  /** The array, once the whole file has been pushed. */
  end(): StoredNpy {
    const layout = this.layout ?? this.plan(Buffer.concat(this.head, this.headBytes));
    const { kind, shape, count } = layout;
    if (this.received !== count * kind.bytes) {
      throw ValidationError.at(
        this.path,
        `not a valid .npy file: shape (${shape.join(', ')}) of ${kind.name} needs ${count * kind.bytes} bytes of data, found ${this.received}`,
      );
    }
    if (this.firstBadElement) throw this.firstBadElement;
    if (layout.array.data instanceof Float32Array) checkFinite(layout.array.data, this.path);
    return { array: layout.array, file: layout.file };
  }

  /** The header's end, once the bytes so far say where it is. */
  private headerBytesNeeded(): number | undefined {
    if (this.headBytes < PREAMBLE_BYTES) return undefined;
    const first = Buffer.concat(this.head, this.headBytes);
    this.head = [first];
    const { start, headerLength } = readPreamble(first, new DataView(first.buffer, first.byteOffset, first.byteLength), this.path);
    const needed = start + (headerLength as number);
    if (needed > MAX_HEADER_BYTES) {
      throw ValidationError.at(this.path, `not a valid .npy file: a header of ${headerLength as number} bytes, where numpy writes a few hundred`);
    }
    return needed;
  }

  private plan(header: Uint8Array): Layout {
    const { descr, fortranOrder, shape } = readHeader(header, new DataView(header.buffer, header.byteOffset, header.byteLength), this.path);
    const { kind, little } = kindOf(descr, this.path);
    if (fortranOrder && shape.length > 1) {
      throw ValidationError.at(this.path, 'Fortran-order arrays are not supported; save with np.ascontiguousarray(a)');
    }
    const count = elementCount(shape);
    this.budget.take(count * kind.bytes, `${this.path}: the arrays, with shape (${shape.join(', ')}) of ${kind.name},`);
    const { dtype } = kind;
    const stored = npyHeader({ shape, dtype });
    const file = new Uint8Array(stored.length + count * DTYPE_BYTES[dtype]);
    file.set(stored);
    // numpy's header length is a multiple of 64, so the data is aligned for any view.
    const array: NDArray = { data: viewOf(dtype, file.buffer, stored.length, count), shape, dtype };
    const raw = kind.bytes === DTYPE_BYTES[dtype] && (kind.bytes === 1 || (little && (kind.name === 'float32' || kind.name === 'int32')));
    return { kind, little, shape, count, raw, file, array, data: file.subarray(stored.length) };
  }

  private feed(chunk: Uint8Array): void {
    const layout = this.layout as Layout;
    const capacity = layout.count * layout.kind.bytes;
    const start = this.received;
    this.received += chunk.length;
    // Data past the shape's end is only counted, for the message `end` gives.
    const usable = chunk.subarray(0, Math.max(0, Math.min(chunk.length, capacity - start)));
    if (usable.length === 0) return;
    if (layout.raw) {
      layout.data.set(usable, start);
      return;
    }
    if (this.firstBadElement) return;
    this.convert(layout, usable, start);
  }

  /** Converts the whole elements among the carried bytes and `bytes`, which start at data byte `start`. */
  private convert(layout: Layout, bytes: Uint8Array, start: number): void {
    const { kind, little } = layout;
    const joined = this.carry.length ? Buffer.concat([this.carry, bytes]) : bytes;
    const firstByte = start - this.carry.length;
    const whole = joined.length - (joined.length % kind.bytes);
    const view = new DataView(joined.buffer, joined.byteOffset, whole);
    const out = layout.array.data;
    const firstIndex = firstByte / kind.bytes;
    try {
      for (let offset = 0, index = firstIndex; offset < whole; offset += kind.bytes, index++) {
        out[index] = readElement(view, offset, index, kind, little, this.path);
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Kept for `end`: a file cut short is reported before a bad value, as decodeNpy does.
      this.firstBadElement = error;
    }
    this.carry = Uint8Array.from(joined.subarray(whole));
  }
}

/** A whole `.npy` file from its chunks, read by an `NpyReader`. */
export async function readNpy(chunks: AsyncIterable<Uint8Array>, path: string, budget: ByteBudget): Promise<StoredNpy> {
  const reader = new NpyReader(path, budget);
  for await (const chunk of chunks) reader.push(chunk);
  return reader.end();
}
