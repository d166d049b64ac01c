import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fallbackParameters, verbResultParameters, voiceRequestParameters } from '../../../src/call/index.js';

describe('Twilio webhook parameters', () => {
  it('maps a SIP call to the standard voice parameters and SipHeader_<name> for each X- header', () => {
    const params = voiceRequestParameters({
      sid: 'CA0123456789abcdef0123456789abcdef',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      direction: 'inbound',
      from: 'sip:alice@pbx.example.com',
      to: 'sip:+15551230000@dialtone.example.com',
      callerName: 'Alice',
      forwardedFrom: '+15557654321',
      parentCallSid: 'CAfedcba9876543210fedcba9876543210',
      status: 'ringing',
      startTime: 0,
      sip: {
        callId: 'abc@10.0.0.1',
        sourceIp: '10.0.0.1',
        domain: 'dialtone.example.com',
        xHeaders: [
          { name: 'X-Customer-Id', value: '42' },
          { name: 'Via', value: 'ignored' },
        ],
      },
    });
    assert.deepEqual(params, {
      CallSid: 'CA0123456789abcdef0123456789abcdef',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: 'sip:alice@pbx.example.com',
      To: 'sip:+15551230000@dialtone.example.com',
      CallStatus: 'ringing',
      ApiVersion: '2010-04-01',
      Direction: 'inbound',
      ForwardedFrom: '+15557654321',
      CallerName: 'Alice',
      ParentCallSid: 'CAfedcba9876543210fedcba9876543210',
      SipCallId: 'abc@10.0.0.1',
      SipSourceIp: '10.0.0.1',
      SipDomain: 'dialtone.example.com',
      'SipHeader_X-Customer-Id': '42',
    });
  });

  it('maps verb results: Gather → Digits, FinishedOnKey; Record → RecordingUrl, RecordingDuration, RecordingSid, Digits', () => {
    assert.deepEqual(verbResultParameters({ verb: 'gather', digits: '12', finishedOnKey: '#' }), { Digits: '12', FinishedOnKey: '#' });
    assert.deepEqual(verbResultParameters({ verb: 'gather', digits: '1234' }), { Digits: '1234', FinishedOnKey: '' });
    const recording = { verb: 'record' as const, recordingSid: 'RE1', recordingUrl: 'http://x/RE1', durationSeconds: 9 };
    assert.deepEqual(verbResultParameters({ ...recording, endedBy: 'key', key: '*' }), {
      RecordingUrl: 'http://x/RE1',
      RecordingDuration: '9',
      RecordingSid: 'RE1',
      Digits: '*',
    });
    assert.equal(verbResultParameters({ ...recording, endedBy: 'hangup' })['Digits'], 'hangup');
    assert.equal(verbResultParameters({ ...recording, endedBy: 'silence' })['Digits'], undefined);
    assert.deepEqual(verbResultParameters({ verb: 'redirect' }), {});
    assert.deepEqual(fallbackParameters(11200, 'http://app/voice'), { ErrorCode: '11200', ErrorUrl: 'http://app/voice' });
  });
});
