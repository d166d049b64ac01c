/**
 * The demo's built-in SIP phones: a UserAgent (observed by the SipLadder) with an RTP port speaking
 * PCMU and RFC 4733 telephone-event. A phone can place a call, answer one, ring without answering,
 * send a tone and press a key. Small on purpose: just enough of a phone to run the demo's call.
 */
import {
  buildRtpPacket,
  buildTelephoneEventPackets,
  encodeMulaw,
  openMediaPort,
  PortAllocator,
  RtpPacketView,
  type MediaPort,
} from '../../media/index.js';
import { negotiateOffer } from '../../sdp/index.js';
import { systemClock } from '../../kernel/index.js';
import { parseNameAddr, parseUri, type HeaderField, type IncomingCall, type SipCall, type UserAgent } from '../../sip/index.js';
import type { SipLadder } from './sip-ladder.js';

const TELEPHONE_EVENT_PT = 101;
/** RTP ports of the demo's phones: a range of their own (apart from the engine's default 20000-29999), from a random start so two demos rarely meet. */
const allocator = new PortAllocator({ min: 46000 + Math.floor(Math.random() * 1000) * 2, max: 49999 });

/** One live call of a phone: its dialog and its RTP port. */
export interface PhoneCall {
  call: SipCall;
  port: MediaPort;
  /** RTP packets of audio received so far. */
  readonly packetsReceived: number;
}

export class DemoPhone {
  private readonly ports = new Set<MediaPort>();
  private readonly timers = new Set<ReturnType<typeof setInterval>>();

  private constructor(
    readonly name: string,
    readonly ua: UserAgent,
  ) {}

  static async start(name: string, ladder: SipLadder): Promise<DemoPhone> {
    return new DemoPhone(name, await ladder.userAgent(name));
  }

  /** Where the engine reaches this phone. */
  get uri(): string {
    const endpoint = this.ua.endpoint.listening()[0]!;
    return `sip:${this.name}@127.0.0.1:${endpoint.port}`;
  }

  /** INVITEs `target` with a PCMU offer; resolves with the call once answered, or throws with the failure. */
  async call(target: string): Promise<PhoneCall> {
    const port = await this.openPort(TELEPHONE_EVENT_PT);
    const offer = [
      'v=0',
      `o=${this.name} 1 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port.local.port} RTP/AVP 0 ${TELEPHONE_EVENT_PT}`,
      'a=rtpmap:0 PCMU/8000',
      `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/8000`,
      `a=fmtp:${TELEPHONE_EVENT_PT} 0-15`,
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
    const uri = parseUri(target);
    const from = parseNameAddr(`"${this.name}" <sip:${this.name}@127.0.0.1>`);
    if (uri === undefined || from === undefined) throw new Error(`bad target ${target}`);
    const outgoing = this.ua.invite({ target: uri, from, body: Buffer.from(offer) });
    const outcome = await outgoing.outcome;
    if (outcome.kind === 'failed') {
      port.close();
      throw new Error(`${this.name}'s call failed: ${outcome.failure.status} ${outcome.failure.reason}`);
    }
    const answer = outcome.call.remoteSdp?.toString('utf8') ?? '';
    const address = /^c=IN IP4 (\S+)/m.exec(answer)?.[1];
    const rtpPort = /^m=audio (\d+)/m.exec(answer)?.[1];
    if (address === undefined || rtpPort === undefined) throw new Error('no media address in the answer');
    port.setRemote({ address, port: Number(rtpPort) });
    return this.tracked(outcome.call, port);
  }

  /** Rings (180) and answers the INVITE with PCMU after `ringMs`; `headers` go on the 200 OK. */
  async answer(incoming: IncomingCall, ringMs: number, headers: HeaderField[] = []): Promise<PhoneCall> {
    incoming.progress(180);
    await sleep(ringMs);
    const offer = incoming.remoteSdp?.toString('utf8') ?? '';
    const origin = { sessionId: '2', sessionVersion: 1, username: this.name, address: '127.0.0.1', codecs: ['PCMU'] as const, ptimeMs: 20 };
    const negotiated = negotiateOffer(offer, origin);
    if (!negotiated.ok) {
      incoming.reject(488);
      throw new Error(`${this.name} cannot take the offer: ${negotiated.reason}`);
    }
    const port = await this.openPort(negotiated.media.telephoneEventPayloadType ?? TELEPHONE_EVENT_PT);
    port.setRemote({ address: negotiated.media.remote.address, port: negotiated.media.remote.port });
    const call = await incoming.accept(Buffer.from(negotiated.writeAnswer(port.local.port)), { headers });
    return this.tracked(call, port);
  }

  /** Sends a tone of `hz` as PCMU, 20 ms a packet, until the returned function is called or the port closes. */
  sendTone(port: MediaPort, hz: number): () => void {
    const view = new RtpPacketView();
    const frame = new Int16Array(160);
    const payload = new Uint8Array(160);
    let sample = 0;
    let packet = 0;
    const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
    const timer = setInterval(() => {
      if (port.isClosed) return stop();
      for (let i = 0; i < frame.length; i++, sample++) frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * hz * sample) / 8000));
      encodeMulaw(frame, payload);
      view.wrap(buildRtpPacket({ payloadType: 0, sequenceNumber: (1000 + packet) & 0xffff, timestamp: (packet * 160) >>> 0, ssrc, marker: packet === 0 }, payload));
      port.sendRtp(view);
      packet++;
    }, 20);
    this.timers.add(timer);
    const stop = (): void => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
    return stop;
  }

  /** Presses `digit` as RFC 4733 events (100 ms), paced on real time. */
  async press(port: MediaPort, digit: string, payloadType = TELEPHONE_EVENT_PT): Promise<void> {
    const view = new RtpPacketView();
    const ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
    let sequenceNumber = 7000;
    let sentAt = 0;
    for (const event of buildTelephoneEventPackets({ digit, timestamp: 80_000, durationMs: 100 })) {
      if (event.sendAtMs > sentAt) {
        await sleep(event.sendAtMs - sentAt);
        sentAt = event.sendAtMs;
      }
      if (port.isClosed) return;
      view.wrap(buildRtpPacket({ payloadType, sequenceNumber: sequenceNumber++, timestamp: event.timestamp, ssrc, marker: event.marker }, event.payload));
      port.sendRtp(view);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    await this.ua.close();
    for (const port of this.ports) port.close();
  }

  private async openPort(telephoneEventPayloadType: number): Promise<MediaPort> {
    const port = await openMediaPort({
      allocator,
      bindAddress: '127.0.0.1',
      clock: systemClock,
      format: { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 },
      telephoneEventPayloadType,
      rtpTimeoutMs: 0,
      rtcpIntervalMs: 0,
    });
    this.ports.add(port);
    return port;
  }

  private tracked(call: SipCall, port: MediaPort): PhoneCall {
    let packets = 0;
    port.on('packet', () => packets++);
    void call.ended.then(() => port.close());
    return {
      call,
      port,
      get packetsReceived() {
        return packets;
      },
    };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
