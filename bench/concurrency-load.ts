/**
 * The load process of the `concurrency` benchmark (run by bench/concurrency.bench.ts as a child, over
 * IPC): callers and callees speaking just enough SIP over UDP (RFC 3261) to hold bridged calls through
 * `dialtone start`, and G.711 RTP both ways through every call (bench/rtp-load.ts).
 *
 * - Callers: one SIP socket; per call INVITE with an SDP offer (PCMU, and RFC 4733 telephone-event
 *   unless told otherwise, as phones offer) → 1xx → 200 (the engine's answer gives its media port) →
 *   ACK; later BYE → 200. INVITE and BYE are resent on T1 doubling (500 ms, 7 times: Timer A/E of
 *   RFC 3261 §17.1) and the call counts as failed after that.
 * - Callees: one SIP socket; every INVITE the engine sends gets 200 with an SDP answer (PCMU, and
 *   telephone-event when offered and wanted) at once, resent when the INVITE is; ACK and BYE are
 *   answered as RFC 3261 requires.
 * - Each call has two RTP sockets: the caller's (offered in its INVITE, connected to the engine's port
 *   from the 200) and the callee's (answered in its 200, connected to the engine's port from the
 *   INVITE). Unmatched, the sockets can instead be connected to a bare forwarder's ports ('targets'),
 *   the baseline with the same generator.
 * - No per-call timers: one 100 ms tick resends what is due.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { HOST, RtpFlows, bindSocket, closeSocket, connectSocket, type FlowStats } from './rtp-load.js';

export type LoadRequest =
  | { cmd: 'listen' }
  | { cmd: 'sockets'; calls: number }
  | { cmd: 'targets'; relayA: number[]; relayB: number[] }
  /** `telephoneEvents`: offer and answer RFC 4733 events; without them the engine listens for in-band DTMF. */
  | { cmd: 'dial'; enginePort: number; cps: number; window: number; limitS: number; telephoneEvents: boolean }
  | { cmd: 'run'; rate: number; durationS: number; drainMs: number }
  | { cmd: 'hangup'; cps: number; limitS: number }
  | { cmd: 'exit' };

export interface SetupResult {
  cmd: 'dialled';
  /** RTP streams to send: the caller side of each call that is up, the callee side of each the engine did not end. */
  flows: number;
  ok: number;
  /** Calls whose callee leg is confirmed too (200 acknowledged) and not ended: bridged. */
  bridged: number;
  failed: number;
  /** Final status → count, for calls that failed with a response (503, 408, …) or none ('timeout'). */
  failures: Record<string, number>;
  inviteResends: number;
  /** INVITE sent → 200 received (the engine answers the caller before it dials the callee), ms. */
  setupP50Ms: number;
  setupP99Ms: number;
  wallS: number;
}

export type LoadReply =
  | { cmd: 'listening'; calleeSipPort: number }
  | { cmd: 'sockets'; portsA: number[]; portsB: number[] }
  | { cmd: 'targets' }
  | SetupResult
  | ({ cmd: 'ran'; cpuUs: number } & FlowStats)
  | { cmd: 'hungup'; ok: number; failed: number; byeResends: number; wallS: number };

const T1_MS = 500;
const MAX_SENDS = 7;

// --------------------------------------------------------------------------------- SIP text

interface SipMessage {
  /** The method of a request, or '' for a response. */
  method: string;
  status: number;
  requestUri: string;
  /** Header values by lower-case full name (compact forms expanded), in order. */
  headers: Map<string, string[]>;
  body: string;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };

function parseSip(text: string): SipMessage | undefined {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const lines = text.slice(0, split).split('\r\n');
  const start = lines[0]!.split(' ');
  const message: SipMessage = { method: '', status: 0, requestUri: '', headers: new Map(), body: text.slice(split + 4) };
  if (start[0] === 'SIP/2.0') message.status = Number(start[1]);
  else {
    message.method = start[0]!;
    message.requestUri = start[1] ?? '';
  }
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const list = message.headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    message.headers.set(name, list);
  }
  return message;
}

function header(message: SipMessage, name: string): string {
  return message.headers.get(name)?.[0] ?? '';
}

function tagOf(value: string): string {
  return /;\s*tag=([^;>\s]+)/.exec(value)?.[1] ?? '';
}

/** The URI inside a Contact (name-addr or addr-spec). */
function contactUri(value: string): string {
  return /<([^>]+)>/.exec(value)?.[1] ?? value.split(';')[0]!.trim();
}

/** PCMU, with RFC 4733 telephone-event on `eventPayloadType` when given (as most phones offer). */
function sdp(port: number, session: number, eventPayloadType: number | undefined): string {
  const events = eventPayloadType === undefined ? '' : `a=rtpmap:${eventPayloadType} telephone-event/8000\r\na=fmtp:${eventPayloadType} 0-16\r\n`;
  return (
    `v=0\r\no=- ${session} 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP 0${eventPayloadType === undefined ? '' : ` ${eventPayloadType}`}\r\na=rtpmap:0 PCMU/8000\r\n${events}a=ptime:20\r\na=sendrecv\r\n`
  );
}

/** The telephone-event payload type an offer carries, if any. */
function sdpEventPayloadType(body: string): number | undefined {
  const match = /a=rtpmap:(\d+) telephone-event\/8000/i.exec(body);
  return match === null ? undefined : Number(match[1]);
}

function sdpMediaPort(body: string): number {
  return Number(/m=audio (\d+)/.exec(body)?.[1] ?? 0);
}

function build(startLine: string, headers: string[], body = ''): Buffer {
  const head = [startLine, ...headers, `Content-Length: ${Buffer.byteLength(body)}`];
  if (body !== '') head.splice(head.length - 1, 0, 'Content-Type: application/sdp');
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** A response to `request`: its Via, From, To (with `toTag` when it had none), Call-ID and CSeq. */
function response(request: SipMessage, status: string, toTag: string, extra: string[] = [], body = ''): Buffer {
  const to = header(request, 'to');
  return build(
    `SIP/2.0 ${status}`,
    [
      ...(request.headers.get('via') ?? []).map((via) => `Via: ${via}`),
      `From: ${header(request, 'from')}`,
      `To: ${tagOf(to) === '' && toTag !== '' ? `${to};tag=${toTag}` : to}`,
      `Call-ID: ${header(request, 'call-id')}`,
      `CSeq: ${header(request, 'cseq')}`,
      ...extra,
    ],
    body,
  );
}

const token = (): string => randomBytes(6).toString('hex');

// --------------------------------------------------------------------------------- calls

type CallState = 'new' | 'inviting' | 'up' | 'byeing' | 'done' | 'failed';

interface Call {
  index: number;
  callId: string;
  fromTag: string;
  toTag: string;
  remoteTarget: string;
  state: CallState;
  /** What is being resent (INVITE or BYE) and when it was last sent. */
  pending: Buffer | undefined;
  sends: number;
  lastSentMs: number;
  invitedAtMs: number;
  setupMs: number;
  failure: string;
}

class Load {
  private readonly callerSip: dgram.Socket;
  private readonly calleeSip: dgram.Socket;
  private callerSockets: dgram.Socket[] = [];
  private calleeSockets: dgram.Socket[] = [];
  private flows: RtpFlows | undefined;
  private calls: Call[] = [];
  private readonly byCallId = new Map<string, Call>();
  /** Callee side: the 200 sent for each INVITE's Call-ID (resent when the INVITE is). */
  private readonly answers = new Map<string, Buffer>();
  /** Callee side: the socket each INVITE's Call-ID was given, those whose 200 was acknowledged, and those the engine ended. */
  private readonly calleeIndex = new Map<string, number>();
  private readonly calleeConfirmed = new Set<number>();
  private readonly calleeEnded = new Set<number>();
  private nextCallee = 0;
  private enginePort = 0;
  private telephoneEvents = true;
  private inviteResends = 0;
  private byeResends = 0;
  private readonly ticker: NodeJS.Timeout;

  private constructor(callerSip: dgram.Socket, calleeSip: dgram.Socket) {
    this.callerSip = callerSip;
    this.calleeSip = calleeSip;
    callerSip.on('message', (data: Buffer) => this.onCallerMessage(data));
    calleeSip.on('message', (data: Buffer, from: dgram.RemoteInfo) => this.onCalleeMessage(data, from));
    this.ticker = setInterval(() => this.resend(), 100);
  }

  static async open(): Promise<Load> {
    return new Load(await bindSocket(), await bindSocket());
  }

  get calleeSipPort(): number {
    return this.calleeSip.address().port;
  }

  /** Fresh RTP sockets for `calls` calls (Linux frees an auto-bound port on disconnect: never re-target). */
  async sockets(calls: number): Promise<{ portsA: number[]; portsB: number[] }> {
    await Promise.all([...this.callerSockets, ...this.calleeSockets].map(closeSocket));
    this.callerSockets = [];
    this.calleeSockets = [];
    for (let i = 0; i < calls; i++) {
      this.callerSockets.push(await bindSocket());
      this.calleeSockets.push(await bindSocket());
    }
    for (const socket of [...this.callerSockets, ...this.calleeSockets]) socket.on('error', () => undefined); // ICMP unreachable after a hang-up
    this.flows = undefined;
    this.calls = [];
    this.byCallId.clear();
    this.answers.clear();
    this.calleeIndex.clear();
    this.calleeConfirmed.clear();
    this.calleeEnded.clear();
    this.nextCallee = 0;
    return { portsA: this.callerSockets.map((s) => s.address().port), portsB: this.calleeSockets.map((s) => s.address().port) };
  }

  async targets(relayA: number[], relayB: number[]): Promise<void> {
    const flows: dgram.Socket[] = [];
    for (let i = 0; i < this.callerSockets.length; i++) {
      await connectSocket(this.callerSockets[i]!, relayA[i]!);
      await connectSocket(this.calleeSockets[i]!, relayB[i]!);
      flows.push(this.callerSockets[i]!, this.calleeSockets[i]!);
    }
    this.flows = new RtpFlows(flows);
  }

  run(rate: number, durationS: number, drainMs: number): Promise<FlowStats> {
    return this.flows!.run(rate, durationS, drainMs);
  }

  /** Places one call per caller socket at `cps`, at most `window` unanswered at a time. */
  async dial(enginePort: number, cps: number, window: number, limitS: number, telephoneEvents: boolean): Promise<SetupResult> {
    this.enginePort = enginePort;
    this.telephoneEvents = telephoneEvents;
    this.inviteResends = 0;
    const start = performance.now();
    this.calls = this.callerSockets.map((_, index) => {
      const call: Call = {
        index,
        callId: `${token()}@bench`,
        fromTag: token(),
        toTag: '',
        remoteTarget: '',
        state: 'new',
        pending: undefined,
        sends: 0,
        lastSentMs: 0,
        invitedAtMs: 0,
        setupMs: 0,
        failure: '',
      };
      this.byCallId.set(call.callId, call);
      return call;
    });
    let next = 0;
    while (performance.now() - start < limitS * 1000) {
      const due = Math.min(this.calls.length, Math.floor(((performance.now() - start) / 1000) * cps) + 1);
      let inviting = 0;
      let up = 0;
      for (const call of this.calls) {
        if (call.state === 'inviting') inviting++;
        else if (call.state === 'up') up++;
      }
      for (; next < due && inviting < window; inviting++) this.invite(this.calls[next++]!);
      // The engine answers the caller first and dials the callee after (a webhook's <Dial> runs on an
      // answered call): a call is bridged once its callee leg is confirmed too.
      if (next === this.calls.length && inviting === 0 && this.calleeConfirmed.size >= up) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const failures: Record<string, number> = {};
    for (const call of this.calls) {
      if (call.state === 'new' || call.state === 'inviting') {
        call.failure = call.state === 'new' ? 'not placed in time' : 'timeout';
        call.state = 'failed';
      }
      if (call.state === 'failed') failures[call.failure] = (failures[call.failure] ?? 0) + 1;
    }
    // Media flows over the calls that are up: both ends' sockets, each connected to the engine's port.
    const up = this.calls.filter((call) => call.state === 'up');
    const callees = this.calleeSockets.filter((_, index) => this.calleeConfirmed.has(index) && !this.calleeEnded.has(index));
    this.flows = new RtpFlows([...up.map((call) => this.callerSockets[call.index]!), ...callees]);
    const setup = up.map((call) => call.setupMs).sort((a, b) => a - b);
    const at = (q: number): number => (setup.length === 0 ? -1 : setup[Math.min(setup.length - 1, Math.floor(q * setup.length))]!);
    return {
      cmd: 'dialled',
      flows: this.flows.sockets.length,
      ok: setup.length,
      bridged: callees.length,
      failed: this.calls.length - setup.length,
      failures,
      inviteResends: this.inviteResends,
      setupP50Ms: at(0.5),
      setupP99Ms: at(0.99),
      wallS: (performance.now() - start) / 1000,
    };
  }

  /** BYE on every call that is up, at `cps`; waits for the 200s (or gives up after `limitS`). */
  async hangup(cps: number, limitS: number): Promise<{ ok: number; failed: number; byeResends: number; wallS: number }> {
    this.byeResends = 0;
    const start = performance.now();
    const up = this.calls.filter((call) => call.state === 'up');
    let next = 0;
    while (performance.now() - start < limitS * 1000) {
      const due = Math.min(up.length, Math.floor(((performance.now() - start) / 1000) * cps) + 1);
      while (next < due) this.bye(up[next++]!);
      if (next === up.length && !up.some((call) => call.state === 'byeing')) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ok = up.filter((call) => call.state === 'done').length;
    return { ok, failed: up.length - ok, byeResends: this.byeResends, wallS: (performance.now() - start) / 1000 };
  }

  close(): void {
    clearInterval(this.ticker);
    for (const socket of [this.callerSip, this.calleeSip, ...this.callerSockets, ...this.calleeSockets]) socket.close();
  }

  // ------------------------------------------------------------------------------- caller side

  private get callerContact(): string {
    return `<sip:caller@${HOST}:${this.callerSip.address().port}>`;
  }

  private dialogHeaders(call: Call, method: string, cseq: number): string[] {
    return [
      `Via: SIP/2.0/UDP ${HOST}:${this.callerSip.address().port};branch=z9hG4bK${token()};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@${HOST}>;tag=${call.fromTag}`,
      `To: <sip:+15550100@${HOST}:${this.enginePort}>${call.toTag === '' ? '' : `;tag=${call.toTag}`}`,
      `Call-ID: ${call.callId}`,
      `CSeq: ${cseq} ${method}`,
    ];
  }

  private invite(call: Call): void {
    const port = this.callerSockets[call.index]!.address().port;
    call.pending = build(`INVITE sip:+15550100@${HOST}:${this.enginePort} SIP/2.0`, [...this.dialogHeaders(call, 'INVITE', 1), `Contact: ${this.callerContact}`], sdp(port, call.index + 1, this.telephoneEvents ? 101 : undefined));
    call.state = 'inviting';
    call.invitedAtMs = performance.now();
    this.transmit(call);
  }

  private bye(call: Call): void {
    call.pending = build(`BYE ${call.remoteTarget} SIP/2.0`, this.dialogHeaders(call, 'BYE', 2));
    call.state = 'byeing';
    this.transmit(call);
  }

  private transmit(call: Call): void {
    call.sends = 1;
    call.lastSentMs = performance.now();
    this.callerSip.send(call.pending!, this.enginePort, HOST);
  }

  /** Timers A and E (RFC 3261 §17.1.1.2, §17.1.2.2) for every pending INVITE and BYE, from one tick. */
  private resend(): void {
    const now = performance.now();
    for (const call of this.calls) {
      if ((call.state !== 'inviting' && call.state !== 'byeing') || call.pending === undefined) continue;
      if (now - call.lastSentMs < T1_MS * 2 ** (call.sends - 1)) continue;
      if (call.sends >= MAX_SENDS) {
        call.failure = call.state === 'inviting' ? 'timeout' : 'BYE timeout';
        call.state = 'failed';
        continue;
      }
      call.sends++;
      call.lastSentMs = now;
      if (call.state === 'inviting') this.inviteResends++;
      else this.byeResends++;
      this.callerSip.send(call.pending, this.enginePort, HOST);
    }
  }

  private onCallerMessage(data: Buffer): void {
    const message = parseSip(data.toString('latin1'));
    if (message === undefined) return;
    const call = this.byCallId.get(header(message, 'call-id'));
    if (message.method !== '') {
      // A request from the engine to a caller (a BYE if the callee side ended first): accept it.
      if (call !== undefined && message.method === 'BYE') call.state = 'done';
      if (message.method !== 'ACK') this.callerSip.send(response(message, '200 OK', call?.fromTag ?? token()), this.enginePort, HOST);
      return;
    }
    if (call === undefined) return;
    const method = header(message, 'cseq').split(/\s+/)[1];
    if (method === 'INVITE') {
      if (message.status < 200) return;
      const toTag = tagOf(header(message, 'to'));
      if (message.status < 300) {
        if (call.state === 'inviting') {
          call.toTag = toTag;
          call.remoteTarget = contactUri(header(message, 'contact'));
          call.setupMs = performance.now() - call.invitedAtMs;
          call.state = 'up';
          call.pending = undefined;
          const mediaPort = sdpMediaPort(message.body);
          if (mediaPort > 0) this.callerSockets[call.index]!.connect(mediaPort, HOST);
        }
        // RFC 3261 §13.2.2.4: every 2xx (retransmissions too) is acknowledged.
        this.callerSip.send(build(`ACK ${call.remoteTarget} SIP/2.0`, this.dialogHeaders(call, 'ACK', 1)), this.enginePort, HOST);
      } else {
        // §17.1.1.3: the ACK of a failure goes in the INVITE's transaction (same branch), hop by hop.
        const via = header(message, 'via');
        this.callerSip.send(
          build(`ACK sip:+15550100@${HOST}:${this.enginePort} SIP/2.0`, [
            `Via: ${via}`,
            'Max-Forwards: 70',
            `From: ${header(message, 'from')}`,
            `To: ${header(message, 'to')}`,
            `Call-ID: ${call.callId}`,
            'CSeq: 1 ACK',
          ]),
          this.enginePort,
          HOST,
        );
        if (call.state === 'inviting') {
          call.state = 'failed';
          call.failure = String(message.status);
          call.pending = undefined;
        }
      }
    } else if (method === 'BYE' && call.state === 'byeing' && message.status >= 200) {
      call.state = message.status < 300 ? 'done' : 'failed';
      if (call.state === 'failed') call.failure = `BYE ${message.status}`;
      call.pending = undefined;
    }
  }

  // ------------------------------------------------------------------------------- callee side

  private onCalleeMessage(data: Buffer, from: dgram.RemoteInfo): void {
    const message = parseSip(data.toString('latin1'));
    if (message === undefined || message.method === '') return;
    const callId = header(message, 'call-id');
    if (message.method === 'ACK') {
      const index = this.calleeIndex.get(callId);
      if (index !== undefined) this.calleeConfirmed.add(index);
      return;
    }
    let answer: Buffer;
    if (message.method === 'INVITE') {
      const known = this.answers.get(callId);
      if (known !== undefined) {
        answer = known; // a retransmitted INVITE: the same 200 again
      } else if (this.nextCallee >= this.calleeSockets.length) {
        answer = response(message, '486 Busy Here', token());
      } else {
        this.calleeIndex.set(callId, this.nextCallee);
        const socket = this.calleeSockets[this.nextCallee++]!;
        const mediaPort = sdpMediaPort(message.body);
        if (mediaPort > 0) socket.connect(mediaPort, HOST);
        const contact = `Contact: <sip:callee@${HOST}:${this.calleeSipPort}>`;
        answer = response(message, '200 OK', token(), [contact], sdp(socket.address().port, this.nextCallee + 100_000, this.telephoneEvents ? sdpEventPayloadType(message.body) : undefined));
        this.answers.set(callId, answer);
      }
    } else {
      if (message.method === 'BYE' || message.method === 'CANCEL') {
        const index = this.calleeIndex.get(callId);
        if (index !== undefined) this.calleeEnded.add(index);
      }
      answer = response(message, '200 OK', '');
    }
    this.calleeSip.send(answer, from.port, from.address);
  }
}

async function main(): Promise<void> {
  const load = await Load.open();
  const reply = (message: LoadReply): void => {
    process.send?.(message);
  };
  process.on('message', (request: LoadRequest) => {
    void (async () => {
      switch (request.cmd) {
        case 'listen':
          reply({ cmd: 'listening', calleeSipPort: load.calleeSipPort });
          break;
        case 'sockets':
          reply({ cmd: 'sockets', ...(await load.sockets(request.calls)) });
          break;
        case 'targets':
          await load.targets(request.relayA, request.relayB);
          reply({ cmd: 'targets' });
          break;
        case 'dial':
          reply(await load.dial(request.enginePort, request.cps, request.window, request.limitS, request.telephoneEvents));
          break;
        case 'run': {
          const cpu0 = process.cpuUsage();
          const stats = await load.run(request.rate, request.durationS, request.drainMs);
          const cpu = process.cpuUsage(cpu0);
          reply({ cmd: 'ran', cpuUs: cpu.user + cpu.system, ...stats });
          break;
        }
        case 'hangup':
          reply({ cmd: 'hungup', ...(await load.hangup(request.cps, request.limitS)) });
          break;
        case 'exit':
          load.close();
          process.exit(0);
      }
    })();
  });
}

if (process.env['DIALTONE_CONCURRENCY_BENCH_ROLE'] === 'load') {
  // Never outlive the benchmark: the IPC channel closes when it exits or dies.
  process.on('disconnect', () => process.exit(0));
  void main();
}
