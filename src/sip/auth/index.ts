export { type AuthField, parseAuthFields, quoteString } from './auth-params.js';
export {
  type DigestAlgorithm,
  type DigestQop,
  type DigestResponseInput,
  computeDigestResponse,
  digestHash,
  formatNonceCount,
  hashUsername,
  parseDigestAlgorithm,
} from './digest-algorithm.js';
export {
  type DigestChallenge,
  type DigestChallengeFields,
  formatDigestChallenge,
  parseDigestChallenges,
  selectDigestChallenges,
} from './digest-challenge.js';
export {
  type AuthorizationHeaderName,
  type DigestChallengeResponse,
  type DigestChallengeResult,
  type DigestClientOptions,
  type DigestCredentials,
  type DigestRequest,
  DigestClient,
  authorizationHeaderFor,
} from './digest-client.js';
export {
  type DigestFailureReason,
  type DigestPasswordLookup,
  type DigestVerification,
  type DigestVerifierOptions,
  type DigestVerifyRequest,
  DigestVerifier,
} from './digest-verifier.js';
