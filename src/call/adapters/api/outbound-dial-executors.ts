/**
 * <Dial> in the document of an outbound-api call: the engine's <Dial> wiring (the same dialer, child
 * call store, callbacks, screening and recording as inbound calls get) with the outbound-api call as
 * the parent (its SID, From and To) and the answered callee's MediaLeg as the media the dialled leg
 * is bridged with.
 */
import type { OtherExecutors } from '../../document-runner.js';
import type { DialWiring } from '../dial/index.js';
import type { OutboundApiCallLegs } from './outbound-api-call.js';

export function outboundDialExecutors(wiring: DialWiring): (legs: OutboundApiCallLegs) => OtherExecutors {
  return (legs) =>
    wiring.executorsForCall(() => ({ accountSid: legs.accountSid, sid: legs.callSid, from: legs.from, to: legs.to }), legs.media);
}
