/**
 * `<Dial>` as the document runner's `otherExecutors.dial`: runDial (call/dial) over the ports this
 * folder implements — the SipDialer (UserAgent + RTP), DialMedia on the caller's media leg, the
 * DialStore (child call rows and status callbacks) — built once per engine by `createDialWiring`,
 * then per call: `executorsFor(legs)` for inbound calls (InboundCallsOptions.otherExecutors) and
 * `executorsForCall(parent, media)` for any other parent call (REST-created calls).
 */
import type { RegionConfig, TrunkConfig } from '../../../config/index.js';
import type { Clock, Logger } from '../../../kernel/index.js';
import type { Dial } from '../../../markup/index.js';
import type { PortAllocator } from '../../../media/index.js';
import type { Resolver, UserAgent } from '../../../sip/index.js';
import type { Store } from '../../../store/index.js';
import type { CallEvents } from '../../call.js';
import {
  runDial,
  type CallbackSink,
  type CallScreening,
  type ChildCallRegistry,
  type DialMedia,
  type DialRecording,
  type OutboundDialer,
  type ResponseStatusTable,
} from '../../dial/index.js';
import type { OtherExecutors } from '../../document-runner.js';
import type { NotificationSink } from '../../notifications.js';
import type { VerbContext, VerbExecutor, VerbOutcome } from '../../verbs/index.js';
import type { InboundCallLegs } from '../inbound-calls.js';
import type { MediaLeg } from '../media-leg.js';
import { StoreNotificationSink } from '../store-sinks.js';
import { createDialMedia } from './dial-media.js';
import { createDialRecording, type RecordingServices } from './dial-recording.js';
import { DialStore } from './dial-store.js';
import { createSipDialer } from './sip-dialer.js';

/** The caller's call as runDial needs it; read when the <Dial> runs (the call's SID exists by then). */
export interface DialParent {
  accountSid: string;
  sid: string;
  from: string;
  to: string;
}

/** Everything one call's <Dial> executor needs. */
export interface DialExecutorDeps {
  parent: () => DialParent;
  dialer: OutboundDialer;
  media: DialMedia;
  callbacks: CallbackSink;
  callEvents: CallEvents;
  notifications: NotificationSink;
  regions: readonly RegionConfig[];
  logger: Logger;
  /** Where `<Number>` goes (INTERFACE.md `trunks`). */
  trunk?: TrunkConfig;
  /** `<Dial record>`; without it runDial warns and does not record. */
  recording?: DialRecording;
  screening?: CallScreening;
  children?: ChildCallRegistry;
  responseStatusTable?: ResponseStatusTable;
}

/** The function DocumentRunner takes as `otherExecutors.dial`. */
export function createDialExecutor(deps: DialExecutorDeps): VerbExecutor<Dial> {
  return async (dial: Dial, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> => {
    const parent = deps.parent();
    return runDial(
      dial,
      {
        ...context,
        accountSid: parent.accountSid,
        parent: { sid: parent.sid, from: parent.from, to: parent.to },
        dialer: deps.dialer,
        media: deps.media,
        callbacks: deps.callbacks,
        callEvents: deps.callEvents,
        notifications: deps.notifications,
        regions: deps.regions,
        logger: deps.logger,
        ...(deps.trunk === undefined ? {} : { trunk: deps.trunk }),
        ...(deps.recording === undefined ? {} : { recording: deps.recording }),
        ...(deps.screening === undefined ? {} : { screening: deps.screening }),
        ...(deps.children === undefined ? {} : { children: deps.children }),
        ...(deps.responseStatusTable === undefined ? {} : { responseStatusTable: deps.responseStatusTable }),
      },
      signal,
    );
  };
}

export interface DialWiringOptions {
  ua: UserAgent;
  store: Store;
  /** MediaServices.allocator: the callee legs share the engine's RTP port range. */
  allocator: PortAllocator;
  /** MediaServices.bindAddress. */
  bindAddress: string;
  /** The address in our SDP and From: main.ts's reachable host (sip.publicAddress, else the listener's). */
  publicAddress?: string;
  /** config.regions. */
  regions: readonly RegionConfig[];
  /** config.trunks: the one named `default`, else the first, carries `<Number>` (as REST's callTargetOf picks). */
  trunks?: readonly TrunkConfig[];
  clock: Clock;
  logger: Logger;
  /** `<Dial record>`: main.ts's MediaServices (recordings folder, RecordingUrl base, store); without it nothing is recorded. */
  recordingServices?: RecordingServices;
  /** Where warnings and errors of a <Dial> go; default a StoreNotificationSink on `store`. */
  notifications?: NotificationSink;
  /** The REST API's LiveCalls, so a child leg can be ended by its own SID. */
  children?: ChildCallRegistry;
  screening?: CallScreening;
  responseStatusTable?: ResponseStatusTable;
  resolver?: Resolver;
  /** RTP silence (ms) after which an answered callee is hung up; 0 (default) never. */
  rtpTimeoutMs?: number;
}

export interface DialWiring {
  readonly dialer: OutboundDialer;
  readonly store: DialStore;
  /** For InboundCallsOptions.otherExecutors: the <Dial> executor of one inbound call. */
  executorsFor(legs: InboundCallLegs): OtherExecutors;
  /**
   * The <Dial> executor of any parent call whose answered media is `callerMedia` (a REST-created
   * call): the same dialer, store, screening, recording and status table as inbound calls get.
   * `sessionProgress` sends the caller's INVITE a 183 with our SDP (early media before the answer).
   */
  executorsForCall(parent: () => DialParent, callerMedia: MediaLeg, sessionProgress?: () => void): OtherExecutors;
  /** Resolves when the child calls' store writes started so far have settled (before closing the store). */
  idle(): Promise<void>;
}

export function createDialWiring(options: DialWiringOptions): DialWiring {
  const logger = options.logger.child({ component: 'dial' });
  const dialer = createSipDialer({
    ua: options.ua,
    allocator: options.allocator,
    bindAddress: options.bindAddress,
    ...(options.publicAddress === undefined ? {} : { publicAddress: options.publicAddress }),
    clock: options.clock,
    logger,
    ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
    ...(options.rtpTimeoutMs === undefined ? {} : { rtpTimeoutMs: options.rtpTimeoutMs }),
  });
  const dialStore = new DialStore(options.store, logger);
  const ownNotifications = options.notifications === undefined ? new StoreNotificationSink(options.store, logger) : undefined;
  const notifications = options.notifications ?? ownNotifications!;
  const trunk = options.trunks?.find((candidate) => candidate.name === 'default') ?? options.trunks?.[0];
  const executorsForCall = (parent: () => DialParent, callerMedia: MediaLeg, sessionProgress?: () => void): OtherExecutors => {
    const dial = createDialExecutor({
      parent,
      dialer,
      media: createDialMedia({ caller: callerMedia, clock: options.clock, logger, ...(sessionProgress === undefined ? {} : { sessionProgress }) }),
      callbacks: dialStore,
      callEvents: dialStore.callEvents,
      notifications,
      regions: options.regions,
      logger,
      ...(trunk === undefined ? {} : { trunk }),
      ...(options.recordingServices === undefined
        ? {}
        : { recording: createDialRecording({ caller: callerMedia, services: options.recordingServices, clock: options.clock, logger }) }),
      ...(options.screening === undefined ? {} : { screening: options.screening }),
      ...(options.children === undefined ? {} : { children: options.children }),
      ...(options.responseStatusTable === undefined ? {} : { responseStatusTable: options.responseStatusTable }),
    });
    return { dial };
  };
  return {
    dialer,
    store: dialStore,
    executorsForCall,
    executorsFor(legs: InboundCallLegs): OtherExecutors {
      const { invite } = legs;
      // answerOnBridge: early media (our ringback, or the callee's) goes in a 183 with the caller's SDP answer.
      const sessionProgress = (): void => legs.sip.sessionProgress(legs.media.localSdp);
      return executorsForCall(() => {
        // The wiring sets the media leg's identity right after the call is created, before any verb runs.
        const sid = legs.media.identity?.callSid;
        if (sid === undefined) throw new Error('the caller\'s call has no SID yet');
        return { accountSid: legs.account.sid, sid, from: invite.from, to: invite.to };
      }, legs.media, sessionProgress);
    },
    async idle(): Promise<void> {
      await dialStore.idle();
      await ownNotifications?.idle();
    },
  };
}
