import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  buildTelephoneEventPackets,
  decodeTelephoneEvent,
  DTMF_DIGITS,
  TelephoneEventReceiver,
  type DetectedDigit,
} from '../../../../src/media/dtmf/index.js';

function collect(options: { clockRate?: number; endTimeoutMs?: number } = {}): { receiver: TelephoneEventReceiver; digits: DetectedDigit[] } {
  const digits: DetectedDigit[] = [];
  return { receiver: new TelephoneEventReceiver({ ...options, onDigit: (d) => digits.push(d) }), digits };
}

test('a 100 ms digit is a start packet with marker, then three end packets with the same timestamp', () => {
  const packets = buildTelephoneEventPackets({ digit: '5', durationMs: 100, timestamp: 16000 });
  assert.deepEqual(
    packets.map((p) => ({ at: p.sendAtMs, ts: p.timestamp, m: p.marker, e: p.end, ...decodeTelephoneEvent(p.payload) })),
    [
      { at: 0, ts: 16000, m: true, e: false, event: 5, end: false, volume: 10, duration: 400 },
      { at: 50, ts: 16000, m: false, e: true, event: 5, end: true, volume: 10, duration: 800 },
      { at: 50, ts: 16000, m: false, e: true, event: 5, end: true, volume: 10, duration: 800 },
      { at: 50, ts: 16000, m: false, e: true, event: 5, end: true, volume: 10, duration: 800 },
    ],
  );
});

test('a 250 ms digit is updated every 50 ms with its growing duration (RFC 4733 §2.5.1.2)', () => {
  const packets = buildTelephoneEventPackets({ digit: '#', durationMs: 250, timestamp: 0, volume: 6 });
  const durations = packets.map((p) => decodeTelephoneEvent(p.payload)?.duration);
  assert.deepEqual(durations, [400, 800, 1200, 1600, 2000, 2000, 2000]);
  assert.deepEqual(packets.map((p) => p.sendAtMs), [0, 50, 100, 150, 200, 200, 200]);
  assert.deepEqual(packets.map((p) => p.marker), [true, false, false, false, false, false, false]);
});

test('a digit shorter than one update interval is only its three end packets, the first marked', () => {
  const packets = buildTelephoneEventPackets({ digit: '1', durationMs: 40, timestamp: 7 });
  assert.equal(packets.length, 3);
  assert.deepEqual(packets.map((p) => p.marker), [true, false, false]);
  assert.ok(packets.every((p) => p.end && decodeTelephoneEvent(p.payload)?.duration === 320));
});

test('invalid digits and durations that overflow one event are refused', () => {
  const isDtmfInvalid = (e: unknown) => isDialtoneError(e) && e.code === ErrorCodes.dtmfInvalid;
  assert.throws(() => buildTelephoneEventPackets({ digit: 'x', timestamp: 0 }), isDtmfInvalid);
  assert.throws(() => buildTelephoneEventPackets({ digit: '1', durationMs: 9000, timestamp: 0 }), isDtmfInvalid);
});

for (const digit of DTMF_DIGITS) {
  test(`digit ${digit} sent as RFC 4733 events is received exactly once with its timing`, () => {
    const { receiver, digits } = collect();
    const packets = buildTelephoneEventPackets({ digit: digit.toLowerCase(), durationMs: 160, timestamp: 4_294_967_000 });
    for (const packet of packets) receiver.receive(packet.payload, packet.timestamp, 1000 + packet.sendAtMs);
    // A late retransmission of the end packet changes nothing.
    const last = packets[packets.length - 1]!;
    receiver.receive(last.payload, last.timestamp, 1300);
    receiver.expire(5000);
    assert.deepEqual(digits, [{ digit, startMs: 1000, durationMs: 160, source: 'rfc4733' }]);
  });
}

test('a digit string arrives in order, each digit once, with start times and durations', () => {
  const { receiver, digits } = collect();
  let timestamp = 1000;
  let now = 0;
  for (const digit of '1234#') {
    for (const packet of buildTelephoneEventPackets({ digit, durationMs: 100, timestamp })) {
      // Each packet arrives twice (a network that duplicates).
      receiver.receive(packet.payload, packet.timestamp, now + packet.sendAtMs);
      receiver.receive(packet.payload, packet.timestamp, now + packet.sendAtMs + 1);
    }
    timestamp += 1600; // 100 ms tone + 100 ms gap at 8 kHz
    now += 200;
  }
  assert.deepEqual(
    digits.map((d) => [d.digit, d.startMs, d.durationMs]),
    [
      ['1', 0, 100],
      ['2', 200, 100],
      ['3', 400, 100],
      ['4', 600, 100],
      ['#', 800, 100],
    ],
  );
});

test('the same digit twice in a row is two digits (different timestamps)', () => {
  const { receiver, digits } = collect();
  for (const timestamp of [0, 2000]) {
    for (const p of buildTelephoneEventPackets({ digit: '7', timestamp })) receiver.receive(p.payload, p.timestamp, timestamp / 8);
  }
  assert.deepEqual(digits.map((d) => d.digit), ['7', '7']);
});

test('an event whose end packets are lost ends when the next event starts (RFC 4733 §2.5.2.2)', () => {
  const { receiver, digits } = collect();
  const first = buildTelephoneEventPackets({ digit: '3', durationMs: 150, timestamp: 0 }).filter((p) => !p.end);
  for (const p of first) receiver.receive(p.payload, p.timestamp, p.sendAtMs);
  assert.equal(digits.length, 0);
  for (const p of buildTelephoneEventPackets({ digit: '4', timestamp: 3200 })) receiver.receive(p.payload, p.timestamp, 400 + p.sendAtMs);
  assert.deepEqual(
    digits.map((d) => [d.digit, d.startMs, d.durationMs]),
    [
      ['3', 0, 100],
      ['4', 400, 100],
    ],
  );
});

test('an event whose end packets are lost ends after the timeout', () => {
  const { receiver, digits } = collect({ endTimeoutMs: 300 });
  const updates = buildTelephoneEventPackets({ digit: '9', durationMs: 200, timestamp: 0 }).filter((p) => !p.end);
  for (const p of updates) receiver.receive(p.payload, p.timestamp, p.sendAtMs);
  receiver.expire(349);
  assert.equal(digits.length, 0);
  receiver.expire(400);
  assert.deepEqual(digits.map((d) => [d.digit, d.durationMs]), [['9', 150]]);
  // Its late end packets do not report it again.
  for (const p of buildTelephoneEventPackets({ digit: '9', durationMs: 200, timestamp: 0 }).filter((p) => p.end)) {
    receiver.receive(p.payload, p.timestamp, 500);
  }
  assert.equal(digits.length, 1);
});

test('reordered updates keep the longest duration seen', () => {
  const { receiver, digits } = collect();
  const packets = buildTelephoneEventPackets({ digit: '0', durationMs: 200, timestamp: 50 });
  const [start, u1, u2, u3, ...ends] = packets;
  for (const p of [start!, u2!, u1!, u3!, ...ends]) receiver.receive(p.payload, p.timestamp, 0);
  assert.deepEqual(digits.map((d) => d.durationMs), [200]);
});

test('the duration is converted with the payload clock rate (48 kHz telephone-event with Opus)', () => {
  const { receiver, digits } = collect({ clockRate: 48000 });
  for (const p of buildTelephoneEventPackets({ digit: '2', durationMs: 120, timestamp: 0, clockRate: 48000 })) {
    receiver.receive(p.payload, p.timestamp, 0);
  }
  assert.deepEqual(digits.map((d) => d.durationMs), [120]);
});

test('non-DTMF events and short payloads are not digits; short ones are counted', () => {
  const { receiver, digits } = collect();
  receiver.receive(Uint8Array.of(32, 0x8a, 0, 160), 0, 0); // event 32: fax CED tone (RFC 4734)
  receiver.receive(Uint8Array.of(1, 0x8a), 100, 0);
  assert.equal(digits.length, 0);
  assert.equal(receiver.malformedCount, 1);
});
