/**
 * SipLegPort over the UA's IncomingCall and, once answered, its SipCall.
 *
 * - answer: 200 OK with the media leg's SDP answer (RFC 3261 §13.3.1.4); resolves once the ACK came
 *   (a BYE must wait for it anyway, §15). A caller who cancelled first makes it a no-op: the call is
 *   already over and the leg hears it through `gone`. For an INVITE without an offer the 200 carries
 *   our offer and `checkAnswer` reads the ACK's answer (§13.2.1); a missing or unusable one ends the
 *   call with BYE and a Reason header (RFC 3326) and the caller counts as gone.
 * - reject: a final 4xx–6xx (486 for <Reject reason="busy">, 603 for "rejected").
 * - bye: BYE on the confirmed dialog; idempotent.
 * - `gone`: the caller's CANCEL (the UA already answered 487), their BYE, or the dialog failing
 *   (no ACK, session timer expired, 408/481): the wiring calls `leg.remoteHangup()`.
 */
import type { Logger } from '../../kernel/index.js';
import type { AnswerOutcome } from './media-leg.js';
import { quote, type IncomingCall, type SipCall } from '../../sip/index.js';
import type { SipLegPort } from '../call-leg.js';

/** Reads the confirmed call's SDP (the ACK's answer to our offer) before the call counts as answered. */
export type AnswerCheck = (call: SipCall) => AnswerOutcome;

export class SipLeg implements SipLegPort {
  /**
   * Until the INVITE has its final response: the answered call goes on with its SipCall, and the
   * IncomingCall (with the whole INVITE) need not live as long as the call.
   */
  private incoming: IncomingCall | undefined;
  private sipCall: SipCall | undefined;
  private answering: Promise<void> | undefined;
  private readonly goneListeners = new Set<() => void>();
  private readonly answeredListeners = new Set<() => void>();
  private isGone = false;

  constructor(
    incoming: IncomingCall,
    private readonly answerSdp: Buffer,
    private readonly logger: Logger,
    private readonly checkAnswer?: AnswerCheck,
  ) {
    this.incoming = incoming;
    incoming.on('cancelled', () => this.gone('the caller cancelled'));
  }

  /** The established call, once answered. */
  get call(): SipCall | undefined {
    return this.sipCall;
  }

  get callerGone(): boolean {
    return this.isGone;
  }

  /** The caller is gone however it happened; called once. Returns the function that stops listening. */
  onGone(listener: () => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  /** The 200 was acknowledged: the call is established. */
  onAnswered(listener: () => void): void {
    this.answeredListeners.add(listener);
  }

  /** 180 Ringing while the application is fetched (RFC 3261 §13.3.1.1). */
  ring(): void {
    this.incoming?.progress(180);
  }

  /** 183 Session Progress with `sdp`, for early media before the answer (a no-op once answered). */
  sessionProgress(sdp: Buffer): void {
    const incoming = this.incoming;
    if (incoming !== undefined && (incoming.state === 'offered' || incoming.state === 'early')) incoming.progress(183, sdp);
  }

  answer(): Promise<void> {
    this.answering ??= (async () => {
      const incoming = this.incoming;
      if (this.isGone || incoming === undefined || (incoming.state !== 'offered' && incoming.state !== 'early')) return;
      const accepted = incoming.accept(this.answerSdp);
      let call: SipCall;
      try {
        call = await accepted;
      } catch (error) {
        this.incoming = undefined;
        // Cancelled while the 200 was on its way, or no ACK within 64*T1 (the UA sent BYE itself).
        this.logger.warn('the answer was not acknowledged', { error: String(error) });
        this.gone('no ACK for our 200');
        return;
      }
      this.incoming = undefined;
      this.sipCall = call;
      if (call.isEnded) {
        this.gone('the caller hung up before the ACK');
        return;
      }
      const checked = this.checkAnswer?.(call);
      if (checked !== undefined && !checked.ok) {
        this.logger.warn('no usable SDP answer in the ACK: ending the call', { code: checked.code, reason: checked.reason });
        // RFC 3264 gives no way to refuse an answer: the session ends (RFC 3326 says why; 488 is the
        // status that would have refused it as an offer).
        void call.bye([{ name: 'Reason', value: `SIP;cause=488;text=${quote(checked.reason)}` }]).catch(() => undefined);
        this.gone('no usable SDP answer in the ACK');
        return;
      }
      call.on('ended', (end) => {
        if (end.by !== 'local') this.gone(`call ended (${end.by})`);
      });
      for (const listener of this.answeredListeners) {
        try {
          listener();
        } catch (error) {
          this.logger.error('answered listener failed', { error: String(error) });
        }
      }
    })();
    return this.answering;
  }

  async reject(statusCode: number): Promise<void> {
    this.incoming?.reject(statusCode);
    this.incoming = undefined;
  }

  async bye(): Promise<void> {
    // An answer still waiting for its ACK: the BYE goes once it is settled (§15).
    if (this.answering !== undefined) await this.answering;
    const call = this.sipCall;
    if (call === undefined || call.isEnded) return;
    await call.bye();
  }

  /** Ends the SIP side whatever state it is in: 480 while ringing, BYE once answered. Idempotent. */
  async close(): Promise<void> {
    if (this.answering === undefined && this.incoming !== undefined) {
      if (this.incoming.state === 'offered' || this.incoming.state === 'early') {
        await this.reject(480);
        return;
      }
    }
    await this.bye().catch((error: unknown) => this.logger.warn('BYE failed', { error: String(error) }));
  }

  private gone(why: string): void {
    if (this.isGone) return;
    this.isGone = true;
    this.logger.info('the caller is gone', { why });
    for (const listener of [...this.goneListeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error('gone listener failed', { error: String(error) });
      }
    }
  }
}
