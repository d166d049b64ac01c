/**
 * The pcap reader the media interop tests take their expectations from: checked on synthetic
 * captures (both byte orders, µs and ns, Ethernet with an 802.1Q tag, Linux SLL, raw IP; IPv4 and
 * IPv6; non-RTP and non-UDP frames skipped; broken files refused), then on sip-tester's own pcaps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SIPP_PCAP_DIR, requireSipp } from '../../support/sipp.js';
import { digitOfEvent, parsePcapRtp, readPcapRtp, telephoneEventsOf } from './pcap.js';

function rtp(sequenceNumber: number, timestamp: number, payload: number[], marker = false, payloadType = 8): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | payloadType;
  b.writeUInt16BE(sequenceNumber, 2);
  b.writeUInt32BE(timestamp, 4);
  b.writeUInt32BE(0xcafef00d, 8);
  Buffer.from(payload).copy(b, 12);
  return b;
}

function udp(payload: Buffer, sourcePort = 4000, destinationPort = 5000): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sourcePort, 0);
  h.writeUInt16BE(destinationPort, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

function ipv4(transport: Buffer, protocol = 17, options = 0): Buffer {
  const h = Buffer.alloc(20 + options);
  h[0] = 0x40 | ((20 + options) / 4);
  h.writeUInt16BE(h.length + transport.length, 2);
  h[8] = 64;
  h[9] = protocol;
  return Buffer.concat([h, transport]);
}

function ipv6(transport: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(transport.length, 4);
  h[6] = 17;
  return Buffer.concat([h, transport]);
}

function ethernet(ip: Buffer, etherType: number, vlan = false): Buffer {
  const macs = Buffer.alloc(12, 0xaa);
  const tag = vlan ? Buffer.from([0x81, 0x00, 0x00, 0x07]) : Buffer.alloc(0);
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType);
  return Buffer.concat([macs, tag, type, ip]);
}

function sll(ip: Buffer, etherType: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(etherType, 14);
  return Buffer.concat([h, ip]);
}

function pcap(frames: Array<{ frame: Buffer; sec: number; frac: number }>, linkType: number, bigEndian: boolean, nanoseconds: boolean): Buffer {
  const w = (b: Buffer, v: number, at: number): number => (bigEndian ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at));
  const global = Buffer.alloc(24);
  w(global, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4); // version fields are not read
  w(global, 65535, 16);
  w(global, linkType, 20);
  const records = frames.map(({ frame, sec, frac }) => {
    const h = Buffer.alloc(16);
    w(h, sec, 0);
    w(h, frac, 4);
    w(h, frame.length, 8);
    w(h, frame.length, 12);
    return Buffer.concat([h, frame]);
  });
  return Buffer.concat([global, ...records]);
}

describe('pcap reader (synthetic captures)', () => {
  test('little-endian µs Ethernet with a VLAN tag, IPv4 with options: RTP fields, payload, times; non-RTP and TCP skipped', () => {
    const file = pcap(
      [
        { frame: ethernet(ipv4(udp(rtp(65535, 1000, [1, 2, 3], true))), 0x0800, true), sec: 10, frac: 500_000 },
        { frame: ethernet(ipv4(udp(Buffer.from('not rtp at all'))), 0x0800), sec: 10, frac: 510_000 },
        { frame: ethernet(ipv4(rtp(1, 1, [9]), 6), 0x0800), sec: 10, frac: 515_000 }, // TCP
        { frame: ethernet(ipv4(udp(rtp(0, 1160, [4, 5, 6])), 17, 8), 0x0800), sec: 10, frac: 520_000 },
      ],
      1,
      false,
      false,
    );
    const packets = parsePcapRtp(file);
    assert.equal(packets.length, 2);
    assert.deepEqual(
      packets.map((p) => [p.sequenceNumber, p.timestamp, p.marker, p.payloadType, p.ssrc, [...p.payload], p.timeUs, p.sourcePort, p.destinationPort]),
      [
        [65535, 1000, true, 8, 0xcafef00d, [1, 2, 3], 0, 4000, 5000],
        [0, 1160, false, 8, 0xcafef00d, [4, 5, 6], 20_000, 4000, 5000],
      ],
    );
  });

  test('big-endian ns Linux SLL over IPv6, and raw IP', () => {
    const sllFile = pcap([{ frame: sll(ipv6(udp(rtp(7, 8, [0xd5]))), 0x86dd), sec: 1, frac: 2_000 }], 113, true, true);
    assert.deepEqual(parsePcapRtp(sllFile).map((p) => [p.sequenceNumber, [...p.payload]]), [[7, [0xd5]]]);
    const rawFile = pcap([{ frame: ipv4(udp(rtp(9, 10, [0x55, 0x54]))), sec: 1, frac: 0 }], 101, false, false);
    assert.deepEqual(parsePcapRtp(rawFile).map((p) => [p.sequenceNumber, [...p.payload]]), [[9, [0x55, 0x54]]]);
  });

  test('telephone events grouped by RTP timestamp, digits named', () => {
    const event = (code: number, end: boolean, duration: number): number[] => [code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff];
    const frames = [
      rtp(1, 800, event(11, false, 0), true, 101),
      rtp(2, 800, event(11, false, 400), false, 101),
      rtp(3, 800, event(11, true, 800), false, 101),
      rtp(3, 800, event(11, true, 800), false, 101),
      rtp(4, 2400, event(10, true, 160), true, 101),
    ].map((r, i) => ({ frame: ethernet(ipv4(udp(r)), 0x0800), sec: 0, frac: i * 20_000 }));
    const events = telephoneEventsOf(parsePcapRtp(pcap(frames, 1, false, false)), 101);
    assert.deepEqual(events, [
      { event: 11, timestamp: 800, duration: 800, packets: 4, endPackets: 2 },
      { event: 10, timestamp: 2400, duration: 160, packets: 1, endPackets: 1 },
    ]);
    assert.equal(events.map((e) => digitOfEvent(e.event)).join(''), '#*');
  });

  test('refuses what it cannot read: pcapng, a truncated record, an unknown link type', () => {
    const good = pcap([{ frame: ethernet(ipv4(udp(rtp(1, 1, [1]))), 0x0800), sec: 0, frac: 0 }], 1, false, false);
    const pcapng = Buffer.from(good);
    pcapng.writeUInt32LE(0x0a0d0d0a, 0);
    assert.throws(() => parsePcapRtp(pcapng), /bad magic/);
    assert.throws(() => parsePcapRtp(good.subarray(0, good.length - 1)), /runs past the end/);
    const wifi = Buffer.from(good);
    wifi.writeUInt32LE(105, 20);
    assert.throws(() => parsePcapRtp(wifi), /link type 105/);
    assert.throws(() => parsePcapRtp(Buffer.alloc(10)), /shorter than its global header/);
  });
});

test("sip-tester's pcaps: g711a is 236 × 240 bytes of PCMA, in sequence; each dtmf_2833_<digit> is one event for its digit", (t) => {
  if (!requireSipp(t)) return;
  const speech = readPcapRtp(join(SIPP_PCAP_DIR, 'g711a.pcap'));
  assert.equal(speech.length, 236);
  assert.ok(speech.every((p, i) => p.payloadType === 8 && p.payload.length === 240 && p.sequenceNumber === ((speech[0]!.sequenceNumber + i) & 0xffff)));
  const names: Record<string, string> = { star: '*', pound: '#' };
  for (const name of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'star', 'pound']) {
    const path = join(SIPP_PCAP_DIR, `dtmf_2833_${name}.pcap`);
    assert.ok(existsSync(path), path);
    const events = telephoneEventsOf(readPcapRtp(path), 101);
    assert.equal(events.length, 1, `${name}: one event`);
    assert.equal(digitOfEvent(events[0]!.event), names[name] ?? name, `${name}: the digit its name says`);
    assert.equal(events[0]!.endPackets, 3, `${name}: the end packet three times (RFC 4733 §2.5.1.4)`);
  }
});
