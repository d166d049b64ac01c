import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  MAX_CATCH_UP,
  PcmSource,
  PromptPlayer,
  SilenceSource,
  ToneSource,
  type PlaybackResult,
} from '../../../../src/media/playback/index.js';
import { ringbackPlan } from '../../../../src/media/tone/index.js';
import { FakeClock } from '../../../support/fake-clock.js';

function recordFrames(player: PromptPlayer): Int16Array[] {
  const frames: Int16Array[] = [];
  player.on('frame', (frame) => frames.push(frame.slice()));
  return frames;
}

test('sources play in order, one 20 ms frame per clock tick, then finish', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  const frames = recordFrames(player);
  const finished: PlaybackResult[] = [];
  player.on('finished', (result) => finished.push(result));
  const clip = new Int16Array(320).fill(1000);
  const done = player.play([new SilenceSource(40), new PcmSource(clip, { loop: 2 }), new SilenceSource(20)]);
  assert.equal(player.playing, true);
  assert.equal(frames.length, 0, 'nothing before the clock turns');
  clock.advance(0);
  assert.equal(frames.length, 1);
  clock.advance(19);
  assert.equal(frames.length, 1);
  clock.advance(1);
  assert.equal(frames.length, 2);
  clock.advance(200);
  const result = await done;
  assert.deepEqual(result, { outcome: 'finished', frames: 7, durationMs: 140 });
  assert.deepEqual(finished, [result]);
  assert.equal(player.playing, false);
  assert.deepEqual(
    frames.map((frame) => frame[0]),
    [0, 0, 1000, 1000, 1000, 1000, 0],
  );
  assert.equal(clock.pending(), 0);
});

test('an aborted signal interrupts endless ringback and stops the timer', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  const frames = recordFrames(player);
  const controller = new AbortController();
  const done = player.play(new ToneSource(ringbackPlan('gb')!), { signal: controller.signal });
  clock.advance(100);
  assert.equal(frames.length, 6);
  controller.abort();
  assert.deepEqual(await done, { outcome: 'interrupted', frames: 6, durationMs: 120 });
  clock.advance(1000);
  assert.equal(frames.length, 6);
  assert.equal(clock.pending(), 0);
});

test('a signal already aborted interrupts before any frame', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  const result = await player.play(new SilenceSource(1000), { signal: AbortSignal.abort() });
  assert.equal(result.outcome, 'interrupted');
  assert.equal(result.frames, 0);
  assert.equal(clock.pending(), 0);
});

test('play() while playing interrupts the first prompt and plays the second', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  const interrupted: PlaybackResult[] = [];
  player.on('interrupted', (result) => interrupted.push(result));
  const first = player.play(new SilenceSource(1000));
  clock.advance(40);
  const second = player.play(new SilenceSource(40));
  assert.equal((await first).outcome, 'interrupted');
  clock.advance(100);
  assert.deepEqual(await second, { outcome: 'finished', frames: 2, durationMs: 40 });
  assert.equal(interrupted.length, 1);
});

test('close() interrupts, emits closed once, and refuses further play', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  let closed = 0;
  player.on('closed', () => closed++);
  const done = player.play(new SilenceSource(1000));
  clock.advance(20);
  player.close();
  player.close();
  assert.equal((await done).outcome, 'interrupted');
  assert.equal(closed, 1);
  assert.equal(clock.pending(), 0);
  await assert.rejects(player.play(new SilenceSource(20)), (error: unknown) => isDialtoneError(error));
});

test('a listener that throws neither stops playback nor other listeners', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  player.on('frame', () => {
    throw new Error('listener bug');
  });
  const frames = recordFrames(player);
  const done = player.play(new SilenceSource(60));
  clock.advance(100);
  assert.equal((await done).outcome, 'finished');
  assert.equal(frames.length, 3);
});

test('a listener may stop the player from inside a frame event', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock });
  let count = 0;
  player.on('frame', () => {
    if (++count === 2) player.stop();
  });
  const done = player.play(new SilenceSource(1000));
  clock.advance(1000);
  assert.deepEqual(await done, { outcome: 'interrupted', frames: 2, durationMs: 40 });
  assert.equal(count, 2);
});

/** A clock whose monotonic time can jump without firing timers, as after a blocked event loop. */
class StallingClock extends FakeClock {
  stall = 0;
  override monotonic(): number {
    return super.monotonic() + this.stall;
  }
}

test('after a stall the player sends a short burst and re-anchors instead of flooding', async () => {
  const clock = new StallingClock();
  const player = new PromptPlayer({ clock });
  const frames = recordFrames(player);
  const done = player.play(new SilenceSource(10_000));
  clock.advance(40);
  assert.equal(frames.length, 3);
  clock.stall = 500;
  clock.advance(20);
  assert.equal(frames.length, 3 + MAX_CATCH_UP, 'burst capped');
  clock.advance(20);
  assert.equal(frames.length, 4 + MAX_CATCH_UP, 'then one frame per 20 ms again');
  player.stop();
  await done;
});

test('a source at another sample rate is refused with 90203', async () => {
  const player = new PromptPlayer({ clock: new FakeClock(), sampleRate: 16000 });
  await assert.rejects(
    player.play(new SilenceSource(100, 8000)),
    (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.mediaFormatMismatch,
  );
});

test('a 16 kHz player emits 320-sample frames', async () => {
  const clock = new FakeClock();
  const player = new PromptPlayer({ clock, sampleRate: 16000 });
  const frames = recordFrames(player);
  const done = player.play(new SilenceSource(40, 16000));
  clock.advance(100);
  await done;
  assert.deepEqual(
    frames.map((frame) => frame.length),
    [320, 320],
  );
});
