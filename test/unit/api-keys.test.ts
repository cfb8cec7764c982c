import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyChecker } from '../../src/api/api-keys.js';
import { ConfigError, loadConfig } from '../../src/config.js';

test('API_KEYS takes KEY or KEY:ROLE entries; a plain key is an admin, as before roles', () => {
  assert.deepEqual(loadConfig({ API_KEYS: ' old-key , t1:train,p1:predict, a1:admin ' }).API_KEYS, [
    { key: 'old-key', role: 'admin', tenant: null },
    { key: 't1', role: 'train', tenant: null },
    { key: 'p1', role: 'predict', tenant: null },
    { key: 'a1', role: 'admin', tenant: null },
  ]);
  assert.deepEqual(loadConfig({}).API_KEYS, []);
});

test('the plain list of keys from before roles and tenants reads as admins of every tenant', () => {
  assert.deepEqual(loadConfig({ API_KEYS: 'a,b' }).API_KEYS, [
    { key: 'a', role: 'admin', tenant: null },
    { key: 'b', role: 'admin', tenant: null },
  ]);
});

test('KEY:ROLE:TENANT gives a train or predict key a tenant', () => {
  assert.deepEqual(loadConfig({ API_KEYS: 'k1:train:acme,k2:predict:acme,k3:train:globex_2,k4:predict:0-team' }).API_KEYS, [
    { key: 'k1', role: 'train', tenant: 'acme' },
    { key: 'k2', role: 'predict', tenant: 'acme' },
    { key: 'k3', role: 'train', tenant: 'globex_2' },
    { key: 'k4', role: 'predict', tenant: '0-team' },
  ]);
  const longest = 'a'.repeat(63);
  assert.equal(loadConfig({ API_KEYS: `k:train:${longest}` }).API_KEYS[0]?.tenant, longest);
});

test('a bad entry stops the start, naming API_KEYS and the entry by position', () => {
  for (const value of [
    'k1:root',
    ':train',
    'k1,k1:predict',
    'k1:train:acme:more',
    'k1:train:',
    'k1:train:Acme',
    'k1:train:-acme',
    'k1:train:ac me',
    'k1:train:ac.me',
    `k1:train:${'a'.repeat(64)}`,
    'k1::acme',
  ]) {
    assert.throws(() => loadConfig({ API_KEYS: value }), (error: unknown) => error instanceof ConfigError && /API_KEYS/.test(error.message), value);
  }
  assert.throws(
    () => loadConfig({ API_KEYS: 'ok1,ok2:train:acme,bad:train:ACME' }),
    (error: unknown) => error instanceof ConfigError && /entry 3 of 3/.test(error.message) && /TENANT/.test(error.message),
  );
});

test('an admin key takes no tenant: it would see every tenant anyway', () => {
  for (const value of ['k1:admin:acme', 'k0,k1:admin:acme']) {
    assert.throws(
      () => loadConfig({ API_KEYS: value }),
      (error: unknown) => error instanceof ConfigError && /admin key sees every tenant/.test(error.message),
      value,
    );
  }
});

test('a refused entry is reported without the key, its role or its tenant', () => {
  for (const value of ['very-secret:root', 'very-secret:train:NOT-A-TENANT', 'very-secret:admin:acme', 'very:secret:parts:more']) {
    assert.throws(
      () => loadConfig({ API_KEYS: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /KEY:ROLE/.test(error.message) &&
        !/very|secret|root|NOT-A-TENANT|acme|parts/.test(error.message.replace(/admin key sees every tenant/, '')),
      value,
    );
  }
});

test('the key checker lets a key through acting for its tenant, and a key without one for every tenant', () => {
  const check = keyChecker(loadConfig({ API_KEYS: 'root,t-a:train:acme,p-b:predict:globex' }).API_KEYS);
  assert.deepEqual(check('Bearer root', 'train'), { tenant: null });
  assert.deepEqual(check('Bearer t-a', 'train'), { tenant: 'acme' });
  assert.deepEqual(check('Bearer p-b', 'predict'), { tenant: 'globex' });
  assert.equal(check('Bearer p-b', 'train').refusal?.status, 403, 'the role still decides what the key may do');
  assert.equal(check(undefined, 'predict').refusal?.status, 401);
  assert.deepEqual(check(undefined, 'public'), { tenant: null });
  assert.deepEqual(keyChecker([])(undefined, 'admin'), { tenant: null }, 'no keys: open, and every record visible');
});
