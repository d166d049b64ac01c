/**
 * Fetching the next document: the request (signed by the webhook client), the content-type check,
 * parsing with the route's dialect, and the fallback URL when the first attempt fails (INTERFACE.md:
 * "A webhook that fails (connection error, 10 s to connect, 15 s in all, non-2xx, not markup) goes to
 * the fallback URL, with ErrorCode and ErrorUrl added, when there is one"). Every failure and every
 * problem in a document is recorded as a notification with its code.
 */
import { ErrorCodes, type Logger } from '../kernel/index.js';
import { type Dialect, type HttpMethod, parseDocument, type VoiceDocument } from '../markup/index.js';
import type { WebhookOutcome, WebhookRequest } from '../webhook/index.js';
import type { NotificationInput, NotificationSink } from './notifications.js';
import { fallbackParameters, type WebhookParameters } from './webhook-parameters.js';

/** The part of the webhook client the engine uses. */
export interface WebhookPort {
  request(request: WebhookRequest): Promise<WebhookOutcome>;
}

export interface DocumentTarget {
  url: string;
  method: HttpMethod;
}

export interface FetcherOptions {
  webhook: WebhookPort;
  /** The account's auth token, for X-Twilio-Signature. */
  authToken: string;
  accountSid: string;
  callSid: string;
  dialect: Dialect;
  enhancedSip: boolean;
  fallback?: DocumentTarget;
  notifications: NotificationSink;
  logger: Logger;
}

export type FetchResult =
  | { ok: true; document: VoiceDocument; url: string }
  /** Both the URL and the fallback (if any) failed; `code` is the last failure's. */
  | { ok: false; aborted: false; code: number }
  /** The signal fired (a hang-up or an outside redirect); nothing is recorded. */
  | { ok: false; aborted: true };

/**
 * Twilio reads TwiML from text/xml, application/xml and text/html answers; anything else is 12300
 * "Invalid Content-Type".
 */
const markupTypes: ReadonlySet<string> = new Set(['text/xml', 'application/xml', 'text/html']);

export function isMarkupContentType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return markupTypes.has(mediaType);
}

type Attempt = { ok: true; document: VoiceDocument; url: string } | { ok: false; code: number };

export class DocumentFetcher {
  constructor(private readonly options: FetcherOptions) {}

  /** Fetches `target` with `params`; on failure, the fallback URL with ErrorCode and ErrorUrl. */
  async fetch(target: DocumentTarget, params: WebhookParameters, signal: AbortSignal): Promise<FetchResult> {
    const first = await this.attempt(target, params, signal);
    if (signal.aborted) return { ok: false, aborted: true };
    if (first.ok) return first;
    const fallback = this.options.fallback;
    if (fallback === undefined) return { ok: false, aborted: false, code: first.code };
    const second = await this.attempt(fallback, { ...params, ...fallbackParameters(first.code, target.url) }, signal);
    if (signal.aborted) return { ok: false, aborted: true };
    return second.ok ? second : { ok: false, aborted: false, code: second.code };
  }

  /** Parses markup given inline (a REST update's Twiml); problems are recorded like a fetched document's. */
  parseInline(text: string): VoiceDocument | undefined {
    return this.parse(text, undefined, undefined, undefined).document;
  }

  /** Sends a request whose answer is not run (Record's action after the caller hung up). */
  async notifyOnly(target: DocumentTarget, params: WebhookParameters, signal?: AbortSignal): Promise<void> {
    const outcome = await this.options.webhook.request(this.request(target, params, signal));
    if (!outcome.ok) this.failure(outcome.code, outcome.message, target, params, 'error');
  }

  /** Records a problem met while running the document (a verb skipped, an engine failure). */
  report(errorCode: number, messageText: string, logLevel: 'error' | 'warning'): void {
    this.failure(errorCode, messageText, undefined, undefined, logLevel);
  }

  private request(target: DocumentTarget, params: WebhookParameters, signal: AbortSignal | undefined): WebhookRequest {
    return {
      url: target.url,
      method: target.method,
      params,
      authToken: this.options.authToken,
      // INTERFACE.md: "cXML routes also carry the same value as X-SignalWire-Signature".
      signalWireSignature: this.options.dialect === 'cxml',
      ...(signal === undefined ? {} : { signal }),
    };
  }

  private async attempt(target: DocumentTarget, params: WebhookParameters, signal: AbortSignal): Promise<Attempt> {
    const outcome = await this.options.webhook.request(this.request(target, params, signal));
    if (signal.aborted) return { ok: false, code: ErrorCodes.httpRetrievalFailure };
    if (!outcome.ok) {
      this.failure(outcome.code, outcome.message, target, params, 'error');
      return { ok: false, code: outcome.code };
    }
    if (!isMarkupContentType(outcome.contentType)) {
      const code = ErrorCodes.invalidContentType;
      this.failure(code, `Content-Type "${outcome.contentType}" is not markup (text/xml, application/xml, text/html)`, target, params, 'error', outcome.body);
      return { ok: false, code };
    }
    const { document, errorCode } = this.parse(outcome.body, target, params, outcome.body);
    if (document === undefined) return { ok: false, code: errorCode };
    return { ok: true, document, url: target.url };
  }

  private parse(
    text: string,
    target: DocumentTarget | undefined,
    params: WebhookParameters | undefined,
    body: string | undefined,
  ): { document: VoiceDocument | undefined; errorCode: number } {
    const result = parseDocument(text, { dialect: this.options.dialect, enhancedSip: this.options.enhancedSip });
    for (const problem of result.problems) {
      this.failure(problem.code, `${problem.line}:${problem.column} ${problem.message}`, target, params, problem.severity, body);
    }
    // The fallback is told the first error that made the document unusable (e.g. 13250), 12100 when
    // nothing more specific is known.
    const firstError = result.problems.find((problem) => problem.severity === 'error');
    if (result.document === undefined && firstError === undefined) {
      this.failure(ErrorCodes.documentParseFailure, 'the document could not be read', target, params, 'error', body);
    }
    return { document: result.document, errorCode: firstError?.code ?? ErrorCodes.documentParseFailure };
  }

  private failure(
    errorCode: number,
    messageText: string,
    target: DocumentTarget | undefined,
    params: WebhookParameters | undefined,
    logLevel: 'error' | 'warning',
    responseBody?: string,
  ): void {
    const notification: NotificationInput = {
      accountSid: this.options.accountSid,
      callSid: this.options.callSid,
      errorCode,
      logLevel,
      messageText,
      ...(target === undefined ? {} : { requestUrl: target.url, requestMethod: target.method }),
      ...(params === undefined ? {} : { requestVariables: params }),
      ...(responseBody === undefined ? {} : { responseBody }),
    };
    this.options.logger.warn('application problem', { callSid: this.options.callSid, errorCode, messageText, url: target?.url });
    try {
      const pending = this.options.notifications.record(notification);
      if (pending instanceof Promise) {
        pending.catch((error: unknown) => this.options.logger.error('notification not recorded', { errorCode, error: String(error) }));
      }
    } catch (error) {
      this.options.logger.error('notification not recorded', { errorCode, error: String(error) });
    }
  }
}
