/**
 * The call engine's store side: notifications into the notifications repository, the call's state
 * into the calls repository, and the `completed` status callback (Twilio's default
 * StatusCallbackEvent) into the call-events repository with the route's statusCallback, so the
 * outbox delivers it, signed, at least once and after a restart.
 *
 * Writes of one call are chained (the row exists before it is updated, the event after the final
 * update); a failing store is logged and never fails the call. `idle()` resolves when every write
 * started so far has settled (engine shutdown, tests).
 */
import type { HttpMethod } from '../../config/index.js';
import { formatRfc2822, type Logger } from '../../kernel/index.js';
import type { NewCall, Store } from '../../store/index.js';
import { isTerminal, type CallEvents, type CallState } from '../call.js';
import type { NotificationInput, NotificationSink } from '../notifications.js';
import { voiceRequestParameters } from '../webhook-parameters.js';
import { CallWriteChains } from './call-write-chains.js';

export class StoreNotificationSink implements NotificationSink {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  record(notification: NotificationInput): Promise<void> {
    const write = this.store.notifications
      .create({
        accountSid: notification.accountSid,
        callSid: notification.callSid,
        errorCode: notification.errorCode,
        logLevel: notification.logLevel,
        messageText: notification.messageText,
        ...(notification.requestUrl === undefined ? {} : { requestUrl: notification.requestUrl }),
        ...(notification.requestMethod === undefined ? {} : { requestMethod: notification.requestMethod }),
        ...(notification.requestVariables === undefined ? {} : { requestVariables: notification.requestVariables }),
        ...(notification.responseBody === undefined ? {} : { responseBody: notification.responseBody }),
      })
      .then(
        () => undefined,
        (error: unknown) => this.logger.error('notification not stored', { callSid: notification.callSid, error: String(error) }),
      );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
    return write;
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

export interface StatusCallbackTarget {
  url: string;
  method: HttpMethod;
}

/** The store row a new call starts as (inbound, outbound-api and dialled legs alike). */
export function newCallRow(call: Readonly<CallState>): NewCall {
  return {
    sid: call.sid,
    accountSid: call.accountSid,
    direction: call.direction,
    from: call.from,
    to: call.to,
    status: call.status,
    startTime: call.startTime,
    ...(call.parentCallSid === undefined ? {} : { parentCallSid: call.parentCallSid }),
    ...(call.sip === undefined ? {} : { sipCallId: call.sip.callId }),
    ...(call.forwardedFrom === undefined ? {} : { forwardedFrom: call.forwardedFrom }),
    ...(call.callerName === undefined ? {} : { callerName: call.callerName }),
  };
}

/** Whole seconds between the answer and the end (0 for a call never answered). */
export function callDurationSeconds(call: Readonly<CallState>): number {
  if (call.answerTime === undefined || call.endTime === undefined) return 0;
  return Math.max(0, Math.round((call.endTime - call.answerTime) / 1000));
}

export class StoreCallEvents {
  private readonly writes: CallWriteChains;

  constructor(
    private readonly store: Store,
    logger: Logger,
  ) {
    this.writes = new CallWriteChains(logger, 'call state not stored');
  }

  /** The CallEvents of one call, whose route asks for `statusCallback` (or none). */
  forCall(statusCallback: StatusCallbackTarget | undefined): CallEvents {
    return {
      created: (call) => this.created(call, statusCallback),
      statusChanged: (call) => this.statusChanged(call, statusCallback),
    };
  }

  private created(call: Readonly<CallState>, callback: StatusCallbackTarget | undefined): void {
    // The subscription is kept on the row: a crash with the call live still ends in its callback
    // (CallStatus=failed, sent by the store's recovery with the parameters of statusChanged below).
    const finalCallback = callback === undefined ? undefined : { ...callback, params: { ...voiceRequestParameters(call), Duration: '0' } };
    this.writes.enqueueCreation(call.sid, () =>
      this.store.calls.create({ ...newCallRow(call), ...(finalCallback === undefined ? {} : { finalCallback }) }).then(() => undefined),
    );
  }

  private statusChanged(call: Readonly<CallState>, callback: StatusCallbackTarget | undefined): void {
    this.writes.enqueue(call.sid, async () => {
      await this.store.calls.update(call.sid, {
        status: call.status,
        ...(call.answerTime === undefined ? {} : { answerTime: call.answerTime }),
        ...(call.endTime === undefined ? {} : { endTime: call.endTime, duration: callDurationSeconds(call) }),
      });
      if (!isTerminal(call.status)) return;
      // Twilio's default StatusCallbackEvent is `completed` alone, sent for every end (busy, no-answer…
      // carry their own CallStatus); SequenceNumber counts the callbacks of the call from 0.
      const sequenceNumber = await this.store.callEvents.nextSequenceNumber(call.sid);
      const timestamp = call.endTime ?? Date.now();
      const params: Record<string, string> = {
        ...voiceRequestParameters(call),
        CallStatus: call.status,
        CallDuration: String(callDurationSeconds(call)),
        Duration: String(Math.ceil(callDurationSeconds(call) / 60)),
        CallbackSource: 'call-progress-events',
        SequenceNumber: String(sequenceNumber),
        Timestamp: formatRfc2822(timestamp),
      };
      await this.store.callEvents.append(
        { callSid: call.sid, sequenceNumber, name: 'completed', timestamp, params },
        callback === undefined ? undefined : { accountSid: call.accountSid, url: callback.url, method: callback.method },
      );
    });
  }

  /** Resolves when every write started so far has settled. */
  idle(): Promise<void> {
    return this.writes.idle();
  }
}
