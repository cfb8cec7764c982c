import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientRateLimit, clientOfPeer } from '../../src/api/client-rate-limit.js';

test('a fixed window per client: max requests pass, the next waits for the window that opened with the first', () => {
  const limit = new ClientRateLimit(2, 1000);
  assert.equal(limit.take('a', 10_000), undefined);
  assert.equal(limit.take('a', 10_100), undefined);
  assert.equal(limit.take('a', 10_400), 600);
  assert.equal(limit.take('b', 10_400), undefined, 'another client has its own window');
  assert.equal(limit.take('a', 10_999), 1);
  assert.equal(limit.take('a', 11_000), undefined, 'a new window opens once the last has run out');
});

test("a gRPC peer is counted by its address, normalized as the HTTP limiter's key is", () => {
  assert.equal(clientOfPeer('127.0.0.1:54321'), '127.0.0.1');
  assert.equal(clientOfPeer('::1:54321'), '::');
  assert.equal(clientOfPeer('[2001:db8:1:2:3:4:5:6]:443'), '2001:db8:1:2::');
  assert.equal(clientOfPeer('::ffff:10.1.2.3:8080'), '10.1.2.3');
  assert.equal(clientOfPeer('unknown'), 'unknown');
});
