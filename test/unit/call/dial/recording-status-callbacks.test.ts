import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingStatusCallbacks, type RecordingDescription } from '../../../../src/call/dial/index.js';

const description: RecordingDescription = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  callSid: 'CA0123456789abcdef0123456789abcdef',
  channels: 2,
  startedAt: Date.UTC(2026, 10, 23, 12, 0, 0),
  track: 'both',
};
const recording = { recordingSid: 'RE0123456789abcdef0123456789abcdef', recordingUrl: 'http://example.test/RE.wav' };

test('a recording reports in-progress, then completed with its duration, numbered from 0, to the subscribed URL', () => {
  const sent: Array<{ status: string; sequenceNumber: number; url: string; params: Record<string, string> }> = [];
  const callbacks = new RecordingStatusCallbacks({ url: 'http://app.test/rec', method: 'POST', events: ['in-progress', 'completed', 'absent'] }, (request) => sent.push(request));
  callbacks.started(recording, description);
  callbacks.stopped(recording, description, 7);
  assert.deepEqual(sent.map((request) => [request.status, request.sequenceNumber, request.url]), [['in-progress', 0, 'http://app.test/rec'], ['completed', 1, 'http://app.test/rec']]);
  assert.equal(sent[1]!.params['RecordingDuration'], '7');
  assert.equal(sent[1]!.params['RecordingSid'], recording.recordingSid);
  assert.equal(sent[0]!.params['RecordingDuration'], undefined);
});

test('a recording that kept nothing reports absent; events nobody subscribed to, and no subscription at all, send nothing', () => {
  const sent: string[] = [];
  const onlyEnd = new RecordingStatusCallbacks({ url: 'http://app.test/rec', method: 'GET', events: ['completed', 'absent'] }, (request) => sent.push(`${request.status}#${request.sequenceNumber}`));
  onlyEnd.started(recording, description);
  onlyEnd.stopped(recording, description, 0);
  assert.deepEqual(sent, ['absent#0']);
  const none = new RecordingStatusCallbacks(undefined, () => assert.fail('nothing is subscribed'));
  none.started(recording, description);
  none.stopped(recording, description, 3);
});
