/**
 * Hands out RTP ports from the configured range (`media.portRange`). RFC 3550 §11: "For UDP and
 * similar protocols, RTP SHOULD use an even destination port number and the corresponding RTCP
 * stream SHOULD use the next higher (odd) destination port number", so the unit is a pair.
 *
 * Allocation is round-robin rather than lowest-free: a pair just released is the last to be reused,
 * which keeps stray packets of an ended call from reaching the next one on the same port.
 *
 * The allocator also says how its ports are bound (`bind`): on the calling thread by default, on the
 * media I/O thread (DatagramThread) in the engine.
 */
import { bindUdpSocket, DialtoneError, ErrorCodes, type DatagramBinder } from '../../kernel/index.js';

export interface PortRange {
  /** Lowest port usable (inclusive). */
  min: number;
  /** Highest port usable (inclusive); the last pair's RTCP port must fit. */
  max: number;
}

export class PortAllocator {
  readonly range: Readonly<PortRange>;
  /** Number of RTP/RTCP pairs in the range. */
  readonly capacity: number;
  /** Binds one socket of a pair (bindRtpPair). */
  readonly bind: DatagramBinder;
  private readonly firstPort: number;
  private readonly used: Uint8Array;
  private usedCount = 0;
  private cursor = 0;

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
