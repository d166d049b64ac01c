/**
 * HTTP Basic authentication as Twilio does it: username = Account SID, password = Auth Token.
 *
 * Comparison is constant-time with respect to the secret: both sides are hashed (SHA-256) first so
 * the buffers always have the same length, then compared with `crypto.timingSafeEqual`. Every
 * configured account is compared on every attempt, and the results are combined without branching
 * early, so the time taken does not tell whether the SID exists or how much of the token matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccountConfig } from '../config/index.js';

export interface Credentials {
  username: string;
  password: string;
}

/** Parses `Authorization: Basic base64(user:pass)`; undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export type EqualFunction = (a: Buffer, b: Buffer) => boolean;

export interface CredentialVerifierOptions {
  /** Injected for tests; default `crypto.timingSafeEqual`. */
  equal?: EqualFunction;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Builds `verify(credentials) → accountSid | undefined`. The account list is read at construction.
 */
export function createCredentialVerifier(
  accounts: readonly AccountConfig[],
  options: CredentialVerifierOptions = {},
): (credentials: Credentials | undefined) => string | undefined {
  const equal = options.equal ?? timingSafeEqual;
  const known = accounts.map((account) => ({ sid: account.sid, sidHash: digest(account.sid), tokenHash: digest(account.authToken) }));
  // Compared against when there are no accounts or no credentials, so every attempt costs the same.
  const dummy = digest('');
  return (credentials) => {
    const userHash = digest(credentials?.username ?? '');
    const passHash = digest(credentials?.password ?? '');
    let found: string | undefined;
    for (const account of known) {
      const sidMatches = equal(account.sidHash, userHash);
      const tokenMatches = equal(account.tokenHash, passHash);
      // Non-short-circuiting: both comparisons always run.
      if (Number(sidMatches) & Number(tokenMatches)) found = account.sid;
    }
    if (known.length === 0) equal(dummy, passHash);
    return credentials === undefined ? undefined : found;
  };
}
