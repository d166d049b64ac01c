/**
 * The leg of a call as the verbs see it (LegControl + LegMedia), over the SIP dialog and media the
 * wiring provides. It owns the call's status moves that the leg causes: answered → in-progress,
 * rejected → busy | no-answer, hung up → completed, the caller gone before the answer → canceled.
 */
import type { Logger } from '../kernel/index.js';
import type { Call } from './call.js';
import type { Leg, LegMedia, PlayOutcome, PlaySource, RecordingResult, RecordOptions } from './leg.js';

/** What the SIP UA does for a leg (implemented by the wiring over the server INVITE and its dialog). */
export interface SipLegPort {
  /** 200 OK with the media engine's SDP answer; resolves once the answer is sent. */
  answer(): Promise<void>;
  /** A final non-2xx response to the INVITE (486, 603). */
  reject(statusCode: number): Promise<void>;
  /** BYE on the confirmed dialog. */
  bye(): Promise<void>;
}

// Twilio <Reject reason>: "busy will play a busy signal", "rejected … a standard not-in-service
// response"; on SIP those are 486 Busy Here and 603 Decline (the issue's mapping).
const rejectStatus = { busy: 486, rejected: 603 } as const;
// Twilio: "The call ends with a status of busy or no-answer, depending on the verb's reason attribute."
const rejectCallStatus = { busy: 'busy', rejected: 'no-answer' } as const;

export class CallLeg implements Leg {
  private answering: Promise<void> | undefined;
  private hangingUp: Promise<void> | undefined;
  private readonly hangupListeners = new Set<() => void>();

  constructor(
    private readonly call: Call,
    private readonly sip: SipLegPort,
    private readonly media: LegMedia,
    private readonly logger: Logger,
  ) {}

  private isAnswered = false;

  get answered(): boolean {
    return this.isAnswered;
  }

  answer(): Promise<void> {
    this.answering ??= (async () => {
      if (this.call.ended) return;
      await this.sip.answer();
      this.isAnswered = true;
      // The caller may have gone while the 200 OK was on its way.
      if (!this.call.ended) this.call.setStatus('in-progress');
    })();
    return this.answering;
  }

  async reject(reason: 'busy' | 'rejected'): Promise<void> {
    if (this.call.ended || this.answering !== undefined) return;
    await this.sip.reject(rejectStatus[reason]);
    if (!this.call.ended) this.call.setStatus(rejectCallStatus[reason]);
  }

  /** Twilio answers even a call whose first verb is <Hangup>, so an unanswered leg is answered first. */
  hangup(): Promise<void> {
    this.hangingUp ??= (async () => {
      await this.answer();
      if (this.call.ended) return;
      this.call.setStatus('completed');
      await this.sip.bye();
    })();
    return this.hangingUp;
  }

  /**
   * The wiring calls this on the caller's BYE or CANCEL: the call ends (completed once answered,
   * canceled before) and every listener, the document runner's abort among them, hears it.
   */
  remoteHangup(): void {
    if (this.call.ended) return;
    this.call.setStatus(this.call.status === 'in-progress' ? 'completed' : 'canceled');
    for (const listener of [...this.hangupListeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error('hang-up listener failed', { callSid: this.call.sid, error: String(error) });
      }
    }
  }

  onRemoteHangup(listener: () => void): () => void {
    this.hangupListeners.add(listener);
    return () => this.hangupListeners.delete(listener);
  }

  play(source: PlaySource, signal: AbortSignal): Promise<PlayOutcome> {
    return this.media.play(source, signal);
  }

  onDigit(listener: (digit: string) => void): () => void {
    return this.media.onDigit(listener);
  }

  record(options: RecordOptions, signal: AbortSignal): Promise<RecordingResult> {
    return this.media.record(options, signal);
  }
}
