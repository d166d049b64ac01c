/**
 * Replay detection for the verifier. RFC 2617 §3.2.2 on nonce-count: "The purpose of this directive
 * is to allow the server to detect request replays by maintaining its own copy of this count - if the
 * same nc-value is seen twice, then the request is a replay." Per nonce we keep the highest nc and a 64-wide bitmap below it,
 * the sliding window of RFC 4303 §3.4.3, so requests arriving out of order over UDP still pass while
 * each count is accepted once. Memory is bounded: beyond `maxNonces` the least recently first-used
 * nonce is forgotten, and any nonce issued no later than a forgotten one is answered as stale (a new
 * nonce), because we can no longer tell its replays apart.
 */
const WINDOW = 64n;

interface Entry {
  highest: number;
  /** Bit k set: highest - k has been seen (bit 0 is highest itself). */
  seen: bigint;
  issuedAt: number;
}

export type NonceCountVerdict = 'fresh' | 'replay' | 'forgotten';

export class NonceCountWindow {
  private readonly entries = new Map<string, Entry>();
  private forgottenUpTo = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxNonces: number) {}

  /** Records `nc` for `nonce` (issued at `issuedAt`) and says whether it was new. */
  check(nonce: string, issuedAt: number, nc: number): NonceCountVerdict {
    let entry = this.entries.get(nonce);
    if (entry === undefined) {
      if (issuedAt <= this.forgottenUpTo) return 'forgotten';
      entry = { highest: nc, seen: 1n, issuedAt };
      this.entries.set(nonce, entry);
      this.evict();
      return 'fresh';
    }
    if (nc > entry.highest) {
      const shift = BigInt(nc - entry.highest);
      entry.seen = shift >= WINDOW ? 1n : ((entry.seen << shift) | 1n) & ((1n << WINDOW) - 1n);
      entry.highest = nc;
      return 'fresh';
    }
    const offset = BigInt(entry.highest - nc);
    if (offset >= WINDOW) return 'replay';
    const bit = 1n << offset;
    if ((entry.seen & bit) !== 0n) return 'replay';
    entry.seen |= bit;
    return 'fresh';
  }

  /**
   * Drops nonces issued before `issuedBefore` (they are stale anyway), walking from the oldest first
   * use and stopping at the first live one: entries are roughly in issue order, so this is cheap per
   * request, and anything it misses is dropped by the size bound.
   */
  prune(issuedBefore: number): void {
    for (const [nonce, entry] of this.entries) {
      if (entry.issuedAt >= issuedBefore) return;
      this.entries.delete(nonce);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    while (this.entries.size > this.maxNonces) {
      const oldest = this.entries.entries().next().value;
      if (oldest === undefined) return;
      this.entries.delete(oldest[0]);
      this.forgottenUpTo = Math.max(this.forgottenUpTo, oldest[1].issuedAt);
    }
  }
}
