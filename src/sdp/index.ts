export {
  type MediaDirection,
  mirrorDirection,
  intersectDirections,
  directionSends,
  directionReceives,
} from './media-direction.js';
export type {
  ChosenCodec,
  RemoteMediaAddress,
  NegotiatedMedia,
  NegotiationFailure,
  AnswerResult,
  ParseAnswerResult,
} from './sdp-types.js';
export { type SessionOrigin, type OfferOptions, DEFAULT_OFFER_CODECS, createOffer } from './create-offer.js';
export { type AnswerOptions, negotiateAnswer, negotiateOffer, type OfferNegotiation } from './negotiate-answer.js';
export { parseAnswer } from './parse-answer.js';
export { type SdpSessionOptions, SdpSession, withoutOrigin } from './sdp-session.js';
