import { randomBytes } from 'node:crypto';

/** Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits. */
export type SidPrefix = 'CA' | 'AC' | 'RE' | 'NO' | 'PN';

// SIDs, tags, branches, Call-IDs and RTP SSRCs are made several times per call; one randomBytes call
// each costs a system call each (2 % of the engine's CPU in the e2e profile), so they are cut from a
// pool of random bytes refilled 4 KiB at a time.
const poolSize = 4096;
let pool = randomBytes(poolSize);
let poolOffset = 0;

/** Offset in `pool` of `bytes` fresh random bytes. */
function take(bytes: number): number {
  if (poolOffset + bytes > poolSize) {
    pool = randomBytes(poolSize);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += bytes;
  return at;
}

function randomHex(bytes: number): string {
  if (bytes > poolSize) return randomBytes(bytes).toString('hex');
  const at = take(bytes);
  return pool.toString('hex', at, at + bytes);
}

export function newSid(prefix: SidPrefix): string {
  return prefix + randomHex(16);
}

export function isSid(value: string, prefix: SidPrefix): boolean {
  return value.length === 34 && value.startsWith(prefix) && /^[0-9a-f]{32}$/.test(value.slice(2));
}

/** A random token for SIP tags, branches and Call-IDs (RFC 3261 §19.3: at least 32 bits of randomness). */
export function randomToken(bytes = 8): string {
  return randomHex(bytes);
}

/** A random unsigned 32-bit integer (RTP SSRC, initial sequence number and timestamp: RFC 3550 §5.1). */
export function randomUint32(): number {
  return pool.readUInt32LE(take(4));
}
