import { CsvError, parse } from 'csv-parse/sync';
import { ValidationError } from '../errors.js';
import type { Dataset, NDArray } from './types.js';

export interface CsvOptions {
  /** The columns that become `y`, in order; the rest become `x`. */
  target: string[];
  /** The dataset's name (an upload's file name), which errors about its data are reported under. */
  name?: string;
}

interface Row {
  cells: string[];
  /** 1-based, counting data rows only: what a spreadsheet user sees below the header. */
  row: number;
  /** 1-based line of the file the row starts on. */
  line: number;
}

// Plain decimal notation only: Number() would also take '', '0x1f' and 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(cell: string): number | undefined {
  if (!NUMBER.test(cell)) return undefined;
  const v = Number(cell);
  return Number.isFinite(v) ? v : undefined;
}

function where(r: Row): string {
  return `data row ${r.row} (file line ${r.line})`;
}

/** Records with their numbering; blank lines are skipped but still counted as lines. */
function readRows(text: string | Uint8Array, path: string): { header: string[]; rows: Row[] } {
  let records: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    // csv-parse's types do not model `info: true`, which wraps each record with its position.
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (e) {
    if (e instanceof CsvError) throw ValidationError.at(path, `not a valid CSV file: ${e.message}`);
    throw e;
  }
  const [first, ...rest] = records;
  if (!first) throw ValidationError.at(path, 'empty file: expected a header row naming the columns, then data rows');

  // A record ends on `info.lines`; it starts after the previous one and any blank lines between.
  let previousEnd = first.info.lines;
  let previousEmpty = first.info.empty_lines;
  const rows = rest.map(({ record, info }, i) => {
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    return { cells: record, row: i + 1, line };
  });
  return { header: first.record, rows };
}

function checkHeader(header: string[], path: string): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') {
      const hint = i === 0 ? ' (pandas writes its index so; save with to_csv(index=False))' : '';
      throw ValidationError.at(path, `column ${i + 1} of the header has no name${hint}`);
    }
    if (seen.has(name)) throw ValidationError.at(path, `column ${JSON.stringify(name)} appears twice in the header`);
    seen.add(name);
  });
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

/**
 * A CSV file with a header row → a dataset. The `target` columns become `y`
 * (`[n]` for one, `[n, k]` for k), the others `x` (float32, named by `featureNames`).
 * A single target column holding text becomes class indices, the classes in sorted
 * order as scikit-learn's LabelEncoder gives them. Every cell must hold a number
 * (bar the text target): empty cells and NaN are refused, not guessed.
 */
export function datasetFromCsv(text: string | Uint8Array, options: CsvOptions): Dataset {
  const path = options.name ?? 'csv';
  const targets = options.target;
  if (targets.length === 0) throw ValidationError.at('target', 'give ?target=COLUMN: the column (or columns) to predict');
  const duplicate = targets.find((t, i) => targets.indexOf(t) !== i);
  if (duplicate !== undefined) throw ValidationError.at('target', `column ${JSON.stringify(duplicate)} is given twice`);

  const { header, rows } = readRows(text, path);
  checkHeader(header, path);
  const columns = header.map((name) => JSON.stringify(name)).join(', ');
  const targetIndex = targets.map((t) => {
    const i = header.indexOf(t);
    if (i < 0) throw ValidationError.at('target', `no column ${JSON.stringify(t)} in the CSV; its columns are ${columns}`);
    return i;
  });
  const featureIndex = header.map((_, i) => i).filter((i) => !targetIndex.includes(i));
  if (featureIndex.length === 0) throw ValidationError.at('target', `every column is a target; x needs at least one other column (columns: ${columns})`);
  if (rows.length === 0) throw ValidationError.at(path, 'no rows: expected at least one data row below the header');

  for (const r of rows) {
    if (r.cells.length !== header.length) {
      throw ValidationError.at(path, `${where(r)}: ragged: expected ${header.length} fields as in the header, found ${r.cells.length}`);
    }
  }

  const cellAt = (r: Row, column: number): string => r.cells[column] as string;
  const emptyError = (r: Row, column: number): ValidationError =>
    ValidationError.at(path, `${where(r)}, column ${JSON.stringify(header[column])}: empty cell; fill or drop missing values first`);

  // A column with no number in it is text: say so once, rather than at its first row.
  const isText = (column: number): boolean => rows.every((r) => parseNumber(cellAt(r, column)) === undefined);
  for (const column of featureIndex) {
    const sample = rows.find((r) => cellAt(r, column) !== '');
    if (sample && isText(column)) {
      throw ValidationError.at(
        path,
        `column ${JSON.stringify(header[column])} holds text (${JSON.stringify(cellAt(sample, column))} in ${where(sample)}); features must be numbers: encode it, drop it, or give it as ?target=`,
      );
    }
  }
  const numberAt = (r: Row, column: number): number => {
    const cell = cellAt(r, column);
    if (cell === '') throw emptyError(r, column);
    const v = parseNumber(cell);
    if (v === undefined) {
      throw ValidationError.at(path, `${where(r)}, column ${JSON.stringify(header[column])}: expected a finite number, found ${JSON.stringify(cell)}`);
    }
    return v;
  };

  const n = rows.length;
  const x = new Float32Array(n * featureIndex.length);
  rows.forEach((r, i) => featureIndex.forEach((column, j) => (x[i * featureIndex.length + j] = numberAt(r, column))));
  const featureNames = featureIndex.map((i) => header[i] as string);
  const xArray: NDArray = { data: x, shape: [n, featureIndex.length], dtype: 'float32' };

  const textTargets = targetIndex.filter(isText);
  const [single] = targetIndex;
  if (textTargets.length > 0) {
    if (targetIndex.length > 1 || single === undefined) {
      throw ValidationError.at(
        'target',
        `column ${JSON.stringify(header[textTargets[0] as number])} holds text labels; text labels become class indices only with a single target column`,
      );
    }
    const labels = rows.map((r) => {
      if (cellAt(r, single) === '') throw emptyError(r, single);
      return cellAt(r, single);
    });
    const classNames = [...new Set(labels)].sort(compareCodePoints);
    const index = new Map(classNames.map((name, i) => [name, i]));
    const y: NDArray = { data: Int32Array.from(labels, (l) => index.get(l) as number), shape: [n], dtype: 'int32' };
    return { x: xArray, y, classNames, featureNames };
  }

  const k = targetIndex.length;
  const values = new Float64Array(n * k);
  rows.forEach((r, i) => targetIndex.forEach((column, j) => (values[i * k + j] = numberAt(r, column))));
  const shape = k === 1 ? [n] : [n, k];
  const y: NDArray = values.every(isInt32)
    ? { data: Int32Array.from(values), shape, dtype: 'int32' }
    : { data: Float32Array.from(values), shape, dtype: 'float32' };
  return { x: xArray, y, featureNames };
}
