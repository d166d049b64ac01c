/**
 * CPU cost of the SIP stack per operation with both sides in ONE process and thread (UDP loopback still):
 * no scheduling between processes, so on a shared, loaded machine the figure (process CPU time per
 * OPTIONS transaction or per INVITE/200/ACK/BYE/200 call, both sides together) moves much less than the
 * rates of `dialtone bench sip-transactions`. Fixed counts, so every run is bounded.
 *
 *   node dist/bench/sip-stack-cpu.js [rounds]
 * prints one JSON line per round: { optionsCpuUs, callsCpuUs } (the median of rounds is what to quote).
 */
import { randomToken } from '../src/kernel/index.js';
import type { NameAddr, SipRequest, SipUri } from '../src/sip/message/index.js';
import { SipEndpoint, UserAgent } from '../src/sip/ua/index.js';

const listen = { listen: [{ protocol: 'udp' as const, address: '127.0.0.1', port: 0 }] };
const sdp = Buffer.from('v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n');

function uri(user: string, port?: number): SipUri {
  const value: SipUri = { scheme: 'sip', user, host: '127.0.0.1', params: new Map(), headers: [] };
  if (port !== undefined) value.port = port;
  return value;
}

/** Runs `count` operations `window` at a time; resolves with CPU µs per operation and the failures. */
function measure(count: number, window: number, operation: (done: (ok: boolean) => void) => void): Promise<{ cpuUs: number; failed: number }> {
  return new Promise((resolve) => {
    const before = process.cpuUsage();
    let started = 0;
    let finished = 0;
    let failed = 0;
    const launch = (): void => {
      while (started - finished < window && started < count) {
        started++;
        operation((ok) => {
          finished++;
          if (!ok) failed++;
          if (finished === count) {
            const cpu = process.cpuUsage(before);
            resolve({ cpuUs: (cpu.user + cpu.system) / count, failed });
          } else {
            launch();
          }
        });
      }
    };
    launch();
  });
}

async function options(count: number): Promise<{ cpuUs: number; failed: number }> {
  const server = await SipEndpoint.start({ transport: listen });
  const client = await SipEndpoint.start({ transport: listen });
  const port = server.listening()[0]!.port;
  const destination = { protocol: 'udp' as const, address: '127.0.0.1', port };
  try {
    return await measure(count, 50, (done) => {
      const request: SipRequest = {
        kind: 'request',
        method: 'OPTIONS',
        uri: uri('bench', port),
        via: [],
        from: { uri: uri('load'), params: new Map([['tag', randomToken()]]) },
        to: { uri: uri('bench'), params: new Map() },
        callId: randomToken(12),
        cseq: { seq: 1, method: 'OPTIONS' },
        maxForwards: 70,
        headers: [],
        body: Buffer.alloc(0),
      };
      client.transactions.request(request, destination, {
        onResponse: (response) => {
          if (response.status >= 200) done(response.status === 200);
        },
      });
    });
  } finally {
    await client.close();
    await server.close();
  }
}

async function calls(count: number): Promise<{ cpuUs: number; failed: number }> {
  const server = await UserAgent.start({ transport: listen });
  server.onIncomingCall((call) => void call.accept(sdp).catch(() => undefined));
  const client = await UserAgent.start({ transport: listen });
  const target = uri('bench', server.endpoint.listening()[0]!.port);
  const from: NameAddr = { uri: uri('load'), params: new Map() };
  try {
    return await measure(count, 20, (done) => {
      client.invite({ target, from, body: sdp }).outcome.then((outcome) => {
        if (outcome.kind !== 'answered') return done(false);
        outcome.call.bye().then((end) => done(end.status === 200), () => done(false));
      }, () => done(false));
    });
  } finally {
    await client.close();
    await server.close();
  }
}

const rounds = Number(process.argv[2] ?? '3');
await options(3_000); // warm-up
await calls(500);
for (let round = 0; round < rounds; round++) {
  const o = await options(20_000);
  const c = await calls(3_000);
  console.log(JSON.stringify({ optionsCpuUs: Number(o.cpuUs.toFixed(1)), optionsFailed: o.failed, callsCpuUs: Number(c.cpuUs.toFixed(1)), callsFailed: c.failed }));
}
