/**
 * The UAC side of Digest authentication (RFC 3261 §22.2–§22.3, RFC 7616 §3.4): answers 401 and 407
 * challenges, keeps one nonce count per nonce, and tells its caller when to give up instead of looping.
 *
 * Use: send the request with `authorize(request)` (empty until a realm has challenged us, then the
 * cached credentials with the next nonce count); on a 401/407 call `handleChallenge(response, request)`
 * and resend with the headers it returns, or give up with the error it returns.
 */
import { DialtoneError, ErrorCodes, randomToken } from '../../kernel/index.js';
import type { HeaderField } from '../message/types.js';
import { quoteString } from './auth-params.js';
import {
  type DigestAlgorithm,
  type DigestQop,
  computeDigestResponse,
  formatNonceCount,
  hashUsername,
} from './digest-algorithm.js';
import { type DigestChallenge, chooseQop, parseDigestChallenges, selectDigestChallenges } from './digest-challenge.js';

export interface DigestCredentials {
  username: string;
  password: string;
  /** When set, these credentials answer only this realm (RFC 3261 §22.1 warns against sending them elsewhere). */
  realm?: string;
}

export interface DigestClientOptions {
  credentials: DigestCredentials | readonly DigestCredentials[];
  /** The qop used when the server offers both; default `auth`. */
  qop?: DigestQop;
  /** Source of client nonces; default 16 random hex digits. Injected by tests for fixed vectors. */
  cnonce?: () => string;
  /** How many consecutive stale=TRUE challenges a realm may send before we give up; default 3. */
  maxStaleRetries?: number;
}

export type AuthorizationHeaderName = 'Authorization' | 'Proxy-Authorization';

/** What a request looks like to the digest: method, Request-URI text and body (for auth-int). */
export interface DigestRequest {
  method: string;
  uri: string;
  body?: string | Uint8Array;
}

/** A 401 or 407 as the client sees it: status and the WWW-/Proxy-Authenticate header values. */
export interface DigestChallengeResponse {
  status: number;
  challenges: readonly string[];
}

export type DigestChallengeResult =
  | { ok: true; headers: HeaderField[] }
  | { ok: false; error: DialtoneError };

/** RFC 3261 §22.2/§22.3: 401 carries WWW-Authenticate, 407 Proxy-Authenticate; the answer mirrors it. */
export function authorizationHeaderFor(status: number): AuthorizationHeaderName | undefined {
  if (status === 401) return 'Authorization';
  if (status === 407) return 'Proxy-Authorization';
  return undefined;
}

interface RealmState {
  header: AuthorizationHeaderName;
  challenge: DigestChallenge & { algorithm: DigestAlgorithm };
  qop: DigestQop | undefined;
  credentials: DigestCredentials;
  /** Requests sent with the current nonce. */
  nonceCount: number;
  /** True while the last credentials for this realm answered a challenge and no success came since. */
  answered: boolean;
  staleRetries: number;
}

export class DigestClient {
  private readonly credentials: readonly DigestCredentials[];
  private readonly preferredQop: DigestQop;
  private readonly newCnonce: () => string;
  private readonly maxStaleRetries: number;
  /** Keyed by header name and realm: a proxy and the UAS may share a realm string. */
  private readonly realms = new Map<string, RealmState>();

  constructor(options: DigestClientOptions) {
    this.credentials = Array.isArray(options.credentials)
      ? [...(options.credentials as readonly DigestCredentials[])]
      : [options.credentials as DigestCredentials];
    this.preferredQop = options.qop ?? 'auth';
    this.newCnonce = options.cnonce ?? (() => randomToken(8));
    this.maxStaleRetries = options.maxStaleRetries ?? 3;
  }

  /**
   * Credentials for a new request, from every realm that has challenged us, each with the next nonce
   * count (RFC 7616 §3.4: "The nc value is the hexadecimal count of the number of requests (including
   * the current request) that the client has sent with the nonce value in this request."). Calling it
   * means the previous exchange ended, so a later challenge from a realm is answered again once.
   */
  authorize(request: DigestRequest): HeaderField[] {
    for (const state of this.realms.values()) {
      state.answered = false;
      state.staleRetries = 0;
    }
    return this.buildHeaders(request);
  }

  /**
   * Answers a 401/407. Returns the headers for the retried request (credentials for every realm
   * known, so a request that passed one proxy keeps passing it, RFC 3261 §22.3), or an error telling
   * the caller to give up:
   * - sipAuthRejected when a realm challenges again right after we answered it and the challenge is
   *   not stale: RFC 2617 §3.2.1, "If stale is FALSE, or anything other than TRUE, or the stale
   *   directive is not present, the username and/or password are invalid";
   * - sipAuthRejected when we hold no credentials for any challenging realm;
   * - sipAuthChallengeInvalid when no challenge is usable (no Digest, or only algorithms or qop we
   *   do not implement).
   */
  handleChallenge(response: DigestChallengeResponse, request: DigestRequest): DigestChallengeResult {
    const header = authorizationHeaderFor(response.status);
    if (header === undefined) {
      return this.fail(ErrorCodes.sipAuthChallengeInvalid, `status ${response.status} is not a challenge`, {
        status: response.status,
      });
    }
    const selected = selectDigestChallenges(parseDigestChallenges(response.challenges), this.preferredQop);
    if (selected.length === 0) {
      return this.fail(ErrorCodes.sipAuthChallengeInvalid, 'no usable Digest challenge', {
        status: response.status,
        challenges: response.challenges,
      });
    }

    let answerable = 0;
    for (const challenge of selected) {
      const credentials = this.credentialsFor(challenge.realm);
      if (credentials === undefined) continue;
      answerable++;
      const key = `${header}\n${challenge.realm}`;
      const previous = this.realms.get(key);
      let staleRetries = 0;
      if (previous !== undefined && previous.answered) {
        if (!challenge.stale) {
          return this.fail(ErrorCodes.sipAuthRejected, `credentials rejected by realm ${challenge.realm}`, {
            realm: challenge.realm,
            status: response.status,
            reason: 'credentials-rejected',
          });
        }
        // RFC 2617 §3.2.1: with stale=TRUE "the client may wish to simply retry the request with a new
        // encrypted response, without reprompting the user" — but not forever.
        staleRetries = previous.staleRetries + 1;
        if (staleRetries > this.maxStaleRetries) {
          return this.fail(ErrorCodes.sipAuthRejected, `realm ${challenge.realm} keeps sending stale nonces`, {
            realm: challenge.realm,
            status: response.status,
            reason: 'too-many-stale',
          });
        }
      }
      this.realms.set(key, {
        header,
        challenge: challenge as RealmState['challenge'],
        qop: chooseQop(challenge, this.preferredQop) ?? undefined,
        credentials,
        nonceCount: 0,
        answered: true,
        staleRetries,
      });
    }
    if (answerable === 0) {
      return this.fail(ErrorCodes.sipAuthRejected, 'no credentials for the challenging realm', {
        realms: selected.map((challenge) => challenge.realm),
        status: response.status,
        reason: 'no-credentials',
      });
    }
    return { ok: true, headers: this.buildHeaders(request) };
  }

  private credentialsFor(realm: string): DigestCredentials | undefined {
    return (
      this.credentials.find((credentials) => credentials.realm === realm) ??
      this.credentials.find((credentials) => credentials.realm === undefined)
    );
  }

  private fail(code: number, message: string, details: Record<string, unknown>): DigestChallengeResult {
    return { ok: false, error: new DialtoneError(code, message, details) };
  }

  private buildHeaders(request: DigestRequest): HeaderField[] {
    const headers: HeaderField[] = [];
    for (const state of this.realms.values()) {
      state.nonceCount++;
      headers.push({ name: state.header, value: this.credentialsValue(state, request) });
    }
    return headers;
  }

  private credentialsValue(state: RealmState, request: DigestRequest): string {
    const { challenge, credentials, qop } = state;
    const algorithm = challenge.algorithm;
    const session = algorithm.endsWith('-sess');
    // RFC 7616 §3.4: a fresh cnonce for each request; it is needed with qop and with -sess.
    const cnonce = qop !== undefined || session ? this.newCnonce() : undefined;
    const nc = qop !== undefined ? formatNonceCount(state.nonceCount) : undefined;
    const response = computeDigestResponse({
      algorithm,
      username: credentials.username,
      realm: challenge.realm,
      password: credentials.password,
      nonce: challenge.nonce,
      method: request.method,
      uri: request.uri,
      ...(qop !== undefined ? { qop } : {}),
      ...(cnonce !== undefined ? { cnonce } : {}),
      ...(nc !== undefined ? { nc } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    });

    // RFC 7616 §3.4.4: when the server asked for userhash, the username directive carries the hash.
    const username = challenge.userhash
      ? hashUsername(algorithm, credentials.username, challenge.realm)
      : credentials.username;
    const parts = [
      `username=${quoteString(username)}`,
      `realm=${quoteString(challenge.realm)}`,
      `nonce=${quoteString(challenge.nonce)}`,
      `uri=${quoteString(request.uri)}`,
      `response=${quoteString(response)}`,
    ];
    // Echo the algorithm as the server spelled it; when it named none, MD5 is implied (RFC 7616 §3.3).
    if (challenge.algorithmToken !== undefined) parts.push(`algorithm=${challenge.algorithmToken}`);
    if (cnonce !== undefined) parts.push(`cnonce=${quoteString(cnonce)}`);
    // RFC 2617 §3.2.1: opaque is data "which should be returned by the client unchanged".
    if (challenge.opaque !== undefined) parts.push(`opaque=${quoteString(challenge.opaque)}`);
    if (qop !== undefined && nc !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`);
    if (challenge.userhash) parts.push('userhash=true');
    return `Digest ${parts.join(', ')}`;
  }
}
