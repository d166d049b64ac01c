/**
 * A call's state: who, which way, where it stands, and the SIP facts the application sees. Status
 * changes go through one method, which stamps the times and tells the store through CallEvents.
 *
 *   queued ─▶ ringing ─▶ in-progress ─▶ completed
 *                │ └─────▶ busy | no-answer | failed | canceled
 *                └─(an inbound call starts at ringing: the INVITE is already ringing when it is routed)
 */
import { type Clock, DialtoneError, ErrorCodes, type Logger, newSid } from '../kernel/index.js';

export type CallDirection = 'inbound' | 'outbound-api' | 'outbound-dial';
export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';
export type EndStatus = Extract<CallStatus, 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled'>;

/** What the SIP side learned from the INVITE; goes to the application as SipCallId, SipSourceIp, … */
export interface SipFacts {
  callId: string;
  sourceIp: string;
  /** The Request-URI host the caller dialled. */
  domain: string;
  /** X- headers as received, in order (names as written). */
  xHeaders: { name: string; value: string }[];
}

export interface CallState {
  sid: string;
  accountSid: string;
  parentCallSid?: string;
  direction: CallDirection;
  from: string;
  to: string;
  forwardedFrom?: string;
  callerName?: string;
  status: CallStatus;
  /** Wall-clock milliseconds. */
  startTime: number;
  answerTime?: number;
  endTime?: number;
  sip?: SipFacts;
}

/** The store side of a call's life (issue 5: calls "kept in the store"). */
export interface CallEvents {
  /** Once, when the call object exists. */
  created(call: Readonly<CallState>): void;
  /** After every status change, with the state as it now stands. */
  statusChanged(call: Readonly<CallState>): void;
}

export interface NewCallInput {
  accountSid: string;
  direction: CallDirection;
  from: string;
  to: string;
  status?: CallStatus;
  parentCallSid?: string;
  forwardedFrom?: string;
  callerName?: string;
  sip?: SipFacts;
  /** Given for tests and for REST-created calls whose SID is already handed out. */
  sid?: string;
}

const terminal: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

// Which status may follow which; anything else is a bug in the engine, not in the application.
const allowed: Record<CallStatus, readonly CallStatus[]> = {
  queued: ['ringing', 'in-progress', 'busy', 'failed', 'no-answer', 'canceled'],
  ringing: ['in-progress', 'busy', 'failed', 'no-answer', 'canceled'],
  'in-progress': ['completed', 'failed'],
  completed: [],
  busy: [],
  failed: [],
  'no-answer': [],
  canceled: [],
};

export function isTerminal(status: CallStatus): boolean {
  return terminal.has(status);
}

export class Call {
  private readonly state: CallState;

  constructor(
    input: NewCallInput,
    private readonly clock: Clock,
    private readonly events: CallEvents,
    private readonly logger: Logger,
  ) {
    this.state = {
      sid: input.sid ?? newSid('CA'),
      accountSid: input.accountSid,
      direction: input.direction,
      from: input.from,
      to: input.to,
      status: input.status ?? 'queued',
      startTime: clock.now(),
      ...(input.parentCallSid === undefined ? {} : { parentCallSid: input.parentCallSid }),
      ...(input.forwardedFrom === undefined ? {} : { forwardedFrom: input.forwardedFrom }),
      ...(input.callerName === undefined ? {} : { callerName: input.callerName }),
      ...(input.sip === undefined ? {} : { sip: input.sip }),
    };
    this.notify(() => this.events.created(this.snapshot()));
  }

  get sid(): string {
    return this.state.sid;
  }

  get accountSid(): string {
    return this.state.accountSid;
  }

  get status(): CallStatus {
    return this.state.status;
  }

  get ended(): boolean {
    return isTerminal(this.state.status);
  }

  snapshot(): Readonly<CallState> {
    return { ...this.state, ...(this.state.sip === undefined ? {} : { sip: { ...this.state.sip, xHeaders: [...this.state.sip.xHeaders] } }) };
  }

  /** Moves to `status`; the same status again is a no-op, an impossible move throws (an engine bug). */
  setStatus(status: CallStatus): void {
    const from = this.state.status;
    if (from === status) return;
    if (!allowed[from].includes(status)) {
      throw new DialtoneError(ErrorCodes.callStatusTransitionInvalid, `call ${this.state.sid}: ${from} → ${status} is not a valid move`, {
        callSid: this.state.sid,
        from,
        to: status,
      });
    }
    this.state.status = status;
    const now = this.clock.now();
    if (status === 'in-progress') this.state.answerTime = now;
    if (isTerminal(status)) this.state.endTime = now;
    this.notify(() => this.events.statusChanged(this.snapshot()));
  }

  // A listener's failure (the store being down) must not take the call with it.
  private notify(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      this.logger.error('call event listener failed', { callSid: this.state.sid, error: String(error) });
    }
  }
}
