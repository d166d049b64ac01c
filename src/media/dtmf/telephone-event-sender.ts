import { DialtoneError, ErrorCodes } from '../../kernel/index.js';
import { dtmfEventCode } from './dtmf-digits.js';
import { encodeTelephoneEvent } from './telephone-event.js';

export interface TelephoneEventPacket {
  /** When to send it, in milliseconds after the first packet. */
  sendAtMs: number;
  /** RTP timestamp: the event's start for every packet of the event (RFC 4733 §2.3.1). */
  timestamp: number;
  /** RTP marker bit: set on the first packet of the event only (§2.3.2). */
  marker: boolean;
  end: boolean;
  /** The 4-byte telephone-event payload. */
  payload: Uint8Array;
}

export interface TelephoneEventSequenceOptions {
  digit: string;
  /** Tone length; Twilio's `sendDigits` uses 100 ms digits; RFC 4733 §2.5.1.2 sets no minimum. */
  durationMs?: number;
  /** RTP timestamp of the event start (the audio stream's current timestamp). */
  timestamp: number;
  clockRate?: number;
  /** −dBm0 (§2.3.5); 10 is a typical telephone level. */
  volume?: number;
  /** Interval between updates; RFC 4733 §2.5.1.2 recommends 50 ms. */
  updateIntervalMs?: number;
}

/**
 * The packets for one digit, as data (the RTP layer adds sequence numbers and sends them at
 * `sendAtMs`): the start packet with the marker bit, an update every interval carrying the duration so
 * far, and the final packet three times with the E bit and the same total duration (§2.5.1.4).
 */
export function buildTelephoneEventPackets(options: TelephoneEventSequenceOptions): TelephoneEventPacket[] {
  const event = dtmfEventCode(options.digit);
  if (event < 0) throw new DialtoneError(ErrorCodes.dtmfInvalid, `not a DTMF digit: ${options.digit}`, { digit: options.digit });
  const clockRate = options.clockRate ?? 8000;
  const durationMs = options.durationMs ?? 100;
  const intervalMs = options.updateIntervalMs ?? 50;
  const volume = options.volume ?? 10;
  const timestamp = options.timestamp >>> 0;
  const total = Math.round((durationMs * clockRate) / 1000);
  if (total <= 0 || total > 0xffff) {
    // §2.5.1.3 splits longer events into segments; digits never need it.
    throw new DialtoneError(ErrorCodes.dtmfInvalid, 'digit duration must fit one event (1..65535 timestamp units)', { durationMs });
  }
  const packets: TelephoneEventPacket[] = [];
  // Each packet reports the duration through the end of the interval it starts, as an audio packet
  // covers the samples after its timestamp; the first one carries the marker.
  for (let sendAtMs = 0; ; sendAtMs += intervalMs) {
    const duration = Math.round(((sendAtMs + intervalMs) * clockRate) / 1000);
    if (duration >= total) break;
    packets.push({
      sendAtMs,
      timestamp,
      marker: sendAtMs === 0,
      end: false,
      payload: encodeTelephoneEvent({ event, end: false, volume, duration }),
    });
  }
  // The end packets take the next interval slot (at once for a digit shorter than one interval).
  const endAtMs = packets.length * intervalMs;
  for (let copy = 0; copy < 3; copy++) {
    packets.push({
      sendAtMs: endAtMs,
      timestamp,
      marker: packets.length === 0,
      end: true,
      payload: encodeTelephoneEvent({ event, end: true, volume, duration: total }),
    });
  }
  return packets;
}
