/**
 * The calls running in this process, by CA SID, as the REST API reaches them (`POST /Calls/{Sid}.json`):
 * an outbound-api call, an inbound call, or a <Dial> child leg. Each registers a handle while it lives
 * and removes it when it ends. It is also the ChildCallRegistry <Dial> takes (`children`), so a dialled
 * leg can be ended by its own SID (seed 003: "modify the child call by POSTing to Calls/{CallSid}").
 */
import type { ChildCallControl, ChildCallRegistry } from '../../dial/index.js';
import type { DocumentRunner, DocumentSource } from '../../document-runner.js';
import type { Call } from '../../call.js';
import type { CallLeg } from '../../call-leg.js';

/** What a REST update can do to one live call. */
export interface LiveCallHandle extends ChildCallControl {
  /**
   * REST `Url`/`Twiml`: stops the running verb and runs `source` instead. False when the call cannot
   * take it (over, or a leg with no document of its own such as a <Dial> child).
   */
  redirect?(source: DocumentSource): boolean;
}

export class LiveCalls implements ChildCallRegistry {
  private readonly calls = new Map<string, LiveCallHandle>();

  /** While the call lives; returns the function that removes it (removes only this registration). */
  register(callSid: string, handle: LiveCallHandle): () => void {
    this.calls.set(callSid, handle);
    return () => {
      if (this.calls.get(callSid) === handle) this.calls.delete(callSid);
    };
  }

  get(callSid: string): LiveCallHandle | undefined {
    return this.calls.get(callSid);
  }

  get size(): number {
    return this.calls.size;
  }
}

/**
 * The handle of an inbound call (what `startInboundCall` returns): redirect through its runner; end
 * through the one interruption path (`leg.remoteHangup()`: the running verb stops, the call ends
 * completed once answered, canceled before), then `closeSip` (the wiring's SipLeg.close(): 480 while
 * ringing, BYE once answered). `canceled` applies only before the answer (Twilio: "canceled" stops a
 * call that is queued or ringing).
 */
export function inboundLiveCall(
  inbound: { call: Call; leg: CallLeg; runner: DocumentRunner },
  closeSip: () => Promise<void> | void,
): LiveCallHandle {
  const { call, leg, runner } = inbound;
  return {
    redirect: (source) => runner.redirect(source),
    end: (status) => {
      if (call.ended) return false;
      if (leg.answered && status === 'canceled') return false;
      leg.remoteHangup();
      void Promise.resolve()
        .then(closeSip)
        .catch(() => undefined);
      return true;
    },
  };
}
