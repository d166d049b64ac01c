import { randomBytes } from 'node:crypto';

/** Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits. */
export type SidPrefix = 'CA' | 'AC' | 'RE' | 'NO' | 'PN';

export function newSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

export function isSid(value: string, prefix: SidPrefix): boolean {
  return value.length === 34 && value.startsWith(prefix) && /^[0-9a-f]{32}$/.test(value.slice(2));
}

// Tags, branches and Call-IDs are made for every SIP message; one randomBytes call per token costs a
// system call each, so tokens are cut from a pool refilled 4 KiB at a time.
const poolSize = 4096;
let pool = randomBytes(poolSize);
let poolOffset = 0;

/** A random token for SIP tags, branches and Call-IDs (RFC 3261 §19.3: at least 32 bits of randomness). */
export function randomToken(bytes = 8): string {
  if (bytes > poolSize) return randomBytes(bytes).toString('hex');
  if (poolOffset + bytes > poolSize) {
    pool = randomBytes(poolSize);
    poolOffset = 0;
  }
  const token = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}
