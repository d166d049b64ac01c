/**
 * The body of every message that has none, shared: most messages have none, and an empty Buffer of
 * their own is two objects (~180 bytes) kept as long as the message. Empty, it cannot be written to.
 */
export const noBytes: Buffer = Buffer.alloc(0);

/**
 * Bytes that outlive the work that made them, in an ArrayBuffer of their own: message bodies and SDP,
 * which transactions and calls keep for RFC 3261's 64*T1 (32 s) after a call ends.
 *
 * Why not `Buffer.from`: below 4 KiB it returns a slice of a shared 8 KiB pool slab, and one slice
 * still referenced keeps the whole slab alive. Serialised messages, short-lived, fill the same slabs,
 * so each SDP body of a few hundred bytes kept for 32 s pinned most of a slab (measured: ~6 KiB of
 * slabs per finished call, docs/performance.md).
 */
export function ownedBytes(source: string | Uint8Array): Buffer {
  if (source.length === 0) return noBytes;
  if (typeof source === 'string') {
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(source, 'utf8'));
    bytes.write(source, 'utf8');
    return bytes;
  }
  const bytes = Buffer.allocUnsafeSlow(source.length);
  bytes.set(source);
  return bytes;
}

/**
 * A copy of `text` that keeps no larger string alive. V8 makes a substring of 13 characters or more a
 * slice of its parent, so a value cut out of a parsed message (a branch, a tag) pins that message's
 * whole header section for as long as the value is kept. Shorter substrings are copies already.
 */
export function ownedString(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
