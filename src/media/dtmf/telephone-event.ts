import { DialtoneError, ErrorCodes } from '../../kernel/index.js';

/**
 * The RFC 4733 §2.3 telephone-event payload, 4 bytes:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     event     |E|R| volume    |          duration             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface TelephoneEvent {
  /** Event code (§3.2: 0-15 are DTMF digits). */
  event: number;
  /** E bit: this packet ends the event (§2.3.4). */
  end: boolean;
  /** Power level in −dBm0, 0-63 (§2.3.5); meaningful for DTMF. */
  volume: number;
  /** Duration so far in RTP timestamp units (§2.3.6), 0-65535. */
  duration: number;
}

export const TELEPHONE_EVENT_PAYLOAD_BYTES = 4;

/** Writes one event into `out` at `offset` (4 bytes); throws dtmfInvalid on out-of-range fields. */
export function encodeTelephoneEvent(event: TelephoneEvent, out: Uint8Array = new Uint8Array(4), offset = 0): Uint8Array {
  if (!Number.isInteger(event.event) || event.event < 0 || event.event > 255) {
    throw new DialtoneError(ErrorCodes.dtmfInvalid, 'telephone-event code must be 0-255', { event: event.event });
  }
  if (!Number.isInteger(event.volume) || event.volume < 0 || event.volume > 63) {
    throw new DialtoneError(ErrorCodes.dtmfInvalid, 'telephone-event volume must be 0-63', { volume: event.volume });
  }
  if (!Number.isInteger(event.duration) || event.duration < 0 || event.duration > 0xffff) {
    throw new DialtoneError(ErrorCodes.dtmfInvalid, 'telephone-event duration must be 0-65535', { duration: event.duration });
  }
  out[offset] = event.event;
  // §2.3: R is reserved, sent as zero.
  out[offset + 1] = (event.end ? 0x80 : 0) | event.volume;
  out[offset + 2] = event.duration >>> 8;
  out[offset + 3] = event.duration & 0xff;
  return out;
}

/**
 * Reads the first event of a payload, or returns null when it is shorter than 4 bytes (a malformed
 * packet is dropped and counted by the caller, never thrown from a socket handler). The R bit is
 * ignored on receipt (§2.3).
 */
export function decodeTelephoneEvent(payload: Uint8Array, offset = 0): TelephoneEvent | null {
  if (payload.length - offset < TELEPHONE_EVENT_PAYLOAD_BYTES) return null;
  const flags = payload[offset + 1] as number;
  return {
    event: payload[offset] as number,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: ((payload[offset + 2] as number) << 8) | (payload[offset + 3] as number),
  };
}
