import { DialtoneError, ErrorCodes, type Clock } from '../../../../src/kernel/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type {
  Endpoint,
  RequestArrival,
  SendOptions,
  SipTransport,
  TransportProtocol,
  TransportStats,
} from '../../../../src/sip/transport/types.js';

/** One message handed to the fake transport, with the fake clock's time relative to the test's start. */
export interface WireRecord {
  at: number;
  message: SipMessage;
  destination?: Endpoint;
}

/**
 * An in-memory SipTransport: records what the layer above sends (a deep-enough snapshot, at the
 * FakeClock's time), fills the top Via like the real one, and can be told to fail or to move a UDP
 * request to TCP (RFC 3261 §18.1.1).
 */
export class FakeTransport implements SipTransport {
  readonly wire: WireRecord[] = [];
  /** When set, every send rejects with DialtoneError(sipTransportFailure). */
  failing = false;
  /** When set, UDP requests report TCP as the protocol used (the §18.1.1 switch for large requests). */
  upgradeUdpToTcp = false;
  readonly local: Endpoint = { protocol: 'udp', address: '192.0.2.10', port: 5060 };
  private readonly start: number;

  constructor(private readonly clock: Clock) {
    this.start = clock.now();
  }

  sendRequest(request: SipRequest, destination: Endpoint, _options?: SendOptions): Promise<{ local: Endpoint; remote: Endpoint }> {
    const protocol: TransportProtocol = this.upgradeUdpToTcp && destination.protocol === 'udp' ? 'tcp' : destination.protocol;
    const via = request.via[0];
    if (via !== undefined) {
      via.transport = protocol.toUpperCase();
      via.host = this.local.address;
      via.port = this.local.port;
    }
    this.wire.push({ at: this.clock.now() - this.start, message: request, destination });
    if (this.failing) return Promise.reject(new DialtoneError(ErrorCodes.sipTransportFailure, 'unreachable'));
    return Promise.resolve({ local: { ...this.local, protocol }, remote: { ...destination, protocol } });
  }

  sendResponse(response: SipResponse, _request?: RequestArrival): Promise<void> {
    this.wire.push({ at: this.clock.now() - this.start, message: response });
    if (this.failing) return Promise.reject(new DialtoneError(ErrorCodes.sipTransportFailure, 'connection closed'));
    return Promise.resolve();
  }

  isReliable(protocol: TransportProtocol): boolean {
    return protocol !== 'udp';
  }

  listening(): Endpoint[] {
    return [this.local];
  }

  stats(): TransportStats {
    return {
      received: 0,
      sent: this.wire.length,
      malformedDropped: 0,
      malformedAnswered: 0,
      responsesMisrouted: 0,
      connections: 0,
      connectionsOpened: 0,
      connectionsRejected: 0,
      idleClosed: 0,
      keepAlivesAnswered: 0,
    };
  }

  async close(): Promise<void> {}

  /** The times at which requests of `method` went out. */
  requestTimes(method: string): number[] {
    return this.wire.filter((record) => record.message.kind === 'request' && record.message.method === method).map((record) => record.at);
  }

  /** The times at which responses with `status` went out. */
  responseTimes(status: number): number[] {
    return this.wire.filter((record) => record.message.kind === 'response' && record.message.status === status).map((record) => record.at);
  }

  /** A one-line summary of each message sent: "INVITE", "ACK", "100", "487", … */
  summary(): string[] {
    return this.wire.map((record) => (record.message.kind === 'request' ? record.message.method : String(record.message.status)));
  }

  lastRequest(method: string): SipRequest {
    for (let index = this.wire.length - 1; index >= 0; index--) {
      const message = this.wire[index]?.message;
      if (message?.kind === 'request' && message.method === method) return message;
    }
    throw new Error(`no ${method} was sent`);
  }

  lastResponse(): SipResponse {
    for (let index = this.wire.length - 1; index >= 0; index--) {
      const message = this.wire[index]?.message;
      if (message?.kind === 'response') return message;
    }
    throw new Error('no response was sent');
  }
}

/** Lets resolved and rejected transport promises run their callbacks (no time passes). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
