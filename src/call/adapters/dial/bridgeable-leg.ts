/**
 * What `<Dial>` needs of the caller's media leg (the inbound wiring's MediaLeg): its RTP port and
 * negotiated codec, to send ringback on and to bridge, and a way to keep its own prompt output quiet
 * while the callee's audio is relayed to it.
 *
 * MediaLeg has `port` and `negotiated` today. `suspendOutput`/`resumeOutput` are optional until it has
 * them: while a <Dial> runs no other verb plays on the leg, so nothing else is sent in practice.
 */
import type { MediaPort } from '../../../media/index.js';
import type { NegotiatedMedia } from '../../../sdp/index.js';

export interface BridgeableLeg {
  readonly port: MediaPort;
  readonly negotiated: Pick<NegotiatedMedia, 'codec' | 'telephoneEventPayloadType'>;
  /** Stops the leg's own prompt output (PromptPlayer frames) from reaching the port until `resumeOutput`. */
  suspendOutput?(): void;
  resumeOutput?(): void;
}
