/** The verbs besides <Dial>: typed with Twilio's defaults, and the same when built with VoiceResponse. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { parseDocument } from '../../../src/markup/index.js';
import { accept, codes, refuse } from './parse-helpers.js';

const { VoiceResponse } = twilio.twiml;

describe('verbs', () => {
  it('a document of every verb reads to the model, and VoiceResponse builds the same', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="alice" language="en-GB" loop="2">Hello</Say>
  <Play loop="0">https://example.com/hold.mp3</Play>
  <Play digits="ww12#"/>
  <Pause length="3"/>
  <Gather input="dtmf speech" numDigits="4" finishOnKey="*" timeout="7" action="/gathered" method="GET">
    <Say>Enter your PIN</Say>
    <Play>https://example.com/beep.wav</Play>
    <Pause/>
  </Gather>
  <Record action="/recorded" method="GET" timeout="10" finishOnKey="#" maxLength="60" playBeep="false" trim="do-not-trim" recordingStatusCallback="/rs" recordingStatusCallbackMethod="GET"/>
  <Enqueue action="/left" waitUrl="/wait" waitUrlMethod="GET">support</Enqueue>
  <Leave/>
  <Redirect method="GET">/next</Redirect>
  <Reject reason="busy"/>
  <Hangup/>
</Response>`;
    const { document, problems } = accept(xml, 'twiml');
    assert.deepEqual(problems, []);
    assert.deepEqual(document.verbs, [
      { verb: 'say', text: 'Hello', voice: 'alice', language: 'en-GB', loop: 2 },
      { verb: 'play', url: 'https://example.com/hold.mp3', loop: 0 },
      { verb: 'play', loop: 1, digits: 'ww12#' },
      { verb: 'pause', length: 3 },
      {
        verb: 'gather',
        input: ['dtmf', 'speech'],
        numDigits: 4,
        finishOnKey: '*',
        timeout: 7,
        action: '/gathered',
        method: 'GET',
        children: [
          { verb: 'say', text: 'Enter your PIN', loop: 1 },
          { verb: 'play', url: 'https://example.com/beep.wav', loop: 1 },
          { verb: 'pause', length: 1 },
        ],
      },
      {
        verb: 'record',
        action: '/recorded',
        method: 'GET',
        timeout: 10,
        finishOnKey: '#',
        maxLength: 60,
        playBeep: false,
        trim: 'do-not-trim',
        recordingStatusCallback: '/rs',
        recordingStatusCallbackMethod: 'GET',
      },
      { verb: 'enqueue', queueName: 'support', action: '/left', method: 'POST', waitUrl: '/wait', waitUrlMethod: 'GET' },
      { verb: 'leave' },
      { verb: 'redirect', url: '/next', method: 'GET' },
      { verb: 'reject', reason: 'busy' },
      { verb: 'hangup' },
    ]);

    const response = new VoiceResponse();
    response.say({ voice: 'alice', language: 'en-GB', loop: 2 }, 'Hello');
    response.play({ loop: 0 }, 'https://example.com/hold.mp3');
    response.play({ digits: 'ww12#' });
    response.pause({ length: 3 });
    const gather = response.gather({ input: ['dtmf', 'speech'], numDigits: 4, finishOnKey: '*', timeout: 7, action: '/gathered', method: 'GET' });
    gather.say('Enter your PIN');
    gather.play('https://example.com/beep.wav');
    gather.pause();
    response.record({
      action: '/recorded',
      method: 'GET',
      timeout: 10,
      finishOnKey: '#',
      maxLength: 60,
      playBeep: false,
      trim: 'do-not-trim',
      recordingStatusCallback: '/rs',
      recordingStatusCallbackMethod: 'GET',
    });
    response.enqueue({ action: '/left', waitUrl: '/wait', waitUrlMethod: 'GET' }, 'support');
    response.leave();
    response.redirect({ method: 'GET' }, '/next');
    response.reject({ reason: 'busy' });
    response.hangup();
    assert.deepEqual(parseDocument(response.toString(), { dialect: 'twiml' }).document, document);
  });

  it('defaults of Gather, Record and Reject', () => {
    const { document } = accept('<Response><Gather/><Record/><Reject/></Response>', 'twiml');
    assert.deepEqual(document.verbs, [
      { verb: 'gather', input: ['dtmf'], finishOnKey: '#', timeout: 5, method: 'POST', children: [] },
      {
        verb: 'record',
        method: 'POST',
        timeout: 5,
        finishOnKey: '1234567890*#',
        maxLength: 3600,
        playBeep: true,
        trim: 'trim-silence',
        recordingStatusCallbackMethod: 'POST',
      },
      { verb: 'reject', reason: 'rejected' },
    ]);
  });

  it('bad values outside <Dial> are 12200 warnings and the default is used', () => {
    const { document, problems } = accept('<Response><Say loop="-1">hi</Say><Reject reason="later"/><Gather numDigits="0" finishOnKey="x"/></Response>', 'twiml');
    assert.deepEqual(document.verbs, [
      { verb: 'say', text: 'hi', loop: 1 },
      { verb: 'reject', reason: 'rejected' },
      { verb: 'gather', input: ['dtmf'], finishOnKey: '#', timeout: 5, method: 'POST', children: [] },
    ]);
    assert.deepEqual(codes(problems), [12200, 12200, 12200, 12200]);
  });

  it('a verb that cannot run is refused: Redirect without URL, Play without audio, Enqueue without queue', () => {
    assert.deepEqual(codes(refuse('<Response><Redirect/></Response>', 'twiml')), [12200]);
    assert.deepEqual(codes(refuse('<Response><Play/></Response>', 'twiml')), [12200]);
    assert.deepEqual(codes(refuse('<Response><Enqueue></Enqueue></Response>', 'twiml')), [12200]);
  });

  it('<Gather> holds only Say, Play and Pause; others are 12200 and ignored', () => {
    const { document, problems } = accept('<Response><Gather><Dial>+15551230000</Dial><Say>hi</Say></Gather></Response>', 'twiml');
    const [gather] = document.verbs;
    assert.ok(gather?.verb === 'gather');
    assert.deepEqual(gather.children, [{ verb: 'say', text: 'hi', loop: 1 }]);
    assert.deepEqual(codes(problems), [12200]);
  });

  it('nouns outside <Dial> are refused', () => {
    assert.deepEqual(codes(refuse('<Response><Number>+15551230000</Number></Response>', 'twiml')), [12200]);
  });
});
