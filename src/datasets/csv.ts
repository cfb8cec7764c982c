import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { ValidationError } from '../errors.js';
import type { Dataset, NDArray } from './types.js';

export interface CsvOptions {
  /** The columns that become `y`, in order; the rest become `x`. */
  target: string[];
  /** The dataset's name (an upload's file name), which errors about its data are reported under. */
  name?: string;
}

/** Where a data row is, for messages. */
interface RowPlace {
  /** 1-based, counting data rows only: what a spreadsheet user sees below the header. */
  row: number;
  /** 1-based line of the file the row starts on. */
  line: number;
}

interface CellPlace extends RowPlace {
  column: number;
  cell: string;
}

/** What csv-parse tells `on_record` of the record it just read. */
interface RecordInfo {
  lines: number;
  empty_lines: number;
}

// Plain decimal notation only: Number() would also take '', '0x1f' and 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(cell: string): number | undefined {
  if (!NUMBER.test(cell)) return undefined;
  const v = Number(cell);
  return Number.isFinite(v) ? v : undefined;
}

function where(r: RowPlace): string {
  return `data row ${r.row} (file line ${r.line})`;
}

/** Sorted by code point, as numpy's unique (and so scikit-learn's LabelEncoder) sorts strings. */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0) as number);
  const right = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const d = (left[i] as number) - (right[i] as number);
    if (d !== 0) return d;
  }
  return left.length - right.length;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

type Growing = Float32Array | Float64Array | Int32Array;

/** A typed array appended to value by value, its capacity doubled as it fills: rows arrive before their count is known. */
class Column<T extends Growing> {
  private data: T;
  length = 0;

  constructor(private readonly create: (length: number) => T) {
    this.data = create(1024);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = this.create(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  /** The values so far: a view, since a trimmed copy would briefly double the largest array. */
  values(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/**
 * A CSV file's records → a dataset, one record at a time, so that nothing but
 * the arrays themselves grows with the file. Every check the file can fail is
 * remembered at its first occurrence and reported by `finish`, in the order a
 * reader of the whole file would meet them: the header, then ragged rows, then
 * text feature columns, then cells.
 */
class CsvDatasetBuilder {
  private readonly path: string;
  private readonly targets: string[];
  private header: string[] | undefined;
  private headerError: ValidationError | undefined;
  private targetIndex: number[] = [];
  private featureIndex: number[] = [];
  private previousEnd = 0;
  private previousEmpty = 0;
  private rows = 0;
  private ragged: (RowPlace & { fields: number }) | undefined;

  private readonly x = new Column((n) => new Float32Array(n));
  /** Per feature column: whether any cell held a number, and its first non-empty cell. */
  private featureHasNumber: boolean[] = [];
  private featureSample: (CellPlace | undefined)[] = [];
  private firstBadFeature: CellPlace | undefined;

  private readonly y = new Column((n) => new Float64Array(n));
  private yIntegers = true;
  private targetHasNumber: boolean[] = [];
  private firstBadTarget: CellPlace | undefined;
  /** A single target column is read as labels too until it shows a number, which makes it numeric. */
  private labels: Map<string, number> | undefined;
  private readonly labelIds = new Column((n) => new Int32Array(n));
  private firstEmptyLabel: CellPlace | undefined;

  constructor(options: CsvOptions) {
    this.path = options.name ?? 'csv';
    this.targets = options.target;
    if (this.targets.length === 0) throw ValidationError.at('target', 'give ?target=COLUMN: the column (or columns) to predict');
    const duplicate = this.targets.find((t, i) => this.targets.indexOf(t) !== i);
    if (duplicate !== undefined) throw ValidationError.at('target', `column ${JSON.stringify(duplicate)} is given twice`);
  }

  /** Feeds one record; blank lines are skipped by the parser but still counted as lines. */
  add(record: string[], info: RecordInfo): void {
    if (!this.header) {
      this.header = record;
      this.previousEnd = info.lines;
      this.previousEmpty = info.empty_lines;
      this.headerError = this.readHeader(record);
      return;
    }
    // A record ends on `info.lines`; it starts after the previous one and any blank lines between.
    const line = this.previousEnd + 1 + (info.empty_lines - this.previousEmpty);
    this.previousEnd = info.lines;
    this.previousEmpty = info.empty_lines;
    const place: RowPlace = { row: ++this.rows, line };
    if (this.headerError || this.ragged) return;
    if (record.length !== this.header.length) {
      this.ragged = { ...place, fields: record.length };
      return;
    }
    this.featureIndex.forEach((column, j) => {
      const cell = record[column] as string;
      const v = parseNumber(cell);
      this.x.push(v ?? Number.NaN);
      if (v !== undefined) this.featureHasNumber[j] = true;
      else this.firstBadFeature ??= { ...place, column, cell };
      if (cell !== '') this.featureSample[j] ??= { ...place, column, cell };
    });
    const single = this.targetIndex.length === 1;
    this.targetIndex.forEach((column, j) => {
      const cell = record[column] as string;
      const v = parseNumber(cell);
      this.y.push(v ?? Number.NaN);
      if (v !== undefined) {
        this.targetHasNumber[j] = true;
        if (!isInt32(v)) this.yIntegers = false;
      } else {
        this.firstBadTarget ??= { ...place, column, cell };
      }
      if (!single) return;
      if (this.targetHasNumber[j]) {
        this.labels = undefined;
        return;
      }
      if (cell === '') this.firstEmptyLabel ??= { ...place, column, cell };
      const labels = (this.labels ??= new Map());
      let id = labels.get(cell);
      if (id === undefined) {
        id = labels.size;
        labels.set(cell, id);
      }
      this.labelIds.push(id);
    });
  }

  private readHeader(header: string[]): ValidationError | undefined {
    const seen = new Set<string>();
    for (const [i, name] of header.entries()) {
      if (name === '') {
        const hint = i === 0 ? ' (pandas writes its index so; save with to_csv(index=False))' : '';
        return ValidationError.at(this.path, `column ${i + 1} of the header has no name${hint}`);
      }
      if (seen.has(name)) return ValidationError.at(this.path, `column ${JSON.stringify(name)} appears twice in the header`);
      seen.add(name);
    }
    const columns = header.map((name) => JSON.stringify(name)).join(', ');
    for (const t of this.targets) {
      if (!header.includes(t)) return ValidationError.at('target', `no column ${JSON.stringify(t)} in the CSV; its columns are ${columns}`);
    }
    this.targetIndex = this.targets.map((t) => header.indexOf(t));
    this.featureIndex = header.map((_, i) => i).filter((i) => !this.targetIndex.includes(i));
    if (this.featureIndex.length === 0) {
      return ValidationError.at('target', `every column is a target; x needs at least one other column (columns: ${columns})`);
    }
    this.featureHasNumber = this.featureIndex.map(() => false);
    this.targetHasNumber = this.targetIndex.map(() => false);
    return undefined;
  }

  private name(column: number): string {
    return JSON.stringify(this.header?.[column]);
  }

  private cellError(c: CellPlace): ValidationError {
    if (c.cell === '') return ValidationError.at(this.path, `${where(c)}, column ${this.name(c.column)}: empty cell; fill or drop missing values first`);
    return ValidationError.at(this.path, `${where(c)}, column ${this.name(c.column)}: expected a finite number, found ${JSON.stringify(c.cell)}`);
  }

  finish(): Dataset {
    const header = this.header;
    if (!header) throw ValidationError.at(this.path, 'empty file: expected a header row naming the columns, then data rows');
    if (this.headerError) throw this.headerError;
    if (this.rows === 0) throw ValidationError.at(this.path, 'no rows: expected at least one data row below the header');
    if (this.ragged) {
      throw ValidationError.at(this.path, `${where(this.ragged)}: ragged: expected ${header.length} fields as in the header, found ${this.ragged.fields}`);
    }
    // A column with no number in it is text: say so once, rather than at its first row.
    this.featureIndex.forEach((column, j) => {
      const sample = this.featureSample[j];
      if (sample && !this.featureHasNumber[j]) {
        throw ValidationError.at(
          this.path,
          `column ${this.name(column)} holds text (${JSON.stringify(sample.cell)} in ${where(sample)}); features must be numbers: encode it, drop it, or give it as ?target=`,
        );
      }
    });
    if (this.firstBadFeature) throw this.cellError(this.firstBadFeature);

    const n = this.rows;
    const xArray: NDArray = { data: this.x.values(), shape: [n, this.featureIndex.length], dtype: 'float32' };
    const featureNames = this.featureIndex.map((i) => header[i] as string);

    const textTarget = this.targetIndex.find((_, j) => !this.targetHasNumber[j]);
    if (textTarget !== undefined) {
      if (this.targetIndex.length > 1) {
        throw ValidationError.at('target', `column ${this.name(textTarget)} holds text labels; text labels become class indices only with a single target column`);
      }
      if (this.firstEmptyLabel) throw this.cellError(this.firstEmptyLabel);
      const labels = this.labels ?? new Map<string, number>();
      const classNames = [...labels.keys()].sort(compareCodePoints);
      const classOf = new Int32Array(labels.size);
      classNames.forEach((label, i) => (classOf[labels.get(label) as number] = i));
      const ids = this.labelIds.values();
      ids.forEach((id, i) => (ids[i] = classOf[id] as number));
      return { x: xArray, y: { data: ids, shape: [n], dtype: 'int32' }, classNames, featureNames };
    }

    if (this.firstBadTarget) throw this.cellError(this.firstBadTarget);
    const k = this.targetIndex.length;
    const values = this.y.values();
    const shape = k === 1 ? [n] : [n, k];
    const y: NDArray = this.yIntegers
      ? { data: Int32Array.from(values), shape, dtype: 'int32' }
      : { data: Float32Array.from(values), shape, dtype: 'float32' };
    return { x: xArray, y, featureNames };
  }
}

function parserOptions(builder: CsvDatasetBuilder): Options {
  return {
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    // Each record goes to the builder and no further, so the parser keeps none of them.
    on_record: (record: string[], info: RecordInfo) => {
      builder.add(record, info);
      return null;
    },
  };
}

function invalidCsv(e: unknown, path: string): unknown {
  return e instanceof CsvError ? ValidationError.at(path, `not a valid CSV file: ${e.message}`) : e;
}

/**
 * A CSV file with a header row → a dataset. The `target` columns become `y`
 * (`[n]` for one, `[n, k]` for k), the others `x` (float32, named by `featureNames`).
 * A single target column holding text becomes class indices, the classes in sorted
 * order as scikit-learn's LabelEncoder gives them. Every cell must hold a number
 * (bar the text target): empty cells and NaN are refused, not guessed.
 */
export function datasetFromCsv(text: string | Uint8Array, options: CsvOptions): Dataset {
  const builder = new CsvDatasetBuilder(options);
  try {
    parseSync(text, parserOptions(builder));
  } catch (e) {
    throw invalidCsv(e, options.name ?? 'csv');
  }
  return builder.finish();
}

/** `datasetFromCsv` over a file arriving in chunks: memory grows with the arrays, not the file. */
export async function datasetFromCsvChunks(chunks: AsyncIterable<Uint8Array>, options: CsvOptions): Promise<Dataset> {
  const builder = new CsvDatasetBuilder(options);
  const discard = new Writable({ objectMode: true, write: (_record, _encoding, done) => done() });
  try {
    await pipeline(chunks, parse(parserOptions(builder)), discard);
  } catch (e) {
    throw invalidCsv(e, options.name ?? 'csv');
  }
  return builder.finish();
}
