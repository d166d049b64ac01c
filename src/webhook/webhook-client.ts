/**
 * Calls the application: fetches markup and delivers callbacks over HTTP(S), signed like Twilio, with
 * Twilio's limits (10 s to connect, 15 s in all) and redirects. It returns the text and its metadata;
 * the call engine parses it and decides on fallbacks, so this module knows nothing of markup.
 */
import http from 'node:http';
import https from 'node:https';
import { type Clock, type TimerHandle, systemClock } from '../kernel/index.js';
import { computeSignature, type WebhookParams } from './signature.js';

export type HttpMethod = 'GET' | 'POST';

/** Twilio's codes for a webhook that could not be fetched (its error and warning dictionary). */
export const WebhookErrorCodes = {
  retrievalFailure: 11200,
  connectionFailure: 11205,
  protocolViolation: 11206,
  badHostName: 11210,
  tooManyRedirects: 11215,
  responseTooLarge: 11751,
} as const;

export interface WebhookRequest {
  url: string;
  method: HttpMethod;
  params: WebhookParams;
  /** The account's auth token, which keys X-Twilio-Signature. */
  authToken: string;
  /** cXML applications also receive the signature as X-SignalWire-Signature. */
  signalWireSignature?: boolean;
  signal?: AbortSignal;
}

export interface WebhookSuccess {
  ok: true;
  status: number;
  body: string;
  contentType: string;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface WebhookFailure {
  ok: false;
  code: number;
  message: string;
  url: string;
  status?: number;
}

export type WebhookOutcome = WebhookSuccess | WebhookFailure;

/**
 * Whether asking again later can succeed: the application being down, slow or failing (5xx, 429,
 * connection and DNS errors) is retried; a definite refusal (other 4xx, a redirect loop) is not.
 */
export function isRetryableFailure(failure: WebhookFailure): boolean {
  if (failure.code === WebhookErrorCodes.tooManyRedirects || failure.code === WebhookErrorCodes.responseTooLarge) return false;
  if (failure.status === undefined) return true;
  return failure.status >= 500 || failure.status === 408 || failure.status === 429;
}

export interface WebhookClientOptions {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  maxRedirects?: number;
  maxBodyBytes?: number;
  userAgent?: string;
  clock?: Clock;
}

export interface WebhookClient {
  request(request: WebhookRequest): Promise<WebhookOutcome>;
  close(): void;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** GET carries the parameters in the query string; the signature then covers that whole URL. */
export function requestUrl(url: string, method: HttpMethod, params: WebhookParams): string {
  if (method === 'POST') return url;
  const query = new URLSearchParams(params).toString();
  if (query.length === 0) return url;
  return url + (url.includes('?') ? '&' : '?') + query;
}

export function createWebhookClient(options: WebhookClientOptions = {}): WebhookClient {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const totalTimeoutMs = options.totalTimeoutMs ?? 15_000;
  const maxRedirects = options.maxRedirects ?? 10;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const userAgent = options.userAgent ?? 'Dialtone/0.1 (TwilioProxy compatible)';
  const clock = options.clock ?? systemClock;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
  };

  async function request(input: WebhookRequest): Promise<WebhookOutcome> {
    const deadline = clock.monotonic() + totalTimeoutMs;
    let method = input.method;
    let url = input.url;
    const params = input.params;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      const outcome = await once(url, method, params, input, deadline);
      if (!('redirect' in outcome)) return outcome;
      let next: URL;
      try {
        next = new URL(outcome.redirect, url);
      } catch {
        return { ok: false, code: WebhookErrorCodes.protocolViolation, message: 'redirect to an invalid URL', url };
      }
      // RFC 9110 §15.4: 301/302/303 may turn a POST into a GET (parameters move to the query string);
      // 307/308 keep the method and body.
      if (outcome.status !== 307 && outcome.status !== 308 && method === 'POST') {
        method = 'GET';
      }
      url = next.toString();
    }
    return {
      ok: false,
      code: WebhookErrorCodes.tooManyRedirects,
      message: `more than ${maxRedirects} redirects`,
      url,
    };
  }

  function once(
    url: string,
    method: HttpMethod,
    params: WebhookParams,
    input: WebhookRequest,
    deadline: number,
  ): Promise<WebhookOutcome | { redirect: string; status: number }> {
    return new Promise((resolve) => {
      // Signed exactly as sent, before any normalisation by URL parsing, as Twilio signs it.
      const signedUrl = requestUrl(url, method, params);
      let target: URL;
      try {
        target = new URL(signedUrl);
      } catch {
        resolve({ ok: false, code: WebhookErrorCodes.badHostName, message: `not a URL: ${url}`, url });
        return;
      }
      const transport = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
      if (transport === undefined) {
        resolve({ ok: false, code: WebhookErrorCodes.retrievalFailure, message: `unsupported scheme ${target.protocol}`, url });
        return;
      }
      const body = method === 'POST' ? new URLSearchParams(params).toString() : undefined;
      const signature = computeSignature(input.authToken, signedUrl, method === 'POST' ? params : {});
      const headers: Record<string, string> = {
        'User-Agent': userAgent,
        'X-Twilio-Signature': signature,
        Accept: 'text/xml, application/xml, text/html, */*',
        'Cache-Control': 'max-age=259200',
      };
      if (input.signalWireSignature === true) headers['X-SignalWire-Signature'] = signature;
      if (body !== undefined) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }

      let settled = false;
      const timers: TimerHandle[] = [];
      const finish = (outcome: WebhookOutcome | { redirect: string; status: number }): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clock.clearTimeout(timer);
        input.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const fail = (code: number, message: string, status?: number): void => {
        const failure: WebhookFailure = { ok: false, code, message, url };
        if (status !== undefined) failure.status = status;
        finish(failure);
        req.destroy();
      };
      const onAbort = (): void => fail(WebhookErrorCodes.retrievalFailure, 'request aborted');

      const req = transport.request(target, {
        method,
        headers,
        agent: agents[target.protocol as 'http:' | 'https:'],
      });
      const remaining = Math.max(0, deadline - clock.monotonic());
      timers.push(clock.setTimeout(() => fail(WebhookErrorCodes.retrievalFailure, `no complete answer within ${totalTimeoutMs} ms`), remaining));
      req.on('socket', (socket) => {
        // A kept-alive socket is already connected; only a new one gets the connect deadline.
        if (socket.connecting) {
          const connectTimer = clock.setTimeout(
            () => fail(WebhookErrorCodes.connectionFailure, `could not connect within ${connectTimeoutMs} ms`),
            Math.min(connectTimeoutMs, remaining),
          );
          timers.push(connectTimer);
          socket.once('connect', () => clock.clearTimeout(connectTimer));
        }
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code =
          error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
            ? WebhookErrorCodes.badHostName
            : error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EHOSTUNREACH'
              ? WebhookErrorCodes.connectionFailure
              : WebhookErrorCodes.retrievalFailure;
        fail(code, `${error.code ?? 'error'}: ${error.message}`);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (redirectStatuses.has(status) && typeof location === 'string') {
          res.resume();
          finish({ redirect: location, status });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) {
            fail(WebhookErrorCodes.responseTooLarge, `answer larger than ${maxBodyBytes} bytes`, status);
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => fail(WebhookErrorCodes.retrievalFailure, error.message, status));
        res.on('end', () => {
          if (status < 200 || status > 299) {
            fail(WebhookErrorCodes.retrievalFailure, `HTTP ${status}`, status);
            return;
          }
          finish({
            ok: true,
            status,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: String(res.headers['content-type'] ?? ''),
            url,
          });
        });
      });
      if (input.signal?.aborted === true) {
        onAbort();
        return;
      }
      input.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  return {
    request,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
