import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentFetcher, isMarkupContentType, type NotificationInput } from '../../../src/call/index.js';
import { silentLogger } from '../../../src/kernel/index.js';
import type { WebhookOutcome, WebhookRequest } from '../../../src/webhook/index.js';

function fetcher(answers: WebhookOutcome[], dialect: 'twiml' | 'cxml' = 'twiml') {
  const requests: WebhookRequest[] = [];
  const notifications: NotificationInput[] = [];
  const instance = new DocumentFetcher({
    webhook: { request: async (request) => (requests.push(request), answers.shift()!) },
    authToken: 'token',
    accountSid: 'AC0123456789abcdef0123456789abcdef',
    callSid: 'CA0123456789abcdef0123456789abcdef',
    dialect,
    enhancedSip: true,
    fallback: { url: 'http://app.test/fallback', method: 'GET' },
    notifications: { record: (notification) => void notifications.push(notification) },
    logger: silentLogger,
  });
  return { instance, requests, notifications };
}

const ok = (body: string, contentType = 'text/xml'): WebhookOutcome => ({ ok: true, status: 200, body, contentType, url: 'http://app.test/voice' });

describe('DocumentFetcher', () => {
  it('takes text/xml, application/xml and text/html (with parameters, any case) as markup', () => {
    for (const type of ['text/xml', 'application/xml; charset=utf-8', 'TEXT/HTML']) assert.equal(isMarkupContentType(type), true, type);
    for (const type of ['application/json', 'text/plain', '', 'audio/mpeg']) assert.equal(isMarkupContentType(type), false, type);
  });

  it('signs cXML requests for SignalWire too, and passes the token and parameters', async () => {
    const { instance, requests } = fetcher([ok('<Response/>')], 'cxml');
    const result = await instance.fetch({ url: 'http://app.test/voice', method: 'POST' }, { CallSid: 'CA1' }, new AbortController().signal);
    assert.equal(result.ok, true);
    assert.equal(requests[0]?.signalWireSignature, true);
    assert.equal(requests[0]?.authToken, 'token');
    assert.deepEqual(requests[0]?.params, { CallSid: 'CA1' });
  });

  it('a wrong content type is 12300, then the fallback with its own method, ErrorCode and ErrorUrl', async () => {
    const { instance, requests, notifications } = fetcher([ok('{}', 'application/json'), ok('<Response><Hangup/></Response>')]);
    const result = await instance.fetch({ url: 'http://app.test/voice', method: 'POST' }, { CallSid: 'CA1' }, new AbortController().signal);
    assert.ok(result.ok && result.url === 'http://app.test/fallback');
    assert.deepEqual(requests[1]?.params, { CallSid: 'CA1', ErrorCode: '12300', ErrorUrl: 'http://app.test/voice' });
    assert.equal(requests[1]?.method, 'GET');
    assert.deepEqual(notifications.map((n) => [n.errorCode, n.requestUrl, n.requestMethod, n.responseBody]), [
      [12300, 'http://app.test/voice', 'POST', '{}'],
    ]);
  });

  it('an aborted fetch records nothing and tries no fallback', async () => {
    const controller = new AbortController();
    const { instance, requests, notifications } = fetcher([{ ok: false, code: 11200, message: 'request aborted', url: 'http://app.test/voice' }]);
    controller.abort();
    const result = await instance.fetch({ url: 'http://app.test/voice', method: 'POST' }, {}, controller.signal);
    assert.deepEqual(result, { ok: false, aborted: true });
    assert.equal(requests.length, 1);
    assert.deepEqual(notifications, []);
  });
});
