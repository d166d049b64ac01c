/**
 * RFC 3261 Appendix A, Table 4: the timer values of the transaction layer. T1, T2 and T4 are
 * configurable (§17.1.1.1: "T1 is an estimate of the round-trip time (RTT), and it defaults to 500 ms";
 * §17.1.2.2: T2 "represents the amount of time a non-INVITE server transaction will take to respond";
 * T4 "represents the amount of time the network will take to clear messages"); every lettered timer is
 * derived from them here, in one place, for unreliable (UDP) and reliable (TCP/TLS) transports.
 */
export interface TimerSettings {
  /** RTT estimate. Default 500 ms. */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4 s. */
  t2: number;
  /** Maximum duration a message will remain in the network. Default 5 s. */
  t4: number;
  /** Timer D over unreliable transports: "at least 32 seconds" (§17.1.1.2). Default 32 s. */
  timerDUnreliable: number;
  /** §17.2.1: send 100 (Trying) if the TU has not responded within this delay. Default 200 ms. */
  tryingDelay: number;
  /**
   * Timer C (Table 4: "> 3min", §16.6 bullet 11), which RFC 3261 gives proxies, applied to our INVITE client
   * transactions too, as Sofia-SIP and Kamailio do: a Proceeding INVITE with no provisional response for
   * this long is CANCELled (§9.1), so that a peer that rang and vanished cannot hold it forever. Each
   * provisional response restarts it (§16.7 bullet 2). 0 turns it off. Default 180 s.
   */
  timerC: number;
}

export const defaultTimerSettings: Readonly<TimerSettings> = Object.freeze({
  t1: 500,
  t2: 4_000,
  t4: 5_000,
  timerDUnreliable: 32_000,
  tryingDelay: 200,
  timerC: 180_000,
});

export function resolveTimerSettings(overrides: Partial<TimerSettings> = {}): TimerSettings {
  const settings = { ...defaultTimerSettings, ...overrides };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`timer ${name} must be a non-negative number, got ${value}`);
  }
  return settings;
}

/** The lettered timers of Table 4 for one transaction, given whether its transport is reliable. */
export class TimerValues {
  constructor(
    readonly settings: TimerSettings,
    readonly reliable: boolean,
  ) {}

  /** Timer A: initially T1, INVITE request retransmit interval, for UDP only. */
  get a(): number { return this.settings.t1; }
  /** Timer B: 64*T1, INVITE transaction timeout. */
  get b(): number { return 64 * this.settings.t1; }
  /** Timer C: > 3 min, a Proceeding INVITE's wait for a provisional response (0: off). Any transport. */
  get c(): number { return this.settings.timerC; }
  /** Timer D: > 32 s for UDP, 0 s for TCP/SCTP; wait time for response retransmits. */
  get d(): number { return this.reliable ? 0 : this.settings.timerDUnreliable; }
  /** Timer E: initially T1, non-INVITE request retransmit interval, UDP only. */
  get e(): number { return this.settings.t1; }
  /** Timer F: 64*T1, non-INVITE transaction timeout. */
  get f(): number { return 64 * this.settings.t1; }
  /** Timer G: initially T1, INVITE response retransmit interval. */
  get g(): number { return this.settings.t1; }
  /** Timer H: 64*T1, wait time for ACK receipt. */
  get h(): number { return 64 * this.settings.t1; }
  /** Timer I: T4 for UDP, 0 s for TCP/SCTP; wait time for ACK retransmits. */
  get i(): number { return this.reliable ? 0 : this.settings.t4; }
  /** Timer J: 64*T1 for UDP, 0 s for TCP/SCTP; wait time for non-INVITE request retransmits. */
  get j(): number { return this.reliable ? 0 : 64 * this.settings.t1; }
  /** Timer K: T4 for UDP, 0 s for TCP/SCTP; wait time for response retransmits. */
  get k(): number { return this.reliable ? 0 : this.settings.t4; }
  /** RFC 6026 Timer L: 64*T1, wait time for accepted INVITE request retransmits. */
  get l(): number { return 64 * this.settings.t1; }
  /** RFC 6026 Timer M: 64*T1, wait time for retransmission of 2xx to INVITE or additional 2xx from other branches. */
  get m(): number { return 64 * this.settings.t1; }
}
