import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createWebhookClient, WebhookErrorCodes } from '../../../src/webhook/index.js';

const authToken = 'f3a9c0ffee0123456789abcdef012345';

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

async function withServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  run: (base: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run(base, seen);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const params = { CallSid: 'CA0123456789abcdef0123456789abcdef', From: '+15551230000', SipHeader_X_Note: 'a b&c' };

test('POST sends form-encoded parameters with a signature twilio.validateRequest accepts', async () => {
  await withServer(
    (_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end('<Response><Hangup/></Response>');
    },
    async (base, seen) => {
      const client = createWebhookClient();
      const url = `${base}/voice?app=1`;
      const outcome = await client.request({ url, method: 'POST', params, authToken });
      client.close();
      assert.equal(outcome.ok, true);
      assert.ok(outcome.ok && outcome.body.includes('<Hangup/>'));
      assert.ok(outcome.ok && outcome.contentType.startsWith('text/xml'));
      const request = seen[0]!;
      assert.equal(request.method, 'POST');
      assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
      const received = Object.fromEntries(new URLSearchParams(request.body));
      assert.deepEqual(received, params);
      const signature = request.headers['x-twilio-signature'];
      assert.equal(typeof signature, 'string');
      assert.ok(twilio.validateRequest(authToken, signature as string, url, received));
      assert.equal(request.headers['x-signalwire-signature'], undefined);
    },
  );
});

test('GET puts the parameters in the query string and the signature covers that URL', async () => {
  await withServer(
    (_req, res) => res.end('<Response/>'),
    async (base, seen) => {
      const client = createWebhookClient();
      const outcome = await client.request({ url: `${base}/voice`, method: 'GET', params, authToken, signalWireSignature: true });
      client.close();
      assert.equal(outcome.ok, true);
      const request = seen[0]!;
      assert.equal(request.method, 'GET');
      const full = `${base}${request.url}`;
      assert.deepEqual(Object.fromEntries(new URL(full).searchParams), params);
      assert.ok(twilio.validateRequest(authToken, request.headers['x-twilio-signature'] as string, full, {}));
      assert.equal(request.headers['x-signalwire-signature'], request.headers['x-twilio-signature']);
    },
  );
});

test('redirects are followed and each hop is signed for its own URL', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/old') {
        res.statusCode = 307;
        res.setHeader('Location', '/new');
        res.end();
        return;
      }
      res.end('<Response/>');
    },
    async (base, seen) => {
      const client = createWebhookClient();
      const outcome = await client.request({ url: `${base}/old`, method: 'POST', params, authToken });
      client.close();
      assert.ok(outcome.ok);
      assert.equal(outcome.url, `${base}/new`);
      assert.equal(seen[1]?.method, 'POST');
      const received = Object.fromEntries(new URLSearchParams(seen[1]!.body));
      assert.ok(twilio.validateRequest(authToken, seen[1]!.headers['x-twilio-signature'] as string, `${base}/new`, received));
    },
  );
});

test('a redirect loop ends with 11215', async () => {
  await withServer(
    (_req, res) => {
      res.statusCode = 302;
      res.setHeader('Location', '/again');
      res.end();
    },
    async (base) => {
      const client = createWebhookClient({ maxRedirects: 3 });
      const outcome = await client.request({ url: `${base}/again`, method: 'GET', params: {}, authToken });
      client.close();
      assert.deepEqual([outcome.ok, !outcome.ok && outcome.code], [false, WebhookErrorCodes.tooManyRedirects]);
    },
  );
});

test('a non-2xx answer is 11200 with the HTTP status', async () => {
  await withServer(
    (_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    },
    async (base) => {
      const client = createWebhookClient();
      const outcome = await client.request({ url: `${base}/voice`, method: 'POST', params, authToken });
      client.close();
      assert.ok(!outcome.ok);
      assert.equal(outcome.code, WebhookErrorCodes.retrievalFailure);
      assert.equal(outcome.status, 500);
    },
  );
});

test('a refused connection is 11205 and a server that never answers hits the total deadline', async () => {
  const client = createWebhookClient({ totalTimeoutMs: 300 });
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const refused = await client.request({ url: `http://127.0.0.1:${closedPort}/`, method: 'POST', params, authToken });
  assert.ok(!refused.ok);
  assert.equal(refused.code, WebhookErrorCodes.connectionFailure);

  await withServer(
    () => {
      /* never answers */
    },
    async (base) => {
      const silent = await client.request({ url: `${base}/slow`, method: 'POST', params, authToken });
      assert.ok(!silent.ok);
      assert.equal(silent.code, WebhookErrorCodes.retrievalFailure);
      assert.match(silent.message, /no complete answer/);
    },
  );
  client.close();
});

test('an oversized answer is refused rather than buffered', async () => {
  await withServer(
    (_req, res) => res.end('x'.repeat(5000)),
    async (base) => {
      const client = createWebhookClient({ maxBodyBytes: 1000 });
      const outcome = await client.request({ url: `${base}/big`, method: 'GET', params: {}, authToken });
      client.close();
      assert.ok(!outcome.ok);
      assert.equal(outcome.code, WebhookErrorCodes.responseTooLarge);
    },
  );
});

test('failures worth retrying are told apart from definite refusals', async () => {
  const { isRetryableFailure } = await import('../../../src/webhook/index.js');
  const failure = (code: number, status?: number) => ({ ok: false as const, code, message: '', url: 'http://x/', ...(status === undefined ? {} : { status }) });
  assert.equal(isRetryableFailure(failure(WebhookErrorCodes.connectionFailure)), true);
  assert.equal(isRetryableFailure(failure(WebhookErrorCodes.retrievalFailure, 503)), true);
  assert.equal(isRetryableFailure(failure(WebhookErrorCodes.retrievalFailure, 429)), true);
  assert.equal(isRetryableFailure(failure(WebhookErrorCodes.retrievalFailure, 404)), false);
  assert.equal(isRetryableFailure(failure(WebhookErrorCodes.tooManyRedirects)), false);
});
