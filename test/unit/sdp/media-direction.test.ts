import { test } from 'node:test';
import assert from 'node:assert/strict';
import { directionReceives, directionSends, intersectDirections, mirrorDirection, type MediaDirection } from '../../../src/sdp/index.js';

const all: MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

test('mirror swaps sendonly and recvonly (RFC 3264 §6.1) and is its own inverse', () => {
  assert.deepEqual(all.map(mirrorDirection), ['sendrecv', 'recvonly', 'sendonly', 'inactive']);
  for (const d of all) assert.equal(mirrorDirection(mirrorDirection(d)), d);
});

test('intersection keeps only what both allow', () => {
  assert.equal(intersectDirections('sendrecv', 'sendonly'), 'sendonly');
  assert.equal(intersectDirections('sendonly', 'recvonly'), 'inactive');
  assert.equal(intersectDirections('recvonly', 'sendrecv'), 'recvonly');
  for (const d of all) assert.equal(intersectDirections(d, 'sendrecv'), d);
});

test('send and receive flags', () => {
  assert.deepEqual(all.map((d) => [directionSends(d), directionReceives(d)]), [
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ]);
});
