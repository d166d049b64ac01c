/**
 * The official `twilio` client pointed at a running engine: its own RequestClient, with
 * https://*.twilio.com rewritten to the engine's REST API, so applications need no change but the base URL.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { EngineSetup } from '../support/harness.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/harness.js';

export class DialtoneRequestClient extends twilio.RequestClient {
  /** Every request as `METHOD url`, after rewriting. */
  readonly seen: string[] = [];
  constructor(private readonly base: string) {
    super();
  }
  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.replace(/^https:\/\/[a-z0-9.-]*twilio\.com/, this.base);
    this.seen.push(`${opts.method.toUpperCase()} ${uri}`);
    return super.request<TData>({ ...opts, uri });
  }
}

/** The engine's REST API base (http://127.0.0.1:port) and a twilio client on it, for the test account. */
export function twilioClientFor(setup: EngineSetup): { apiBase: string; http: DialtoneRequestClient; client: twilio.Twilio } {
  const listening = setup.engine.httpListening();
  if (listening === undefined) throw new Error('the REST API does not listen');
  const apiBase = `http://127.0.0.1:${listening.port}`;
  const http = new DialtoneRequestClient(apiBase);
  return { apiBase, http, client: twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: http }) };
}
