/**
 * Bytes kept for the RFC 3261 timers (bodies, SDP) must not pin a shared Buffer pool slab: each gets an
 * ArrayBuffer of its own, exactly its size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { noBytes, ownedBytes, ownedString } from '../../../src/kernel/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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

test('empty input gives the one shared empty buffer: a message without a body allocates none', () => {
  assert.equal(ownedBytes(''), noBytes);
  assert.equal(ownedBytes(new Uint8Array(0)), noBytes);
  assert.equal(noBytes.length, 0);
});

test('ownedString: the same text, without keeping the string it was cut from alive', () => {
  assert.equal(ownedString('short'), 'short');
  assert.equal(ownedString('z9hG4bK776asdhds-café'), 'z9hG4bK776asdhds-café');
  // A flat parent of 32 MiB, as a parsed message's header section (decoded from its datagram) is to its values.
  const cut = (keep: (value: string) => string): string => {
    const parent = Buffer.alloc(32 * 2 ** 20, 'Via: SIP/2.0/UDP h;branch=z9hG4bK776asdhds\r\n').toString('latin1');
    return keep(parent.slice(26, 42));
  };
  const heldAfterCutting = (keep: (value: string) => string): number => {
    const value = cut(keep);
    gc();
    // A string this long, decoded from a Buffer, is external: its characters count in `external`.
    const { heapUsed, external } = process.memoryUsage();
    assert.equal(value, 'z9hG4bK776asdhds');
    return heapUsed + external;
  };
  const sliced = heldAfterCutting((value) => value);
  const owned = heldAfterCutting(ownedString);
  assert.ok(sliced - owned > 16 * 2 ** 20, `a plain substring keeps its parent (the premise), ownedString does not: ${((sliced - owned) / 2 ** 20).toFixed(1)} MiB apart`);
});
