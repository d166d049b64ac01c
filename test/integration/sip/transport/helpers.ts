/** Shared pieces of the transport integration tests: raw peers, message text, waiting for events. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMessage } from '../../../../src/sip/message/index.js';
import type { SipMessage, SipRequest } from '../../../../src/sip/message/types.js';
import type { ReceivedMessage, TransportListener } from '../../../../src/sip/transport/index.js';
import { until } from '../../../support/eventually.js';

export const loopbacks = ['127.0.0.1', '::1'] as const;

const fixtures = fileURLToPath(new URL('../../../fixtures/tls/', import.meta.url));
export const tlsFixture = {
  ca: readFileSync(fixtures + 'ca.pem'),
  cert: readFileSync(fixtures + 'server.pem'),
  key: readFileSync(fixtures + 'server.key'),
  otherCert: readFileSync(fixtures + 'other.pem'),
  otherKey: readFileSync(fixtures + 'other.key'),
};

/** A TransportListener that queues what it gets. */
export class Inbox implements TransportListener {
  readonly messages: ReceivedMessage[] = [];
  private taken = 0;

  onMessage(received: ReceivedMessage): void {
    this.messages.push(received);
  }

  async next(): Promise<ReceivedMessage> {
    await until(() => this.messages.length > this.taken, 'a message reached the listener');
    return this.messages[this.taken++]!;
  }
}

export interface RequestTextOptions {
  method?: string;
  via: string;
  callId?: string;
  extra?: string[];
  body?: string;
  contentLength?: string;
}

export function requestText(options: RequestTextOptions): string {
  const method = options.method ?? 'OPTIONS';
  const body = options.body ?? '';
  return [
    `${method} sip:bob@example.com SIP/2.0`,
    `Via: ${options.via}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=1928301774',
    'To: <sip:bob@example.com>',
    `Call-ID: ${options.callId ?? 'a84b4c76e66710'}`,
    `CSeq: 1 ${method}`,
    ...(options.extra ?? []),
    `Content-Length: ${options.contentLength ?? Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

export function parse(text: string | Buffer): SipMessage {
  const result = parseMessage(Buffer.isBuffer(text) ? text : Buffer.from(text));
  if (!result.ok) throw new Error(`test message does not parse: ${result.error.reason}`);
  return result.message;
}

/** A request whose top Via the transport will fill in. */
export function outgoingRequest(options: Omit<RequestTextOptions, 'via'> & { branch?: string } = {}): SipRequest {
  const message = parse(requestText({ ...options, via: `SIP/2.0/UDP placeholder.invalid;branch=${options.branch ?? 'z9hG4bKtest1'}` }));
  if (message.kind !== 'request') throw new Error('not a request');
  return message;
}

/** A bare UDP socket playing the far end. */
export class RawUdpPeer {
  readonly received: Buffer[] = [];
  private taken = 0;

  private constructor(readonly socket: UdpSocket) {
    socket.on('message', (data) => this.received.push(data));
  }

  static async open(address: string): Promise<RawUdpPeer> {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
    return new RawUdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: string | Buffer, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, address, (error) => (error ? reject(error) : resolve())));
  }

  async next(): Promise<string> {
    await until(() => this.received.length > this.taken, 'a datagram reached the raw peer');
    return this.received[this.taken++]!.toString('latin1');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A bare TCP client playing the far end. */
export class RawTcpPeer {
  text = '';
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async open(address: string, port: number): Promise<RawTcpPeer> {
    const socket = connect({ host: address, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawTcpPeer(socket);
  }

  get localPort(): number {
    return this.socket.localPort!;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async waitFor(fragment: string): Promise<void> {
    await until(() => this.text.includes(fragment), `raw peer got ${JSON.stringify(fragment)}`);
  }

  async waitClosed(): Promise<void> {
    await until(() => this.closed, 'the transport closed the raw connection');
  }

  close(): void {
    this.socket.destroy();
  }
}

export function responseText(via: string, status = '200 OK'): string {
  return [
    `SIP/2.0 ${status}`,
    `Via: ${via}`,
    'From: <sip:alice@example.com>;tag=1928301774',
    'To: <sip:bob@example.com>;tag=a6c85cf',
    'Call-ID: a84b4c76e66710',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Deterministic bytes for the garbage floods (xorshift32). */
export function seededBytes(seed: number): (length: number) => Buffer {
  let state = seed >>> 0 || 1;
  return (length) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  };
}
