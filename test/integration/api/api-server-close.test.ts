/**
 * Stopping the REST API with keep-alive clients mid-request. Node's server.close() reaps only idle
 * connections; before the fix, a connection whose response was still in flight when close() began
 * stayed open for fastify's 72 s keep-alive timeout, and `engine.close()` waited with it (issue 7: the
 * twilio-client e2e's teardown took ~70 s whenever the WAV download was still streaming from disk on
 * the server side after the client had read every byte).
 */
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CallRecord } from '../../../src/store/index.js';
import { type ApiFixture, accountSid, auth, formHeaders, openApiFixture } from '../../unit/api/api-fixture.js';

interface Exchange {
  response: http.IncomingMessage;
  /** Settles when the client's socket is closed (by the server: the agent would keep it alive). */
  socketClosed: Promise<void>;
}

/** One request through a keep-alive agent; resolves once the response headers arrived. */
function send(agent: http.Agent, port: number, path: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: options.method, headers: options.headers, agent }, (response) => {
      const socket = response.socket;
      const socketClosed = new Promise<void>((closed) => socket.once('close', () => closed()));
      resolve({ response, socketClosed });
    });
    request.once('error', reject);
    request.end(options.body);
  });
}

function readBody(response: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
  });
}

let fixture: ApiFixture;
let agent: http.Agent;
let port: number;
let closed = false;

beforeEach(async () => {
  fixture = await openApiFixture();
  await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  port = (fixture.app.server.address() as AddressInfo).port;
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  closed = false;
});
afterEach(async () => {
  // A failed assertion leaves a connection open: drop it so the fixture's close does not wait for it.
  agent.destroy();
  if (!closed) await fixture.app.close();
  await fixture.close();
});

test('a request in flight when close() starts is answered with Connection: close, and close() then settles', async () => {
  // createCall is held until close() has begun.
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const createCall = fixture.control.createCall.bind(fixture.control);
  fixture.control.createCall = async (request): Promise<CallRecord> => {
    entered();
    await released;
    return createCall(request);
  };

  const exchange = send(agent, port, `/2010-04-01/Accounts/${accountSid}/Calls.json`, {
    method: 'POST',
    headers: formHeaders,
    body: new URLSearchParams({ To: 'sip:alice@127.0.0.1', From: '+15551230000', Url: 'http://127.0.0.1:3000/voice' }).toString(),
  });
  await inHandler;
  const closing = fixture.app.close().then(() => (closed = true));
  release();

  const { response, socketClosed } = await exchange;
  assert.equal(response.statusCode, 201);
  assert.equal(response.headers.connection, 'close', 'the client is told not to reuse the connection');
  const body = JSON.parse((await readBody(response)).toString()) as { sid: string };
  assert.match(body.sid, /^CA[0-9a-f]{32}$/);
  await socketClosed;
  await closing;
  assert.equal(closed, true);
});

test('a recording still streaming when close() starts is delivered whole, then its connection ends and close() settles', async () => {
  // Large enough that the server is still writing it when close() is called (the client reads slowly).
  const wav = Buffer.alloc(8 * 1024 * 1024, 0x55);
  const filePath = join(fixture.dir, 'long.wav');
  await writeFile(filePath, wav);
  const recording = await fixture.store.recordings.create({ accountSid, filePath, source: 'RecordVerb', status: 'completed' });

  const { response, socketClosed } = await send(agent, port, `/2010-04-01/Accounts/${accountSid}/Recordings/${recording.sid}.wav`, {
    method: 'GET',
    headers: auth,
  });
  assert.equal(response.statusCode, 200);
  // Headers went out with keep-alive, before close() began: only the server ending the socket frees it.
  assert.notEqual(response.headers.connection, 'close');
  response.pause();
  const closing = fixture.app.close().then(() => (closed = true));
  response.resume();
  const body = await readBody(response);
  assert.equal(body.length, wav.length, 'the whole file arrives');
  await socketClosed;
  await closing;
  assert.equal(closed, true);
});
