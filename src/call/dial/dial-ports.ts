/**
 * The narrow surfaces <Dial> needs from the layers below it. The call engine imports neither the SIP
 * UA, the media engine nor the store: the wiring (main.ts) adapts them to these interfaces
 * (ARCHITECTURE.md: "A layer reaches the one above through an interface it declares").
 */
import type { HttpMethod, RecordingTrack, SipCodec, SipHeader, SipTransport, SipUriParameter } from '../../markup/index.js';
import type { Leg } from '../leg.js';

/** The Request-URI of the outbound INVITE, as RFC 3261 §19.1 parts and formatted. */
export interface RequestUri {
  scheme: 'sip' | 'sips';
  /** Percent-escaped as it goes on the wire; absent for a host-only target outside didML. */
  user?: string;
  host: string;
  /** The effective port (RFC 3261 §19.1.2 default for the transport when none was written). */
  port: number;
  /** Whether the port is written in `text`; without it RFC 3263 may use SRV. */
  portExplicit: boolean;
  transport: SipTransport;
  /** URI parameters other than transport and region, in order. */
  params: SipUriParameter[];
  /** The formatted URI, e.g. `sip:kate@example.com;transport=tcp` (no `?headers`). */
  text: string;
}

/**
 * Everything the UA needs to place the INVITE of one `<Sip>` leg (INTERFACE.md "The outbound INVITE
 * of a <Sip> leg"). The wiring maps it to the UA's InviteOptions and builds the SDP offer.
 */
export interface OutboundLegRequest {
  /** The CA SID of the outbound leg (also in `X-Twilio-CallSid`). */
  callSid: string;
  requestUri: RequestUri;
  /** The outbound proxy of the chosen region (a SIP URI), when it has one; otherwise straight to the target. */
  outboundProxy?: string;
  /** The region the INVITE leaves from (INTERFACE.md "regions"). */
  region: string;
  /** The user part of From: the `callerId`, else the caller. The wiring adds our host and tag. */
  fromUser: string;
  /** Headers for the INVITE in order: the URI's headers, then X-Twilio-AccountSid, -CallSid, -ApiVersion. */
  headers: SipHeader[];
  /** Digest credentials for a 401/407 challenge (RFC 3261 §22.2). */
  credentials?: { username: string; password: string };
  /** `Session-Expires` in seconds (RFC 4028), when `sessionTimeout` is set; otherwise the engine's default. */
  sessionExpires?: number;
  /** Codecs for the SDP offer in this order; empty means the engine's own list. */
  codecs: SipCodec[];
}

/** A provisional response (RFC 3261 §13.2.2.1). */
export interface LegProgress {
  status: number;
  /** Whether it carried SDP (183 Session Progress with early media). */
  earlyMedia: boolean;
}

/** The 2xx that established the dialog. */
export interface LegAnswer {
  status: number;
  /** Headers of the 2xx as received, in order (the X- ones become DialSipHeader_<name>). */
  headers: SipHeader[];
}

/**
 * Why the leg did not connect. `response`: a final 3xx–6xx (also a 401/407 our credentials could not
 * answer); `cancelled`: our CANCEL took effect (487, or nothing was sent yet); `timeout`: no final
 * response (408, Timer B); `transport`: the request could not be sent; `dns`: RFC 3263 found no target.
 */
export interface LegFailure {
  cause: 'response' | 'cancelled' | 'timeout' | 'transport' | 'dns';
  /** The final SIP status (the UA's synthetic one for timeout 408, transport and dns 503, cancel 487). */
  status: number;
  reason: string;
  /** Headers of the final response, when there was one. */
  headers: SipHeader[];
}

/** What the wiring tells `runDial` about one outbound leg; each called in this order, at most once except `progress`. */
export interface OutboundLegEvents {
  progress(progress: LegProgress): void;
  answered(answer: LegAnswer): void;
  failed(failure: LegFailure): void;
  /** After `answered`: the dialog ended, by the callee's BYE (`remote`) or our `hangup()` (`local`). */
  ended(by: 'remote' | 'local'): void;
}

export interface OutboundLeg {
  /** The Call-ID of the INVITE (DialSipCallId / SipCallId), known once the request is made. */
  readonly sipCallId: string;
  /** Before the answer: CANCEL (RFC 3261 §9.1); the leg then reports `failed` with cause `cancelled`. */
  cancel(): void;
  /** After the answer: BYE; the leg then reports `ended('local')`. Idempotent, and a no-op once the dialog ended. */
  hangup(): void;
  /**
   * Optional (issue 6): `<Number sendDigits>`, DTMF (RFC 4733) to the answered callee, `0-9*#`, and `w`
   * for half a second of pause (Twilio). Without it the digits are not sent and a warning says so.
   */
  sendDigits?(digits: string): void;
}

export interface OutboundDialer {
  /** Sends the INVITE; events arrive asynchronously (never from inside `place`). */
  place(request: OutboundLegRequest, events: OutboundLegEvents): OutboundLeg;
}

/** Two legs' media joined (the media engine's RelayBridge). `close()` is idempotent. */
export interface Bridge {
  close(): void;
}

export interface DialMedia {
  /**
   * Twilio's <Dial ringTone>: "the ringback tone played to the caller" while the callee rings (a
   * country code, `undefined` for the engine's default), on the caller's leg until `signal`; with
   * answerOnBridge the caller is not answered yet and the wiring sends it as early media (183).
   */
  ringback(caller: Leg, ringTone: string | undefined, signal: AbortSignal): void;
  /** Joins the caller's leg (the Leg the document runs on) with the answered outbound leg. */
  bridge(caller: Leg, callee: OutboundLeg): Promise<Bridge>;
  /**
   * Optional (issue 6): Twilio's answerOnBridge with a callee that sends early media (183 with SDP):
   * the caller, not answered yet, hears the callee's early media (the wiring answers the caller's
   * INVITE with 183 and its SDP, and relays the callee's audio; the adapter's relay runs both ways,
   * so whatever the caller sends before its answer reaches the callee too). Closed before `bridge`, or
   * when that leg fails or loses; it replaces our ringback. Without it the caller hears our ringback.
   */
  earlyMedia?(caller: Leg, callee: OutboundLeg): Promise<Bridge>;
}

/** A live outbound leg as the REST API reaches it (seed 003: "modify the child call by POSTing to Calls/{CallSid}"). */
export interface ChildCallControl {
  /**
   * REST `Status`: `canceled` ends the leg only while it rings; `completed` ends it ringing or
   * answered. False when it had no effect.
   */
  end(status: 'canceled' | 'completed'): boolean;
}

export interface ChildCallRegistry {
  /** While the leg lives; returns the function that removes it. */
  register(callSid: string, control: ChildCallControl): () => void;
}

/** The request for a `<Sip url>` screening document (seeds 003/004 "Call Screening HTTP parameters"). */
export interface ScreeningRequest {
  /** The outbound leg's CA SID: the screening document runs on that call. */
  callSid: string;
  /** Resolved against the Dial's document. */
  url: string;
  method: HttpMethod;
  /** The leg's voice request parameters with SipCallId and SipHeader_<name>. */
  params: Record<string, string>;
  callee: OutboundLeg;
}

/**
 * `connect`: the document ran out without ending the callee's leg, so the parties are connected;
 * `declined`: it hung up or rejected the callee (seed 003: "provide a chance to decline the phone
 * call using <Gather> and <Hangup>"), or could not be had.
 */
export type ScreeningVerdict = 'connect' | 'declined';

export interface CallScreening {
  /** Fetches and runs the document on the callee; `signal` fires when the caller or the callee hangs up. */
  screen(request: ScreeningRequest, signal: AbortSignal): Promise<ScreeningVerdict>;
}

/** One status callback, shaped as the store's callback outbox takes it (in SequenceNumber order per leg). */
export interface StatusCallbackRequest {
  callSid: string;
  /**
   * Recording status callbacks only (issue 6): the recording's RE SID. Their `sequenceNumber` counts
   * that recording's callbacks from 0, apart from the call's progress events, so the outbox orders
   * them by `recordingSid` when present, else by `callSid`.
   */
  recordingSid?: string;
  sequenceNumber: number;
  accountSid: string;
  url: string;
  method: HttpMethod;
  params: Record<string, string>;
}

/**
 * Where a leg's `completed` status callback will go, told when its INVITE goes out. `params` are that
 * callback's parameters as far as they are known then (statusCallbackParameters of the leg: CallSid,
 * ParentCallSid, From, To, Direction, SipCallId…); CallStatus, CallDuration, Timestamp and
 * SequenceNumber are the end's, and SipResponseCode and the recording only the end knows.
 */
export type FinalCallbackRequest = Omit<StatusCallbackRequest, 'sequenceNumber' | 'recordingSid'>;

export interface CallbackSink {
  /** Fire and forget: the outbox makes delivery durable; a failing store is the sink's to log. */
  enqueue(callback: StatusCallbackRequest): void;
  /**
   * Optional: a leg whose noun asked for `completed` is live. A durable sink keeps the subscription
   * with the leg, so that a crash before the leg's end still ends in that callback (issue 7: the
   * store's recovery sends it, CallStatus=failed, with the leg's next SequenceNumber). Fire and forget.
   */
  expectFinal?(callback: FinalCallbackRequest): void;
}

/** How `<Dial record>` records (Twilio: `record-from-answer` / `-ringing`, and their `-dual` forms). */
export interface DialRecordingRequest {
  accountSid: string;
  /** The caller's call: Twilio keeps a <Dial> recording on the parent call (RecordingSource=DialVerb). */
  callSid: string;
  /** `mono`: both parties mixed; `dual`: caller on the left channel, callee on the right. */
  channels: 'mono' | 'dual';
  /** `<Dial trim="trim-silence">`. */
  trimSilence: boolean;
  /** `<Dial recordingTrack>`: `inbound` (the caller), `outbound` (the callee), or `both`. */
  track: RecordingTrack;
}

/** One recording of one <Dial>, as the media CallRecorder and the recordings store make it. */
export interface DialRecordingSession {
  /** RE + 32 hex, known once started (RecordingSid on the in-progress callback). */
  readonly recordingSid: string;
  readonly recordingUrl: string;
  /** `record-from-ringing`: the callee that answered joins the recording (dual: right channel). */
  addCallee(callee: OutboundLeg): void;
  /** Ends the recording; never rejects for a recording that was started (a failed write reports 0 s). */
  stop(): Promise<{ recordingSid: string; recordingUrl: string; durationSeconds: number }>;
}

/**
 * Issue 6: the narrow recording port of <Dial record>. Started when the Dial starts ringing
 * (`record-from-ringing*`, no callee yet: `addCallee` follows at the answer) or when the callee answers
 * (`record-from-answer*`, with the callee); stopped when the Dial ends.
 */
export interface DialRecording {
  start(request: DialRecordingRequest, caller: Leg, callee?: OutboundLeg): Promise<DialRecordingSession>;
}
