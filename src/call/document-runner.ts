/**
 * Runs a call's application: fetches the voice URL, runs the document's verbs in order, follows
 * <Redirect> and verb actions to the next document, and hangs up when a document runs out (issue 5:
 * "a document that runs out hangs up", as on Twilio, whose examples end without <Hangup>). When no document can be had, the caller hears a short spoken error and the
 * call ends (INTERFACE.md "Webhooks").
 *
 * One interruption path: each document runs under one AbortController. The caller's hang-up (through
 * the leg) and an outside redirect (a REST update) abort it with an Interruption saying why.
 */
import { type Clock, ErrorCodes, type Logger } from '../kernel/index.js';
import type { Dial, Enqueue, HttpMethod, Leave, Verb, VoiceDocument } from '../markup/index.js';
import type { Call } from './call.js';
import type { DocumentFetcher, DocumentTarget } from './document-fetcher.js';
import { Interruption, interruptCause } from './interruption.js';
import type { Leg } from './leg.js';
import {
  executeGather,
  executeHangup,
  executePause,
  executePlay,
  executeRecord,
  executeRedirect,
  executeReject,
  executeSay,
  type VerbContext,
  type VerbExecutor,
  type VerbOutcome,
} from './verbs/index.js';
import { verbResultParameters, voiceRequestParameters, type WebhookParameters } from './webhook-parameters.js';

/** What the caller hears when no document can be had (issue 5's wording). */
export const applicationErrorText = 'An application error has occurred. Goodbye.';

/** Where the next document comes from: a URL to fetch, or markup handed over directly (REST `Twiml`). */
export type DocumentSource = { kind: 'url'; url: string; method: HttpMethod } | { kind: 'markup'; text: string };

/** Verbs whose executors live elsewhere (call/dial for <Dial>); a verb without one is skipped with a warning. */
export interface OtherExecutors {
  dial?: VerbExecutor<Dial>;
  enqueue?: VerbExecutor<Enqueue>;
  leave?: VerbExecutor<Leave>;
}

export interface DocumentRunnerOptions {
  call: Call;
  leg: Leg;
  fetcher: DocumentFetcher;
  /** The route's voice URL and method: the first document. */
  voice: DocumentTarget;
  clock: Clock;
  logger: Logger;
  otherExecutors?: OtherExecutors;
}

interface Next {
  source: DocumentSource;
  params: WebhookParameters;
}

export class DocumentRunner {
  private current: AbortController | undefined;
  private pending: DocumentSource | undefined;
  private running: Promise<void> | undefined;
  private hungUp = false;

  constructor(private readonly options: DocumentRunnerOptions) {}

  /** Runs the application from the voice URL (or `start`) until the call ends. Resolves then; never rejects. */
  run(start?: DocumentSource): Promise<void> {
    this.running ??= this.loop(start ?? { kind: 'url', ...this.options.voice });
    return this.running;
  }

  /**
   * From outside (a REST update with Url or Twiml): stops the running verb and runs `source` instead.
   * False when the call is already over.
   */
  redirect(source: DocumentSource): boolean {
    if (this.hungUp || this.options.call.ended || this.running === undefined) return false;
    this.pending = source;
    this.current?.abort(new Interruption('redirect'));
    return true;
  }

  private async loop(start: DocumentSource): Promise<void> {
    const { leg, logger, call } = this.options;
    const stopListening = leg.onRemoteHangup(() => {
      this.hungUp = true;
      this.current?.abort(new Interruption('hangup'));
    });
    try {
      let next: Next | undefined = { source: start, params: {} };
      while (!this.hungUp && !call.ended) {
        // An outside redirect that came while the last document was finishing still wins.
        if (this.pending !== undefined) {
          next = { source: this.pending, params: {} };
          this.pending = undefined;
        }
        if (next === undefined) break;
        const controller = new AbortController();
        this.current = controller;
        next = await this.runOne(next, controller.signal);
      }
    } catch (error) {
      logger.error('document runner failed', { callSid: call.sid, error: String(error) });
      this.options.fetcher.report(ErrorCodes.internal, `the call could not go on: ${String(error)}`, 'error');
      if (!this.hungUp && !call.ended) await this.endQuietly();
    } finally {
      stopListening();
      this.current = undefined;
    }
  }

  /** Loads one document and runs it; returns what to run next, if anything. */
  private async runOne(next: Next, signal: AbortSignal): Promise<Next | undefined> {
    const { fetcher, call } = this.options;
    let document: VoiceDocument | undefined;
    let documentUrl: string | undefined;
    if (next.source.kind === 'markup') {
      document = fetcher.parseInline(next.source.text);
      if (document === undefined) return this.applicationError(signal);
    } else {
      const params = { ...voiceRequestParameters(call.snapshot()), ...next.params };
      const fetched = await fetcher.fetch({ url: next.source.url, method: next.source.method }, params, signal);
      if (!fetched.ok) return fetched.aborted ? this.afterInterruption(signal) : this.applicationError(signal);
      document = fetched.document;
      documentUrl = fetched.url;
    }
    return this.execute(document, documentUrl, signal);
  }

  private async execute(document: VoiceDocument, documentUrl: string | undefined, signal: AbortSignal): Promise<Next | undefined> {
    const { leg, clock, call } = this.options;
    const context: VerbContext = { leg, clock, ...(documentUrl === undefined ? {} : { documentUrl }) };
    for (const verb of document.verbs) {
      if (signal.aborted) return this.afterInterruption(signal);
      const outcome = await this.executeVerb(verb, context, signal);
      switch (outcome.kind) {
        case 'next':
          continue;
        case 'ended':
          return undefined;
        case 'interrupted':
          return this.afterInterruption(signal);
        case 'request': {
          const params = verbResultParameters(outcome.result);
          if (outcome.follow) return { source: { kind: 'url', url: outcome.url, method: outcome.method }, params };
          // The caller is gone: Twilio still tells the application (Record's Digits=hangup), runs nothing.
          await this.options.fetcher.notifyOnly(
            { url: outcome.url, method: outcome.method },
            { ...voiceRequestParameters(call.snapshot()), ...params },
          );
          return undefined;
        }
      }
    }
    if (signal.aborted) return this.afterInterruption(signal);
    // The document ran out: the call ends.
    await leg.hangup();
    return undefined;
  }

  private executeVerb(verb: Verb, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
    switch (verb.verb) {
      case 'say':
        return executeSay(verb, context, signal);
      case 'play':
        return executePlay(verb, context, signal);
      case 'pause':
        return executePause(verb, context, signal);
      case 'gather':
        return executeGather(verb, context, signal);
      case 'hangup':
        return executeHangup(verb, context, signal);
      case 'redirect':
        return executeRedirect(verb, context, signal);
      case 'reject':
        return executeReject(verb, context, signal);
      case 'record':
        return executeRecord(verb, context, signal);
      case 'dial':
        return this.other(verb, this.options.otherExecutors?.dial, context, signal);
      case 'enqueue':
        return this.other(verb, this.options.otherExecutors?.enqueue, context, signal);
      case 'leave':
        return this.other(verb, this.options.otherExecutors?.leave, context, signal);
    }
  }

  private async other<V extends Verb>(verb: V, executor: VerbExecutor<V> | undefined, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
    if (executor !== undefined) return executor(verb, context, signal);
    this.options.fetcher.report(ErrorCodes.schemaValidationWarning, `<${verb.verb}> is not supported here; skipped`, 'warning');
    return { kind: 'next' };
  }

  /** After an abort: an outside redirect runs its document; a hang-up ends everything. */
  private afterInterruption(signal: AbortSignal): Next | undefined {
    if (interruptCause(signal) !== 'redirect' || this.pending === undefined) return undefined;
    const source = this.pending;
    this.pending = undefined;
    return { source, params: {} };
  }

  /** No document could be had: "An application error has occurred. Goodbye." and the call ends. */
  private async applicationError(signal: AbortSignal): Promise<Next | undefined> {
    const { leg } = this.options;
    if (signal.aborted) return this.afterInterruption(signal);
    await leg.answer();
    if (!signal.aborted) await leg.play({ kind: 'say', text: applicationErrorText }, signal);
    if (signal.aborted) return this.afterInterruption(signal);
    await this.endQuietly();
    return undefined;
  }

  private async endQuietly(): Promise<void> {
    try {
      await this.options.leg.hangup();
    } catch (error) {
      this.options.logger.error('hang-up failed', { callSid: this.options.call.sid, error: String(error) });
    }
  }
}
