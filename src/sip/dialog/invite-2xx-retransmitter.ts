import type { Clock, TimerHandle } from '../../kernel/index.js';
import type { TimerSettings } from '../transaction/index.js';

export interface Invite2xxRetransmitterOptions {
  clock: Clock;
  /** T1 and T2 of the transaction layer (RFC 3261 Table 4). */
  timers: Pick<TimerSettings, 't1' | 't2'>;
  /** Passes the 2xx to the INVITE server transaction again (RFC 6026 Accepted state sends it). */
  retransmit: () => void;
  /** 64*T1 went by without an ACK. */
  onAckTimeout: () => void;
}

/**
 * RFC 3261 §13.3.1.4: the UAS core, not the transaction, keeps the 2xx to an INVITE alive until the ACK
 * arrives. "The 2xx response is passed to the transport with an interval that starts at T1 seconds and
 * doubles for each retransmission until it reaches T2 seconds. Response retransmissions cease when an
 * ACK request for the response is received. This is independent of whatever transport protocols are used
 * to send the response." "If the server retransmits the 2xx response for 64*T1 seconds without receiving
 * an ACK, the dialog is confirmed, but the session SHOULD be terminated. This is accomplished with a BYE".
 * Start it right after sending the 2xx.
 */
export class Invite2xxRetransmitter {
  private readonly options: Invite2xxRetransmitterOptions;
  private interval: number;
  private retransmitTimer: TimerHandle | undefined;
  private giveUpTimer: TimerHandle | undefined;
  private running = false;

  constructor(options: Invite2xxRetransmitterOptions) {
    this.options = options;
    this.interval = options.timers.t1;
  }

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.interval = this.options.timers.t1;
    this.schedule();
    this.giveUpTimer = this.options.clock.setTimeout(() => {
      this.stop();
      this.options.onAckTimeout();
    }, 64 * this.options.timers.t1);
  }

  /** The ACK for the 2xx arrived: retransmissions cease. */
  ackReceived(): void {
    this.stop();
  }

  stop(): void {
    this.running = false;
    this.options.clock.clearTimeout(this.retransmitTimer);
    this.options.clock.clearTimeout(this.giveUpTimer);
    this.retransmitTimer = undefined;
    this.giveUpTimer = undefined;
  }

  private schedule(): void {
    this.retransmitTimer = this.options.clock.setTimeout(() => {
      if (!this.running) return;
      this.options.retransmit();
      this.interval = Math.min(this.interval * 2, this.options.timers.t2);
      this.schedule();
    }, this.interval);
  }
}
