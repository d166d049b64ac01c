import { dtmfEventCode, dtmfFrequencies, DTMF_DIGITS } from './dtmf-digits.js';
import { DialtoneError, ErrorCodes } from '../../kernel/index.js';

/**
 * Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM. ITU-T G.711 puts the theoretical load capacity
 * (a full-scale sine) at +3.14 dBm0 for A-law (+3.17 for µ-law); we use the A-law figure for both.
 */
export const DBM0_AMPLITUDE = 32767 / 10 ** (3.14 / 20);

export interface DtmfToneOptions {
  sampleRate?: number;
  /** Level of the low-group tone in dBm0; Q.23 senders typically use −6 to −9 dBm0 per frequency. */
  levelDbm0?: number;
  /** High-group level minus low-group level in dB (Q.23 allows the high group 2 dB stronger). */
  twistDb?: number;
}

/** Writes the Q.23 frequency pair of `digit` into `out` (its whole length). */
export function writeDtmfTone(digit: string, out: Int16Array, options: DtmfToneOptions = {}): void {
  const code = dtmfEventCode(digit);
  if (code < 0) throw new DialtoneError(ErrorCodes.dtmfInvalid, `not a DTMF digit: ${digit}`, { digit });
  const [low, high] = dtmfFrequencies(DTMF_DIGITS[code] as (typeof DTMF_DIGITS)[number]);
  const sampleRate = options.sampleRate ?? 8000;
  const lowAmplitude = DBM0_AMPLITUDE * 10 ** ((options.levelDbm0 ?? -7) / 20);
  const highAmplitude = lowAmplitude * 10 ** ((options.twistDb ?? 0) / 20);
  const wLow = (2 * Math.PI * low) / sampleRate;
  const wHigh = (2 * Math.PI * high) / sampleRate;
  for (let i = 0; i < out.length; i++) {
    const value = lowAmplitude * Math.sin(wLow * i) + highAmplitude * Math.sin(wHigh * i);
    out[i] = value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
  }
}

/** A digit string as tones and pauses (for prompts and `sendDigits`; `w` waits 500 ms as in Twilio). */
export function generateDtmfSequence(
  digits: string,
  options: DtmfToneOptions & { toneMs?: number; pauseMs?: number } = {},
): Int16Array {
  const sampleRate = options.sampleRate ?? 8000;
  const tone = Math.round(((options.toneMs ?? 100) * sampleRate) / 1000);
  const pause = Math.round(((options.pauseMs ?? 100) * sampleRate) / 1000);
  const wait = sampleRate / 2;
  let total = 0;
  for (const ch of digits) total += ch === 'w' ? wait : tone + pause;
  const out = new Int16Array(total);
  let offset = 0;
  for (const ch of digits) {
    if (ch === 'w') {
      offset += wait;
      continue;
    }
    writeDtmfTone(ch, out.subarray(offset, offset + tone), options);
    offset += tone + pause;
  }
  return out;
}
