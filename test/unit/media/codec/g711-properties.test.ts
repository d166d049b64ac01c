import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../../../../src/media/codec/index.js';

const runs = { seed: 4733, numRuns: 300 };

for (const [law, encode, decode] of [
  ['µ-law', encodeMulaw, decodeMulaw],
  ['A-law', encodeAlaw, decodeAlaw],
] as const) {
  test(`${law}: re-encoding decoded audio is stable (tandem G.711 links add no further loss)`, () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 320 }), (samples) => {
        const pcm = Int16Array.from(samples);
        const once = new Uint8Array(pcm.length);
        encode(pcm, once);
        const decoded = new Int16Array(pcm.length);
        decode(once, decoded);
        const twice = new Uint8Array(pcm.length);
        encode(decoded, twice);
        const again = new Int16Array(pcm.length);
        decode(twice, again);
        assert.deepEqual(again, decoded);
      }),
      runs,
    );
  });

  test(`${law}: encoding preserves sign and order of magnitude`, () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: -32768, max: 32767 }), (a, b) => {
        const pcm = Int16Array.of(Math.min(a, b), Math.max(a, b));
        const bytes = new Uint8Array(2);
        encode(pcm, bytes);
        const back = new Int16Array(2);
        decode(bytes, back);
        assert.ok((back[0] as number) <= (back[1] as number));
      }),
      runs,
    );
  });
}
