import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { parseMessage, type SipResponse } from '../../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../../src/sip/ua/index.js';

/** A bare UDP peer that writes requests by hand, as an outside phone would. */
async function withEndpoint(run: (send: (text: string) => Promise<SipResponse[]>, endpoint: SipEndpoint) => Promise<void>): Promise<void> {
  const endpoint = await SipEndpoint.start({
    transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] },
    timers: { tryingDelay: 0 },
  });
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const local = endpoint.listening()[0]!;
  const peerPort = peer.address().port;
  const inbox: SipResponse[] = [];
  peer.on('message', (data) => {
    const parsed = parseMessage(data);
    if (parsed.ok && parsed.message.kind === 'response') inbox.push(parsed.message);
  });
  /** Sends a request and collects the responses that arrive until the final one. */
  const send = async (text: string): Promise<SipResponse[]> => {
    const start = inbox.length;
    const method = /^(\S+)/.exec(text)![1]!;
    const branch = /branch=(\S+?);/.exec(text)![1]!;
    const mine = (): SipResponse[] =>
      inbox.slice(start).filter((r) => r.cseq.method === method && r.via[0]?.params.get('branch') === branch);
    peer.send(Buffer.from(text.replaceAll('PEERPORT', String(peerPort)).replace(/\n/g, '\r\n')), local.port, '127.0.0.1');
    for (let waited = 0; waited < 200; waited++) {
      if (mine().some((response) => response.status >= 200)) return mine();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('no final response within 2 s');
  };
  try {
    await run(send, endpoint);
  } finally {
    peer.close();
    await endpoint.close();
    await endpoint.close();
  }
}

const request = (method: string, branch: string, extra = '', cseqMethod = method): string =>
  `${method} sip:service@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:PEERPORT;branch=z9hG4bK${branch};rport
Max-Forwards: 70
From: <sip:alice@127.0.0.1>;tag=a1
To: <sip:service@127.0.0.1>
Call-ID: ${branch}@test
CSeq: 1 ${cseqMethod}
Contact: <sip:alice@127.0.0.1:PEERPORT>
${extra}Content-Length: 0

`;

test('OPTIONS is answered 200 with Allow, Accept and Supported', async () => {
  await withEndpoint(async (send) => {
    const [response] = (await send(request('OPTIONS', 'opt1'))).filter((r) => r.status >= 200);
    assert.equal(response?.status, 200);
    const values = (name: string): string[] =>
      response!.headers.filter((header) => header.name === name).map((header) => header.value);
    assert.ok(values('Allow').includes('INVITE') && values('Allow').includes('OPTIONS'), values('Allow').join());
    assert.deepEqual(values('Accept'), ['application/sdp']);
    assert.ok(values('Supported').includes('timer'));
    assert.ok(response!.to.params.has('tag'));
  });
});

test('an INVITE with no application gets 100 Trying then 480, and an unknown method 501 with Allow', async () => {
  await withEndpoint(async (send) => {
    const responses = await send(request('INVITE', 'inv1'));
    assert.deepEqual(responses.map((r) => r.status), [100, 480]);
    assert.ok(responses[1]!.to.params.has('tag'), 'a final response carries a To tag');
    const unknown = await send(request('FROBNICATE', 'frob1'));
    assert.equal(unknown.at(-1)?.status, 501);
    assert.ok(unknown.at(-1)!.headers.some((header) => header.name === 'Allow'));
  });
});

test('a BYE outside any dialog gets 481, a Require we do not support gets 420 with Unsupported', async () => {
  await withEndpoint(async (send, endpoint) => {
    assert.equal((await send(request('BYE', 'bye1'))).at(-1)?.status, 481);
    const bad = (await send(request('INVITE', 'req1', 'Require: 100rel, foo\n'))).at(-1)!;
    assert.equal(bad.status, 420);
    assert.deepEqual(
      bad.headers.filter((header) => header.name === 'Unsupported').map((header) => header.value),
      ['100rel', 'foo'],
    );
    assert.equal(endpoint.stats().requests['BYE'], 1);
  });
});

test('a CANCEL of a ringing INVITE is answered 200 and the INVITE 487', async () => {
  await withEndpoint(async (send, endpoint) => {
    endpoint.handle('INVITE', () => {
      /* rings forever: the CANCEL must end it */
    });
    const inviteSent = send(request('INVITE', 'can1'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cancel = await send(request('CANCEL', 'can1'));
    assert.equal(cancel.at(-1)?.status, 200);
    assert.equal((await inviteSent).at(-1)?.status, 487);
  });
});
