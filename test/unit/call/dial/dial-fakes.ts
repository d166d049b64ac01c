/**
 * Fakes of the narrow interfaces runDial declares (dial-ports.ts), and a harness that parses a seed's
 * document, runs its <Dial> on the FakeClock against a FakeLeg, and records everything that went out.
 */
import { Interruption, type CallEvents, type CallState, type NotificationInput } from '../../../../src/call/index.js';
import type {
  Bridge,
  CallScreening,
  ChildCallControl,
  DialOutcome,
  DialRecording,
  DialRecordingRequest,
  DialRecordingSession,
  LegFailure,
  OutboundDialer,
  OutboundLeg,
  OutboundLegEvents,
  OutboundLegRequest,
  StatusCallbackRequest,
} from '../../../../src/call/dial/index.js';
import { runDial } from '../../../../src/call/dial/index.js';
import type { RegionConfig, TrunkConfig } from '../../../../src/config/index.js';
import { silentLogger } from '../../../../src/kernel/index.js';
import { parseDocument, type Dial, type Dialect } from '../../../../src/markup/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeLeg, settle } from '../fake-leg.js';

export const accountSid = 'AC0123456789abcdef0123456789abcdef';
export const parentSid = 'CAffffffffffffffffffffffffffffffff';
export const start = 1_700_000_000_000;

/** The model of the first verb of a seed document, which must parse. */
export function dialOf(xml: string, dialect: Dialect): Dial {
  const parsed = parseDocument(xml, { dialect });
  const verb = parsed.document?.verbs[0];
  if (verb?.verb !== 'dial') throw new Error(`not a <Dial>: ${JSON.stringify(parsed.problems)}`);
  return verb;
}

/** One placed INVITE, driven by the test as the far end. */
export class FakeOutboundLeg implements OutboundLeg {
  readonly sipCallId: string;
  readonly actions: ('cancel' | 'hangup')[] = [];
  /** What sendDigits was given, when the fake has one. */
  readonly digitsSent: string[] = [];
  sendDigits?: (digits: string) => void;

  constructor(
    readonly request: OutboundLegRequest,
    private readonly events: OutboundLegEvents,
    /** 1 for the first INVITE of the Dial, 2 for the second… */
    readonly index = 1,
    withSendDigits = false,
  ) {
    this.sipCallId = `call-${index}@dialtone`;
    if (withSendDigits) this.sendDigits = (digits) => void this.digitsSent.push(digits);
  }

  cancel(): void {
    this.actions.push('cancel');
  }

  hangup(): void {
    this.actions.push('hangup');
  }

  ring(status = 180, earlyMedia = false): void {
    this.events.progress({ status, earlyMedia });
  }

  answer(headers: { name: string; value: string }[] = []): void {
    this.events.answered({ status: 200, headers });
  }

  answerWith(status: number, headers: { name: string; value: string }[] = []): void {
    this.events.answered({ status, headers });
  }

  fail(status: number, cause: LegFailure['cause'] = 'response', headers: { name: string; value: string }[] = []): void {
    this.events.failed({ status, reason: 'x', cause, headers });
  }

  /** The far end's BYE, or the `ended('local')` that follows our hangup(). */
  ended(by: 'remote' | 'local' = 'remote'): void {
    this.events.ended(by);
  }
}

export class FakeDialer implements OutboundDialer {
  readonly legs: FakeOutboundLeg[] = [];
  withSendDigits = false;

  place(request: OutboundLegRequest, events: OutboundLegEvents): OutboundLeg {
    const leg = new FakeOutboundLeg(request, events, this.legs.length + 1, this.withSendDigits);
    this.legs.push(leg);
    return leg;
  }

  get leg(): FakeOutboundLeg {
    const leg = this.legs[0];
    if (leg === undefined) throw new Error('no INVITE was placed');
    return leg;
  }
}

export interface HarnessOptions {
  regions?: RegionConfig[];
  documentUrl?: string;
  /** Make the bridge fail. */
  bridgeFails?: boolean;
  /** The caller hung up before runDial was called. */
  abortedBefore?: boolean;
  /** The dialer throws instead of placing the INVITE. */
  placeThrows?: boolean;
  /** Given: the CallScreening the Dial uses. */
  screening?: CallScreening;
  /** Given: the trunk <Number> dials through. */
  trunk?: TrunkConfig;
  /** Given: the DialRecording port. */
  recording?: DialRecording;
  /** The media port relays early media (DialMedia.earlyMedia). */
  earlyMedia?: boolean;
  /** The outbound legs can send DTMF (OutboundLeg.sendDigits). */
  sendDigits?: boolean;
}

/** A DialRecording that keeps what it was asked, with a recording that lasts `seconds` of the FakeClock. */
export function recordingFake(clock: { now(): number }, options: { seconds?: number; fails?: boolean } = {}) {
  const sessions: {
    request: DialRecordingRequest;
    caller: unknown;
    callees: OutboundLeg[];
    startedAt: number;
    stoppedAt?: number;
  }[] = [];
  let count = 0;
  const recording: DialRecording = {
    async start(request, caller, callee) {
      if (options.fails === true) throw new Error('disk full');
      count += 1;
      const recordingSid = `RE${String(count).padStart(32, '0')}`;
      const kept = { request, caller, callees: callee === undefined ? [] : [callee], startedAt: clock.now() } as (typeof sessions)[number];
      sessions.push(kept);
      const session: DialRecordingSession = {
        recordingSid,
        recordingUrl: `http://dialtone.test/Recordings/${recordingSid}`,
        addCallee: (leg) => void kept.callees.push(leg),
        async stop() {
          kept.stoppedAt = clock.now();
          return {
            recordingSid,
            recordingUrl: `http://dialtone.test/Recordings/${recordingSid}`,
            durationSeconds: options.seconds ?? Math.round((clock.now() - kept.startedAt) / 1000),
          };
        },
      };
      return session;
    },
  };
  return { recording, sessions };
}

/** Runs one <Dial> and keeps what it did, in one ordered log across the caller, the callee and the bridge. */
export function runHarness(dial: Dial, options: HarnessOptions = {}) {
  const clock = new FakeClock(start);
  const leg = new FakeLeg({ clock });
  const dialer = new FakeDialer();
  dialer.withSendDigits = options.sendDigits === true;
  const callbacks: StatusCallbackRequest[] = [];
  const notifications: NotificationInput[] = [];
  const statuses: string[] = [];
  const created: CallState[] = [];
  const log: string[] = [];
  const bridges: { closed: boolean }[] = [];
  const ringbacks: { tone: string | undefined; stopped: boolean }[] = [];
  const children = new Map<string, ChildCallControl>();
  const controller = new AbortController();
  const callEvents: CallEvents = {
    created: (call) => created.push({ ...call }),
    statusChanged: (call) => statuses.push(call.status),
  };
  const originalAnswer = leg.answer.bind(leg);
  leg.answer = async () => {
    if (!leg.answered) log.push('caller answered');
    await originalAnswer();
  };
  const originalPlace = dialer.place.bind(dialer);
  dialer.place = (request, events) => {
    if (options.placeThrows === true) throw new Error('no transport for tls');
    log.push('invite');
    return originalPlace(request, events);
  };
  let outcome: DialOutcome | undefined;
  if (options.abortedBefore === true) controller.abort(new Interruption('hangup'));
  const running = runDial(
    dial,
    {
      leg,
      clock,
      ...(options.documentUrl === undefined ? { documentUrl: 'http://app.test/voice' } : { documentUrl: options.documentUrl }),
      accountSid,
      parent: { sid: parentSid, from: '+15550001111', to: '+15551230000' },
      dialer,
      media: {
        ringback(caller, tone, stop) {
          if (caller !== leg) throw new Error('ringback on the wrong leg');
          const ringback = { tone, stopped: stop.aborted };
          ringbacks.push(ringback);
          stop.addEventListener('abort', () => (ringback.stopped = true), { once: true });
        },
        async bridge(caller, callee): Promise<Bridge> {
          if (options.bridgeFails === true) throw new Error('no media port');
          const index = dialer.legs.indexOf(callee as FakeOutboundLeg);
          if (caller !== leg || index < 0) throw new Error('bridged the wrong legs');
          // The first INVITE's bridge logs as before; other legs say which one was bridged.
          log.push(index === 0 ? 'bridged' : `bridged ${index + 1}`);
          const bridge = { closed: false };
          bridges.push(bridge);
          return {
            close() {
              if (!bridge.closed) log.push('bridge closed');
              bridge.closed = true;
            },
          };
        },
        ...(options.earlyMedia === true
          ? {
              async earlyMedia(caller: unknown, callee: OutboundLeg): Promise<Bridge> {
                const index = dialer.legs.indexOf(callee as FakeOutboundLeg);
                if (caller !== leg || index < 0) throw new Error('early media from the wrong legs');
                log.push(`early media ${index + 1}`);
                let closed = false;
                return {
                  close() {
                    if (!closed) log.push(`early media ${index + 1} closed`);
                    closed = true;
                  },
                };
              },
            }
          : {}),
      },
      callbacks: { enqueue: (callback) => callbacks.push(callback) },
      notifications: { record: (notification) => void notifications.push(notification) },
      callEvents,
      children: {
        register(callSid, control) {
          children.set(callSid, control);
          return () => children.delete(callSid);
        },
      },
      ...(options.screening === undefined ? {} : { screening: options.screening }),
      ...(options.trunk === undefined ? {} : { trunk: options.trunk }),
      ...(options.recording === undefined ? {} : { recording: options.recording }),
      regions: options.regions ?? [
        { name: 'us1', default: true },
        { name: 'ie1', default: false, outboundProxy: 'sip:10.0.0.5:5060' },
      ],
      logger: silentLogger,
    },
    controller.signal,
  ).then((result) => (outcome = result));
  return {
    clock,
    leg,
    dialer,
    callbacks,
    notifications,
    statuses,
    created,
    log,
    bridges,
    ringbacks,
    children,
    controller,
    running,
    outcome: () => outcome,
    /** Lets the attempt take what happened. */
    settle,
  };
}
