/**
 * Dialling out over TLS from an engine with no TLS listener (no `sip.tls`, as `dialtone start
 * --voice-url …` runs): a cXML `<Sip>` without a transport goes over TLS (seed 002: "the transport
 * defaults to TLS") to our own UserAgent holding the test certificate, and the server certificate is
 * verified by default: a certificate from an unknown CA fails the dial, the CA in `sip.tlsClient.ca`
 * makes it pass, and `sip.tlsClient.verifyPeer: false` turns the check off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import twilio from 'twilio';
import { ACCOUNT_SID, Caller, startTestEngine, WebhookApp, within } from '../support/harness.js';
import { startTlsCallee, tlsFixtures } from './callees.js';
import { assertEverySignatureValid } from './seed-call.js';

interface TlsDialOutcome {
  dialCallStatus: string | undefined;
  sipResponseCode: string | undefined;
  /** INVITEs the TLS callee received. */
  invites: number;
  engineListensTls: boolean;
}

/** A caller calls a cXML route whose document dials the TLS callee with no transport in the URI. */
async function dialTlsCallee(tlsClient: Record<string, unknown> | undefined): Promise<TlsDialOutcome> {
  const callee = await startTlsCallee();
  const app = await WebhookApp.start();
  const voice = new twilio.twiml.VoiceResponse();
  voice.dial({ action: '/after' }).sip(`sip:alice@127.0.0.1:${callee.port}`);
  app.on('/voice', voice.toString());
  const hangup = new twilio.twiml.VoiceResponse();
  hangup.hangup();
  app.on('/after', hangup.toString());
  const engine = await startTestEngine([{ match: '*', voiceUrl: app.url('/voice'), dialect: 'cxml' }], {
    sip: { listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], ...(tlsClient === undefined ? {} : { tlsClient }) },
  });
  const caller = await Caller.start();
  try {
    const placed = await within(caller.call(engine.sipPort), 10_000, 'the engine to answer');
    assert.ok(placed.answered);
    const action = await within(app.waitFor('/after'), 30_000, 'the Dial action');
    // An answered callee hangs up by itself; either way the engine then ends the caller's call.
    await within(placed.ended, 15_000, 'the caller’s call to end');
    assertEverySignatureValid(app);
    assert.equal(action.params['AccountSid'], ACCOUNT_SID);
    return {
      dialCallStatus: action.params['DialCallStatus'],
      sipResponseCode: action.params['DialSipResponseCode'],
      // A callee that was reached has its call ended by now (its BYE ended the Dial).
      invites: action.params['DialCallStatus'] === 'completed' ? (await callee.finish()).invites.length : callee.invitesSoFar().length,
      engineListensTls: engine.engine.sipListening().some((endpoint) => endpoint.protocol === 'tls'),
    };
  } finally {
    await caller.close();
    await engine.close();
    await app.close();
    await callee.close();
  }
}

test('no sip.tls, sip.tlsClient.ca = the test CA: the cXML <Sip> reaches the TLS callee → completed', { timeout: 60_000 }, async () => {
  const outcome = await dialTlsCallee({ ca: join(tlsFixtures, 'ca.pem') });
  assert.equal(outcome.engineListensTls, false, 'no TLS listener without a certificate');
  assert.equal(outcome.invites, 1);
  assert.equal(outcome.dialCallStatus, 'completed');
  assert.equal(outcome.sipResponseCode, '200');
});

test('no sip.tls, no sip.tlsClient: the server certificate is verified against the public CAs; the test CA is unknown → failed', { timeout: 60_000 }, async () => {
  const outcome = await dialTlsCallee(undefined);
  assert.equal(outcome.invites, 0, 'the handshake fails before any INVITE');
  assert.equal(outcome.dialCallStatus, 'failed');
  assert.equal(outcome.sipResponseCode, '503', 'a transport failure reads as 503 (RFC 3261 §8.1.3.1)');
});

test('sip.tlsClient.verifyPeer: false accepts the unknown certificate → completed', { timeout: 60_000 }, async () => {
  const outcome = await dialTlsCallee({ verifyPeer: false });
  assert.equal(outcome.invites, 1);
  assert.equal(outcome.dialCallStatus, 'completed');
});
