/**
 * The UAS/registrar/proxy side of Digest (RFC 3261 §22.4, RFC 7616 §3.3–§3.5): issues challenges and
 * verifies credentials.
 *
 * Nonces are stateless: base64url(issued-at ‖ 8 random bytes ‖ HMAC-SHA-256(secret, realm ‖ both)),
 * so any process holding the secret can check one, and the only state kept is the bounded nonce-count
 * window that rejects replays. RFC 2617 §3.2.1 suggests exactly this shape: a nonce built from "time-
 * stamp H(time-stamp ":" ETag ":" private-key)", letting the server refuse old ones.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../kernel/index.js';
import type { HeaderField } from '../message/types.js';
import { type AuthField, parseAuthFields } from './auth-params.js';
import {
  type DigestAlgorithm,
  type DigestQop,
  computeDigestResponse,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
import { formatDigestChallenge } from './digest-challenge.js';
import { NonceCountWindow } from './nonce-count-window.js';

/** The password of a user in a realm, or undefined for an unknown user. */
export type DigestPasswordLookup = (
  username: string,
  realm: string,
) => string | undefined | Promise<string | undefined>;

export interface DigestVerifierOptions {
  realm: string;
  /** Key for the nonce HMAC; at least 16 bytes of secret. */
  secret: string | Uint8Array;
  clock: Clock;
  lookup: DigestPasswordLookup;
  /** Offered in this order, most preferred first (RFC 7616 §3.7); default SHA-256 then MD5. */
  algorithms?: readonly DigestAlgorithm[];
  /** qop-options offered; default `auth`. */
  qop?: readonly DigestQop[];
  /** How long a nonce stays fresh; default 5 minutes. After that the answer is stale=TRUE. */
  nonceLifetimeMs?: number;
  /** Proxy authentication (407, Proxy-Authenticate) instead of 401/WWW-Authenticate. */
  proxy?: boolean;
  /** Bound on nonces tracked for replay detection; default 10 000. */
  maxTrackedNonces?: number;
  /** Compares the `uri` directive with the Request-URI; default exact string equality. */
  uriMatches?: (digestUri: string, requestUri: string) => boolean;
}

export interface DigestVerifyRequest {
  method: string;
  /** The Request-URI as received. */
  uri: string;
  body?: string | Uint8Array;
  /** Every Authorization (or Proxy-Authorization) header value of the request. */
  authorization: readonly string[];
}

export type DigestFailureReason =
  | 'missing'
  | 'malformed'
  | 'unsupported-algorithm'
  | 'unsupported-qop'
  | 'uri-mismatch'
  | 'bad-nonce'
  | 'unknown-user'
  | 'bad-response'
  | 'stale'
  | 'replay';

export type DigestVerification =
  | { ok: true; username: string; realm: string; algorithm: DigestAlgorithm; qop: DigestQop }
  | {
      ok: false;
      reason: DigestFailureReason;
      /** The status to answer with: 400 for a broken request, else 401 (or 407 for a proxy). */
      status: 400 | 401 | 407;
      /** Challenge headers to put in that answer; empty with 400. */
      challenge: HeaderField[];
    };

const ISSUED_AT_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = ISSUED_AT_BYTES + RANDOM_BYTES + MAC_BYTES;
/** Tolerated clock difference between processes sharing the secret. */
const FUTURE_SKEW_MS = 5_000;
const NC_PATTERN = /^[0-9a-fA-F]{8}$/;

export class DigestVerifier {
  readonly realm: string;
  private readonly secret: string | Uint8Array;
  private readonly clock: Clock;
  private readonly lookup: DigestPasswordLookup;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly qop: readonly DigestQop[];
  private readonly nonceLifetimeMs: number;
  private readonly proxy: boolean;
  private readonly uriMatches: (digestUri: string, requestUri: string) => boolean;
  private readonly counts: NonceCountWindow;

  constructor(options: DigestVerifierOptions) {
    this.realm = options.realm;
    this.secret = options.secret;
    this.clock = options.clock;
    this.lookup = options.lookup;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.qop = options.qop ?? ['auth'];
    this.nonceLifetimeMs = options.nonceLifetimeMs ?? 300_000;
    this.proxy = options.proxy ?? false;
    this.uriMatches = options.uriMatches ?? ((digestUri, requestUri) => digestUri === requestUri);
    this.counts = new NonceCountWindow(options.maxTrackedNonces ?? 10_000);
    if (this.algorithms.length === 0) throw new TypeError('DigestVerifier needs at least one algorithm');
    if (this.qop.length === 0) throw new TypeError('DigestVerifier needs at least one qop');
  }

  /** The status that carries a challenge: 401, or 407 for a proxy (RFC 3261 §22.3). */
  get challengeStatus(): 401 | 407 {
    return this.proxy ? 407 : 401;
  }

  /**
   * Challenge headers, one per algorithm in preference order, sharing one fresh nonce. RFC 7616 §3.7
   * lets a server send several challenges so each client picks the best algorithm it implements.
   */
  challenge(options: { stale?: boolean } = {}): HeaderField[] {
    const name = this.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const nonce = this.issueNonce();
    return this.algorithms.map((algorithm) => ({
      name,
      value: formatDigestChallenge({
        realm: this.realm,
        nonce,
        algorithm,
        qop: this.qop,
        ...(options.stale === true ? { stale: true } : {}),
      }),
    }));
  }

  async verify(request: DigestVerifyRequest): Promise<DigestVerification> {
    // RFC 3261 §22.4: a request may carry credentials for several realms; use the one for ours.
    let credentials: AuthField | undefined;
    let sawMalformed = false;
    for (const value of request.authorization) {
      let fields: AuthField[];
      try {
        fields = parseAuthFields(value);
      } catch {
        sawMalformed = true;
        continue;
      }
      credentials ??= fields.find(
        (field) => field.scheme.toLowerCase() === 'digest' && field.params.get('realm') === this.realm,
      );
    }
    if (credentials === undefined) return this.reject(sawMalformed ? 'malformed' : 'missing');

    const params = credentials.params;
    const username = params.get('username');
    const nonce = params.get('nonce');
    const digestUri = params.get('uri');
    const response = params.get('response');
    if (username === undefined || nonce === undefined || digestUri === undefined || response === undefined) {
      return this.reject('malformed');
    }

    const algorithm = parseDigestAlgorithm(params.get('algorithm'));
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) return this.reject('unsupported-algorithm');

    // We always offer qop, so RFC 2069-style credentials without it are not ours to accept.
    const qop = params.get('qop')?.toLowerCase();
    if (qop === undefined || !(this.qop as readonly string[]).includes(qop)) return this.reject('unsupported-qop');
    const cnonce = params.get('cnonce');
    const ncText = params.get('nc');
    if (cnonce === undefined || ncText === undefined || !NC_PATTERN.test(ncText)) return this.reject('malformed');
    const nc = Number.parseInt(ncText, 16);
    if (nc === 0) return this.reject('malformed');

    // RFC 2617 §3.2.2.5: "The authenticating server must assure that the resource designated by the
    // "uri" directive is the same as the resource specified in the Request-Line; if they are not, the
    // server SHOULD return a 400 Bad Request error."
    if (!this.uriMatches(digestUri, request.uri)) return this.reject('uri-mismatch');

    const issuedAt = this.checkNonce(nonce);
    if (issuedAt === undefined) return this.reject('bad-nonce');

    const password = await this.lookup(username, this.realm);
    if (password === undefined) return this.reject('unknown-user');
    const expected = computeDigestResponse({
      algorithm,
      username,
      realm: this.realm,
      password,
      nonce,
      method: request.method,
      uri: digestUri,
      qop: qop as DigestQop,
      cnonce,
      nc: ncText,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    if (!sameHex(expected, response)) return this.reject('bad-response');

    // RFC 2617 §3.2.1: "The server should only set stale to TRUE if it receives a request for which
    // the nonce is invalid but with a valid digest for that nonce (indicating that the client knows
    // the correct username/password)." Hence the age check comes after the digest check.
    const now = this.clock.now();
    if (now - issuedAt > this.nonceLifetimeMs) return this.reject('stale');
    this.counts.prune(now - this.nonceLifetimeMs);
    const verdict = this.counts.check(nonce, issuedAt, nc);
    // A replayed count gets a fresh stale nonce: a genuine client (who knows the password) retries
    // silently, and a replaying attacker gains nothing from a nonce it cannot answer.
    if (verdict === 'replay') return this.reject('replay');
    if (verdict === 'forgotten') return this.reject('stale');
    return { ok: true, username, realm: this.realm, algorithm, qop: qop as DigestQop };
  }

  private reject(reason: DigestFailureReason): DigestVerification {
    if (reason === 'malformed' || reason === 'uri-mismatch') {
      return { ok: false, reason, status: 400, challenge: [] };
    }
    const stale = reason === 'stale' || reason === 'replay';
    return { ok: false, reason, status: this.challengeStatus, challenge: this.challenge({ stale }) };
  }

  private mac(issuedAndRandom: Uint8Array): Buffer {
    return createHmac('sha256', this.secret)
      .update(this.realm)
      .update('\0')
      .update(issuedAndRandom)
      .digest()
      .subarray(0, MAC_BYTES);
  }

  private issueNonce(): string {
    const head = Buffer.alloc(ISSUED_AT_BYTES + RANDOM_BYTES);
    head.writeBigUInt64BE(BigInt(Math.floor(this.clock.now())), 0);
    randomBytes(RANDOM_BYTES).copy(head, ISSUED_AT_BYTES);
    return Buffer.concat([head, this.mac(head)]).toString('base64url');
  }

  /** The issue time of a nonce we minted (whatever its age), or undefined for a forged or foreign one. */
  private checkNonce(nonce: string): number | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return undefined;
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== NONCE_BYTES) return undefined;
    const head = bytes.subarray(0, ISSUED_AT_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(this.mac(head), bytes.subarray(ISSUED_AT_BYTES + RANDOM_BYTES))) return undefined;
    const issuedAt = Number(head.readBigUInt64BE(0));
    if (issuedAt > this.clock.now() + FUTURE_SKEW_MS) return undefined;
    return issuedAt;
  }
}

function sameHex(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
