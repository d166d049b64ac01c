import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codecCatalogue,
  findCodec,
  findCodecByEncoding,
  findCodecByStaticPayloadType,
  parseCodecList,
} from '../../../../src/media/codec/index.js';

test('static payload types follow RFC 3551 Table 4', () => {
  assert.equal(findCodecByStaticPayloadType(0)?.name, 'PCMU');
  assert.equal(findCodecByStaticPayloadType(8)?.name, 'PCMA');
  assert.equal(findCodecByStaticPayloadType(9)?.name, 'G722');
  assert.equal(findCodecByStaticPayloadType(18)?.name, 'G729');
  assert.equal(findCodecByStaticPayloadType(3), undefined);
});

test('G.722 has an 8000 RTP clock but samples at 16 kHz (RFC 3551 §4.5.2)', () => {
  const g722 = findCodec('g722');
  assert.equal(g722?.clockRate, 8000);
  assert.equal(g722?.sampleRate, 16000);
});

test('Opus is dynamic, 48 kHz, declared with 2 channels (RFC 7587)', () => {
  const opus = findCodec('opus');
  assert.equal(opus?.staticPayloadType, null);
  assert.equal(opus?.clockRate, 48000);
  assert.equal(opus?.channels, 2);
  assert.equal(findCodecByEncoding('OPUS', 48000)?.name, 'OPUS');
  assert.equal(findCodecByEncoding('opus', 8000), undefined);
});

test('G.711, G.722 and Opus are transcodable in process; G.729 only passes through', () => {
  assert.deepEqual(
    codecCatalogue.filter((c) => c.transcodable).map((c) => c.name),
    ['PCMU', 'PCMA', 'G722', 'OPUS'],
  );
  // Our Opus decoder renders 16 kHz (RFC 7587 lets the receiver choose); the RTP clock stays 48000.
  assert.equal(findCodec('opus')?.sampleRate, 16000);
});

test('a markup codecs list keeps its order, ignores case and duplicates, and reports unknown names', () => {
  assert.deepEqual(parseCodecList('pcma, PCMU,G722,,pcmu,ilbc'), { codecs: ['PCMA', 'PCMU', 'G722'], unknown: ['ilbc'] });
});
