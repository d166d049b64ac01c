/**
 * Hands out RTP ports from the configured range (`media.portRange`). RFC 3550 §11: "For UDP and
 * similar protocols, RTP SHOULD use an even destination port number and the corresponding RTCP
 * stream SHOULD use the next higher (odd) destination port number", so the unit is a pair.
 *
 * Allocation is round-robin rather than lowest-free: a pair just released is the last to be reused,
 * which keeps stray packets of an ended call from reaching the next one on the same port.
 *
 * The allocator also binds its pairs (`bindPair`), with `bind`: on the calling thread by default, on
 * the engine's I/O thread (DatagramThread) in the engine. There a pair costs a round trip to the
 * thread, ~0.55 ms when both threads are idle (~0.27 ms on the calling thread), and a <Dial> call binds
 * two on the path of its post-dial delay (the caller's port before the webhook, the callee's before
 * the INVITE); so the engine keeps a few pairs bound ahead (`keepReady`), each replaced in the
 * background when taken. A ready pair holds its ports (`inUse` counts it) and drops what reaches it,
 * nobody listening yet, as a closed port would.
 */
import { bindUdpSocket, DialtoneError, ErrorCodes, silentLogger, type BoundDatagramSocket, type DatagramBinder, type Logger } from '../../kernel/index.js';

export interface PortRange {
  /** Lowest port usable (inclusive). */
  min: number;
  /** Highest port usable (inclusive); the last pair's RTCP port must fit. */
  max: number;
}

/** An RTP socket on an even port of the range and its RTCP socket on the next one, both bound. */
export interface BoundRtpPair {
  rtpPort: number;
  rtp: BoundDatagramSocket;
  rtcp: BoundDatagramSocket;
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

function closePair(pair: BoundRtpPair): void {
  pair.rtp.close();
  pair.rtcp.close();
}

export class PortAllocator {
  readonly range: Readonly<PortRange>;
  /** Number of RTP/RTCP pairs in the range. */
  readonly capacity: number;
  /** Binds one socket of a pair (bindPair). */
  readonly bind: DatagramBinder;
  private readonly firstPort: number;
  private readonly used: Uint8Array;
  private usedCount = 0;
  private cursor = 0;
  private ready: BoundRtpPair[] = [];
  private readyAddress = '';
  private readyTarget = 0;
  private readyBinding = 0;
  private readyLogger: Logger = silentLogger;
  private closed = false;

  constructor(range: PortRange, bind: DatagramBinder = bindUdpSocket) {
    const { min, max } = range;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new DialtoneError(ErrorCodes.configInvalid, `media port range [${min}, ${max}] is not a range of UDP ports`, { min, max });
    }
    this.firstPort = min % 2 === 0 ? min : min + 1;
    this.capacity = Math.max(0, Math.floor((max - this.firstPort + 1) / 2));
    if (this.capacity === 0) {
      throw new DialtoneError(ErrorCodes.configInvalid, `media port range [${min}, ${max}] holds no even/odd port pair`, { min, max });
    }
    this.range = { min, max };
    this.used = new Uint8Array(this.capacity);
    this.bind = bind;
  }

  /** Pairs currently handed out. */
  get inUse(): number {
    return this.usedCount;
  }

  /** Returns a free even RTP port (its RTCP port is the next one); throws mediaPortsExhausted when none is left. */
  allocate(): number {
    if (this.usedCount === this.capacity) {
      throw new DialtoneError(ErrorCodes.mediaPortsExhausted, `all ${this.capacity} media port pairs in [${this.range.min}, ${this.range.max}] are in use`, {
        ...this.range,
        capacity: this.capacity,
      });
    }
    for (let scanned = 0; scanned < this.capacity; scanned++) {
      const index = this.cursor;
      this.cursor = index + 1 === this.capacity ? 0 : index + 1;
      if (this.used[index] === 0) {
        this.used[index] = 1;
        this.usedCount++;
        return this.firstPort + index * 2;
      }
    }
    throw new DialtoneError(ErrorCodes.internal, 'port allocator count and map disagree');
  }

  /**
   * Binds a pair on `bindAddress` (a ready one when there is one), trying up to `attempts` pairs while
   * other processes hold them. The caller closes the sockets and gives the pair back (`release(rtpPort)`).
   */
  async bindPair(bindAddress: string, attempts = 16): Promise<BoundRtpPair> {
    const ready = bindAddress === this.readyAddress ? this.ready.shift() : undefined;
    if (ready !== undefined) {
      this.refill();
      return ready;
    }
    return this.bindNewPair(bindAddress, attempts);
  }

  /**
   * Keeps `count` pairs on `bindAddress` bound ahead for bindPair (at most a quarter of the range, so
   * that a small range is not held by pairs nobody uses). Idempotent for the same arguments.
   */
  keepReady(bindAddress: string, count: number, logger: Logger = silentLogger): void {
    if (bindAddress !== this.readyAddress) this.dropReady();
    this.readyAddress = bindAddress;
    this.readyTarget = Math.max(0, Math.min(count, Math.floor(this.capacity / 4)));
    this.readyLogger = logger;
    this.refill();
  }

  /** Closes the ready pairs and keeps no more; pairs handed out stay their holders'. */
  close(): void {
    this.closed = true;
    this.dropReady();
  }

  private dropReady(): void {
    for (const pair of this.ready) {
      closePair(pair);
      this.release(pair.rtpPort);
    }
    this.ready = [];
  }

  private refill(): void {
    while (!this.closed && this.ready.length + this.readyBinding < this.readyTarget && this.usedCount < this.capacity) {
      this.readyBinding++;
      const address = this.readyAddress;
      this.bindNewPair(address, 1).then(
        (pair) => {
          this.readyBinding--;
          if (this.closed || address !== this.readyAddress) {
            closePair(pair);
            this.release(pair.rtpPort);
          } else {
            this.ready.push(pair);
          }
        },
        (error: unknown) => {
          // Not retried here (a port another process holds, a closed thread): the next bindPair binds
          // on its own and refills again.
          this.readyBinding--;
          this.readyLogger.debug('media port pair not bound ahead', { error: String(error) });
        },
      );
    }
  }

  private async bindNewPair(bindAddress: string, attempts: number): Promise<BoundRtpPair> {
    const tries = Math.min(attempts, this.capacity);
    let lastError: unknown;
    for (let attempt = 0; attempt < tries; attempt++) {
      const rtpPort = this.allocate();
      // Both at once: on the I/O thread each bind is a round trip.
      const [rtp, rtcp] = await Promise.allSettled([this.bind(bindAddress, rtpPort), this.bind(bindAddress, rtpPort + 1)]);
      if (rtp.status === 'fulfilled' && rtcp.status === 'fulfilled') return { rtpPort, rtp: rtp.value, rtcp: rtcp.value };
      if (rtp.status === 'fulfilled') rtp.value.close();
      if (rtcp.status === 'fulfilled') rtcp.value.close();
      const error: unknown = rtp.status === 'rejected' ? rtp.reason : (rtcp as PromiseRejectedResult).reason;
      // The pair goes back: another process holds it now, and round-robin allocation will not
      // offer it again until the rest of the range has been tried.
      this.release(rtpPort);
      if (!isAddressInUse(error)) {
        throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `cannot bind media port ${bindAddress}:${rtpPort}`, { bindAddress, rtpPort }, { cause: error });
      }
      lastError = error;
    }
    throw new DialtoneError(ErrorCodes.mediaPortBindFailed, `no free media port pair after ${tries} attempts`, { bindAddress, attempts: tries }, { cause: lastError });
  }

  /** Gives a pair back; releasing a port not handed out (or twice) is a no-op. */
  release(rtpPort: number): void {
    const offset = rtpPort - this.firstPort;
    if (offset < 0 || offset % 2 !== 0) return;
    const index = offset / 2;
    if (index >= this.capacity || this.used[index] === 0) return;
    this.used[index] = 0;
    this.usedCount--;
  }
}
