/**
 * <Dial><Sip> in the document of an outbound-api call: the answered callee (SIPp A) is bridged with
 * a second party (SIPp B) through the <Dial> adapters; B hangs up, the document runs out, A gets our
 * BYE. The dialled leg is a child call of the outbound-api call. Screening (`<Sip url>`) works on
 * these calls as on inbound ones.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSippPassed, requireSipp, scenario, startSipp } from '../../support/sipp.js';
import {  } from '../../e2e/support/harness.js';
import { eventually } from '../../support/eventually.js';
import { callRequest, startControlFixture, type ControlFixture } from './control-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
let fixture: ControlFixture;

before(async () => {
  fixture = await startControlFixture({ dialer: 'dial-wiring' });
});
after(async () => {
  await fixture.close();
});

test('an outbound-api call whose document dials a second party: bridged, child call recorded, both ends hung up', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const { app, control, store } = fixture;
  const callee = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 30_000 });
  const second = await startSipp({ scenario: join(here, 'scenarios', 'uas-answer-then-bye.xml'), transport: 'u1', calls: 1, timeoutMs: 30_000, callDurationMs: 300 });
  app.on('/dial-voice', `<Response><Dial action="${app.url('/dial-action')}"><Sip>sip:second@${second.address}</Sip></Dial></Response>`);
  app.on('/dial-action', '<Response><Hangup/></Response>');
  const record = await control.createCall(callRequest({ to: `sip:first@${callee.address}`, url: app.url('/dial-voice') }));
  assertSippPassed(await second.done, 1, 'SIPp B uas-answer-then-bye');
  assertSippPassed(await callee.done, 1, 'SIPp A uas-answer-200 (it needs our BYE after the Dial)');
  const action = await app.waitFor('/dial-action');
  assert.equal(action.params['CallSid'], record.sid);
  assert.equal(action.params['Direction'], 'outbound-api');
  assert.equal(action.params['DialCallStatus'], 'completed');
  assert.equal(action.params['DialBridged'], 'true');
  const parent = await eventually(() => store.calls.get(record.sid), (call) => call?.status === 'completed');
  assert.equal(parent?.status, 'completed');
  const children = await eventually(
    () => store.calls.list({ parentCallSid: record.sid }),
    (page) => page.items.length === 1 && page.items[0]?.status === 'completed',
  );
  assert.equal(children.items[0]?.direction, 'outbound-dial');
  assert.equal(children.items[0]?.status, 'completed');
  assert.equal(children.items[0]?.to, `sip:second@${second.address}`);
  assert.equal(children.items[0]?.sid, action.params['DialCallSid']);
});

test('screening on an outbound-api call\'s <Dial>: the screening document runs on the answered second party; its <Hangup/> leaves it unbridged', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  const { app, control } = fixture;
  const callee = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 30_000 });
  const second = await startSipp({ scenario: scenario('uas-answer-200'), transport: 'u1', calls: 1, timeoutMs: 30_000 });
  app.on('/screened-voice', `<Response><Dial action="${app.url('/screened-action')}"><Sip url="${app.url('/screen')}">sip:second@${second.address}</Sip></Dial></Response>`);
  app.on('/screen', '<Response><Hangup/></Response>');
  app.on('/screened-action', '<Response><Hangup/></Response>');
  const record = await control.createCall(callRequest({ to: `sip:first@${callee.address}`, url: app.url('/screened-voice') }));
  const screen = await app.waitFor('/screen');
  const action = await app.waitFor('/screened-action');
  // The screening request is the child leg's: its own SID, the 200's Call-ID, the parent named.
  assert.equal(screen.params['ParentCallSid'], record.sid);
  assert.equal(screen.params['CallSid'], action.params['DialCallSid']);
  assert.notEqual(screen.params['CallSid'], record.sid);
  assert.match(screen.params['SipCallId'] ?? '', /\S/);
  assert.equal(action.params['CallSid'], record.sid);
  assert.equal(action.params['DialBridged'], 'false');
  assert.equal(action.params['DialCallStatus'], 'answered');
  assertSippPassed(await second.done, 1, 'SIPp B uas-answer-200 (our BYE after the screening hung up)');
  assertSippPassed(await callee.done, 1, 'SIPp A uas-answer-200 (our BYE after the action hung up)');
});
