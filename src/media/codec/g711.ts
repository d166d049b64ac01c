/**
 * ITU-T G.711 µ-law and A-law, table-driven. The tables are built once from the reference algorithm of
 * ITU-T G.191 (STL g711.c), so encode and decode are bit-exact with G.711 Tables 1a/1b and 2a/2b.
 *
 * µ-law uses the 14 most significant bits of a 16-bit sample, A-law the 13 most significant (G.711 §2),
 * so the encode tables are indexed by `sample >> 2` and `sample >> 3`.
 */

/** G.191 ulaw_compress for one 16-bit sample; only `x >> 2` matters. */
function mulawCompress(x: number): number {
  // One's complement for negatives (G.191): ~x >> 2 equals ~(x >> 2) for arithmetic shifts.
  let magnitude = (x < 0 ? ~x >> 2 : x >> 2) + 33; // bias 33 on the 14-bit scale
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  let segment = 1;
  for (let i = magnitude >> 6; i !== 0; i >>= 1) segment++;
  const high = 8 - segment;
  const low = 0x0f - ((magnitude >> segment) & 0x0f);
  const code = (high << 4) | low;
  return x >= 0 ? code | 0x80 : code;
}

/** G.191 ulaw_expand. */
function mulawExpand(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

/** G.191 alaw_compress; only `x >> 4` matters (13-bit with sign). */
function alawCompress(x: number): number {
  let ix = x < 0 ? ~x >> 4 : x >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16;
    ix += exponent << 4;
  }
  if (x >= 0) ix |= 0x80;
  // G.711 §3: even bits are inverted on the line.
  return ix ^ 0x55;
}

/** G.191 alaw_expand. */
function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 0x08;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 127 ? mantissa : -mantissa;
}

const MULAW_ENCODE = new Uint8Array(1 << 14);
const ALAW_ENCODE = new Uint8Array(1 << 12);
const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);

for (let i = 0; i < MULAW_ENCODE.length; i++) MULAW_ENCODE[i] = mulawCompress(((i << 18) >> 18) << 2);
for (let i = 0; i < ALAW_ENCODE.length; i++) ALAW_ENCODE[i] = alawCompress(((i << 20) >> 20) << 4);
for (let code = 0; code < 256; code++) {
  MULAW_DECODE[code] = mulawExpand(code);
  ALAW_DECODE[code] = alawExpand(code);
}

/** Encodes `pcm` into `out` (one byte per sample); returns the number of bytes written. */
export function encodeMulaw(pcm: Int16Array, out: Uint8Array): number {
  const n = Math.min(pcm.length, out.length);
  for (let i = 0; i < n; i++) out[i] = MULAW_ENCODE[((pcm[i] as number) >> 2) & 0x3fff] as number;
  return n;
}

/** Decodes µ-law bytes into `out`; returns the number of samples written. */
export function decodeMulaw(bytes: Uint8Array, out: Int16Array): number {
  const n = Math.min(bytes.length, out.length);
  for (let i = 0; i < n; i++) out[i] = MULAW_DECODE[bytes[i] as number] as number;
  return n;
}

/** Encodes `pcm` into `out` as A-law; returns the number of bytes written. */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array): number {
  const n = Math.min(pcm.length, out.length);
  for (let i = 0; i < n; i++) out[i] = ALAW_ENCODE[((pcm[i] as number) >> 4) & 0x0fff] as number;
  return n;
}

/** Decodes A-law bytes into `out`; returns the number of samples written. */
export function decodeAlaw(bytes: Uint8Array, out: Int16Array): number {
  const n = Math.min(bytes.length, out.length);
  for (let i = 0; i < n; i++) out[i] = ALAW_DECODE[bytes[i] as number] as number;
  return n;
}

/**
 * Direct µ-law → A-law conversion through linear PCM, one table lookup per byte.
 * G.711 §4 gives its own µ/A conversion tables; this one goes through the decoded value, which is
 * what a decode→encode transcoder produces and keeps both directions consistent with this module.
 */
const MULAW_TO_ALAW = new Uint8Array(256);
const ALAW_TO_MULAW = new Uint8Array(256);
for (let code = 0; code < 256; code++) {
  MULAW_TO_ALAW[code] = ALAW_ENCODE[((MULAW_DECODE[code] as number) >> 4) & 0x0fff] as number;
  ALAW_TO_MULAW[code] = MULAW_ENCODE[((ALAW_DECODE[code] as number) >> 2) & 0x3fff] as number;
}

/** Converts µ-law bytes to A-law bytes; returns the number written. */
export function mulawToAlaw(bytes: Uint8Array, out: Uint8Array): number {
  const n = Math.min(bytes.length, out.length);
  for (let i = 0; i < n; i++) out[i] = MULAW_TO_ALAW[bytes[i] as number] as number;
  return n;
}

/** Converts A-law bytes to µ-law bytes; returns the number written. */
export function alawToMulaw(bytes: Uint8Array, out: Uint8Array): number {
  const n = Math.min(bytes.length, out.length);
  for (let i = 0; i < n; i++) out[i] = ALAW_TO_MULAW[bytes[i] as number] as number;
  return n;
}
