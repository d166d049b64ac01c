/**
 * The UA core (RFC 3261 §8) over the transaction layer: it owns the transport and the transaction
 * manager, applies the UAS checks every request needs before processing (§8.2), answers what an
 * endpoint answers by itself (OPTIONS §11.2, requests outside any dialog §12.2.2, CANCEL's 487 §9.2),
 * and hands INVITEs and in-dialog requests to handlers the layer above registers.
 */
import { type Clock, type Logger, randomToken, silentLogger, systemClock } from '../../kernel/index.js';
import { checkRequestAsEndpoint, createResponse, type HeaderField, type SipResponse } from '../message/index.js';
import {
  type InviteServerTransaction,
  type ServerTransaction,
  type TimerSettings,
  type TransactionLayerUser,
  TransactionManager,
} from '../transaction/index.js';
import {
  createTransport,
  type Endpoint,
  type ReceivedMessage,
  type SipTransport,
  type TransportListener,
  type TransportOptions,
  type TransportProtocol,
} from '../transport/index.js';

/** Handles a request that passed the §8.2 checks; it must answer through `transaction.respond`. */
export type RequestHandler = (transaction: ServerTransaction) => void;

export interface SipEndpointOptions {
  transport: Omit<TransportOptions, 'clock' | 'logger'>;
  timers?: Partial<TimerSettings>;
  /** Written as `Server` on our responses and `User-Agent` on our requests. */
  product?: string;
  /** Option tags we support (listed in Supported; anything else in Require gets 420). */
  extensions?: string[];
  /** Body types we accept in requests (RFC 3261 §8.2.3: anything else gets 415; listed in Accept). Default application/sdp. */
  contentTypes?: string[];
  clock?: Clock;
  logger?: Logger;
}

export interface SipEndpointStats {
  requests: Record<string, number>;
  answeredByCore: number;
}

/** Methods whose handler the layer above may register; the core handles ACK and CANCEL itself. */
export type HandledMethod = 'INVITE' | 'BYE' | 'OPTIONS' | 'INFO' | 'UPDATE' | 'REFER' | 'MESSAGE' | 'NOTIFY';

export class SipEndpoint implements TransactionLayerUser {
  readonly product: string;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly cancelListeners = new WeakMap<InviteServerTransaction, () => void>();
  private readonly ackListeners = new Set<(ack: ReceivedMessage) => boolean>();
  private readonly extensions: string[];
  private readonly contentTypes: string[];
  private readonly logger: Logger;
  private readonly counters: SipEndpointStats = { requests: {}, answeredByCore: 0 };
  private closing: Promise<void> | undefined;
  private transportRef: SipTransport | undefined;
  private managerRef: TransactionManager | undefined;

  private constructor(options: Omit<SipEndpointOptions, 'transport'>) {
    this.product = options.product ?? 'Dialtone/0.1';
    this.extensions = options.extensions ?? ['timer'];
    this.contentTypes = [...(options.contentTypes ?? ['application/sdp'])];
    this.logger = (options.logger ?? silentLogger).child({ layer: 'ua' });
  }

  /** Binds the listeners and starts the transaction layer. */
  static async start(options: SipEndpointOptions): Promise<SipEndpoint> {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    return SipEndpoint.over((listener) => createTransport({ ...options.transport, clock, logger }, listener), options);
  }

  /**
   * Starts over a transport that `build` makes for the listener it is given (an in-memory transport
   * in unit tests; `start` builds the real one with createTransport).
   */
  static async over(
    build: (listener: TransportListener) => SipTransport | Promise<SipTransport>,
    options: Omit<SipEndpointOptions, 'transport'>,
  ): Promise<SipEndpoint> {
    const endpoint = new SipEndpoint(options);
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    // The transport needs its listener before it can be built, and the manager needs the transport:
    // the listener forwards to the manager once both exist (no message can arrive before `build` resolves).
    const transport = await build({ onMessage: (received) => endpoint.managerRef?.onMessage(received) });
    endpoint.transportRef = transport;
    const managerOptions = { transport, user: endpoint, clock, logger } as const;
    endpoint.managerRef = new TransactionManager(
      options.timers === undefined ? managerOptions : { ...managerOptions, timers: options.timers },
    );
    return endpoint;
  }

  get transport(): SipTransport {
    if (this.transportRef === undefined) throw new Error('SipEndpoint used before start');
    return this.transportRef;
  }

  get transactions(): TransactionManager {
    if (this.managerRef === undefined) throw new Error('SipEndpoint used before start');
    return this.managerRef;
  }

  listening(): Endpoint[] {
    return this.transport.listening();
  }

  /**
   * The transports requests can go out over (RFC 3263 §4.1, what the client supports): UDP through a
   * UDP listener's socket; TCP and TLS as a client, with or without a listener of their own.
   */
  sendableProtocols(): TransportProtocol[] {
    const udp = this.listening().some((entry) => entry.protocol === 'udp');
    return udp ? ['udp', 'tcp', 'tls'] : ['tcp', 'tls'];
  }

  /** Registers the handler for a method (replacing the core's default answer). */
  handle(method: HandledMethod, handler: RequestHandler): void {
    this.handlers.set(method, handler);
  }

  /**
   * Tells `listener` when the caller cancels `invite` (the core has answered the CANCEL with 200). A
   * CANCEL only reaches us while the INVITE is proceeding (RFC 3261 §9.2), so the listener, and the call
   * it holds, is dropped at the INVITE's final response rather than kept with the transaction for 64*T1.
   */
  onCancelled(invite: InviteServerTransaction, listener: () => void): void {
    this.cancelListeners.set(invite, listener);
    const stop = invite.onStateChange((state) => {
      if (state === 'proceeding') return;
      this.cancelListeners.delete(invite);
      stop();
    });
  }

  /** Offers every 2xx ACK to `listener`; it returns true when it consumed it (a dialog matched). */
  onAckReceived(listener: (ack: ReceivedMessage) => boolean): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  /** Accepts more body types from now on (INFO's application/dtmf-relay, …); RFC 3261 §8.2.3. */
  acceptContentTypes(...types: string[]): void {
    for (const type of types) if (!this.contentTypes.includes(type.toLowerCase())) this.contentTypes.push(type.toLowerCase());
  }

  /** The methods we allow: the core's own plus every registered handler's (RFC 3261 §20.5 Allow). */
  allowedMethods(): string[] {
    return ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', ...[...this.handlers.keys()].filter((method) =>
      !['INVITE', 'BYE', 'OPTIONS'].includes(method))];
  }

  /** Headers describing our capabilities, for OPTIONS answers and INVITEs (RFC 3261 §11.2). */
  capabilityHeaders(): HeaderField[] {
    return [
      { name: 'Allow', value: this.allowedMethods().join(', ') },
      { name: 'Accept', value: this.contentTypes.join(', ') },
      { name: 'Supported', value: this.extensions.join(', ') },
    ];
  }

  stats(): SipEndpointStats {
    return { requests: { ...this.counters.requests }, answeredByCore: this.counters.answeredByCore };
  }

  // TransactionLayerUser

  onRequest(transaction: ServerTransaction): void {
    const request = transaction.request;
    this.counters.requests[request.method] = (this.counters.requests[request.method] ?? 0) + 1;
    const refusal = checkRequestAsEndpoint(request, { methods: this.allowedMethods(), extensions: this.extensions, contentTypes: this.contentTypes });
    if (refusal !== undefined) {
      this.answer(transaction, refusal);
      return;
    }
    const handler = this.handlers.get(request.method);
    if (handler !== undefined) {
      try {
        handler(transaction);
      } catch (error) {
        // A handler's fault must not leave the peer without an answer.
        this.logger.error('request handler failed', { method: request.method, error: String(error) });
        if (transaction.state === 'proceeding' || transaction.state === 'trying') {
          this.answer(transaction, createResponse(request, 500, 'Server Internal Error'));
        }
      }
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        // RFC 3261 §11.2: the response to OPTIONS lists Allow, Accept and Supported.
        this.answer(transaction, createResponse(request, 200, undefined, { headers: this.capabilityHeaders() }));
        return;
      case 'INVITE':
        // No application takes calls: "temporarily unavailable" rather than a hard failure.
        this.answer(transaction, createResponse(request, 480));
        return;
      default:
        // RFC 3261 §12.2.2: a request that matches no dialog gets 481 (BYE, INFO, UPDATE …).
        this.answer(transaction, createResponse(request, 481));
    }
  }

  onAck(ack: ReceivedMessage): void {
    for (const listener of this.ackListeners) if (listener(ack)) return;
    // RFC 3261 §17.2.3: an ACK that matches nothing is absorbed.
  }

  onCancel(invite: InviteServerTransaction, _cancel: ReceivedMessage): void {
    const listener = this.cancelListeners.get(invite);
    if (listener !== undefined) {
      listener();
      return;
    }
    // RFC 3261 §9.2: "the UAS SHOULD immediately respond to the INVITE with a 487 (Request Terminated)".
    this.answer(invite, createResponse(invite.request, 487));
  }

  /** Stops the transaction layer and closes every socket; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.managerRef?.close();
      await this.transportRef?.close();
    })();
    return this.closing;
  }

  private answer(transaction: ServerTransaction, response: SipResponse): void {
    this.counters.answeredByCore++;
    // RFC 3261 §8.2.6.2: "the UAS MUST add a tag to the To header field in the response" (but 100).
    if (response.status > 100 && !response.to.params.has('tag')) response.to.params.set('tag', randomToken());
    response.headers.push({ name: 'Server', value: this.product });
    transaction.respond(response);
  }
}
