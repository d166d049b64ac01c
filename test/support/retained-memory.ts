/**
 * For tests that a kept object does not keep a received message alive: a message padded to many MiB,
 * parsed as the transport would, and the memory in use after collecting garbage; or a WeakRef's target
 * collected.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseMessage, type SipMessage } from '../../src/sip/message/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** `head` (start line and header fields), a `padHeader` of `padBytes` and an empty body, parsed. */
export function parsePadded(head: string[], padBytes: number, padHeader = 'X-Pad'): SipMessage {
  const text = [...head, `${padHeader}: ${'x'.repeat(padBytes)}`, 'Content-Length: 0', '', ''].join('\r\n');
  const parsed = parseMessage(Buffer.from(text, 'latin1'), { maxMessageBytes: padBytes + 4096, maxHeaderLineBytes: padBytes + 64 });
  assert.ok(parsed.ok, 'the padded message parses');
  return parsed.message;
}

/** Heap and external bytes in use once garbage is collected, with what `make` returns still alive. */
export async function bytesInUseKeeping(make: () => unknown): Promise<number> {
  const kept = make();
  await new Promise((resolve) => setImmediate(resolve));
  // Twice: the first collection leaves a freed message's external bytes for a later one to release.
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  assert.ok(kept !== undefined);
  return heapUsed + external;
}

/** Whether `ref`'s target is collected once nothing but the WeakRef holds it. */
export async function collected(ref: WeakRef<object>): Promise<boolean> {
  // A WeakRef's target stays alive until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return ref.deref() === undefined;
}
