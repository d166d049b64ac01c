/**
 * A MediaDialer over the <Dial> adapters' dialer (`createDialWiring(...).dialer`, whose legs are
 * SipOutboundLegs exposing their MediaPort and negotiated media from the answer on): the answered
 * leg's port gets a MediaLeg (prompts, digits, recording) for the outbound-api document to run on.
 * With it there is one outbound INVITE implementation in the engine; `createUaMediaDialer` remains
 * for setups without the <Dial> wiring.
 */
import type { Logger } from '../../../kernel/index.js';
import type { LegAnswer, OutboundDialer, OutboundLegEvents, OutboundLegRequest } from '../../dial/index.js';
import { isSipOutboundLeg } from '../dial/index.js';
import { MediaLeg } from '../media-leg.js';
import type { MediaServices } from '../media-services.js';
import type { MediaDialer, MediaOutboundLeg } from './ua-media-dialer.js';

export function mediaDialerOver(dialer: OutboundDialer, services: MediaServices, logger: Logger): MediaDialer {
  return {
    place(request: OutboundLegRequest, events: OutboundLegEvents): MediaOutboundLeg {
      let mediaLeg: MediaLeg | undefined;
      let closed = false;
      let answered = false;
      let ended = false;
      const goneListeners: Array<() => void> = [];
      const legLogger = logger.child({ callSid: request.callSid });
      const leg = dialer.place(request, {
        progress: (progress) => events.progress(progress),
        failed: (failure) => events.failed(failure),
        answered: (answer: LegAnswer) => {
          answered = true;
          const port = isSipOutboundLeg(leg) ? leg.mediaPort : undefined;
          const negotiated = isSipOutboundLeg(leg) ? leg.negotiated : undefined;
          if (port !== undefined && negotiated !== undefined) {
            mediaLeg = new MediaLeg(services, port, negotiated, legLogger);
            mediaLeg.onGone(() => {
              for (const listener of goneListeners) listener();
            });
            if (goneListeners.length > 0) mediaLeg.armRtpTimeout();
          } else {
            legLogger.error('the dialled leg has no media port; hanging up');
          }
          events.answered(answer);
          if (mediaLeg === undefined || closed) leg.hangup();
        },
        ended: (by) => {
          ended = true;
          mediaLeg?.close();
          events.ended(by);
        },
      });
      return {
        get sipCallId() {
          return leg.sipCallId;
        },
        get media(): MediaLeg | undefined {
          return mediaLeg;
        },
        onMediaGone(listener) {
          goneListeners.push(listener);
          mediaLeg?.armRtpTimeout();
        },
        cancel: () => leg.cancel(),
        hangup: () => leg.hangup(),
        close() {
          if (closed) return;
          closed = true;
          if (!answered) leg.cancel();
          else if (!ended) leg.hangup();
          mediaLeg?.close();
        },
      };
    },
  };
}
