/** The official `twilio` client pointed at a running test engine's REST API, for the test account. */
import twilio from 'twilio';
import type { EngineSetup } from '../support/harness.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/harness.js';
import { DialtoneRequestClient } from '../../support/dialtone-request-client.js';

/** The engine's REST API base (http://127.0.0.1:port) and a twilio client on it, for the test account. */
export function twilioClientFor(setup: EngineSetup): { apiBase: string; http: DialtoneRequestClient; client: twilio.Twilio } {
  const listening = setup.engine.httpListening();
  if (listening === undefined) throw new Error('the REST API does not listen');
  const apiBase = `http://127.0.0.1:${listening.port}`;
  const http = new DialtoneRequestClient(apiBase);
  return { apiBase, http, client: twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: http }) };
}
