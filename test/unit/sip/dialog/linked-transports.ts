import type { Clock } from '../../../../src/kernel/index.js';
import { parseMessage, serializeMessage } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import type {
  Endpoint,
  ReceivedMessage,
  RequestArrival,
  SendOptions,
  SipTransport,
  TransportListener,
  TransportProtocol,
  TransportStats,
} from '../../../../src/sip/transport/types.js';

export interface LinkRecord {
  at: number;
  from: string;
  what: string;
  dropped: boolean;
}

/**
 * Two in-memory UDP transports joined by a link with a fixed latency on the FakeClock, and a filter that
 * can lose chosen messages: enough to run two transaction layers against each other without sockets.
 */
export class Link {
  readonly log: LinkRecord[] = [];
  /** Copies of every message put on the link, dropped ones included, in order. */
  readonly sent: SipMessage[] = [];
  /** Return true to lose the message. */
  drop: (message: SipMessage, from: string) => boolean = () => false;
  readonly a: LinkedTransport;
  readonly b: LinkedTransport;
  private readonly start: number;

  constructor(
    readonly clock: Clock,
    readonly latencyMs = 10,
  ) {
    this.start = clock.now();
    this.a = new LinkedTransport(this, 'a', { protocol: 'udp', address: '192.0.2.10', port: 5060 });
    this.b = new LinkedTransport(this, 'b', { protocol: 'udp', address: '198.51.100.20', port: 5060 });
  }

  carry(from: LinkedTransport, message: SipMessage): void {
    const to = from === this.a ? this.b : this.a;
    const dropped = this.drop(message, from.name);
    this.sent.push(clone(message));
    const what = message.kind === 'request' ? message.method : `${message.status} ${message.cseq.method}`;
    this.log.push({ at: this.clock.now() - this.start, from: from.name, what, dropped });
    if (dropped) return;
    const copy = clone(message);
    this.clock.setTimeout(() => {
      to.listener?.onMessage({ message: copy, remote: from.local, local: to.local } satisfies ReceivedMessage);
    }, this.latencyMs);
  }

  /** "a→INVITE@0" style lines, dropped ones marked with ✗. */
  ladder(): string[] {
    return this.log.map((record) => `${record.from}:${record.what}@${record.at}${record.dropped ? ' ✗' : ''}`);
  }
}

export class LinkedTransport implements SipTransport {
  listener: TransportListener | undefined;

  constructor(
    private readonly link: Link,
    readonly name: string,
    readonly local: Endpoint,
  ) {}

  sendRequest(request: SipRequest, _destination: Endpoint, _options?: SendOptions): Promise<{ local: Endpoint; remote: Endpoint }> {
    const via = request.via[0];
    if (via !== undefined) {
      via.transport = 'UDP';
      via.host = this.local.address;
      via.port = this.local.port;
    }
    this.link.carry(this, request);
    const remote = this.name === 'a' ? this.link.b.local : this.link.a.local;
    return Promise.resolve({ local: this.local, remote });
  }

  sendResponse(response: SipResponse, _request?: RequestArrival): Promise<void> {
    this.link.carry(this, response);
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
      sent: 0,
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
}

/** What the far side receives: the message serialised and parsed again, sharing nothing with it. */
function clone<T extends SipMessage>(message: T): T {
  const parsed = parseMessage(serializeMessage(message));
  if (!parsed.ok) throw new Error(`linked transport: ${parsed.error.reason}`);
  return parsed.message as T;
}
