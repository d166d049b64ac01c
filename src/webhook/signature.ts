/**
 * X-Twilio-Signature exactly as Twilio computes it, so `twilio.validateRequest` and `twilio.webhook()`
 * accept our requests unchanged: HMAC-SHA1 keyed with the account's auth token over the URL as
 * configured, followed (for POST) by each parameter name then its value, sorted by name; base64.
 */
import { createHmac } from 'node:crypto';

export type WebhookParams = Record<string, string>;

export function computeSignature(authToken: string, url: string, params: WebhookParams = {}): string {
  const hmac = createHmac('sha1', authToken);
  hmac.update(url, 'utf8');
  for (const name of Object.keys(params).sort()) {
    hmac.update(name, 'utf8');
    hmac.update(params[name] ?? '', 'utf8');
  }
  return hmac.digest('base64');
}
