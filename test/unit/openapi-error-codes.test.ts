import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../src/errors.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The text of every TypeScript file under src/, with the list of codes itself left out of errors.ts. */
function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => {
      const text = readFileSync(join(SRC, file), 'utf8');
      return file === 'errors.ts' ? text.replace(/export const ERROR_CODES = \[[^\]]*\]/, '') : text;
    });
}

test('every error code in the enum is one the service answers with', () => {
  const text = sources().join('\n');
  const unused = ERROR_CODES.filter((code) => !text.includes(`'${code}'`));
  assert.deepEqual(unused, [], 'codes listed in ERROR_CODES that no source file emits');
});

test('every error body written by hand uses a code from the enum', () => {
  // AppError and the error handler take an ErrorCode, so tsc checks those; this catches JSON written outside them.
  const written = sources().flatMap((text) => [...text.matchAll(/error: \{ code: '([a-z_]+)'/g)].map((match) => match[1]));
  assert.ok(written.length > 0, 'found no hand-written error bodies: the pattern no longer matches the code');
  for (const code of written) assert.ok((ERROR_CODES as readonly (string | undefined)[]).includes(code), `${code} is not in ERROR_CODES`);
});
