/**
 * The sixteen DTMF digits, their RFC 4733 event codes (§3.2, Table 1) and their ITU-T Q.23 frequency
 * pairs (low group = rows, high group = columns).
 */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/** Index = RFC 4733 event code (0-15). */
export const DTMF_DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** ITU-T Q.23 §2: low-group (row) and high-group (column) frequencies in Hz. */
export const DTMF_ROW_FREQUENCIES: readonly number[] = [697, 770, 852, 941];
export const DTMF_COLUMN_FREQUENCIES: readonly number[] = [1209, 1336, 1477, 1633];

/** Keypad layout of Q.23 Figure 1: row × column → digit. */
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

/** The RFC 4733 event code of a digit (case-insensitive for A-D), or -1. */
export function dtmfEventCode(digit: string): number {
  return DTMF_DIGITS.indexOf(digit.toUpperCase() as DtmfDigit);
}

/** The digit of an RFC 4733 event code, or undefined for codes outside 0-15 (not DTMF). */
export function dtmfDigitOfEvent(event: number): DtmfDigit | undefined {
  return DTMF_DIGITS[event];
}

/** The digit at a keypad position. */
export function dtmfDigitAt(row: number, column: number): DtmfDigit | undefined {
  return KEYPAD[row]?.[column];
}

/** The Q.23 frequency pair of a digit: [low, high] in Hz. */
export function dtmfFrequencies(digit: DtmfDigit): [number, number] {
  for (let row = 0; row < 4; row++) {
    const column = (KEYPAD[row] as readonly DtmfDigit[]).indexOf(digit);
    if (column >= 0) return [DTMF_ROW_FREQUENCIES[row] as number, DTMF_COLUMN_FREQUENCIES[column] as number];
  }
  throw new RangeError(`not a DTMF digit: ${digit}`);
}

/** A digit that reached the call logic, with its timing. */
export interface DetectedDigit {
  readonly digit: DtmfDigit;
  /** When the tone or event began, in milliseconds on the caller's time base. */
  readonly startMs: number;
  /** How long it lasted, in milliseconds. */
  readonly durationMs: number;
  /** Out-of-band RFC 4733 event or in-band tone detection. */
  readonly source: 'rfc4733' | 'inband';
}
