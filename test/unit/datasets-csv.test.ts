import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetFromCsv, datasetFromCsvChunks } from '../../src/datasets/csv.js';
import { ValidationError } from '../../src/errors.js';

function refuses(fn: () => unknown, path: string, message: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.details[0]?.path, path);
    if (typeof message === 'string') assert.equal(error.message, `${path}: ${message}`);
    else assert.match(error.message, message);
    return true;
  });
}

const IRIS = `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.3,3.3,6.0,2.5,virginica
4.9,3.0,1.4,0.2,setosa
`;

test('a text target becomes class indices, the classes sorted as LabelEncoder sorts them', () => {
  const ds = datasetFromCsv(IRIS, { target: ['species'] });
  assert.deepEqual(ds.x.shape, [4, 4]);
  assert.equal(ds.x.dtype, 'float32');
  assert.deepEqual(Array.from(ds.x.data.subarray(4, 8)), [7.0, 3.2, 4.7, 1.4].map(Math.fround));
  assert.deepEqual(ds.featureNames, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  assert.deepEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.equal(ds.y.dtype, 'int32');
  assert.deepEqual(ds.y.shape, [4]);
  assert.deepEqual(Array.from(ds.y.data), [0, 1, 2, 0]);
});

test('classes sort by code point: upper case before lower, "10" before "9"', () => {
  const ds = datasetFromCsv('f,label\n1,b\n2,B\n3,a\n4,é\n5,b\n', { target: ['label'] });
  assert.deepEqual(ds.classNames, ['B', 'a', 'b', 'é']);
  assert.deepEqual(Array.from(ds.y.data), [2, 0, 1, 3, 2]);
  const sizes = datasetFromCsv('f,size\n1,x9\n2,x10\n', { target: ['size'] });
  assert.deepEqual(sizes.classNames, ['x10', 'x9']);
});

test('the target column may be anywhere; the others keep their order as features', () => {
  const ds = datasetFromCsv('y,a,b\n1,10,20\n0,30,40\n', { target: ['y'] });
  assert.deepEqual(ds.featureNames, ['a', 'b']);
  assert.deepEqual(Array.from(ds.x.data), [10, 20, 30, 40]);
  assert.deepEqual(Array.from(ds.y.data), [1, 0]);
  assert.ok(ds.y.data instanceof Int32Array);
  assert.equal(ds.classNames, undefined);
});

test('numeric targets: int32 when all integers, else float32; [n, k] for k targets', () => {
  const reg = datasetFromCsv('a,price\n1,2.5\n2,3\n', { target: ['price'] });
  assert.equal(reg.y.dtype, 'float32');
  assert.deepEqual(Array.from(reg.y.data), [2.5, 3]);

  const multi = datasetFromCsv('a,t1,b,t2\n1,10,2,-1.0\n3,20,4,7\n5,30,6,8e1\n', { target: ['t2', 't1'] });
  assert.deepEqual(multi.y.shape, [3, 2]);
  assert.equal(multi.y.dtype, 'int32');
  assert.deepEqual(Array.from(multi.y.data), [-1, 10, 7, 20, 80, 30]);
  assert.deepEqual(multi.featureNames, ['a', 'b']);
  assert.deepEqual(Array.from(multi.x.data), [1, 2, 3, 4, 5, 6]);
});

test('quoting, CRLF, a BOM, spaces around fields, blank lines and bytes are read as a spreadsheet writes them', () => {
  const text = '\uFEFF"a", b ,label\r\n 1.5 ,-2e-1,"New York"\r\n\r\n.5,+3,"Paris, France"\r\n';
  const ds = datasetFromCsv(new TextEncoder().encode(text), { target: ['label'] });
  assert.deepEqual(ds.featureNames, ['a', 'b']);
  assert.deepEqual(Array.from(ds.x.data), [1.5, -0.2, 0.5, 3].map(Math.fround));
  assert.deepEqual(ds.classNames, ['New York', 'Paris, France']);
});

test('the target option is required and must name columns of the CSV', () => {
  refuses(() => datasetFromCsv(IRIS, { target: [] }), 'target', /^target: give \?target=COLUMN/);
  refuses(
    () => datasetFromCsv(IRIS, { target: ['class'] }),
    'target',
    'no column "class" in the CSV; its columns are "sepal_length", "sepal_width", "petal_length", "petal_width", "species"',
  );
  refuses(() => datasetFromCsv(IRIS, { target: ['species', 'species'] }), 'target', /given twice/);
  refuses(() => datasetFromCsv('a,b\n1,2\n', { target: ['a', 'b'] }), 'target', /every column is a target/);
});

test('a text feature column is refused by name', () => {
  const text = 'city,size,price\nParis,3,100\nRome,4,120\n';
  refuses(
    () => datasetFromCsv(text, { target: ['price'], name: 'houses.csv' }),
    'houses.csv',
    'column "city" holds text ("Paris" in data row 1 (file line 2)); features must be numbers: encode it, drop it, or give it as ?target=',
  );
});

test('a non-numeric cell names its data row, file line and column', () => {
  const text = 'a,b,label\n1,2,x\n3,4,y\n\n5,abc,x\n';
  refuses(() => datasetFromCsv(text, { target: ['label'] }), 'csv', 'data row 3 (file line 5), column "b": expected a finite number, found "abc"');
  refuses(() => datasetFromCsv('a,t\n1,2\n2,NaN\n', { target: ['t'] }), 'csv', 'data row 2 (file line 3), column "t": expected a finite number, found "NaN"');
  refuses(() => datasetFromCsv('a,t\n1,2\n0x10,2\n', { target: ['t'] }), 'csv', /data row 2 \(file line 3\), column "a": expected a finite number, found "0x10"/);
  refuses(() => datasetFromCsv('a,t\nInfinity,2\n1,2\n', { target: ['t'] }), 'csv', /column "a": expected a finite number, found "Infinity"/);
  // One stray word in a numeric target is a mistake to point at, not a reason to make every value a class.
  refuses(() => datasetFromCsv('a,t\n1,2.5\n2,n/a\n3,1\n', { target: ['t'] }), 'csv', 'data row 2 (file line 3), column "t": expected a finite number, found "n/a"');
});

test('a multi-line quoted field keeps later line numbers right', () => {
  const text = 'a,b,label\n1,2,"two\nlines"\n\n3,4,y\n5,x,z\n';
  refuses(() => datasetFromCsv(text, { target: ['label'] }), 'csv', 'data row 3 (file line 6), column "b": expected a finite number, found "x"');
  const numeric = 'a,b,label\n1,2,"two\nlines"\n3,x,y\n';
  refuses(() => datasetFromCsv(numeric, { target: ['label'] }), 'csv', 'data row 2 (file line 4), column "b": expected a finite number, found "x"');
});

test('empty cells are refused, in features and targets', () => {
  refuses(() => datasetFromCsv('a,b,t\n1,2,0\n3,,1\n', { target: ['t'] }), 'csv', 'data row 2 (file line 3), column "b": empty cell; fill or drop missing values first');
  refuses(() => datasetFromCsv('a,t\n1,cat\n2,\n', { target: ['t'] }), 'csv', /data row 2 \(file line 3\), column "t": empty cell/);
  refuses(() => datasetFromCsv('a,t\n1,5\n2,\n', { target: ['t'] }), 'csv', /data row 2 \(file line 3\), column "t": empty cell/);
});

test('ragged rows are refused with their row and field counts', () => {
  refuses(() => datasetFromCsv('a,b,t\n1,2,0\n3,4\n', { target: ['t'] }), 'csv', 'data row 2 (file line 3): ragged: expected 3 fields as in the header, found 2');
  refuses(() => datasetFromCsv('a,b,t\n1,2,0,9\n', { target: ['t'] }), 'csv', /data row 1 \(file line 2\): ragged: expected 3 fields as in the header, found 4/);
});

test('an empty file, a header alone, and bad headers are refused', () => {
  refuses(() => datasetFromCsv('', { target: ['t'] }), 'csv', /empty file: expected a header row/);
  refuses(() => datasetFromCsv('a,t\n', { target: ['t'] }), 'csv', /no rows: expected at least one data row/);
  refuses(() => datasetFromCsv(',a,t\n0,1,2\n', { target: ['t'] }), 'csv', /column 1 of the header has no name \(pandas writes its index so; save with to_csv\(index=False\)\)/);
  refuses(() => datasetFromCsv('a,a,t\n0,1,2\n', { target: ['t'] }), 'csv', /column "a" appears twice/);
});

test('text labels need a single target column', () => {
  refuses(() => datasetFromCsv('a,t,u\n1,cat,2\n', { target: ['t', 'u'] }), 'target', /column "t" holds text labels; text labels become class indices only with a single target column/);
});

test('malformed CSV is a 400 with the parser\'s reason', () => {
  refuses(() => datasetFromCsv('a,t\n"1,2\n', { target: ['t'] }), 'csv', /not a valid CSV file: Quote Not Closed/);
});

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

test('a file read in chunks gives the same dataset, wherever the chunks split rows, quotes and characters', async () => {
  const text = '\ufeffa,b,label\n1,2,"two\nlines"\n\n3.5,-4,é\n5,6e1,"two\nlines"\n';
  const whole = datasetFromCsv(text, { target: ['label'] });
  for (const size of [1, 2, 3, 7, 64]) {
    assert.deepEqual(await datasetFromCsvChunks(chunksOf(text, size), { target: ['label'] }), whole, `chunks of ${size} bytes`);
  }
});

test('a file read in chunks is refused as a whole one is, at the same row and line', async () => {
  const cases: [string, string, string | RegExp][] = [
    ['a,b,t\n1,2,0\n\n3,x,1\n', 'csv', 'data row 2 (file line 4), column "b": expected a finite number, found "x"'],
    ['a,t\n"1,2\n', 'csv', /not a valid CSV file: Quote Not Closed/],
    ['a,b,t\n1,2,0\n3,4\n', 'csv', 'data row 2 (file line 3): ragged: expected 3 fields as in the header, found 2'],
    ['a,t\n', 'csv', /no rows/],
  ];
  for (const [text, path, message] of cases) {
    await assert.rejects(datasetFromCsvChunks(chunksOf(text, 3), { target: ['t'] }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.details[0]?.path, path);
      if (typeof message === 'string') assert.equal(error.message, `${path}: ${message}`);
      else assert.match(error.message, message);
      return true;
    });
  }
});
