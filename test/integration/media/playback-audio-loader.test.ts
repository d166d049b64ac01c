/** AudioLoader against a real HTTP server on 127.0.0.1:0: caching, revalidation and failures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, isDialtoneError } from '../../../src/kernel/index.js';
import { AudioLoader, PcmSource, PromptPlayer } from '../../../src/media/playback/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { sine, wavFile } from '../../unit/media/playback/audio-fixtures.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface Site {
  base: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function serve(routes: Record<string, Handler>): Promise<Site> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request);
    const handler = routes[request.url ?? ''];
    if (handler === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const prompt = wavFile(sine(440, 8000, 1600, 8000), 8000, 1, 'pcm16');
const hasCode = (code: number) => (error: unknown) => isDialtoneError(error) && error.code === code;

test('a fresh prompt is served from the cache without a second request', async () => {
  const site = await serve({
    '/hello.wav': (_, response) => response.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'max-age=60' }).end(prompt),
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock() });
    const first = await loader.load(`${site.base}/hello.wav`);
    const second = await loader.load(`${site.base}/hello.wav`);
    assert.equal(first.samples.length, 1600);
    assert.equal(second, first);
    assert.equal(site.requests.length, 1);
    assert.deepEqual(loader.stats(), { hits: 1, revalidated: 0, downloads: 1, entries: 1, bytes: 3200 });
    loader.clear();
    await loader.load(`${site.base}/hello.wav`);
    assert.equal(site.requests.length, 2, 'clear() empties the cache');
  } finally {
    await site.close();
  }
});

test('after max-age the copy is revalidated with If-None-Match and a 304 keeps it', async () => {
  const etag = '"v1"';
  const site = await serve({
    '/hello.wav': (request, response) => {
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag, 'cache-control': 'max-age=60' }).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'max-age=60', etag }).end(prompt);
    },
  });
  try {
    const clock = new FakeClock();
    const loader = new AudioLoader({ clock });
    const first = await loader.load(`${site.base}/hello.wav`);
    clock.advance(61_000);
    const second = await loader.load(`${site.base}/hello.wav`);
    assert.equal(second, first);
    assert.equal(site.requests.length, 2);
    assert.equal(site.requests[1]!.headers['if-none-match'], etag);
    assert.equal(loader.stats().revalidated, 1);
    assert.equal(loader.stats().downloads, 1);
    // The 304's max-age makes the copy fresh again.
    await loader.load(`${site.base}/hello.wav`);
    assert.equal(site.requests.length, 2);
  } finally {
    await site.close();
  }
});

test('without max-age a Last-Modified copy is revalidated on every use; no-store is never kept', async () => {
  const modified = 'Mon, 02 Nov 2026 10:00:00 GMT';
  const site = await serve({
    '/dated.wav': (request, response) => {
      if (request.headers['if-modified-since'] === modified) return void response.writeHead(304).end();
      response.writeHead(200, { 'content-type': 'audio/wav', 'last-modified': modified }).end(prompt);
    },
    '/private.wav': (_, response) => response.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'no-store, max-age=600' }).end(prompt),
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock() });
    await loader.load(`${site.base}/dated.wav`);
    await loader.load(`${site.base}/dated.wav`);
    await loader.load(`${site.base}/private.wav`);
    await loader.load(`${site.base}/private.wav`);
    assert.equal(site.requests.length, 4);
    assert.deepEqual(loader.stats(), { hits: 0, revalidated: 1, downloads: 3, entries: 1, bytes: 3200 });
  } finally {
    await site.close();
  }
});

test('concurrent loads of one URL share one request', async () => {
  const site = await serve({
    '/hello.wav': (_, response) => response.writeHead(200, { 'content-type': 'audio/wav' }).end(prompt),
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock() });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => loader.load(`${site.base}/hello.wav`)));
    assert.equal(a, b);
    assert.equal(b, c);
    assert.equal(site.requests.length, 1);
  } finally {
    await site.close();
  }
});

test('the cache is bounded in bytes and evicts the least recently used prompt', async () => {
  const header = { 'content-type': 'audio/wav', 'cache-control': 'max-age=600' };
  const site = await serve({
    '/a.wav': (_, response) => response.writeHead(200, header).end(prompt),
    '/b.wav': (_, response) => response.writeHead(200, header).end(prompt),
    '/c.wav': (_, response) => response.writeHead(200, header).end(prompt),
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock(), cacheMaxBytes: 6400 });
    await loader.load(`${site.base}/a.wav`);
    await loader.load(`${site.base}/b.wav`);
    await loader.load(`${site.base}/a.wav`); // a is now the most recent
    await loader.load(`${site.base}/c.wav`); // evicts b
    assert.deepEqual(
      { entries: loader.stats().entries, bytes: loader.stats().bytes },
      { entries: 2, bytes: 6400 },
    );
    const before = site.requests.length;
    await loader.load(`${site.base}/a.wav`);
    assert.equal(site.requests.length, before, 'a still cached');
    await loader.load(`${site.base}/b.wav`);
    assert.equal(site.requests.length, before + 1, 'b was evicted');
  } finally {
    await site.close();
  }
});

test('an MP3 served as audio/mpeg is decoded to 8 kHz', async () => {
  const mp3 = readFileSync(new URL('../../unit/media/playback/fixtures/tone-1khz-500ms.mp3', import.meta.url));
  const site = await serve({ '/tone.mp3': (_, response) => response.writeHead(200, { 'content-type': 'audio/mpeg' }).end(mp3) });
  try {
    const audio = await new AudioLoader({ clock: new FakeClock() }).load(`${site.base}/tone.mp3`);
    assert.equal(audio.sampleRate, 8000);
    assert.ok(audio.samples.length >= 4000 && audio.samples.length < 5200, `samples ${audio.samples.length}`);
  } finally {
    await site.close();
  }
});

test('a 404 fails with Twilio 11200 carrying the status', async () => {
  const site = await serve({});
  try {
    const loader = new AudioLoader({ clock: new FakeClock() });
    await assert.rejects(loader.load(`${site.base}/missing.wav`), (error: unknown) => {
      return isDialtoneError(error) && error.code === ErrorCodes.httpRetrievalFailure && error.details['status'] === 404;
    });
  } finally {
    await site.close();
  }
});

test('an HTML page fails with Twilio 13420', async () => {
  const site = await serve({ '/page': (_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>') });
  try {
    await assert.rejects(new AudioLoader({ clock: new FakeClock() }).load(`${site.base}/page`), hasCode(ErrorCodes.playInvalidContentType));
  } finally {
    await site.close();
  }
});

test('a file over the size limit fails with 90231, declared or streamed', async () => {
  const big = Buffer.concat([prompt, Buffer.alloc(10_000)]);
  const site = await serve({
    '/declared.wav': (_, response) => response.writeHead(200, { 'content-type': 'audio/wav', 'content-length': big.length }).end(big),
    '/chunked.wav': (_, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      response.write(big.subarray(0, 5000));
      response.end(big.subarray(5000));
    },
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock(), maxFileBytes: 8000 });
    await assert.rejects(loader.load(`${site.base}/declared.wav`), hasCode(ErrorCodes.mediaFileTooLarge));
    await assert.rejects(loader.load(`${site.base}/chunked.wav`), hasCode(ErrorCodes.mediaFileTooLarge));
  } finally {
    await site.close();
  }
});

test('a server that never answers fails with 11200 when the clock passes the timeout', async () => {
  let arrived: () => void = () => {};
  const requestSeen = new Promise<void>((resolve) => (arrived = resolve));
  const site = await serve({ '/slow.wav': () => arrived() });
  try {
    const clock = new FakeClock();
    const loader = new AudioLoader({ clock, timeoutMs: 5000 });
    const loading = loader.load(`${site.base}/slow.wav`);
    await requestSeen;
    clock.advance(5000);
    await assert.rejects(loading, (error: unknown) => {
      return isDialtoneError(error) && error.code === ErrorCodes.httpRetrievalFailure && error.details['reason'] === 'timeout';
    });
  } finally {
    await site.close();
  }
});

test("an aborted caller gives up alone while the download fills the cache", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const site = await serve({
    '/hello.wav': (_, response) =>
      void gate.then(() => response.writeHead(200, { 'content-type': 'audio/wav', 'cache-control': 'max-age=60' }).end(prompt)),
  });
  try {
    const loader = new AudioLoader({ clock: new FakeClock() });
    const controller = new AbortController();
    const impatient = loader.load(`${site.base}/hello.wav`, { signal: controller.signal });
    const patient = loader.load(`${site.base}/hello.wav`);
    controller.abort();
    await assert.rejects(impatient, (error: unknown) => error instanceof Error && error.name === 'AbortError');
    release();
    assert.equal((await patient).samples.length, 1600);
    assert.equal(loader.stats().entries, 1);
  } finally {
    await site.close();
  }
});

test('a URL that is not http(s) fails with 11200 without a request', async () => {
  const loader = new AudioLoader({ clock: new FakeClock() });
  await assert.rejects(loader.load('file:///etc/passwd'), hasCode(ErrorCodes.httpRetrievalFailure));
});

test('a fetched prompt plays through the player, looped, as 20 ms frames', async () => {
  const site = await serve({
    '/menu.wav': (_, response) => response.writeHead(200, { 'content-type': 'audio/wav' }).end(wavFile(sine(440, 16000, 3200, 8000), 16000, 1, 'mulaw')),
  });
  try {
    const clock = new FakeClock();
    const audio = await new AudioLoader({ clock }).load(`${site.base}/menu.wav`);
    assert.equal(audio.samples.length, 1600, '0.2 s of 16 kHz µ-law becomes 1600 samples at 8 kHz');
    const player = new PromptPlayer({ clock });
    let frames = 0;
    player.on('frame', () => frames++);
    const done = player.play(new PcmSource(audio.samples, { loop: 3 }));
    clock.advance(1000);
    assert.deepEqual(await done, { outcome: 'finished', frames: 30, durationMs: 600 });
    assert.equal(frames, 30);
  } finally {
    await site.close();
  }
});
