import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpReceiverStats } from '../../../../src/media/rtp/index.js';

test('a source is on probation until two packets arrive in sequence (RFC 3550 A.1)', () => {
  const stats = new RtpReceiverStats(8000);
  assert.equal(stats.updateSequence(100), false);
  assert.equal(stats.updateSequence(101), true);
  assert.equal(stats.received, 1);
  assert.equal(stats.expected, 1);
  for (let seq = 102; seq < 110; seq++) stats.updateSequence(seq);
  assert.deepEqual([stats.received, stats.expected, stats.lost], [9, 9, 0]);
});

test('gaps count as lost and the fraction lost covers the interval since the last report (A.3)', () => {
  const stats = new RtpReceiverStats(8000);
  stats.updateSequence(0);
  for (let seq = 1; seq <= 100; seq++) if (seq % 4 !== 2) stats.updateSequence(seq);
  assert.equal(stats.expected, 100);
  assert.equal(stats.lost, 25);
  const first = stats.reportBlock(5, 0, 0);
  assert.equal(first.fractionLost, Math.floor((25 * 256) / 100));
  assert.equal(first.cumulativeLost, 25);
  for (let seq = 101; seq <= 200; seq++) stats.updateSequence(seq);
  const second = stats.reportBlock(5, 0, 0);
  assert.equal(second.fractionLost, 0, 'nothing lost in the second interval');
  assert.equal(second.cumulativeLost, 25);
  assert.equal(second.extendedHighestSequence, 200);
});

test('the extended highest sequence number counts 16-bit wraps (A.1 cycles)', () => {
  const stats = new RtpReceiverStats(8000);
  for (let i = 0; i < 20; i++) stats.updateSequence((65530 + i) & 0xffff);
  assert.equal(stats.extendedHighestSequence, 65536 + 13);
  assert.equal(stats.lost, 0);
});

test('a very large jump is believed only when the next packet follows it (A.1 bad_seq)', () => {
  const stats = new RtpReceiverStats(8000);
  for (let seq = 0; seq < 10; seq++) stats.updateSequence(seq);
  assert.equal(stats.updateSequence(30_000), false);
  assert.equal(stats.updateSequence(30_001), true);
  assert.equal(stats.extendedHighestSequence, 30_001);
  assert.equal(stats.lost, 0, 'statistics restart at the new sequence');
});

test('duplicates and late packets count as received without moving the highest sequence', () => {
  const stats = new RtpReceiverStats(8000);
  for (let seq = 0; seq < 10; seq++) stats.updateSequence(seq);
  stats.updateSequence(5);
  assert.equal(stats.extendedHighestSequence, 9);
  assert.equal(stats.lost, -1, 'A.3: duplicates may make the loss negative');
});

test('interarrival jitter is zero for a steady stream and follows J += (|D| - J)/16 otherwise (A.8)', () => {
  const steady = new RtpReceiverStats(8000);
  for (let i = 0; i < 50; i++) steady.updateJitter(1000 + i * 160, i * 20);
  assert.equal(steady.jitter, 0);

  const jittery = new RtpReceiverStats(8000);
  let expected = 0;
  for (let i = 0; i < 200; i++) {
    // every other packet arrives 5 ms (40 timestamp units) late: |D| = 40 from the second packet on
    jittery.updateJitter(i * 160, i * 20 + (i % 2) * 5);
    if (i > 0) expected += (40 - expected) / 16;
  }
  assert.equal(jittery.jitter, Math.floor(expected));
  assert.ok(Math.abs(jittery.summary().jitterMs - expected / 8) < 1e-9);
});

test('jitter is unaffected by the RTP timestamp wrapping at 2^32', () => {
  const stats = new RtpReceiverStats(8000);
  for (let i = 0; i < 50; i++) stats.updateJitter((0xffffff00 + i * 160) >>> 0, i * 20);
  assert.equal(stats.jitter, 0);
});

test('what another thread counted from forwardingState() on sums up as if each packet had come here, across a 16-bit wrap and with losses', () => {
  const here = new RtpReceiverStats(8000);
  const handedOver = new RtpReceiverStats(8000);
  assert.equal(handedOver.forwardingState(), undefined, 'nothing to carry on before the source is valid');
  const sequences = [65500, 65501, 65502];
  for (let seq = 65503; seq < 65536 + 40; seq++) if (seq % 7 !== 0) sequences.push(seq & 0xffff);
  sequences.forEach((seq, i) => {
    here.updateSequence(seq);
    here.updateJitter(seq * 160, i * 20);
  });
  // The other thread takes over after the third packet and reports twice, the wrap inside the first report.
  sequences.slice(0, 3).forEach((seq, i) => {
    handedOver.updateSequence(seq);
    handedOver.updateJitter(seq * 160, i * 20);
  });
  const state = handedOver.forwardingState()!;
  assert.equal(state.highestSequence, 65502);
  const rest = sequences.slice(3);
  const split = rest.indexOf(20);
  handedOver.absorbForwarded(split + 1, 20, here.summary().jitter, 0);
  handedOver.absorbForwarded(rest.length - split - 1, rest.at(-1)!, here.summary().jitter, 0);
  for (const stats of [here, handedOver]) assert.ok(stats.lost > 0);
  const { received, expected, lost, extendedHighestSequence } = here.summary();
  assert.deepEqual(
    { received: handedOver.received, expected: handedOver.expected, lost: handedOver.lost, extendedHighestSequence: handedOver.extendedHighestSequence },
    { received, expected, lost, extendedHighestSequence },
  );
});
