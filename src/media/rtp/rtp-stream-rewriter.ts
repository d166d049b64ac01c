/**
 * Keeps one outbound RTP stream continuous while what feeds it changes: a prompt played on the leg,
 * then the far leg relayed through a bridge, then the far leg changing its SSRC after a re-INVITE.
 *
 * RFC 3550 §5.1: the SSRC identifies one synchronization source and its sequence numbers increment
 * by one per packet, from a random start; the timestamp advances with the sampling clock, from a
 * random start. A receiver that sees those jump without an SSRC change may drop packets as
 * duplicates or late (A.1 treats a large jump as a restart only after two packets). So each packet
 * going out of a port is rewritten here to the port's own SSRC, with sequence number and timestamp
 * offsets that are rebased whenever the source changes, and kept constant otherwise, so that losses
 * and reordering on the inbound side show through unchanged.
 */
import type { RtpPacketView } from './rtp-packet-view.js';

export interface RtpStreamRewriterOptions {
  /** Our SSRC on this leg. */
  ssrc: number;
  /** Sampling clock of the stream (8000 for G.711). */
  clockRate: number;
  /** Samples in one packet (ptime × clockRate / 1000): the least a timestamp advances across a rebase. */
  samplesPerPacket: number;
  /** First sequence number and timestamp sent (RFC 3550 §5.1: SHOULD be random). */
  initialSequenceNumber: number;
  initialTimestamp: number;
}

export class RtpStreamRewriter {
  readonly ssrc: number;
  private readonly unitsPerMs: number;
  private readonly samplesPerPacket: number;
  private hasSource = false;
  private sourceSsrc = 0;
  private sequenceDelta = 0;
  private timestampDelta = 0;
  private hasSent = false;
  /**
   * Last sequence number, timestamp and monotonic time sent (for rebasing and for RTCP SR). Given
   * numeric initial values here, not only in the constructor: a field declared bare starts out
   * `undefined` (ES2022 class fields), V8 then keeps it as a generic tagged field, and every store of a
   * timestamp beyond the small-integer range (most uint32 values) allocates a number box per packet.
   */
  lastSequenceNumber = 0;
  lastTimestamp = 0;
  lastSentAtMs = 0;
  /** Number of times the source changed after the first (each one a discontinuity we hid). */
  rebases = 0;

  constructor(options: RtpStreamRewriterOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.unitsPerMs = options.clockRate / 1000;
    this.samplesPerPacket = options.samplesPerPacket;
    this.lastSequenceNumber = (options.initialSequenceNumber - 1) & 0xffff;
    this.lastTimestamp = (options.initialTimestamp - options.samplesPerPacket) >>> 0;
  }

  /** The offsets applied to `ssrc`'s packets, when it is the current source. */
  offsetsFor(ssrc: number): { sequenceDelta: number; timestampDelta: number } | undefined {
    return this.hasSource && this.sourceSsrc === ssrc ? { sequenceDelta: this.sequenceDelta, timestampDelta: this.timestampDelta } : undefined;
  }

  /** Whether `ssrc`'s next packet starts a new source (a rebase, which needs the last packet sent). */
  wouldRebase(ssrc: number): boolean {
    return !this.hasSource || ssrc !== this.sourceSsrc;
  }

  /**
   * Packets of the current source that another thread rewrote with `offsetsFor`'s offsets and sent
   * (the I/O thread's forwarding): the one with the highest sequence number, as it arrived there.
   */
  absorbForwarded(sequenceNumber: number, timestamp: number, sentAtMs: number): void {
    const outSequence = (sequenceNumber + this.sequenceDelta) & 0xffff;
    if (!this.hasSent || ((outSequence - this.lastSequenceNumber) & 0xffff) < 0x8000) {
      this.lastSequenceNumber = outSequence;
      this.lastTimestamp = (timestamp + this.timestampDelta) >>> 0;
    }
    if (sentAtMs > this.lastSentAtMs) this.lastSentAtMs = sentAtMs;
    this.hasSent = true;
  }

  /** Makes the next packet start a new source even if it carries the same SSRC (e.g. a new prompt). */
  breakSource(): void {
    this.hasSource = false;
  }

  /**
   * Rewrites SSRC, sequence number and timestamp in place. On a source change the first packet
   * continues our sequence (last + 1) and our timestamp advanced by the wall time elapsed, at least
   * one packet's worth; `markDiscontinuity` then sets the marker bit, which for audio tells the
   * receiver a new talkspurt starts (RFC 3551 §4.1) so it may resync its playout buffer.
   */
  rewrite(packet: RtpPacketView, nowMs: number, markDiscontinuity: boolean): void {
    if (!this.hasSource || packet.ssrc !== this.sourceSsrc) {
      let advance = this.samplesPerPacket;
      if (this.hasSent) {
        const elapsed = Math.round((nowMs - this.lastSentAtMs) * this.unitsPerMs);
        if (elapsed > advance) advance = elapsed;
      }
      this.sequenceDelta = (this.lastSequenceNumber + 1 - packet.sequenceNumber) & 0xffff;
      this.timestampDelta = (this.lastTimestamp + advance - packet.timestamp) >>> 0;
      if (this.hasSource) this.rebases++;
      this.hasSource = true;
      this.sourceSsrc = packet.ssrc;
      if (markDiscontinuity && this.hasSent) packet.setMarker(true);
    }
    const sequenceNumber = (packet.sequenceNumber + this.sequenceDelta) & 0xffff;
    const timestamp = (packet.timestamp + this.timestampDelta) >>> 0;
    packet.setSsrc(this.ssrc);
    packet.setSequenceNumber(sequenceNumber);
    packet.setTimestamp(timestamp);
    // Only a packet ahead of the last one moves the reference forward: a late, reordered packet
    // keeps its place in the sequence, as it had upstream.
    if (!this.hasSent || ((sequenceNumber - this.lastSequenceNumber) & 0xffff) < 0x8000) {
      this.lastSequenceNumber = sequenceNumber;
      this.lastTimestamp = timestamp;
    }
    this.lastSentAtMs = nowMs;
    this.hasSent = true;
  }
}
