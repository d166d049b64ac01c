/**
 * Digest challenges (RFC 7616 §3.3, RFC 3261 §22): parsing WWW-Authenticate / Proxy-Authenticate
 * values into plain data, choosing one per realm, and formatting the verifier's own challenges.
 */
import { isDialtoneError } from '../../kernel/index.js';
import { parseAuthFields, quoteString } from './auth-params.js';
import {
  type DigestAlgorithm,
  type DigestQop,
  digestAlgorithmStrength,
  parseDigestAlgorithm,
} from './digest-algorithm.js';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** RFC 2617 §3.2.1: only the (case-insensitive) value TRUE makes a challenge stale. */
  stale: boolean;
  /** The algorithm we will use, or undefined when the server named one we do not implement. */
  algorithm: DigestAlgorithm | undefined;
  /** The `algorithm` token as the server wrote it; absent means MD5 (RFC 7616 §3.3). */
  algorithmToken?: string;
  /** The qop-options, lower-cased; empty for the RFC 2069 compatibility form. */
  qop: string[];
  /** RFC 7616 §3.3 `userhash=true`: the server accepts (and prefers) a hashed username. */
  userhash: boolean;
  domain?: string;
}

/**
 * Every Digest challenge in the given header values. Other schemes are ignored, and so is a value
 * that does not parse or a Digest challenge without realm or nonce (RFC 7616 §3.3 makes both
 * mandatory): one broken header must not hide a good one next to it.
 */
export function parseDigestChallenges(values: string | readonly string[]): DigestChallenge[] {
  const challenges: DigestChallenge[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    let fields;
    try {
      fields = parseAuthFields(value);
    } catch (error) {
      if (isDialtoneError(error)) continue;
      throw error;
    }
    for (const field of fields) {
      if (field.scheme.toLowerCase() !== 'digest') continue;
      const realm = field.params.get('realm');
      const nonce = field.params.get('nonce');
      if (realm === undefined || nonce === undefined) continue;
      const algorithmToken = field.params.get('algorithm');
      const qop = field.params.get('qop');
      const challenge: DigestChallenge = {
        realm,
        nonce,
        stale: field.params.get('stale')?.toLowerCase() === 'true',
        algorithm: parseDigestAlgorithm(algorithmToken),
        qop: qop === undefined ? [] : qop.split(',').map((option) => option.trim().toLowerCase()).filter(Boolean),
        userhash: field.params.get('userhash')?.toLowerCase() === 'true',
      };
      const opaque = field.params.get('opaque');
      if (opaque !== undefined) challenge.opaque = opaque;
      if (algorithmToken !== undefined) challenge.algorithmToken = algorithmToken;
      const domain = field.params.get('domain');
      if (domain !== undefined) challenge.domain = domain;
      challenges.push(challenge);
    }
  }
  return challenges;
}

/**
 * The qop we answer with: the preferred one if offered, else the other one we implement. `null`
 * means the challenge offered qop-options we implement none of; `undefined` means no qop was offered.
 */
export function chooseQop(challenge: DigestChallenge, preferred: DigestQop): DigestQop | undefined | null {
  if (challenge.qop.length === 0) return undefined;
  if (challenge.qop.includes(preferred)) return preferred;
  const other: DigestQop = preferred === 'auth' ? 'auth-int' : 'auth';
  return challenge.qop.includes(other) ? other : null;
}

/**
 * One challenge per realm, in the order the realms first appear. RFC 3261 §22.3: a forked or
 * proxied request may collect challenges from several realms, and the retry answers each. Within
 * a realm RFC 7616 §3.7 has the server list its challenges from most to least preferred and lets
 * local policy override that; our policy is the strongest algorithm we implement, and among equals
 * the server's order. Challenges with an unsupported algorithm or qop are skipped.
 */
export function selectDigestChallenges(
  challenges: readonly DigestChallenge[],
  preferredQop: DigestQop = 'auth',
): DigestChallenge[] {
  const best = new Map<string, DigestChallenge>();
  for (const challenge of challenges) {
    if (challenge.algorithm === undefined) continue;
    if (chooseQop(challenge, preferredQop) === null) continue;
    const chosen = best.get(challenge.realm);
    if (chosen === undefined) {
      best.set(challenge.realm, challenge);
    } else if (digestAlgorithmStrength(challenge.algorithm) > digestAlgorithmStrength(chosen.algorithm as DigestAlgorithm)) {
      best.set(challenge.realm, challenge);
    }
  }
  return [...best.values()];
}

export interface DigestChallengeFields {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  qop: readonly DigestQop[];
  stale?: boolean;
  opaque?: string;
}

/** Formats a challenge value: `Digest realm="…", nonce="…", algorithm=…, qop="auth", stale=TRUE`. */
export function formatDigestChallenge(fields: DigestChallengeFields): string {
  const parts = [`realm=${quoteString(fields.realm)}`, `nonce=${quoteString(fields.nonce)}`];
  if (fields.opaque !== undefined) parts.push(`opaque=${quoteString(fields.opaque)}`);
  // RFC 7616 §3.3: qop is a quoted list; algorithm and stale are tokens.
  parts.push(`algorithm=${fields.algorithm}`);
  if (fields.qop.length > 0) parts.push(`qop=${quoteString(fields.qop.join(','))}`);
  if (fields.stale === true) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}
