import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPacketView, RtpStreamRewriter, buildRtpPacket } from '../../../../src/media/rtp/index.js';

function packet(ssrc: number, sequenceNumber: number, timestamp: number, marker = false): RtpPacketView {
  const view = new RtpPacketView();
  view.wrap(buildRtpPacket({ payloadType: 0, sequenceNumber, timestamp, ssrc, marker }, new Uint8Array(160)));
  return view;
}

function rewriter(): RtpStreamRewriter {
  return new RtpStreamRewriter({ ssrc: 0xaaaa, clockRate: 8000, samplesPerPacket: 160, initialSequenceNumber: 65534, initialTimestamp: 1000 });
}

test('the first source starts our stream at the initial sequence and timestamp, with our SSRC', () => {
  const out = rewriter();
  const p = packet(1, 500, 90_000);
  out.rewrite(p, 0, true);
  assert.deepEqual([p.ssrc, p.sequenceNumber, p.timestamp, p.marker], [0xaaaa, 65534, 1000, false]);
});

test('within one source, gaps and reordering show through unchanged (only offsets apply)', () => {
  const out = rewriter();
  const seen: number[] = [];
  for (const seq of [10, 11, 13, 12, 14]) {
    const p = packet(1, seq, seq * 160);
    out.rewrite(p, seq * 20, true);
    seen.push(p.sequenceNumber);
  }
  assert.deepEqual(seen, [65534, 65535, 1, 0, 2]);
});

test('a new source continues the sequence and advances the timestamp by the wall time elapsed, with the marker set', () => {
  const out = rewriter();
  for (let i = 0; i < 3; i++) out.rewrite(packet(1, 100 + i, 5000 + i * 160), i * 20, true);
  // 3 packets: seq 65534, 65535, 0; ts 1000, 1160, 1320 at t = 0, 20, 40 ms.
  const next = packet(2, 40_000, 777_777);
  out.rewrite(next, 40 + 500, true);
  assert.equal(next.ssrc, 0xaaaa);
  assert.equal(next.sequenceNumber, 1);
  assert.equal(next.timestamp, 1320 + 500 * 8);
  assert.equal(next.marker, true);
  const after = packet(2, 40_001, 777_777 + 160);
  out.rewrite(after, 560, true);
  assert.deepEqual([after.sequenceNumber, after.timestamp, after.marker], [2, 1320 + 4000 + 160, false]);
  assert.equal(out.rebases, 1);
});

test('a source change sooner than one packet time still advances the timestamp by a whole packet', () => {
  const out = rewriter();
  out.rewrite(packet(1, 1, 0), 100, true);
  const next = packet(2, 9, 9);
  out.rewrite(next, 101, false);
  assert.equal(next.timestamp, 1000 + 160);
  assert.equal(next.marker, false, 'no marker when the caller asked for none (telephone events)');
});

test('breakSource rebases even when the SSRC stays the same', () => {
  const out = rewriter();
  out.rewrite(packet(1, 1, 0), 0, true);
  out.breakSource();
  const next = packet(1, 5000, 80_000);
  out.rewrite(next, 20, true);
  assert.deepEqual([next.sequenceNumber, next.timestamp], [65535, 1160]);
});

test('packets another thread rewrote with offsetsFor() and reported: a new source afterwards continues from them', () => {
  const here = rewriter();
  const handedOver = rewriter();
  for (const out of [here, handedOver]) out.rewrite(packet(1, 100, 5000), 0, true);
  assert.equal(handedOver.offsetsFor(2), undefined, 'only the current source has offsets');
  const { sequenceDelta, timestampDelta } = handedOver.offsetsFor(1)!;
  for (let i = 1; i <= 30; i++) {
    const p = packet(1, 100 + i, 5000 + i * 160);
    here.rewrite(p, i * 20, true);
    assert.equal(p.sequenceNumber, (100 + i + sequenceDelta) & 0xffff);
    assert.equal(p.timestamp, (5000 + i * 160 + timestampDelta) >>> 0);
  }
  handedOver.absorbForwarded(130, 5000 + 30 * 160, 600);
  assert.equal(handedOver.wouldRebase(1), false);
  assert.equal(handedOver.wouldRebase(2), true);
  const [a, b] = [packet(2, 7, 7), packet(2, 7, 7)];
  here.rewrite(a, 700, true);
  handedOver.rewrite(b, 700, true);
  assert.deepEqual([b.sequenceNumber, b.timestamp, b.marker], [a.sequenceNumber, a.timestamp, a.marker]);
});
