import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPacketView, RtpParseResult, buildRtpPacket, writeRtpHeader } from '../../../../src/media/rtp/index.js';

// RFC 3550 §5.1 fixed header: V=2, P=0, X=0, CC=0, M=1, PT=0 (PCMU), seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304.
const fixture = Buffer.from('80801234deadbeef01020304' + 'ff'.repeat(160), 'hex');

test('wrap reads every field of the fixed header (RFC 3550 §5.1)', () => {
  const view = new RtpPacketView();
  assert.equal(view.wrap(fixture), RtpParseResult.ok);
  assert.equal(view.marker, true);
  assert.equal(view.payloadType, 0);
  assert.equal(view.sequenceNumber, 0x1234);
  assert.equal(view.timestamp, 0xdeadbeef);
  assert.equal(view.ssrc, 0x01020304);
  assert.equal(view.csrcCount, 0);
  assert.equal(view.hasExtension, false);
  assert.equal(view.payloadOffset, 12);
  assert.equal(view.payloadLength, 160);
  assert.equal(view.buffer, fixture, 'the view does not copy');
});

test('wrap skips CSRCs, the header extension and padding to find the payload', () => {
  // V=2 P=1 X=1 CC=2; extension profile 0xbede, length 1 word; payload 3 bytes; padding 5 (count in last octet).
  const packet = Buffer.from(
    'b2' + '08' + '0001' + '00000010' + 'aabbccdd' + '11111111' + '22222222' + 'bede0001' + '10ff0000' + '010203' + '0000000005',
    'hex',
  );
  const view = new RtpPacketView();
  assert.equal(view.wrap(packet), RtpParseResult.ok);
  assert.equal(view.csrcCount, 2);
  assert.equal(view.hasExtension, true);
  assert.equal(view.payloadType, 8);
  assert.equal(view.paddingLength, 5);
  assert.equal(view.payloadOffset, 12 + 8 + 8);
  assert.deepEqual([...view.payload()], [1, 2, 3]);
});

const malformed: Array<[string, string, RtpParseResult]> = [
  ['shorter than the fixed header', '8000000100000001000000', RtpParseResult.tooShort],
  ['version 1', '400000010000000100000001', RtpParseResult.badVersion],
  ['version 0 (e.g. STUN)', '000100000000000100000001', RtpParseResult.badVersion],
  ['CSRC count past the end', '830000010000000100000001aabbccdd', RtpParseResult.csrcOverflow],
  ['extension header cut short', '90000001000000010000000100', RtpParseResult.extensionOverflow],
  ['extension length past the end', '900000010000000100000001bede0002aabbccdd', RtpParseResult.extensionOverflow],
  ['padding count of zero', 'a00000010000000100000001ff00', RtpParseResult.badPadding],
  ['padding longer than the packet body', 'a00000010000000100000001ff09', RtpParseResult.badPadding],
  ['payload type 72 (an RTCP SR with the marker bit, RFC 5761 §4)', '80c8000100000001000000010000', RtpParseResult.rtcpPayloadType],
];

for (const [name, hex, expected] of malformed) {
  test(`wrap refuses a packet with ${name}`, () => {
    assert.equal(new RtpPacketView().wrap(Buffer.from(hex, 'hex')), expected);
  });
}

test('setters rewrite SSRC, sequence, timestamp, payload type and marker in place', () => {
  const packet = Buffer.from(fixture);
  const view = new RtpPacketView();
  view.wrap(packet);
  view.setSsrc(0xcafebabe);
  view.setSequenceNumber(0x10001);
  view.setTimestamp(0x1_0000_0005);
  view.setPayloadType(101);
  view.setMarker(false);
  assert.equal(packet.readUInt32BE(8), 0xcafebabe);
  assert.equal(packet.readUInt16BE(2), 1, 'sequence numbers wrap at 16 bits');
  assert.equal(packet.readUInt32BE(4), 5, 'timestamps wrap at 32 bits');
  assert.equal(packet[1], 101);
  const again = new RtpPacketView();
  assert.equal(again.wrap(packet), RtpParseResult.ok);
  assert.deepEqual(
    [again.ssrc, again.sequenceNumber, again.timestamp, again.payloadType, again.marker],
    [view.ssrc, view.sequenceNumber, view.timestamp, view.payloadType, view.marker],
  );
  assert.equal(view.datagram(), packet, 'an unchanged layout sends the received Buffer itself');
});

test('stripCsrcAndExtension moves the fixed header against the payload', () => {
  const packet = Buffer.from('91000007' + '00000050' + '0000abcd' + '12345678' + 'bede0001' + 'aaaaaaaa' + '0102', 'hex');
  const view = new RtpPacketView();
  assert.equal(view.wrap(packet), RtpParseResult.ok);
  view.stripCsrcAndExtension();
  view.setSsrc(1);
  const out = view.datagram();
  assert.equal(out.length, 14);
  const parsed = new RtpPacketView();
  assert.equal(parsed.wrap(Buffer.from(out)), RtpParseResult.ok);
  assert.equal(parsed.csrcCount, 0);
  assert.equal(parsed.hasExtension, false);
  assert.equal(parsed.sequenceNumber, 7);
  assert.equal(parsed.timestamp, 0x50);
  assert.equal(parsed.ssrc, 1);
  assert.deepEqual([...parsed.payload()], [1, 2]);
});

test('writeRtpHeader and buildRtpPacket produce packets wrap accepts', () => {
  const packet = buildRtpPacket({ payloadType: 8, sequenceNumber: 65535, timestamp: 4294967295, ssrc: 42, marker: true }, new Uint8Array([9, 9]));
  const view = new RtpPacketView();
  assert.equal(view.wrap(packet), RtpParseResult.ok);
  assert.deepEqual([view.payloadType, view.sequenceNumber, view.timestamp, view.ssrc, view.marker, view.payloadLength], [8, 65535, 4294967295, 42, true, 2]);
  const target = Buffer.alloc(16);
  assert.equal(writeRtpHeader(target, { payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, 4), 12);
  assert.equal(target[4], 0x80);
});
