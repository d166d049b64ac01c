import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { intersectDirections, mirrorDirection } from './media-direction.js';
import {
  failure,
  isFailure,
  isNullAddress,
  parseDescription,
  readDirection,
  readFormats,
  readPtime,
  readRemoteAddress,
} from './sdp-reading.js';
import type { ParseAnswerResult } from './sdp-types.js';

/**
 * Reads the answer to our offer (UAC side, from a 18x for early media or the 2xx; RFC 3264 §7).
 * The answer must have as many m-lines as the offer (§6); the first accepted audio stream is used;
 * we send with the first of the answer's formats that we offered, under the answer's payload type
 * number (§6.1 lets the answerer renumber dynamic types), at the answer's ptime.
 */
export function parseAnswer(answerSdp: string, offerSdp: string): ParseAnswerResult {
  const offer = parseDescription(offerSdp);
  if (isFailure(offer)) return failure(400, `our offer does not parse: ${offer.reason}`);
  const answer = parseDescription(answerSdp);
  if (isFailure(answer)) return answer;
  if (answer.media.length !== offer.media.length) {
    return failure(488, `answer has ${answer.media.length} m-lines for ${offer.media.length} offered (RFC 3264 §6)`, 399);
  }
  for (let index = 0; index < answer.media.length; index++) {
    const media = answer.media[index] as MediaDescription;
    const offered = offer.media[index] as MediaDescription;
    if (media.type !== 'audio' || offered.type !== 'audio' || media.port === 0 || offered.port === 0) continue;
    return readAcceptedStream(answer, media, offer, offered, index);
  }
  return failure(488, 'the answer rejected every audio stream', 304);
}

function readAcceptedStream(
  answer: SessionDescription,
  media: MediaDescription,
  offer: SessionDescription,
  offered: MediaDescription,
  mediaIndex: number,
): ParseAnswerResult {
  const remote = readRemoteAddress(answer, media);
  if (remote === undefined) return failure(400, `answer m-line ${mediaIndex} has no c= line (RFC 4566 §5.7)`);
  const ours = readFormats(offered);
  const theirs = readFormats(media);
  const codecFormat = theirs.find((f) => f.codec !== undefined && ours.some((o) => o.codec === f.codec));
  if (codecFormat === undefined || codecFormat.codec === undefined) {
    return failure(488, 'the answer holds none of the codecs we offered', 305);
  }
  const codec = codecFormat.codec;
  const eventFormat = theirs.find(
    (f) => f.telephoneEvent && f.clockRate === codec.clockRate && ours.some((o) => o.telephoneEvent && o.clockRate === f.clockRate),
  );
  const remoteHold = isNullAddress(remote.address);
  let answered = readDirection(answer, media);
  if (remoteHold) answered = intersectDirections(answered, 'sendonly');
  const direction = intersectDirections(mirrorDirection(answered), readDirection(offer, offered));
  return {
    ok: true,
    media: {
      codec: {
        name: codec.name,
        payloadType: codecFormat.payloadType,
        clockRate: codec.clockRate,
        sampleRate: codec.sampleRate,
        channels: codec.channels,
        ptimeMs: readPtime(answer, media) ?? codec.ptimeMs,
        fmtp: codecFormat.fmtp,
      },
      telephoneEventPayloadType: eventFormat?.payloadType ?? null,
      remote,
      direction,
      remoteHold: remoteHold || answered === 'sendonly' || answered === 'inactive',
      mediaIndex,
      remoteOrigin: {
        username: answer.origin.username,
        sessionId: String(answer.origin.sessionId),
        sessionVersion: String(answer.origin.sessionVersion),
      },
    },
  };
}
