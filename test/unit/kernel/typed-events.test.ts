import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypedEvents } from '../../../src/kernel/index.js';

interface Events {
  tick: (n: number, label: string) => void;
  done: () => void;
}

test('a throwing listener is reported and does not stop the others', () => {
  const failures: string[] = [];
  const events = new TypedEvents<Events>((error, event) => failures.push(`${String(event)}: ${(error as Error).message}`));
  const seen: string[] = [];
  events.on('tick', () => {
    throw new Error('boom');
  });
  events.on('tick', (n, label) => seen.push(`${label}${n}`));
  events.emit('tick', 1, 'a');
  assert.deepEqual(seen, ['a1']);
  assert.deepEqual(failures, ['tick: boom']);
});

test('listeners may remove themselves while an event is delivered; once fires once', () => {
  const events = new TypedEvents<Events>(() => assert.fail('no listener throws'));
  const seen: string[] = [];
  const first = (): void => {
    seen.push('first');
    events.off('done', first);
  };
  events.on('done', first);
  events.on('done', () => seen.push('second'));
  events.once('done', () => seen.push('once'));
  events.emit('done');
  events.emit('done');
  assert.deepEqual(seen, ['first', 'second', 'once', 'second']);
  assert.equal(events.listenerCount('done'), 1);
  events.removeAll();
  assert.equal(events.listenerCount('done'), 0);
});
