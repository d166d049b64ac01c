/**
 * Runs INSIDE a network namespace with only loopback up (see torture-over-the-wire.test.ts): starts the
 * same SipEndpoint `dialtone start` runs, sends it every RFC 4475/5118 torture message over UDP (and the
 * framing cases over TCP too), and prints one JSON line per message with the answers that came back.
 * The messages' Vias name outside hosts; in this namespace nothing can leave the machine.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { parseMessage } from '../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../src/sip/ua/index.js';
import { wireForm, type TortureEntry } from './torture-wire-form.js';
import { tortureFixturesDir } from '../../support/shared-dir.js';

const fixtures = tortureFixturesDir;
const tlsFixtures = join(import.meta.dirname, '../../fixtures/tls');
const serverPort = 15060;
const settleMs = 250;

interface Outcome {
  file: string;
  /** How the message was sent: the transport its top Via names (framing cases: UDP, then TCP). */
  transport: 'udp' | 'tcp' | 'tls';
  statuses: number[];
  /** How many times the transport judged the UDP datagram malformed (answered 400/505 or dropped). */
  malformed: number;
  tcp?: { statuses: number[]; closed: boolean };
}

/** Every port a UDP response may be sent to: the top Via's sent-by port or rport, and 5060 by default. */
function viaPorts(messages: Buffer[]): number[] {
  const ports = new Set<number>([5060]);
  for (const message of messages) {
    const parsed = parseMessage(message);
    const port = parsed.ok ? parsed.message.via[0]?.port : undefined;
    if (port !== undefined && port !== serverPort) ports.add(port);
  }
  return [...ports];
}

/** The transport the message says it came over (its top Via): responses go back that way (§18.2.2). */
function viaTransport(message: Buffer): 'udp' | 'tcp' | 'tls' {
  const parsed = parseMessage(message);
  const transport = parsed.ok ? parsed.message.via[0]?.transport : /^(?:Via|v)[ \t]*:[ \t]*SIP\/2\.0\/(\w+)/im.exec(message.toString('latin1'))?.[1];
  const lower = transport?.toLowerCase();
  return lower === 'tcp' || lower === 'tls' ? lower : 'udp';
}

/**
 * A fresh endpoint for every message: several torture messages share a branch and sent-by, and would
 * otherwise match the previous message's server transaction (RFC 3261 §17.2.3) as retransmissions.
 */
async function startEndpoint(): Promise<SipEndpoint> {
  return SipEndpoint.start({
    transport: {
      listen: [
        { protocol: 'udp', address: '127.0.0.1', port: serverPort },
        { protocol: 'tcp', address: '127.0.0.1', port: serverPort },
        { protocol: 'udp', address: '::1', port: serverPort },
        { protocol: 'tcp', address: '::1', port: serverPort },
        { protocol: 'tls', address: '127.0.0.1', port: serverPort + 1 },
        { protocol: 'tls', address: '::1', port: serverPort + 1 },
      ],
      tls: {
        cert: await readFile(join(tlsFixtures, 'server.pem')),
        key: await readFile(join(tlsFixtures, 'server.key')),
      },
      idleTimeoutMs: 1000,
    },
  });

}

async function main(): Promise<void> {
  const manifest = JSON.parse(await readFile(join(fixtures, 'manifest.json'), 'utf8')) as { messages: TortureEntry[] };
  const messages = await Promise.all(
    manifest.messages.map(async (entry) => wireForm(entry, await readFile(join(fixtures, entry.file)))),
  );
  // Responses come back to the Via's sent-by port (with `received` = our loopback address).
  const inbox: Array<{ status: number; callId: string }> = [];
  const collect = (data: Buffer): void => {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.message.kind === 'response') {
      inbox.push({ status: parsed.message.status, callId: parsed.message.callId });
      return;
    }
    // A 400 for a request that lacked its own Call-ID (RFC 4475 insuf) echoes what it had and is not a
    // complete response; its status line still says what the server decided.
    const status = /^SIP\/2\.0 (\d{3}) /.exec(data.toString('latin1'))?.[1];
    if (status !== undefined) inbox.push({ status: Number(status), callId: '' });
  };
  const listeners: dgram.Socket[] = [];
  for (const family of ['udp4', 'udp6'] as const) {
    for (const port of viaPorts(messages)) {
      const socket = dgram.createSocket({ type: family, ipv6Only: family === 'udp6' });
      socket.on('message', collect);
      socket.on('error', () => socket.close());
      socket.bind(port, family === 'udp4' ? '127.0.0.1' : '::1');
      listeners.push(socket);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  // A malformed request's 400 goes back to the packet's source (its Via cannot be trusted).
  const sender4 = dgram.createSocket('udp4');
  const sender6 = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  for (const sender of [sender4, sender6]) sender.on('message', collect);

  for (const [index, entry] of manifest.messages.entries()) {
    const message = messages[index]!;
    const endpoint = await startEndpoint();
    const before = inbox.length;
    const malformedBefore = malformedCount(endpoint);
    const callId = /^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)/im.exec(message.toString('latin1'))?.[1];
    const host = entry.file.startsWith('rfc5118/') ? '::1' : '127.0.0.1';
    const transport = entry.layer === 'transport' ? 'udp' : viaTransport(message);
    let streamed: number[] = [];
    if (transport === 'udp') {
      (host === '::1' ? sender6 : sender4).send(message, serverPort, host);
      await new Promise((resolve) => setTimeout(resolve, settleMs));
    } else {
      streamed = (await overStream(message, transport, host)).statuses;
    }
    const outcome: Outcome = {
      file: entry.file,
      transport,
      // Final answers to this message (by Call-ID), once each: a final response to an INVITE is
      // retransmitted until an ACK that never comes here.
      statuses: [
        ...new Set([
          ...streamed,
          ...inbox
            .slice(before)
            .filter((response) => response.status >= 200 && response.callId === (callId ?? ''))
            .map((response) => response.status),
        ]),
      ],
      malformed: malformedCount(endpoint) - malformedBefore,
    };
    if (entry.layer === 'transport') {
      // Over a stream the answer comes back on the connection, or (when the Via names UDP) by datagram.
      const udpBefore = inbox.length;
      const stream = await overStream(message, 'tcp', host, true);
      const byDatagram = inbox.slice(udpBefore).filter((response) => response.status >= 200 && response.callId === callId);
      outcome.tcp = { closed: stream.closed, statuses: [...new Set([...stream.statuses, ...byDatagram.map((response) => response.status)])] };
    }
    await endpoint.close();
    process.stdout.write(JSON.stringify(outcome) + '\n');
  }
  sender4.close();
  sender6.close();
  for (const socket of listeners) socket.close();
}

function malformedCount(endpoint: SipEndpoint): number {
  const stats = endpoint.transport.stats();
  return stats.malformedDropped + stats.malformedAnswered;
}

/** Sends the message on a new TCP or TLS connection; reports the answers and whether the server closed it. */
async function overStream(
  message: Buffer,
  transport: 'tcp' | 'tls',
  host: string,
  untilClosed = false,
): Promise<{ statuses: number[]; closed: boolean }> {
  const socket =
    transport === 'tcp'
      ? net.connect(serverPort, host)
      : tls.connect({ port: serverPort + 1, host, rejectUnauthorized: false });
  await once(socket, transport === 'tcp' ? 'connect' : 'secureConnect');
  let received = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  socket.write(message);
  // The server closes a connection it cannot frame; one that waits for more data closes on idle (1 s).
  const answered = (): boolean => /^SIP\/2\.0 [2-6]/m.test(received.toString('latin1'));
  for (let waited = 0; waited < 30 && !closed && (untilClosed || !answered()); waited++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  socket.destroy();
  const statuses: number[] = [];
  for (const part of received.toString('latin1').split(/(?=SIP\/2\.0 \d{3} )/)) {
    const match = /^SIP\/2\.0 (\d{3}) /.exec(part);
    if (match !== null) statuses.push(Number(match[1]));
  }
  return { statuses, closed };
}

await main();
