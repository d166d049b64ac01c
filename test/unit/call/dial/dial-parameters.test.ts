import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialActionParameters, dialCallStatusOf, legStatusOf, recordingStatusCallbackParameters, type LegFailure } from '../../../../src/call/dial/index.js';
import { formatRfc2822 } from '../../../../src/kernel/index.js';

function failure(status: number, cause: LegFailure['cause'] = 'response'): LegFailure {
  return { status, reason: '', cause, headers: [] };
}

describe('DialCallStatus: INTERFACE.md\'s table', () => {
  it('2xx → completed, or answered when not bridged', () => {
    assert.equal(dialCallStatusOf({ kind: 'answered', bridged: true }), 'completed');
    assert.equal(dialCallStatusOf({ kind: 'answered', bridged: false }), 'answered');
  });

  it('486, 600 → busy; 603 → busy; any other final response → failed', () => {
    for (const status of [486, 600, 603]) assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(status) }), 'busy');
    for (const status of [300, 401, 403, 404, 407, 408, 480, 487, 500, 503, 604]) {
      assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(status) }), 'failed', String(status));
    }
  });

  it('our ring timeout → no-answer; the caller or a REST cancel → canceled', () => {
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(487, 'cancelled'), cancelledFor: 'ring-timeout' }), 'no-answer');
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(487, 'cancelled'), cancelledFor: 'caller' }), 'canceled');
  });

  it('a leg we cancelled that then timed out (no provisional to CANCEL) is still ours; a response that crossed counts', () => {
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(408, 'timeout'), cancelledFor: 'ring-timeout' }), 'no-answer');
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(408, 'timeout'), cancelledFor: 'caller' }), 'canceled');
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(486), cancelledFor: 'ring-timeout' }), 'busy');
    // A cancellation we did not ask for (the UA closing) is "everything else".
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(487, 'cancelled') }), 'failed');
  });

  it('"DNS and transport failures included → failed"', () => {
    for (const cause of ['timeout', 'transport', 'dns'] as const) {
      assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(503, cause) }), 'failed');
    }
  });

  it('"the table is configuration": a given table replaces the defaults', () => {
    const table = new Map([[480, 'no-answer' as const]]);
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(480) }, table), 'no-answer');
    assert.equal(dialCallStatusOf({ kind: 'failed', failure: failure(486) }, table), 'failed');
  });

  it('the leg\'s CallStatus: answered ends completed, the others as they are', () => {
    assert.equal(legStatusOf('answered'), 'completed');
    assert.equal(legStatusOf('no-answer'), 'no-answer');
  });
});

describe('Dial action parameters', () => {
  it('without an INVITE sent there is no DialSipCallId nor DialSipResponseCode', () => {
    assert.deepEqual(
      dialActionParameters({
        verb: 'dial',
        dialCallStatus: 'failed',
        dialCallSid: 'CA0123456789abcdef0123456789abcdef',
        dialCallDurationSeconds: 0,
        bridged: false,
        sipHeaders: [],
      }),
      {
        DialCallStatus: 'failed',
        DialCallSid: 'CA0123456789abcdef0123456789abcdef',
        DialCallDuration: '0',
        DialBridged: 'false',
      },
    );
  });
});

describe('Timestamp', () => {
  it('"given as UTC in RFC 2822 format"', () => {
    assert.equal(formatRfc2822(Date.UTC(2010, 7, 16, 3, 45, 1)), 'Mon, 16 Aug 2010 03:45:01 +0000');
    assert.equal(formatRfc2822(Date.UTC(2026, 0, 4, 23, 5, 9)), 'Sun, 04 Jan 2026 23:05:09 +0000');
  });
});

describe('recording parameters (issue 6: <Dial record>)', () => {
  it('recordingStatusCallbackParameters: Twilio\'s recording callback fields, field by field', () => {
    assert.deepEqual(
      recordingStatusCallbackParameters({
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        callSid: 'CAffffffffffffffffffffffffffffffff',
        recordingSid: 'RE0123456789abcdef0123456789abcdef',
        recordingUrl: 'http://dialtone.test/Recordings/RE0123456789abcdef0123456789abcdef',
        status: 'completed',
        durationSeconds: 42,
        channels: 2,
        startedAt: 1_700_000_000_000,
        track: 'both',
      }),
      {
        AccountSid: 'AC0123456789abcdef0123456789abcdef',
        CallSid: 'CAffffffffffffffffffffffffffffffff',
        RecordingSid: 'RE0123456789abcdef0123456789abcdef',
        RecordingUrl: 'http://dialtone.test/Recordings/RE0123456789abcdef0123456789abcdef',
        RecordingStatus: 'completed',
        RecordingDuration: '42',
        RecordingChannels: '2',
        RecordingStartTime: 'Tue, 14 Nov 2023 22:13:20 +0000',
        RecordingSource: 'DialVerb',
        RecordingTrack: 'both',
      },
    );
  });

  it('in-progress has no RecordingDuration', () => {
    const params = recordingStatusCallbackParameters({
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      callSid: 'CAffffffffffffffffffffffffffffffff',
      recordingSid: 'RE0123456789abcdef0123456789abcdef',
      recordingUrl: 'http://dialtone.test/r',
      status: 'in-progress',
      channels: 1,
      startedAt: 0,
      track: 'inbound',
    });
    assert.equal(params['RecordingDuration'], undefined);
    assert.deepEqual([params['RecordingStatus'], params['RecordingChannels']], ['in-progress', '1']);
  });

  it('the action request: RecordingUrl, RecordingSid and RecordingDuration when the Dial recorded', () => {
    const params = dialActionParameters({
      verb: 'dial',
      dialCallStatus: 'completed',
      dialCallSid: 'CA0123456789abcdef0123456789abcdef',
      dialCallDurationSeconds: 30,
      bridged: true,
      sipHeaders: [],
      recording: { recordingSid: 'RE1', recordingUrl: 'http://dialtone.test/Recordings/RE1', durationSeconds: 31 },
    });
    assert.deepEqual([params['RecordingUrl'], params['RecordingSid'], params['RecordingDuration']], ['http://dialtone.test/Recordings/RE1', 'RE1', '31']);
  });
});
