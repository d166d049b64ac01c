/**
 * The store side of `<Dial>`'s outbound legs: the child call's row in `calls` (direction
 * outbound-dial, ParentCallSid) through CallEvents, and its status callbacks through CallbackSink into
 * `call_events` plus the outbox in one transaction (CallEventRepository.append), so the dispatcher
 * delivers them at least once and in SequenceNumber order.
 *
 * A leg whose noun asked for `completed` keeps that subscription on its row (expectFinal): killed
 * with the leg live, the engine's next start marks it failed and sends that callback, CallStatus=failed,
 * with the leg's next SequenceNumber (CallRepository.markLiveCallsFailed), as for inbound and REST calls.
 *
 * Writes of one call are chained: the row exists before its events (call_events references calls),
 * and updates land in the order they happened. A failing store is logged, never fails the call.
 * `idle()` resolves when every write started so far has settled (shutdown, tests).
 */
import type { Logger } from '../../../kernel/index.js';
import type { Store } from '../../../store/index.js';
import { isTerminal, type CallEvents, type CallState } from '../../call.js';
import type { CallbackSink, FinalCallbackRequest, StatusCallbackRequest } from '../../dial/index.js';
import { CallWriteChains } from '../call-write-chains.js';
import { newCallRow } from '../store-sinks.js';

/** Whole seconds between the answer and the end (0 for a leg never answered). */
function durationOf(call: Readonly<CallState>): number {
  if (call.answerTime === undefined || call.endTime === undefined) return 0;
  return Math.max(0, Math.round((call.endTime - call.answerTime) / 1000));
}

/** The event a status callback reports, from its CallStatus (dial-parameters' callStatusFor, read back). */
function eventNameOf(params: Record<string, string>): string {
  switch (params['CallStatus']) {
    case 'initiated':
      return 'initiated';
    case 'ringing':
      return 'ringing';
    case 'in-progress':
      return 'answered';
    default:
      return 'completed';
  }
}

export class DialStore implements CallbackSink {
  /** The child calls' CallEvents (every outbound leg of every <Dial>). */
  readonly callEvents: CallEvents;
  private readonly writes: CallWriteChains;

  constructor(
    private readonly store: Store,
    logger: Logger,
  ) {
    this.writes = new CallWriteChains(logger, 'dialled call not stored');
    this.callEvents = {
      created: (call) => this.created(call),
      statusChanged: (call) => this.statusChanged(call),
    };
  }

  enqueue(callback: StatusCallbackRequest): void {
    const timestamp = Date.parse(callback.params['Timestamp'] ?? '') || Date.now();
    const target = { accountSid: callback.accountSid, url: callback.url, method: callback.method };
    // Recording callbacks (issue 6) number their own sequence in the recording's own delivery queue,
    // apart from the call's events: outbox only.
    const recordingSid = callback.recordingSid;
    this.writes.enqueue(callback.callSid, async () => {
      if (recordingSid !== undefined) {
        await this.store.outbox.enqueue({
          callSid: callback.callSid,
          deliveryQueue: recordingSid,
          sequenceNumber: callback.sequenceNumber,
          ...target,
          params: callback.params,
        });
        return;
      }
      const sipResponseCode = Number.parseInt(callback.params['SipResponseCode'] ?? '', 10);
      const sipCallId = callback.params['SipCallId'];
      if (Number.isFinite(sipResponseCode) || sipCallId !== undefined) {
        await this.store.calls.update(callback.callSid, {
          ...(sipCallId === undefined ? {} : { sipCallId }),
          ...(Number.isFinite(sipResponseCode) ? { sipResponseCode } : {}),
        });
      }
      await this.store.callEvents.append(
        { callSid: callback.callSid, sequenceNumber: callback.sequenceNumber, name: eventNameOf(callback.params), timestamp, params: callback.params },
        target,
      );
    });
  }

  expectFinal(callback: FinalCallbackRequest): void {
    const finalCallback = { url: callback.url, method: callback.method, params: callback.params };
    // Chained after the row's creation and before the leg's first event, like every write of the leg.
    this.writes.enqueue(callback.callSid, async () => {
      await this.store.calls.update(callback.callSid, { finalCallback });
    });
  }

  /** Resolves when every write started so far has settled. */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  private created(call: Readonly<CallState>): void {
    this.writes.enqueueCreation(call.sid, () => this.store.calls.create(newCallRow(call)).then(() => undefined));
  }

  private statusChanged(call: Readonly<CallState>): void {
    this.writes.enqueue(call.sid, async () => {
      await this.store.calls.update(call.sid, {
        status: call.status,
        ...(call.answerTime === undefined ? {} : { answerTime: call.answerTime }),
        ...(isTerminal(call.status) && call.endTime !== undefined ? { endTime: call.endTime, duration: durationOf(call) } : {}),
      });
    });
  }
}
