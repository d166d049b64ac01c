import { test } from 'node:test';
import assert from 'node:assert/strict';
import { write, type SessionDescription } from 'sdp-transform';
import { writeDescription, type WrittenDescription, type WrittenMedia } from '../../../src/sdp/write-description.js';

/** sdp-transform's writer, which ours stands in for: same lines, same order, same formatting. */
function libraryWrite(description: WrittenDescription): string {
  const copy: SessionDescription = { version: 0, ...structuredClone(description) };
  return write(copy);
}

function description(address: string, ipVer: 4 | 6, media: WrittenMedia[], sessionVersion = 1): WrittenDescription {
  return {
    origin: { username: 'dialtone', sessionId: '1700000000', sessionVersion, netType: 'IN', ipVer, address },
    name: 'Dialtone',
    connection: { version: ipVer, ip: address },
    timing: { start: 0, stop: 0 },
    media,
  };
}

const offer: WrittenMedia = {
  type: 'audio',
  port: 20000,
  protocol: 'RTP/AVP',
  payloads: '9 8 0 111 101 102',
  rtp: [
    { payload: 9, codec: 'G722', rate: 8000 },
    { payload: 8, codec: 'PCMA', rate: 8000 },
    { payload: 0, codec: 'PCMU', rate: 8000 },
    { payload: 111, codec: 'opus', rate: 48000, encoding: 2 },
    { payload: 101, codec: 'telephone-event', rate: 8000 },
    { payload: 102, codec: 'telephone-event', rate: 48000 },
  ],
  fmtp: [
    { payload: 111, config: 'minptime=10;useinbandfec=1' },
    { payload: 101, config: '0-15' },
    { payload: 102, config: '0-15' },
  ],
  ptime: 20,
  direction: 'sendrecv',
};
const rejectedVideo: WrittenMedia = { type: 'video', port: 0, protocol: 'RTP/AVP', payloads: '96 97', rtp: [], fmtp: [] };

const cases: Array<[string, WrittenDescription]> = [
  ['an offer with every kind of line', description('192.0.2.1', 4, [offer])],
  ['over IPv6, on hold, without ptime', description('2001:db8::1', 6, [{ ...offer, ptime: undefined, direction: 'sendonly' }], 7)],
  ['an RFC 2543 hold address', { ...description('192.0.2.1', 4, [{ ...offer, direction: 'inactive' }]), connection: { version: 4, ip: '0.0.0.0' } }],
  [
    'an answer that rejects one stream and accepts the next',
    description('192.0.2.1', 4, [
      rejectedVideo,
      { type: 'audio', port: 30000, protocol: 'RTP/SAVP', payloads: '0', rtp: [{ payload: 0, codec: 'PCMU', rate: 8000 }], fmtp: [], ptime: 30, direction: 'recvonly' },
    ]),
  ],
  ['an answer with no direction attribute', description('192.0.2.1', 4, [{ ...offer, direction: undefined }])],
  ['a large session version', description('192.0.2.1', 4, [offer], 4_294_967_297)],
];

for (const [name, value] of cases) {
  test(`our SDP writer matches sdp-transform's: ${name}`, () => {
    const ours = writeDescription(value);
    assert.equal(ours, libraryWrite(value));
    assert.ok(ours.endsWith('\r\n') && !ours.includes('undefined'));
  });
}
