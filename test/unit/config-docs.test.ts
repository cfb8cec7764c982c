import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigSchema } from '../../src/config.js';

// The README's configuration table is the documentation of src/config.ts: every variable, in
// the schema's order, with the schema's default and its `.describe()` text.

interface Row {
  variable: string;
  default: string;
  meaning: string;
}

const NO_DEFAULT = '—';

/** Backticks are Markdown, not meaning; whitespace is layout. */
const normalize = (text: string) => text.replaceAll('`', '').replace(/\s+/g, ' ').trim();

function defaultOf(schema: z.ZodType): string {
  if (schema instanceof z.ZodDefault) return String(schema.def.defaultValue);
  // A transform (API_KEYS) wraps the field: its default, if any, is on the input side.
  if (schema instanceof z.ZodPipe) return defaultOf(schema.in as z.ZodType);
  return NO_DEFAULT;
}

function fromSchema(): Row[] {
  return Object.entries(ConfigSchema.shape).map(([variable, field]) => ({
    variable,
    default: defaultOf(field),
    meaning: normalize(field.description ?? '(no .describe() text)'),
  }));
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

/** Every Markdown table headed `| variable | default | meaning |`, as its rows. */
function configTables(markdown: string): Row[][] {
  const tables: Row[][] = [];
  const lines = markdown.split('\n');
  lines.forEach((line, index) => {
    if (!line.trim().startsWith('|') || cells(line).join('|') !== 'variable|default|meaning') return;
    const rows: Row[] = [];
    for (const row of lines.slice(index + 2)) {
      if (!row.trim().startsWith('|')) break;
      const [variable = '', value = '', meaning = ''] = cells(row);
      rows.push({ variable: normalize(variable), default: normalize(value), meaning: normalize(meaning) });
    }
    tables.push(rows);
  });
  return tables;
}

function differences(documented: Row[], expected: Row[]): string[] {
  const problems: string[] = [];
  const documentedNames = documented.map((row) => row.variable);
  const expectedNames = expected.map((row) => row.variable);
  for (const name of expectedNames.filter((n) => !documentedNames.includes(n))) problems.push(`missing row: ${name}`);
  for (const name of documentedNames.filter((n) => !expectedNames.includes(n))) problems.push(`row for a variable that src/config.ts lacks: ${name}`);
  const common = documentedNames.filter((n) => expectedNames.includes(n));
  const order = expectedNames.filter((n) => common.includes(n));
  if (common.join() !== order.join()) problems.push(`order: README has ${common.join(', ')}; src/config.ts has ${order.join(', ')}`);
  for (const row of expected) {
    const found = documented.find((candidate) => candidate.variable === row.variable);
    if (!found) continue;
    if (found.default !== row.default) problems.push(`${row.variable} default: README "${found.default}", src/config.ts "${row.default}"`);
    if (found.meaning !== row.meaning) problems.push(`${row.variable} meaning:\n    README:        ${found.meaning}\n    src/config.ts: ${row.meaning}`);
  }
  return problems;
}

test('README: the configuration table is src/config.ts, row for row', () => {
  const tables = configTables(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
  assert.ok(tables.length > 0, 'README.md has a table headed | variable | default | meaning |');
  const expected = fromSchema();
  tables.forEach((table, index) => {
    const problems = differences(table, expected);
    assert.deepEqual(problems, [], `configuration table ${index + 1} of README.md differs from ConfigSchema:\n  ${problems.join('\n  ')}`);
  });
});

test('the comparison catches a missing row, a wrong default and a drifted meaning', () => {
  const expected = fromSchema();
  const [first, second, ...rest] = expected;
  assert.ok(first && second);
  const edited = [{ ...first, default: 'nope' }, { ...second, meaning: 'something else' }, ...rest.slice(1)];
  const problems = differences(edited, expected);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems.join('\n'), new RegExp(`missing row: ${rest[0]?.variable}`));
  assert.match(problems.join('\n'), new RegExp(`${first.variable} default`));
  assert.match(problems.join('\n'), new RegExp(`${second.variable} meaning`));
});

test('defaults and descriptions are read from the schema, through optional and transform', () => {
  const rows = new Map(fromSchema().map((row) => [row.variable, row]));
  assert.equal(rows.get('PORT')?.default, '8080');
  assert.equal(rows.get('DATA_DIR')?.default, './data');
  assert.equal(rows.get('REDIS_URL')?.default, NO_DEFAULT);
  assert.equal(rows.get('API_KEYS')?.default, NO_DEFAULT);
  for (const row of rows.values()) assert.doesNotMatch(row.meaning, /no \.describe\(\) text/, `${row.variable} has a description`);
});
