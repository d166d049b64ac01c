import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import { decodeTelephoneEvent, encodeTelephoneEvent, type TelephoneEvent } from '../../../../src/media/dtmf/index.js';

// RFC 4733 §2.3 layouts written out as bytes: event, E/R/volume, 16-bit duration.
const cases: Array<[string, TelephoneEvent, string]> = [
  ['digit 1 starting, volume 10, no duration', { event: 1, end: false, volume: 10, duration: 0 }, '010a0000'],
  ['digit 5 update at 400 units', { event: 5, end: false, volume: 10, duration: 400 }, '050a0190'],
  ['# ending at 1600 units', { event: 11, end: true, volume: 10, duration: 1600 }, '0b8a0640'],
  ['D, loudest volume 0, maximum duration', { event: 15, end: true, volume: 0, duration: 65535 }, '0f80ffff'],
  ['* with quietest volume 63', { event: 10, end: false, volume: 63, duration: 160 }, '0a3f00a0'],
];

for (const [name, event, hex] of cases) {
  test(`encodes ${name}`, () => assert.equal(Buffer.from(encodeTelephoneEvent(event)).toString('hex'), hex));
  test(`decodes ${name}`, () => assert.deepEqual(decodeTelephoneEvent(Buffer.from(hex, 'hex')), event));
}

test('the reserved R bit is ignored on receipt (RFC 4733 §2.3)', () => {
  assert.deepEqual(decodeTelephoneEvent(Buffer.from('04ca0320', 'hex')), { event: 4, end: true, volume: 10, duration: 800 });
});

test('a payload shorter than 4 bytes decodes to null', () => {
  assert.equal(decodeTelephoneEvent(Uint8Array.of(1, 10, 0)), null);
});

test('encodes at an offset into an existing buffer', () => {
  const out = new Uint8Array(6);
  encodeTelephoneEvent({ event: 9, end: false, volume: 7, duration: 320 }, out, 2);
  assert.deepEqual([...out], [0, 0, 9, 7, 1, 64]);
});

test('out-of-range fields are refused with dtmfInvalid', () => {
  for (const bad of [
    { event: 256, end: false, volume: 0, duration: 0 },
    { event: 1, end: false, volume: 64, duration: 0 },
    { event: 1, end: false, volume: 0, duration: 65536 },
    { event: 1.5, end: false, volume: 0, duration: 0 },
  ]) {
    assert.throws(() => encodeTelephoneEvent(bad), (e: unknown) => isDialtoneError(e) && e.code === ErrorCodes.dtmfInvalid);
  }
});
