import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

test('API_KEYS takes KEY or KEY:ROLE entries; a plain key is an admin, as before roles', () => {
  assert.deepEqual(loadConfig({ API_KEYS: ' old-key , t1:train,p1:predict, a1:admin ' }).API_KEYS, [
    { key: 'old-key', role: 'admin' },
    { key: 't1', role: 'train' },
    { key: 'p1', role: 'predict' },
    { key: 'a1', role: 'admin' },
  ]);
  assert.deepEqual(loadConfig({}).API_KEYS, []);
});

test('an unknown role, an empty key or a key listed twice stops the start, naming API_KEYS', () => {
  for (const value of ['k1:root', ':train', 'k1:train:admin', 'k1,k1:predict']) {
    assert.throws(() => loadConfig({ API_KEYS: value }), (error: unknown) => error instanceof ConfigError && /API_KEYS/.test(error.message), value);
  }
});

test('an unknown role is reported without the key itself', () => {
  assert.throws(
    () => loadConfig({ API_KEYS: 'very-secret:root' }),
    (error: unknown) => error instanceof ConfigError && /KEY:ROLE/.test(error.message) && !error.message.includes('very-secret'),
  );
});
