import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createOffer, negotiateAnswer, parseAnswer } from '../../../src/sdp/index.js';
import { BARESIP_OFFER, G729_PHONE_OFFER, IPV6_OFFER, TWILIO_OFFER } from './fixtures.js';

const local = { address: '192.0.2.1', port: 20000, codecs: ['PCMU', 'PCMA', 'G722'] as const, sessionId: 1, sessionVersion: 1 };
const offer = createOffer({ ...local, codecs: ['PCMU', 'G722'] });

/** Mutates real offers line by line: drop, duplicate, truncate, or replace a line with noise. */
const mutatedSdp = fc
  .tuple(
    fc.constantFrom(TWILIO_OFFER, BARESIP_OFFER, G729_PHONE_OFFER, IPV6_OFFER),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'cut', 'noise'), fc.string({ maxLength: 30 })), { maxLength: 6 }),
  )
  .map(([sdp, edits]) => {
    const lines = sdp.split('\r\n');
    for (const [at, kind, noise] of edits) {
      const i = at % lines.length;
      if (kind === 'drop') lines.splice(i, 1);
      else if (kind === 'dup') lines.splice(i, 0, lines[i] ?? '');
      else if (kind === 'cut') lines[i] = (lines[i] ?? '').slice(0, noise.length);
      else lines[i] = noise;
    }
    return lines.join('\r\n');
  });

test('negotiateAnswer and parseAnswer never throw: malformed input becomes a 400 or 488 (seeded, bounded)', () => {
  fc.assert(
    fc.property(fc.oneof(mutatedSdp, fc.string({ maxLength: 200 })), (sdp) => {
      const answered = negotiateAnswer(sdp, local);
      if (!answered.ok) assert.ok(answered.status === 400 || answered.status === 488);
      else assert.ok(answered.answerSdp.startsWith('v=0\r\n'));
      const parsed = parseAnswer(sdp, offer);
      if (!parsed.ok) assert.ok(parsed.status === 400 || parsed.status === 488);
    }),
    { seed: 3264, numRuns: 500 },
  );
});
