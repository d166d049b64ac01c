/**
 * The endpoint the call engine uses (ARCHITECTURE.md `sip/ua`): `invite(options)` places a call and
 * `onIncomingCall(handler)` takes them. Built over a SipEndpoint (RFC 3261 §8 UA core over the
 * transaction layer), it registers the handlers for INVITE, BYE, INFO, UPDATE and OPTIONS, routes
 * every request with a To tag to its dialog through the DialogRegistry (§12.2.2: 481 for an unknown
 * dialog, 500 for a CSeq out of order, §14.2's 500/491 for crossing re-INVITEs), takes the ACKs of
 * 2xx (§13.3.1.4) and CANCELs (§9.2: the UA answers the INVITE 487 itself, then tells the call).
 */
import { randomToken, silentLogger, systemClock, type Clock, type Logger } from '../../kernel/index.js';
import { dialogIdOfIncomingRequest, dialogKey, DialogRegistry, negotiateUas, type Dialog, type UasSessionTimerPolicy } from '../dialog/index.js';
import type { DigestVerifier } from '../auth/index.js';
import { createSystemResolver, type Resolver } from '../locate/index.js';
import { createResponse, formatUri, getHeader, getHeaders, ParamList, type HeaderField, type NameAddr, type SipRequest } from '../message/index.js';
import type { InviteServerTransaction, ServerTransaction, TimerSettings, TransactionManager } from '../transaction/index.js';
import type { ReceivedMessage, SipTransport, TransportListener, TransportProtocol } from '../transport/index.js';
import { IncomingCall } from './incoming-call.js';
import { OutgoingCall, type InviteOptions } from './outgoing-call.js';
import type { SipCall } from './sip-call.js';
import { SipEndpoint, type SipEndpointOptions } from './sip-endpoint.js';
import type { DialogOwner, UaCore } from './ua-core.js';

export type IncomingCallHandler = (call: IncomingCall) => void;

export interface UserAgentOptions {
  /** RFC 3263 resolver for targets with host names; default the system's DNS. Numeric hosts need none. */
  resolver?: Resolver;
  /**
   * Inbound digest authentication (RFC 3261 §22.4): every new INVITE must carry credentials this
   * verifier accepts, else it is answered with its challenge (401, or 407 for a proxy verifier) before
   * the application sees it. Without one, calls are not challenged (the application may still reject
   * with a challenge itself).
   */
  authenticate?: DigestVerifier;
  /** RFC 4028 as UAS: our Min-SE, preferred interval and refresher (defaults 90 s, 1800 s, the caller refreshes). */
  sessionTimers?: UasSessionTimerPolicy;
  /** Body types accepted in INFO and other in-dialog requests besides SDP; default application/dtmf-relay and application/dtmf (RFC 6086 INFO DTMF). */
  infoContentTypes?: string[];
  /** Host written in our Contact instead of the listening address (behind NAT, wildcard listeners). */
  contactHost?: string;
  clock?: Clock;
  logger?: Logger;
}

export class UserAgent implements UaCore {
  readonly endpoint: SipEndpoint;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry = new DialogRegistry();
  readonly sessionTimerPolicy: UasSessionTimerPolicy;
  private readonly owners = new Map<string, DialogOwner>();
  private readonly live = new Set<{ close(): Promise<void> | void }>();
  private readonly resolver: Resolver;
  private readonly contactHost: string | undefined;
  private readonly ownsEndpoint: boolean;
  private incomingHandler: IncomingCallHandler | undefined;
  private readonly verifier: DigestVerifier | undefined;
  private closing: Promise<void> | undefined;

  constructor(endpoint: SipEndpoint, options: UserAgentOptions = {}, ownsEndpoint = false) {
    this.endpoint = endpoint;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ layer: 'ua' });
    this.resolver = options.resolver ?? lazySystemResolver();
    this.contactHost = options.contactHost;
    this.sessionTimerPolicy = options.sessionTimers ?? {};
    this.verifier = options.authenticate;
    this.ownsEndpoint = ownsEndpoint;
    endpoint.handle('INVITE', (transaction) => this.onInvite(transaction as InviteServerTransaction));
    for (const method of ['BYE', 'INFO', 'UPDATE', 'OPTIONS'] as const) {
      endpoint.handle(method, (transaction) => this.onDialogRequest(transaction));
    }
    endpoint.onAckReceived((ack) => this.onAck(ack));
    endpoint.acceptContentTypes(...(options.infoContentTypes ?? ['application/dtmf-relay', 'application/dtmf']));
  }

  /** Starts a SipEndpoint and a UserAgent over it; closing the UserAgent closes the endpoint. */
  static async start(options: SipEndpointOptions & UserAgentOptions): Promise<UserAgent> {
    const endpoint = await SipEndpoint.start(options);
    return new UserAgent(endpoint, options, true);
  }

  get transactions(): TransactionManager {
    return this.endpoint.transactions;
  }

  get timers(): TimerSettings {
    return this.endpoint.transactions.timers;
  }

  get product(): string {
    return this.endpoint.product;
  }

  /** A UserAgent over a transport `build` makes (in-memory transports in unit tests); it owns the endpoint. */
  static async over(
    build: (listener: TransportListener) => SipTransport | Promise<SipTransport>,
    options: Omit<SipEndpointOptions, 'transport'> & UserAgentOptions,
  ): Promise<UserAgent> {
    const endpoint = await SipEndpoint.over(build, options);
    return new UserAgent(endpoint, options, true);
  }

  /** Places a call (RFC 3261 §13.2). Listen to its events, or await `outcome`. */
  invite(options: InviteOptions): OutgoingCall {
    if (this.closing !== undefined) throw new TypeError('the user agent is closed');
    return new OutgoingCall(this, options, this.resolver);
  }

  /** Who takes new calls; without a handler an INVITE is answered 480 (Temporarily Unavailable). */
  onIncomingCall(handler: IncomingCallHandler | undefined): void {
    this.incomingHandler = handler;
  }

  /** Dialogs alive now (early and confirmed). */
  get dialogCount(): number {
    return this.registry.size;
  }

  /**
   * Ends everything: cancels calls being placed, refuses calls ringing (480), says BYE to established
   * calls (waiting for their answers, bounded by the transactions' own timers), then closes the endpoint
   * if we started it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closing = [...this.live].map(async (entry) => {
        try {
          await entry.close();
        } catch (error) {
          this.logger.warn('closing a call failed', { error: String(error) });
        }
      });
      await Promise.all(closing);
      if (this.ownsEndpoint) await this.endpoint.close();
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------- UaCore

  capabilityHeaders(): HeaderField[] {
    return this.endpoint.capabilityHeaders();
  }

  protocols(): TransportProtocol[] {
    return this.endpoint.sendableProtocols();
  }

  contactFor(protocol: TransportProtocol, user: string | undefined, secure: boolean): NameAddr {
    const listening = this.endpoint.listening();
    // A request sent as a client over a transport we do not listen on (TLS without a certificate)
    // names a listener we do have, and its transport, for the requests that come back.
    const local = listening.find((entry) => entry.protocol === protocol) ?? listening.find((entry) => entry.protocol !== 'udp') ?? listening[0];
    const reachable = local?.protocol ?? protocol;
    const host = this.contactHost ?? local?.address ?? '127.0.0.1';
    const params = new ParamList();
    // RFC 3261 §19.1.4: UDP is the default for sip:; anything else is spelled out (sips: implies TLS),
    // and so is UDP for a dialog over another transport (peers keep the dialog's transport otherwise).
    if (!secure && !(reachable === 'udp' && protocol === 'udp')) params.set('transport', reachable);
    const uri = { scheme: secure ? 'sips' : 'sip', host, params, headers: [] as Array<[string, string]> } as NameAddr['uri'];
    if (local !== undefined) uri.port = local.port;
    if (user !== undefined && user !== '') uri.user = user;
    return { uri, params: new ParamList() };
  }

  attach(dialog: Dialog, owner: DialogOwner): void {
    this.registry.add(dialog);
    this.owners.set(dialog.key, owner);
  }

  detach(dialog: Dialog): void {
    this.registry.remove(dialog);
    this.owners.delete(dialog.key);
  }

  remember(call: { close(): Promise<void> | void }): void {
    this.live.add(call);
  }

  forget(call: object): void {
    this.live.delete(call as { close(): Promise<void> | void });
  }

  /** The established calls. */
  calls(): SipCall[] {
    return [...this.live].filter((entry): entry is SipCall => 'dialog' in entry && 'bye' in entry);
  }

  // ------------------------------------------------------------------------------------- requests

  private onInvite(transaction: InviteServerTransaction): void {
    if (this.dispatchInDialog(transaction)) return;
    // A new call (§13.3).
    const handler = this.incomingHandler;
    if (handler === undefined || this.closing !== undefined) {
      this.respond(transaction, 480);
      return;
    }
    if (this.verifier !== undefined) {
      this.authenticateThenOffer(transaction, this.verifier, handler).catch((error: unknown) =>
        this.logger.error('offering an authenticated call failed', { error: String(error) }));
      return;
    }
    this.offer(transaction, handler);
  }

  /** RFC 3261 §22.4: challenge an INVITE without valid credentials; offer the call when they verify. */
  private async authenticateThenOffer(transaction: InviteServerTransaction, verifier: DigestVerifier, handler: IncomingCallHandler): Promise<void> {
    const request = transaction.request;
    try {
      const verdict = await verifier.verify({
        method: request.method,
        uri: formatUri(request.uri),
        body: request.body,
        authorization: getHeaders(request, verifier.challengeStatus === 407 ? 'Proxy-Authorization' : 'Authorization'),
      });
      if (transaction.state !== 'proceeding') return; // cancelled meanwhile
      if (!verdict.ok) {
        this.respond(transaction, verdict.status, undefined, verdict.challenge);
        return;
      }
    } catch (error) {
      this.logger.error('digest verification failed', { error: String(error) });
      if (transaction.state === 'proceeding') this.respond(transaction, 500);
      return;
    }
    this.offer(transaction, handler);
  }

  private offer(transaction: InviteServerTransaction, handler: IncomingCallHandler): void {
    const request = transaction.request;
    // RFC 4028 §9: an interval below our Min-SE is refused 422 before the application sees the call.
    let sessionTimer;
    try {
      sessionTimer = negotiateUas(sessionTimerFieldsOf(request), this.sessionTimerPolicy);
    } catch {
      this.respond(transaction, 400, 'Malformed Session-Expires or Min-SE');
      return;
    }
    if (sessionTimer.kind === 'reject') {
      this.respond(transaction, 422, undefined, sessionTimer.headers);
      return;
    }
    const call = new IncomingCall(this, transaction, this.resolver, sessionTimer);
    // §9.2: the transaction layer answered the CANCEL 200; the call answers the INVITE 487.
    this.endpoint.onCancelled(transaction, () => call.cancelled(request));
    try {
      handler(call);
    } catch (error) {
      this.logger.error('incoming call handler threw', { error: String(error) });
      if (call.state === 'offered' || call.state === 'early') call.reject(500, 'Server Internal Error');
    }
  }

  private onDialogRequest(transaction: ServerTransaction): void {
    if (this.dispatchInDialog(transaction)) return;
    const request = transaction.request;
    if (request.method === 'OPTIONS') {
      // RFC 3261 §11.2: outside a dialog, OPTIONS asks our capabilities.
      this.respond(transaction, 200, undefined, this.capabilityHeaders());
      return;
    }
    // RFC 3261 §12.2.2 (and §15.1.2 for BYE): a request for a dialog we do not have gets 481.
    this.respond(transaction, 481);
  }

  /** Routes a request with a To tag to its dialog; true when answered or handed on. */
  private dispatchInDialog(transaction: ServerTransaction): boolean {
    const request = transaction.request;
    const dispatch = this.registry.dispatch(request);
    if (dispatch.kind === 'outside') return false;
    if (dispatch.kind === 'unknown') {
      // §12.2.2: "If the UAS receives a request with a To tag that does not match any existing dialog ...
      // the UAS ... SHOULD ... respond to the request with a 481 (Call/Transaction Does Not Exist)".
      this.respond(transaction, 481);
      return true;
    }
    if (!dispatch.verdict.accept) {
      // §12.2.2: "If the remote sequence number was not empty, but the sequence number of the request is
      // lower than the remote sequence number, the request is out of order and MUST be rejected with a
      // 500 (Server Internal Error) response"; §14.2: 500 with Retry-After / 491 for crossing INVITEs.
      this.respond(transaction, dispatch.verdict.status, dispatch.verdict.reason, dispatch.verdict.headers);
      return true;
    }
    const owner = this.owners.get(dispatch.dialog.key);
    if (owner === undefined) {
      this.respond(transaction, 481);
      return true;
    }
    owner.handleRequest(transaction, dispatch.dialog);
    return true;
  }

  private onAck(ack: ReceivedMessage): boolean {
    if (ack.message.kind !== 'request') return false;
    const id = dialogIdOfIncomingRequest(ack.message);
    const owner = id === undefined ? undefined : this.owners.get(dialogKey(id));
    if (owner === undefined) return false;
    owner.handleAck(ack);
    return true;
  }

  private respond(transaction: ServerTransaction, status: number, reason?: string, headers: HeaderField[] = []): void {
    const response = createResponse(transaction.request as SipRequest, status, reason, {
      headers: [...headers, { name: 'Server', value: this.product }],
      ...(status > 100 ? { toTag: randomToken() } : {}),
    });
    transaction.respond(response);
  }
}

/** The RFC 4028 fields of a request, as negotiateUas reads them. */
export function sessionTimerFieldsOf(request: SipRequest): { sessionExpires?: string; minSe?: string; supported: string[] } {
  const sessionExpires = getHeader(request, 'Session-Expires');
  const minSe = getHeader(request, 'Min-SE');
  return {
    ...(sessionExpires === undefined ? {} : { sessionExpires }),
    ...(minSe === undefined ? {} : { minSe }),
    supported: getHeaders(request, 'Supported'),
  };
}

/** createSystemResolver on first use, so that a UA calling numeric hosts never builds one. */
function lazySystemResolver(): Resolver {
  let resolver: Resolver | undefined;
  const get = (): Resolver => (resolver ??= createSystemResolver());
  return {
    resolveNaptr: (name) => get().resolveNaptr(name),
    resolveSrv: (name) => get().resolveSrv(name),
    resolve4: (name) => get().resolve4(name),
    resolve6: (name) => get().resolve6(name),
  };
}
