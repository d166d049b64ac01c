/**
 * Bytes kept for the RFC 3261 timers (bodies, SDP) must not pin a shared Buffer pool slab: each gets an
 * ArrayBuffer of its own, exactly its size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownedBytes } from '../../../src/kernel/index.js';

function ownsItsMemory(bytes: Buffer): boolean {
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;
}

test('a string becomes UTF-8 bytes in an ArrayBuffer of their own, where Buffer.from shares the pool', () => {
  const sdp = 'v=0\r\ns=Dialtone – café\r\n';
  const pooled = Buffer.from(sdp);
  assert.equal(ownsItsMemory(pooled), false, 'Buffer.from of a short string is a slice of the pool (the premise)');
  const owned = ownedBytes(sdp);
  assert.equal(ownsItsMemory(owned), true);
  assert.deepEqual(owned, pooled);
  assert.equal(owned.toString('utf8'), sdp);
});

test('a view of a larger buffer is copied out, so it neither pins nor aliases that buffer', () => {
  const datagram = Buffer.from('INVITE …\r\n\r\nv=0\r\n');
  const view = datagram.subarray(datagram.indexOf('v=0'));
  const owned = ownedBytes(view);
  assert.equal(ownsItsMemory(owned), true);
  assert.deepEqual(owned, view);
  datagram.fill(0);
  assert.equal(owned.toString('latin1'), 'v=0\r\n');
});

test('empty input gives an empty buffer', () => {
  assert.equal(ownedBytes('').length, 0);
  assert.equal(ownedBytes(new Uint8Array(0)).length, 0);
});
