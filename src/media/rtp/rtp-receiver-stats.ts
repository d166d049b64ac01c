/**
 * Reception statistics for one RTP source, as RFC 3550 Appendix A computes them: the sequence number
 * bookkeeping of A.1, the loss figures of A.3 and the interarrival jitter of A.8. Every per-packet
 * method works on numbers held in fields: nothing is allocated while packets flow.
 */
import type { RtcpReportBlock } from './rtcp-packet.js';

/** A.1: "MAX_DROPOUT = 3000, MAX_MISORDER = 100, MIN_SEQUENTIAL = 2". */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;
const RTP_SEQ_MOD = 0x10000;

export interface RtpReceptionSummary {
  /** Packets accepted as in-sequence by A.1 (duplicates counted, as the RFC does). */
  received: number;
  /** A.3: extended highest sequence number − base sequence number + 1. */
  expected: number;
  /** A.3: expected − received (may be negative with duplicates). */
  lost: number;
  extendedHighestSequence: number;
  /** A.8 interarrival jitter, in timestamp units. */
  jitter: number;
  /** The same, in milliseconds. */
  jitterMs: number;
}

export class RtpReceiverStats {
  private readonly clockRate: number;
  private initialized = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private hasTransit = false;
  private jitterUnits = 0;

  constructor(clockRate: number) {
    this.clockRate = clockRate;
  }

  /** Forgets the source: the next packet starts a new one (a new SSRC, RFC 3550 §8.2). */
  reset(): void {
    this.initialized = false;
    this.cycles = 0;
    this.receivedCount = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.hasTransit = false;
    this.jitterUnits = 0;
    this.badSeq = RTP_SEQ_MOD + 1;
  }

  private initSeq(seq: number): void {
    // A.1 init_seq()
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /**
   * A.1 update_seq(): returns true when the packet counts for the source, false while the source is
   * on probation or when the number jumped so far that it is treated as bad until confirmed.
   */
  updateSequence(seq: number): boolean {
    if (!this.initialized) {
      // A.1: "the source is declared valid only after MIN_SEQUENTIAL packets have been received in sequence".
      this.initSeq(seq);
      this.maxSeq = seq - 1;
      this.probation = MIN_SEQUENTIAL;
      this.initialized = true;
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.receivedCount++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // A.1: in order, with permissible gap; a wrap counts another 64K cycle.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A.1: "the sequence number made a very large jump"; two sequential packets mean the other
      // side restarted without telling us, so resync.
      if (seq === this.badSeq) {
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // else: duplicate or reordered packet, counted as received (A.1).
    this.receivedCount++;
    return true;
  }

  /**
   * A.8: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1))/16, with D from the difference of relative transit
   * times. `arrivalMs` is a monotonic clock reading; both are taken modulo 2^32 timestamp units.
   */
  updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = Math.floor((arrivalMs * this.clockRate) / 1000) >>> 0;
    const transit = (arrival - rtpTimestamp) | 0;
    if (this.hasTransit) {
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.transit = transit;
    this.hasTransit = true;
  }

  /** What another thread needs to carry A.1 and A.8 on (the I/O thread's forwarding); undefined until the source is valid. */
  forwardingState(): { highestSequence: number; jitterUnits: number; transit: number } | undefined {
    if (!this.initialized || this.probation > 0 || !this.hasTransit) return undefined;
    return { highestSequence: this.maxSeq, jitterUnits: this.jitterUnits, transit: this.transit };
  }

  /**
   * `received` packets another thread counted from forwardingState() on, `highestSequence` the highest
   * of them (A.1's in-order rule applied to it: reports come far more often than the 16 bits wrap), and
   * its A.8 state, which replaces ours.
   */
  absorbForwarded(received: number, highestSequence: number, jitterUnits: number, transit: number): void {
    this.receivedCount += received;
    const udelta = (highestSequence - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      if (highestSequence < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = highestSequence;
    }
    this.jitterUnits = jitterUnits;
    this.transit = transit;
  }

  get received(): number {
    return this.receivedCount;
  }

  get extendedHighestSequence(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  get expected(): number {
    return this.initialized && this.probation === 0 ? this.cycles + this.maxSeq - this.baseSeq + 1 : 0;
  }

  get lost(): number {
    return this.expected - this.receivedCount;
  }

  get jitter(): number {
    return Math.floor(this.jitterUnits);
  }

  summary(): RtpReceptionSummary {
    return {
      received: this.receivedCount,
      expected: this.expected,
      lost: this.lost,
      extendedHighestSequence: this.extendedHighestSequence,
      jitter: this.jitter,
      jitterMs: (this.jitterUnits * 1000) / this.clockRate,
    };
  }

  /**
   * One reception report block (RFC 3550 §6.4.1) with the interval figures of A.3: fraction lost
   * since the previous call, which this call closes. `lastSenderReport` and `delay` come from the
   * caller, who knows when the source's last SR arrived.
   */
  reportBlock(ssrc: number, lastSenderReport: number, delaySinceLastSenderReport: number): RtcpReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    // A.3: "if (expected_interval == 0 || lost_interval <= 0) fraction = 0; else fraction = (lost_interval << 8) / expected_interval"
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.lost,
      extendedHighestSequence: this.extendedHighestSequence,
      jitter: this.jitter,
      lastSenderReport,
      delaySinceLastSenderReport,
    };
  }
}
