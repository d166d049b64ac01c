import type { Params } from './types.js';

/** The entries of every list that has none yet; replaced, never written, on the first `set`. */
const NONE: (string | null)[] = Object.freeze([]) as unknown as (string | null)[];

/**
 * Params as one flat array (name, value, name, value, …) in insertion order, with a Map's semantics
 * for what Params offers. A parsed message carries a parameter list per URI, name-addr and Via, ten or
 * more a message, nearly all with 0–3 entries, and the transactions keep messages for 64*T1. A Map
 * starts with a hash table sized for four entries (~180 bytes even when empty); this costs 32 bytes
 * empty and ~100 with one entry, and scanning a few names costs no more than hashing them (the
 * sip-message bench parses and serialises as fast as with Maps). The array is kept exactly as long
 * as its entries (an array grown by push reserves 16 more slots).
 */
export class ParamList implements Params {
  private flat: (string | null)[];

  constructor(entries?: Iterable<readonly [string, string | null]>) {
    this.flat = NONE;
    if (entries === undefined) return;
    if (entries instanceof ParamList) {
      if (entries.flat.length > 0) this.flat = entries.flat.slice();
      return;
    }
    for (const [name, value] of entries) this.set(name, value);
  }

  get size(): number {
    return this.flat.length >> 1;
  }

  get(name: string): string | null | undefined {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
    return undefined;
  }

  has(name: string): boolean {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
    return false;
  }

  /** Replaces the value of an existing name in place (its position kept, as a Map does), or appends. */
  set(name: string, value: string | null): this {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === name) {
        flat[i + 1] = value;
        return this;
      }
    }
    // A copy one entry longer (concat's generic spreading is slower, push would over-allocate).
    const grown: (string | null)[] = new Array(flat.length + 2);
    for (let i = 0; i < flat.length; i++) grown[i] = flat[i]!;
    grown[flat.length] = name;
    grown[flat.length + 1] = value;
    this.flat = grown;
    return this;
  }

  delete(name: string): boolean {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === name) {
        if (flat.length === 2) this.flat = NONE;
        else flat.splice(i, 2);
        return true;
      }
    }
    return false;
  }

  forEach(callback: (value: string | null, name: string) => void): void {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) callback(flat[i + 1] ?? null, flat[i] as string);
  }

  *[Symbol.iterator](): IterableIterator<[string, string | null]> {
    const flat = this.flat;
    for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] ?? null];
  }
}
