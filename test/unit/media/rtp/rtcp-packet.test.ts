import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRtcp, ntpMiddle32, ntpTimestamp, parseRtcp, type RtcpPacket } from '../../../../src/media/rtp/index.js';

const block = {
  ssrc: 0x11223344,
  fractionLost: 64,
  cumulativeLost: -3,
  extendedHighestSequence: 0x0001ffff,
  jitter: 37,
  lastSenderReport: 0xabcd1234,
  delaySinceLastSenderReport: 65536,
};

test('an SR with one report block, SDES CNAME and BYE with reason survive build then parse (RFC 3550 §6.4.1, §6.5, §6.6)', () => {
  const packets: RtcpPacket[] = [
    { type: 'sr', ssrc: 7, ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 160, packetCount: 50, octetCount: 8000, reports: [block] },
    { type: 'sdes', chunks: [{ ssrc: 7, cname: 'dialtone@example' }] },
    { type: 'bye', sources: [7], reason: 'hangup' },
  ];
  const wire = buildRtcp(packets);
  assert.equal(wire.length % 4, 0);
  assert.deepEqual(parseRtcp(wire), packets);
});

test('the SR header is laid out as RFC 3550 §6.4.1 draws it', () => {
  const wire = buildRtcp([{ type: 'sr', ssrc: 0x01020304, ntpSeconds: 5, ntpFraction: 6, rtpTimestamp: 7, packetCount: 8, octetCount: 9, reports: [] }]);
  assert.equal(wire.toString('hex'), '80c80006' + '01020304' + '00000005' + '00000006' + '00000007' + '00000008' + '00000009');
});

test('an RR with no blocks and SDES of CNAME lengths around the 32-bit boundary round-trip', () => {
  for (const cname of ['', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
    const packets: RtcpPacket[] = [
      { type: 'rr', ssrc: 9, reports: [] },
      { type: 'sdes', chunks: [{ ssrc: 9, cname }] },
    ];
    assert.deepEqual(parseRtcp(buildRtcp(packets)), packets, `cname '${cname}'`);
  }
});

test('unknown packet types in a compound (APP, feedback) are recognised and skipped', () => {
  const rr = buildRtcp([{ type: 'rr', ssrc: 1, reports: [] }]);
  const app = Buffer.from('80cc0002000000014142434400000000'.slice(0, 24), 'hex');
  const parsed = parseRtcp(Buffer.concat([rr, app]));
  assert.deepEqual(parsed?.map((p) => p.type), ['rr', 'other']);
});

const invalid: Array<[string, Buffer]> = [
  ['shorter than a header', Buffer.from('80c9', 'hex')],
  ['not a multiple of 32 bits', Buffer.from('80c9000100000001ff', 'hex')],
  ['first packet neither SR nor RR (A.2)', buildRtcp([{ type: 'bye', sources: [1] }])],
  ['version 1', Buffer.from('40c9000100000001', 'hex')],
  ['length word past the end', Buffer.from('80c9000500000001', 'hex')],
  ['RR claiming a report block it lacks', Buffer.from('81c9000100000001', 'hex')],
  ['padding on a packet that is not the last (A.2)', Buffer.concat([Buffer.from('a0c9000100000001', 'hex'), buildRtcp([{ type: 'rr', ssrc: 1, reports: [] }])])],
  ['SDES item running past its packet', Buffer.concat([buildRtcp([{ type: 'rr', ssrc: 1, reports: [] }]), Buffer.from('81ca00010000000101ff0000', 'hex').subarray(0, 8)])],
];

for (const [name, datagram] of invalid) {
  test(`parseRtcp rejects a compound ${name}`, () => {
    assert.equal(parseRtcp(datagram), undefined);
  });
}

test('NTP timestamps count from 1900 and LSR takes their middle 32 bits (RFC 3550 §4, §6.4.1)', () => {
  const ntp = ntpTimestamp(1_700_000_000_500);
  assert.equal(ntp.seconds, 1_700_000_000 + 2_208_988_800);
  assert.equal(ntp.fraction, 0x80000000);
  assert.equal(ntpMiddle32(0x12345678, 0x9abcdef0), 0x56789abc);
});
