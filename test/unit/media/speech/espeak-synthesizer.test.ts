import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  EspeakSynthesizer,
  InProcessEspeakEngine,
  WorkerEspeakEngine,
  type EspeakEngine,
} from '../../../../src/media/speech/index.js';
import { rms, wavFile } from '../playback/audio-fixtures.js';

const sentence = 'Thank you for calling. Please hold while we connect you.';
const hasCode = (code: number) => (error: unknown) => isDialtoneError(error) && error.code === code;

/** Counts what reaches an engine and how many syntheses overlap. */
class CountingEngine implements EspeakEngine {
  calls: string[] = [];
  running = 0;
  maxRunning = 0;
  constructor(private readonly inner: EspeakEngine) {}
  async synthesize(voice: string, text: string, wordsPerMinute: number): Promise<Uint8Array> {
    this.calls.push(`${voice}|${text}`);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      return await this.inner.synthesize(voice, text, wordsPerMinute);
    } finally {
      this.running--;
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const engine = new CountingEngine(new WorkerEspeakEngine());
const synthesizer = new EspeakSynthesizer({ engine });
after(() => synthesizer.close());

test('a sentence becomes non-silent 8 kHz speech of plausible length', async () => {
  const speech = await synthesizer.synthesize({ text: sentence, voice: 'alice', language: 'en-US' });
  assert.equal(speech.sampleRate, 8000);
  const seconds = speech.samples.length / 8000;
  // Ten words at 160 words per minute, with pauses at the punctuation: about 4 s.
  assert.ok(seconds > 2 && seconds < 8, `duration ${seconds}s`);
  assert.ok(rms(speech.samples) > 300, `rms ${rms(speech.samples)}`);
});

test('the same text, voice and language is served from the cache', async () => {
  const before = engine.calls.length;
  const first = await synthesizer.synthesize({ text: sentence, voice: 'alice', language: 'en-US' });
  const again = await synthesizer.synthesize({ text: `  ${sentence.replace(' ', '\n  ')} `, voice: 'woman', language: 'en-us' });
  assert.equal(again, first, 'alice and woman are the same eSpeak voice; whitespace is not speech');
  assert.equal(engine.calls.length, before);
  assert.ok(synthesizer.stats().hits >= 2);
});

test('another voice or language is another synthesis', async () => {
  const before = engine.calls.length;
  const man = await synthesizer.synthesize({ text: sentence, voice: 'man', language: 'en-US' });
  const french = await synthesizer.synthesize({ text: 'Bonjour, merci de votre appel.', language: 'fr-FR' });
  assert.deepEqual(engine.calls.slice(before), [`en-us+m3|${sentence}`, 'fr-fr+m3|Bonjour, merci de votre appel.']);
  assert.ok(rms(man.samples) > 300 && rms(french.samples) > 300);
});

test('concurrent requests for one text share one synthesis; different texts run one at a time', async () => {
  const before = engine.calls.length;
  const texts = ['Press one for sales.', 'Press one for sales.', 'Press two for support.', 'Press three to leave a message.'];
  const results = await Promise.all(texts.map((text) => synthesizer.synthesize({ text })));
  assert.equal(results[0], results[1]);
  assert.equal(engine.calls.length - before, 3);
  assert.equal(engine.maxRunning, 1);
});

test('a caller that aborts stops waiting while the synthesis still fills the cache', async () => {
  const controller = new AbortController();
  const waiting = synthesizer.synthesize({ text: 'Your call is important to us.' }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(waiting, (error: unknown) => error instanceof Error && error.name === 'AbortError');
  const before = engine.calls.length;
  await synthesizer.synthesize({ text: 'Your call is important to us.' });
  assert.equal(engine.calls.length, before, 'served by the synthesis the aborted caller started');
});

test('empty text is empty speech; text over the limit fails with 90240', async () => {
  assert.equal((await synthesizer.synthesize({ text: ' \n ' })).samples.length, 0);
  const small = new EspeakSynthesizer({ engine, maxTextLength: 10 });
  await assert.rejects(small.synthesize({ text: 'This is longer than ten.' }), hasCode(ErrorCodes.speechSynthesisFailed));
});

test('16 kHz output for G.722 legs', async () => {
  const wide = new EspeakSynthesizer({ engine: new InProcessEspeakEngine(), sampleRate: 16000 });
  try {
    const speech = await wide.synthesize({ text: 'Hello.' });
    assert.equal(speech.sampleRate, 16000);
    assert.ok(speech.samples.length > 16000 * 0.3 && rms(speech.samples) > 300);
  } finally {
    await wide.close();
  }
});

test('a voice eSpeak lacks fails with 90240, in process and on the worker', async () => {
  await assert.rejects(new InProcessEspeakEngine().synthesize('xx-yy', 'hello', 160), hasCode(ErrorCodes.speechSynthesisFailed));
  const worker = new WorkerEspeakEngine();
  try {
    await assert.rejects(worker.synthesize('xx-yy', 'hello', 160), hasCode(ErrorCodes.speechSynthesisFailed));
  } finally {
    await worker.close();
  }
});

/** Holds each synthesis until the test releases it, answering with a short generated WAV. */
class GatedEngine implements EspeakEngine {
  private readonly held: (() => void)[] = [];
  private readonly arrivals: (() => void)[] = [];
  synthesize(): Promise<Uint8Array> {
    return new Promise((resolve) => {
      this.held.push(() => resolve(wavFile(new Int16Array(2205).fill(1000), 22050, 1, 'pcm16')));
      for (const arrived of this.arrivals.splice(0)) arrived();
    });
  }
  /** Waits for the next synthesis to reach the engine, then lets it finish. */
  async release(): Promise<void> {
    while (this.held.length === 0) await new Promise<void>((resolve) => this.arrivals.push(resolve));
    this.held.shift()!();
  }
  async close(): Promise<void> {}
}

test('a full queue refuses new sentences with 90240 and a closed synthesizer refuses all', async () => {
  const gated = new GatedEngine();
  const busy = new EspeakSynthesizer({ engine: gated, maxQueue: 1 });
  const running = busy.synthesize({ text: 'one' });
  const queued = busy.synthesize({ text: 'two' });
  await assert.rejects(busy.synthesize({ text: 'three' }), (error: unknown) => {
    return isDialtoneError(error) && error.code === ErrorCodes.speechSynthesisFailed && error.details['reason'] === 'busy';
  });
  await gated.release();
  await running;
  await gated.release();
  const speech = await queued;
  assert.equal(speech.samples.length, 800, '0.1 s at 22 050 Hz becomes 800 samples at 8 kHz');
  await busy.close();
  await busy.close();
  await assert.rejects(busy.synthesize({ text: 'four' }), hasCode(ErrorCodes.speechSynthesisFailed));
});

test('the cache is bounded in bytes, least recently used out first', async () => {
  const gated = new GatedEngine();
  const small = new EspeakSynthesizer({ engine: gated, cacheMaxBytes: 3200 });
  for (const text of ['a', 'b', 'c']) {
    const pending = small.synthesize({ text });
    await gated.release();
    await pending;
  }
  assert.deepEqual({ entries: small.stats().entries, bytes: small.stats().bytes }, { entries: 2, bytes: 3200 });
  await small.synthesize({ text: 'b' });
  assert.equal(small.stats().hits, 1, 'the newest two are kept');
  await small.close();
});
