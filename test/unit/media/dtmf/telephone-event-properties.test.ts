import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildTelephoneEventPackets,
  decodeTelephoneEvent,
  DTMF_DIGITS,
  encodeTelephoneEvent,
  TelephoneEventReceiver,
  type DetectedDigit,
} from '../../../../src/media/dtmf/index.js';

const runs = { seed: 2833, numRuns: 200 };

test('encode → decode is the identity on every valid event', () => {
  fc.assert(
    fc.property(
      fc.record({
        event: fc.integer({ min: 0, max: 255 }),
        end: fc.boolean(),
        volume: fc.integer({ min: 0, max: 63 }),
        duration: fc.integer({ min: 0, max: 65535 }),
      }),
      (event) => assert.deepEqual(decodeTelephoneEvent(encodeTelephoneEvent(event)), { ...event }),
    ),
    runs,
  );
});

test('each digit is received exactly once despite loss, duplication and reordering within it', () => {
  const digitArb = fc.constantFrom(...DTMF_DIGITS);
  const deliveryArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.array(fc.tuple(digitArb, fc.integer({ min: 40, max: 400 }), deliveryArb), { minLength: 1, maxLength: 6 }), (plan) => {
      const digits: DetectedDigit[] = [];
      const receiver = new TelephoneEventReceiver({ onDigit: (d) => digits.push(d) });
      let timestamp = 0xffff0000; // crosses the 32-bit wrap
      let now = 0;
      for (const [digit, durationMs, delivery] of plan) {
        const packets = buildTelephoneEventPackets({ digit, durationMs, timestamp });
        // Deliver a random non-empty selection, in random order, some packets several times.
        for (const [pick, copies] of delivery) {
          const packet = packets[pick % packets.length]!;
          for (let c = 0; c < copies; c++) receiver.receive(packet.payload, packet.timestamp, now);
        }
        timestamp = (timestamp + ((durationMs + 100) * 8)) >>> 0;
        now += durationMs + 100;
      }
      receiver.expire(now + 10_000);
      assert.deepEqual(
        digits.map((d) => d.digit),
        plan.map(([digit]) => digit),
      );
    }),
    runs,
  );
});
