/** A scripted SIP peer on a bare UDP socket: it sees every message we send and answers by hand. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import {
  createResponse,
  parseMessage,
  serializeMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../../src/sip/message/index.js';
import type { SipUri } from '../../../../src/sip/message/index.js';

interface Received {
  message: SipMessage;
  port: number;
}

export class RawPeer {
  readonly received: Received[] = [];
  private readonly socket: dgram.Socket;
  private readonly waiters: Array<{ match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void; from: number }> = [];
  /** Called for every message as it arrives (before waiters). */
  onMessage: ((message: SipMessage, port: number) => void) | undefined;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (data, rinfo) => {
      const parsed = parseMessage(data);
      if (!parsed.ok) return;
      this.received.push({ message: parsed.message, port: rinfo.port });
      this.onMessage?.(parsed.message, rinfo.port);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(parsed.message)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(parsed.message);
        }
      }
    });
  }

  static async start(): Promise<RawPeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new RawPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  uri(user = 'peer'): SipUri {
    return { scheme: 'sip', user, host: '127.0.0.1', port: this.port, params: new Map(), headers: [] };
  }

  /** The next message matching `match` (already received ones count, from the oldest not yet taken). */
  next(match: (message: SipMessage) => boolean): Promise<SipMessage> {
    return new Promise((resolve) => this.waiters.push({ match, resolve, from: this.received.length }));
  }

  nextRequest(method: string): Promise<SipRequest> {
    return this.next((m) => m.kind === 'request' && m.method === method) as Promise<SipRequest>;
  }

  nextResponse(method: string, status?: number): Promise<SipResponse> {
    return this.next((m) => m.kind === 'response' && m.cseq.method === method && (status === undefined || m.status === status)) as Promise<SipResponse>;
  }

  requests(method: string): SipRequest[] {
    return this.received.map((r) => r.message).filter((m): m is SipRequest => m.kind === 'request' && m.method === method);
  }

  /** Answers `request` back to its sender (the top Via's sent-by). */
  reply(request: SipRequest, status: number, options: { toTag?: string; body?: Buffer; contact?: boolean } = {}): SipResponse {
    const response = createResponse(request, status, undefined, {
      ...(options.toTag === undefined ? {} : { toTag: options.toTag }),
      ...(options.body === undefined ? {} : { body: options.body, contentType: 'application/sdp' }),
    });
    if (options.toTag !== undefined) response.to.params.set('tag', options.toTag);
    if (options.contact === true) response.contact = [{ uri: this.uri(), params: new Map() }];
    this.sendTo(response, request.via[0]!.port ?? 5060);
    return response;
  }

  sendTo(message: SipMessage, port: number): void {
    this.socket.send(serializeMessage(message), port, '127.0.0.1');
  }

  /** Sends raw text (\n line ends are made \r\n). */
  sendText(text: string, port: number): void {
    this.socket.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), port, '127.0.0.1');
  }

  close(): void {
    this.socket.close();
  }
}
