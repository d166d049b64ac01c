/**
 * The Digest computations of RFC 7616 §3.4 (which keeps RFC 2617's MD5 results bit for bit and adds
 * SHA-256 and SHA-512/256), for both the client and the verifier.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';
export type DigestQop = 'auth' | 'auth-int';

interface AlgorithmInfo {
  hash: string;
  session: boolean;
  /** Higher is stronger; the client's tie-breaker between challenges (RFC 7616 §3.7). */
  strength: number;
}

const ALGORITHMS: Record<DigestAlgorithm, AlgorithmInfo> = {
  MD5: { hash: 'md5', session: false, strength: 1 },
  'MD5-sess': { hash: 'md5', session: true, strength: 1 },
  'SHA-256': { hash: 'sha256', session: false, strength: 2 },
  'SHA-256-sess': { hash: 'sha256', session: true, strength: 2 },
  'SHA-512-256': { hash: 'sha512-256', session: false, strength: 3 },
  'SHA-512-256-sess': { hash: 'sha512-256', session: true, strength: 3 },
};

const BY_LOWER = new Map<string, DigestAlgorithm>(
  (Object.keys(ALGORITHMS) as DigestAlgorithm[]).map((name) => [name.toLowerCase(), name]),
);

/**
 * Maps an `algorithm` token to a supported algorithm, case-insensitively. RFC 7616 §3.3: "If this is
 * not present, it is assumed to be "MD5"." Returns undefined for an algorithm we do not implement.
 */
export function parseDigestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined) return 'MD5';
  return BY_LOWER.get(token.toLowerCase());
}

export function digestAlgorithmStrength(algorithm: DigestAlgorithm): number {
  return ALGORITHMS[algorithm].strength;
}

/** H(data) of RFC 7616 §3.4.1: the lower-case hex digest. */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return createHash(ALGORITHMS[algorithm].hash).update(data).digest('hex');
}

/** RFC 7616 §3.4.4: username hashing, H(unq(username) ":" unq(realm)). */
export function hashUsername(algorithm: DigestAlgorithm, username: string, realm: string): string {
  return digestHash(algorithm, `${username}:${realm}`);
}

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  nonce: string;
  method: string;
  /** The `uri` directive, exactly as sent (RFC 3261 §22.4: the Request-URI). */
  uri: string;
  /** Absent for the RFC 2069 compatibility form (no qop offered). */
  qop?: DigestQop;
  /** Required with qop or with a -sess algorithm. */
  cnonce?: string;
  /** Eight hex digits, required with qop. */
  nc?: string;
  /** Only read for qop=auth-int; an absent body hashes as the empty string (RFC 3261 §22.4). */
  body?: string | Uint8Array;
}

/** The `response` directive of RFC 7616 §3.4.1, or of RFC 2617 §3.2.2.1 for MD5. */
export function computeDigestResponse(input: DigestResponseInput): string {
  const { algorithm } = input;
  const h = (data: string | Uint8Array): string => digestHash(algorithm, data);
  const kd = (secret: string, data: string): string => h(`${secret}:${data}`);

  // RFC 7616 §3.4.2: A1 = unq(username) ":" unq(realm) ":" passwd, and for -sess
  // A1 = H( unq(username) ":" unq(realm) ":" passwd ) ":" unq(nonce-prime) ":" unq(cnonce-prime)
  let a1 = `${input.username}:${input.realm}:${input.password}`;
  if (ALGORITHMS[algorithm].session) {
    if (input.cnonce === undefined) throw new TypeError(`${algorithm} needs a cnonce`);
    a1 = `${h(a1)}:${input.nonce}:${input.cnonce}`;
  }

  // RFC 7616 §3.4.3: A2 = Method ":" request-uri, and for auth-int
  // A2 = Method ":" request-uri ":" H(entity-body)
  const a2 =
    input.qop === 'auth-int'
      ? `${input.method}:${input.uri}:${h(input.body ?? '')}`
      : `${input.method}:${input.uri}`;

  if (input.qop === undefined) {
    // RFC 2617 §3.2.2.1: the RFC 2069 form, KD(H(A1), unq(nonce-value) ":" H(A2)).
    return kd(h(a1), `${input.nonce}:${h(a2)}`);
  }
  if (input.cnonce === undefined || input.nc === undefined) throw new TypeError('qop needs cnonce and nc');
  // RFC 7616 §3.4.1: response = KD(H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2))
  return kd(h(a1), `${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${h(a2)}`);
}

/** RFC 7616 §3.4: nc-value = 8LHEX, the count of requests sent with this nonce. */
export function formatNonceCount(count: number): string {
  return count.toString(16).padStart(8, '0');
}
