import { decodeTelephoneEvent } from './telephone-event.js';
import { dtmfDigitOfEvent, type DetectedDigit, type DtmfDigit } from './dtmf-digits.js';

export interface TelephoneEventReceiverOptions {
  /** Receives each digit exactly once, when it ends. A throwing listener is isolated by the caller. */
  onDigit: (digit: DetectedDigit) => void;
  /** RTP clock rate of the telephone-event payload type (RFC 4733 §7.1.1; 8000 with G.711/G.722). */
  clockRate?: number;
  /** An event with no packet for this long is ended by `expire` (its end packets were lost). */
  endTimeoutMs?: number;
}

/** How many ended events we remember to drop their redundant end packets and retransmissions. */
const REMEMBERED_EVENTS = 16;

/**
 * Turns a stream of RFC 4733 telephone-event packets into digits, each reported exactly once with its
 * start time and duration.
 *
 * RFC 4733 §2.5.1.3/§2.5.2: every packet of one event carries the same RTP timestamp (the event's start);
 * updates carry the growing duration; the final packet (E bit) is sent three times (§2.5.1.4), and
 * packets may be retransmitted or reordered. So an event is identified by its RTP timestamp; a
 * timestamp already ended is ignored; a new timestamp, or `expire` after silence, ends an event whose
 * end packets never came (§2.5.2.2).
 */
export class TelephoneEventReceiver {
  /** Payloads too short to hold an event, dropped (§2.3 requires 4 bytes). */
  malformedCount = 0;
  private readonly onDigit: (digit: DetectedDigit) => void;
  private readonly clockRate: number;
  private readonly endTimeoutMs: number;
  private readonly ended = new Float64Array(REMEMBERED_EVENTS).fill(-1);
  private endedNext = 0;
  private active: { timestamp: number; digit: DtmfDigit; startMs: number; duration: number; lastMs: number } | null = null;

  constructor(options: TelephoneEventReceiverOptions) {
    this.onDigit = options.onDigit;
    this.clockRate = options.clockRate ?? 8000;
    this.endTimeoutMs = options.endTimeoutMs ?? 500;
  }

  /**
   * Feeds one telephone-event packet: its payload, its RTP timestamp, and the arrival time in
   * milliseconds (from the engine's Clock).
   */
  receive(payload: Uint8Array, rtpTimestamp: number, nowMs: number): void {
    const event = decodeTelephoneEvent(payload);
    if (event === null) {
      this.malformedCount++;
      return;
    }
    // §3.2: codes above 15 are other tones (fax, line events); they are not digits.
    const digit = dtmfDigitOfEvent(event.event);
    if (digit === undefined) return;
    const timestamp = rtpTimestamp >>> 0;
    if (this.ended.includes(timestamp)) return; // redundant end packet or retransmission

    let active = this.active;
    if (active !== null && active.timestamp !== timestamp) {
      // §2.5.2.2: a new event begins, so the previous one ended even though its E packets were lost.
      this.finish(active);
      active = null;
    }
    if (active === null) {
      active = { timestamp, digit, startMs: nowMs, duration: 0, lastMs: nowMs };
      this.active = active;
    }
    // Reordered updates may carry a shorter duration than one already seen.
    if (event.duration > active.duration) active.duration = event.duration;
    active.lastMs = nowMs;
    if (event.end) this.finish(active);
  }

  /** Ends an event whose packets stopped arriving `endTimeoutMs` ago; call it from a timer or per packet. */
  expire(nowMs: number): void {
    const active = this.active;
    if (active !== null && nowMs - active.lastMs >= this.endTimeoutMs) this.finish(active);
  }

  private finish(active: { timestamp: number; digit: DtmfDigit; startMs: number; duration: number }): void {
    this.active = null;
    this.ended[this.endedNext] = active.timestamp;
    this.endedNext = (this.endedNext + 1) % REMEMBERED_EVENTS;
    this.onDigit({
      digit: active.digit,
      startMs: active.startMs,
      durationMs: (active.duration * 1000) / this.clockRate,
      source: 'rfc4733',
    });
  }
}
