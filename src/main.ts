/**
 * The composition root: builds every layer from the configuration and wires them together. Nothing
 * below this file knows how the others are configured.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import {
  createCallControl,
  createCallScreening,
  createDialWiring,
  inboundLiveCall,
  InboundCalls,
  LiveCalls,
  MediaServices,
  mediaDialerOver,
  outboundDialExecutors,
  type InboundCallLegs,
  type StartedInboundCall,
} from './call/adapters/index.js';
import { createApiServer } from './api/index.js';
import type { OtherExecutors } from './call/index.js';
import type { AccountConfig, DialtoneConfig, RouteConfig } from './config/index.js';
import { DatagramThread, EventLoopLagSensor, type Clock, type Logger, systemClock } from './kernel/index.js';
import type { SpeechSynthesizer } from './media/speech/index.js';
import { SipEndpoint, UserAgent, type Endpoint } from './sip/index.js';
import { CallbackDispatcher, type DeliverCallback, loadOrCreateDefaultAccount, openStore, type Store } from './store/index.js';
import { createWebhookClient, isRetryableFailure, type WebhookClient } from './webhook/index.js';

export interface Engine {
  readonly accounts: AccountConfig[];
  /** The routes in force, the `--voice-url` catch-all last. */
  readonly routes: RouteConfig[];
  /** Set when the default account was created on this start (its token is shown once). */
  readonly createdDefaultAccount: boolean;
  readonly sip: SipEndpoint;
  /** The UA over `sip` that takes inbound calls (and places outbound ones). */
  readonly ua: UserAgent;
  /** The inbound calls running now. */
  readonly calls: InboundCalls;
  readonly store: Store;
  sipListening(): Endpoint[];
  /** Where the REST API listens (the OS-assigned port when configured 0). */
  httpListening(): { address: string; port: number } | undefined;
  /** Refuses new calls and lets live ones go on for up to `drainSeconds` (Ctrl-C); then call close(). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface EngineOptions {
  logger: Logger;
  clock?: Clock;
  /**
   * Executors for verbs that live outside call/verbs: the hook for <Dial> (call/dial's runDial, wired
   * with an OutboundDialer over `ua` and DialMedia over the caller's MediaLeg). Fixed, or made per call.
   */
  otherExecutors?: OtherExecutors | ((call: InboundCallLegs & { ua: UserAgent }) => OtherExecutors);
  /** Told of each inbound call once it runs (the REST API's live-call registry); returns its "forget". */
  onInboundCall?: (call: StartedInboundCall) => (() => void) | void;
  /** Replaces the eSpeak synthesiser (tests), one per sample rate. */
  speech?: (sampleRate: number) => SpeechSynthesizer;
}

/** How long a shutdown waits for live calls' BYEs to be answered (UDP resends them at 0.5, 1 and 2 s). */
const shutdownByeWaitMs = 4_000;
/**
 * RTP/RTCP pairs kept bound ahead, so that a call's set-up does not wait for the I/O thread's binds
 * (PortAllocator.keepReady); a burst of set-ups beyond them binds as it goes.
 */
const READY_MEDIA_PAIRS = 8;

export async function startEngine(config: DialtoneConfig, options: EngineOptions): Promise<Engine> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const accounts = [...config.accounts];
  const routes = [...config.routes];
  let createdDefaultAccount = false;
  // INTERFACE.md: `--voice-url` alone is a complete setup, under a default account kept in the data folder.
  if (accounts.length === 0 || config.voiceUrl !== undefined) {
    const { account, created } = await loadOrCreateDefaultAccount(config.dataDir);
    createdDefaultAccount = created;
    if (!accounts.some((known) => known.sid === account.sid)) accounts.push({ ...account, enhancedSip: true });
    if (config.voiceUrl !== undefined) {
      routes.push({
        match: { kind: 'any' },
        account: account.sid,
        voiceUrl: config.voiceUrl,
        voiceMethod: 'POST',
        voiceFallbackMethod: 'POST',
        statusCallbackMethod: 'POST',
        dialect: 'twiml',
      });
    }
  }

  const tls =
    config.sip.tls === undefined
      ? undefined
      : {
          cert: await readFile(config.sip.tls.cert),
          key: await readFile(config.sip.tls.key),
          verifyPeer: config.sip.tls.verifyPeer,
          ...(config.sip.tls.ca === undefined ? {} : { ca: await readFile(config.sip.tls.ca) }),
        };
  // The TLS client needs no listener: a default install dials TLS (cXML's default transport) too,
  // verifying servers unless told not to, and shows the listener's certificate when one is asked for.
  const tlsClient = {
    verifyPeer: config.sip.tlsClient.verifyPeer,
    ...(config.sip.tlsClient.ca === undefined ? {} : { ca: await readFile(config.sip.tlsClient.ca) }),
    ...(tls === undefined ? {} : { cert: tls.cert, key: tls.key }),
  };
  // The store first: calls that were live when a previous process died are closed as failed, and
  // the callbacks it had accepted go out before new work starts.
  await mkdir(config.dataDir, { recursive: true });
  const store = await openStore(config.database, { clock, logger });
  const recovered = await store.calls.markLiveCallsFailed('the engine restarted while the call was live');
  // Their final status callbacks (CallStatus=failed) were queued in the same transaction; the dispatcher sends them.
  if (recovered.length > 0) {
    const finalCallbacks = recovered.filter((failed) => failed.finalCallbackSequenceNumber !== undefined).length;
    logger.warn('calls live at the last stop recorded as failed', { count: recovered.length, finalCallbacks });
  }
  const missedFinalCallbacks = await store.calls.queueMissedFinalCallbacks();
  if (missedFinalCallbacks > 0) logger.warn('final status callbacks of calls that ended just before the last stop queued', { count: missedFinalCallbacks });
  const webhooks = createWebhookClient({ clock });
  const dispatcher = new CallbackDispatcher({
    store,
    deliver: deliverThrough(webhooks, accounts),
    clock,
    logger,
  });
  dispatcher.start();

  // SIP's UDP and every call's RTP are received and sent on one I/O thread: the event loop decides,
  // the thread does the system calls (DatagramThread).
  const datagrams = new DatagramThread({ logger });
  let sip: SipEndpoint;
  try {
    sip = await SipEndpoint.start({
      transport: {
        listen: config.sip.listen,
        udpBinder: datagrams.bind,
        ...(tls === undefined ? {} : { tls }),
        tlsClient,
        ...(config.sip.publicAddress === undefined ? {} : { publicAddress: config.sip.publicAddress }),
      },
      clock,
      logger,
    });
  } catch (error) {
    await datagrams.close();
    await dispatcher.close();
    webhooks.close();
    await store.close();
    throw error;
  }

  // The host others reach us at: the public address, else the listener's own, else (a wildcard
  // listener) this machine's first external IPv4 address — never 0.0.0.0 in a Contact or an SDP.
  const firstListen = config.sip.listen[0];
  const wildcard = firstListen === undefined || firstListen.address === '0.0.0.0' || firstListen.address === '::';
  const reachableHost = config.sip.publicAddress ?? (wildcard ? externalIpv4() : firstListen.address);
  const ua = new UserAgent(sip, { clock, logger, contactHost: reachableHost });
  const media = new MediaServices({
    clock,
    logger,
    portRange: config.media.portRange,
    bind: datagrams.bind,
    bindAddress: wildcard ? '0.0.0.0' : firstListen.address,
    readyPairs: READY_MEDIA_PAIRS,
    rtpTimeoutSeconds: config.media.rtpTimeoutSeconds,
    recordingsDir: join(config.dataDir, 'recordings'),
    recordings: store.recordings,
    publicUrl: config.http.publicUrl ?? `http://${httpHost(config.http.listen.address, reachableHost)}:${config.http.listen.port}`,
    ...(options.speech === undefined ? {} : { speech: options.speech }),
  });
  // <Dial>: outbound legs through the same UA, media bridged with the caller's port, child calls and
  // their callbacks in the store.
  // Every live call by SID, for the REST API's updates (inbound, outbound-api and <Dial> children).
  const liveCalls = new LiveCalls();
  const screening = createCallScreening({ webhook: webhooks, accounts, media, store, clock, logger });
  const dial = createDialWiring({
    children: liveCalls,
    ua,
    store,
    allocator: media.allocator,
    bindAddress: media.bindAddress,
    publicAddress: reachableHost,
    regions: config.regions,
    trunks: config.trunks,
    recordingServices: media,
    screening,
    clock,
    logger,
  });
  const lag = new EventLoopLagSensor();
  const calls = new InboundCalls({
    routes,
    accounts,
    store,
    webhook: webhooks,
    media,
    sdpAddress: reachableHost,
    clock,
    logger,
    limits: config.limits,
    lag,
    otherExecutors: options.otherExecutors === undefined ? dial.executorsFor : withUa(options.otherExecutors, ua),
    onCallStarted: (started) => {
      const forgetLive = liveCalls.register(started.inbound.call.sid, inboundLiveCall(started.inbound, () => started.sip.close()));
      const forgetOther = options.onInboundCall?.(started);
      return () => {
        forgetLive();
        forgetOther?.();
      };
    },
  });
  ua.onIncomingCall(calls.handle);

  // REST API: calls created through it go out over the same dialer as <Dial>, and may <Dial> too.
  const control = createCallControl({
    store,
    accounts,
    trunks: config.trunks,
    regions: config.regions,
    dialer: mediaDialerOver(dial.dialer, media, logger),
    webhook: webhooks,
    liveCalls,
    clock,
    logger,
    otherExecutors: outboundDialExecutors(dial),
    recordingServices: media,
  });
  const api = createApiServer({ store, accounts, control, publicUrl: media.publicUrl, logger });
  // Stopping in order: the REST API and live calls first (BYE, their final state and status callbacks
  // written), then SIP (no new work), media, the dispatcher (marks what is in flight), the store.
  // A peer that never answers our BYE would hold the shutdown for Timer F (64*T1, 32 s), and one that
  // never ACKs our 200 for as long before the BYE may go (RFC 3261 §15): after shutdownByeWaitMs the
  // UA closes its calls (no more waiting for an ACK) and the SIP layer is closed under them, which ends
  // their transactions, and so the calls, whose final state is then written as usual.
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await api.close();
      const stopWaiting = clock.setTimeout(() => {
        logger.warn('live calls still hanging up: closing SIP under them', { afterMs: shutdownByeWaitMs });
        void ua.close();
        void sip.close();
      }, shutdownByeWaitMs);
      await control.close();
      await calls.close();
      await dial.idle();
      await screening.idle();
      await ua.close();
      clock.clearTimeout(stopWaiting);
      await sip.close();
      await media.close();
      await datagrams.close();
      await dispatcher.close();
      webhooks.close();
      await store.close();
      lag.close();
    })();
    return closing;
  };
  try {
    await api.listen({ host: config.http.listen.address, port: config.http.listen.port });
  } catch (error) {
    await close();
    throw error;
  }

  return {
    accounts,
    routes,
    createdDefaultAccount,
    sip,
    ua,
    calls,
    store,
    sipListening: () => sip.listening(),
    drain: () => calls.drain(config.drainSeconds * 1000),
    httpListening: () => {
      const address = api.server.address();
      return typeof address === 'object' && address !== null ? { address: address.address, port: address.port } : undefined;
    },
    close,
  };
}

/** Sends an outbox entry, signed with its account's current auth token (the store keeps no secret). */
function deliverThrough(webhooks: WebhookClient, accounts: readonly AccountConfig[]): DeliverCallback {
  return async (entry) => {
    const account = accounts.find((known) => known.sid === entry.accountSid);
    if (account === undefined) return { ok: false, retryable: false, error: `account ${entry.accountSid} is not configured` };
    const outcome = await webhooks.request({ url: entry.url, method: entry.method, params: entry.params, authToken: account.authToken });
    if (outcome.ok) return { ok: true };
    return { ok: false, retryable: isRetryableFailure(outcome), error: outcome.message, errorCode: outcome.code };
  };
}

/** A per-call executor factory also gets the UA (a <Dial> places its outbound legs through it). */
function withUa(
  executors: OtherExecutors | ((call: InboundCallLegs & { ua: UserAgent }) => OtherExecutors),
  ua: UserAgent,
): OtherExecutors | ((call: InboundCallLegs) => OtherExecutors) {
  return typeof executors === 'function' ? (call) => executors({ ...call, ua }) : executors;
}

/** This machine's first non-internal IPv4 address, else the loopback. */
function externalIpv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

/** The host of the HTTP base URL: the HTTP listener's address unless it is a wildcard. */
function httpHost(listenAddress: string, reachableHost: string): string {
  const host = listenAddress === '0.0.0.0' || listenAddress === '::' ? reachableHost : listenAddress;
  return host.includes(':') ? `[${host}]` : host;
}
