/**
 * The official `twilio` library's own RequestClient with https://*.twilio.com rewritten to a Dialtone
 * REST API base: how an application points the library at Dialtone, changing nothing else.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

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
