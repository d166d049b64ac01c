/**
 * Fetches `<Play>` URLs and keeps their decoded PCM, the way Twilio caches prompts: a response is
 * fresh for its Cache-Control max-age; after that (or at once, without max-age) a copy with an ETag or
 * Last-Modified is revalidated by a conditional GET, and a 304 keeps the decoded audio without
 * downloading or decoding again. `no-store` is never kept. The cache is bounded in bytes of decoded
 * PCM and evicts the least recently used entry first. Concurrent loads of one URL share one request.
 */
import { abortQuietly, DialtoneError, ErrorCodes, type Clock } from '../../kernel/index.js';
import { raceAbort } from './race-abort.js';
import { decodeAudio, type DecodedAudio } from './decode-audio.js';

/** The part of a fetch Response the loader reads; the global `fetch` satisfies it. */
export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}

export type FetchLike = (
  url: string,
  init: { method: 'GET'; headers: Record<string, string>; signal: AbortSignal },
) => Promise<FetchResponseLike>;

export interface AudioLoaderOptions {
  clock: Clock;
  /** Default: the global fetch (redirects followed). */
  fetch?: FetchLike;
  /** Rate the decoded audio is resampled to. Default 8000 (16000 for G.722 legs). */
  sampleRate?: number;
  /** Whole-request deadline, headers and body, in ms. Default 10 000. */
  timeoutMs?: number;
  /**
   * Largest file accepted, in bytes as fetched. Default 8 MiB: about 9 minutes of 128 kbit/s MP3,
   * whose decoding briefly needs some 100 MB of float samples per channel.
   */
  maxFileBytes?: number;
  /** Bound on the decoded PCM kept, in bytes. Default 64 MiB (about 70 minutes at 8 kHz). */
  cacheMaxBytes?: number;
}

export interface AudioLoaderStats {
  /** Served from a fresh cache entry without any request. */
  hits: number;
  /** Stale entries confirmed by a 304. */
  revalidated: number;
  /** Full downloads. */
  downloads: number;
  entries: number;
  bytes: number;
}

interface CacheEntry {
  audio: DecodedAudio;
  bytes: number;
  etag: string | undefined;
  lastModified: string | undefined;
  freshUntil: number;
}

const defaultFetch: FetchLike = (url, init) => fetch(url, init) as unknown as Promise<FetchResponseLike>;

export class AudioLoader {
  private readonly clock: Clock;
  private readonly fetch: FetchLike;
  private readonly sampleRate: number;
  private readonly timeoutMs: number;
  private readonly maxFileBytes: number;
  private readonly cacheMaxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<DecodedAudio>>();
  private cachedBytes = 0;
  private counters = { hits: 0, revalidated: 0, downloads: 0 };

  constructor(options: AudioLoaderOptions) {
    this.clock = options.clock;
    this.fetch = options.fetch ?? defaultFetch;
    this.sampleRate = options.sampleRate ?? 8000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxFileBytes = options.maxFileBytes ?? 8 * 1024 * 1024;
    this.cacheMaxBytes = options.cacheMaxBytes ?? 64 * 1024 * 1024;
  }

  /**
   * The decoded audio at `url`. Rejects with DialtoneError 11200 (HTTP failure, status or timeout),
   * 13420 (not audio), 90230 (audio it cannot decode) or 90231 (file too large). An aborted `signal`
   * rejects this caller only: a download others wait for (or that will fill the cache) goes on.
   */
  load(url: string, options: { signal?: AbortSignal } = {}): Promise<DecodedAudio> {
    const entry = this.cache.get(url);
    if (entry !== undefined && this.clock.now() < entry.freshUntil) {
      this.touch(url, entry);
      this.counters.hits++;
      return Promise.resolve(entry.audio);
    }
    let pending = this.inflight.get(url);
    if (pending === undefined) {
      pending = this.retrieve(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, pending);
    }
    return raceAbort(pending, options.signal);
  }

  stats(): AudioLoaderStats {
    return { ...this.counters, entries: this.cache.size, bytes: this.cachedBytes };
  }

  /** Drops every cached prompt. */
  clear(): void {
    this.cache.clear();
    this.cachedBytes = 0;
  }

  private async retrieve(url: string): Promise<DecodedAudio> {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw new DialtoneError(ErrorCodes.httpRetrievalFailure, `Play: ${url} is not an http(s) URL`, { url });
    }
    const stale = this.cache.get(url);
    const headers: Record<string, string> = { accept: 'audio/*' };
    if (stale?.etag !== undefined) headers['if-none-match'] = stale.etag;
    if (stale?.lastModified !== undefined) headers['if-modified-since'] = stale.lastModified;

    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(new TimeoutSignal()), this.timeoutMs);
    try {
      const response = await this.fetch(url, { method: 'GET', headers, signal: controller.signal });
      if (response.status === 304 && stale !== undefined) {
        stale.freshUntil = this.freshUntil(response.headers.get('cache-control'));
        this.touch(url, stale);
        this.counters.revalidated++;
        return stale.audio;
      }
      if (response.status < 200 || response.status > 299) {
        throw new DialtoneError(ErrorCodes.httpRetrievalFailure, `Play: ${url} answered HTTP ${response.status}`, {
          url,
          status: response.status,
        });
      }
      const body = await this.readBody(url, response);
      const contentType = response.headers.get('content-type') ?? undefined;
      const audio = await decodeAudio(body, contentType, this.sampleRate);
      this.counters.downloads++;
      this.store(url, audio, response.headers);
      return audio;
    } catch (error) {
      // Releases the connection of a response whose body was refused unread (e.g. too large).
      if (!controller.signal.aborted) abortQuietly(controller);
      if (error instanceof DialtoneError) throw error;
      const timedOut = controller.signal.reason instanceof TimeoutSignal;
      throw new DialtoneError(
        ErrorCodes.httpRetrievalFailure,
        timedOut ? `Play: ${url} did not answer within ${this.timeoutMs} ms` : `Play: fetching ${url} failed`,
        { url, reason: timedOut ? 'timeout' : 'network' },
        { cause: error },
      );
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async readBody(url: string, response: FetchResponseLike): Promise<Uint8Array> {
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxFileBytes) throw this.tooLarge(url, declared);
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body !== null) {
      for await (const chunk of response.body) {
        total += chunk.length;
        // Checked while streaming: a server may send no Content-Length, or lie in it.
        if (total > this.maxFileBytes) throw this.tooLarge(url, total);
        chunks.push(chunk);
      }
    }
    return Buffer.concat(chunks, total);
  }

  private tooLarge(url: string, bytes: number): DialtoneError {
    return new DialtoneError(ErrorCodes.mediaFileTooLarge, `Play: ${url} is larger than ${this.maxFileBytes} bytes`, {
      url,
      bytes,
      maxBytes: this.maxFileBytes,
    });
  }

  private store(url: string, audio: DecodedAudio, headers: FetchResponseLike['headers']): void {
    this.forget(url);
    const cacheControl = headers.get('cache-control');
    const etag = headers.get('etag') ?? undefined;
    const lastModified = headers.get('last-modified') ?? undefined;
    const freshUntil = this.freshUntil(cacheControl);
    const bytes = audio.samples.byteLength;
    // A copy that is neither fresh nor revalidatable would only ever be downloaded again.
    const useful = freshUntil > this.clock.now() || etag !== undefined || lastModified !== undefined;
    if (directives(cacheControl).has('no-store') || !useful || bytes > this.cacheMaxBytes) return;
    this.cache.set(url, { audio, bytes, etag, lastModified, freshUntil });
    this.cachedBytes += bytes;
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes <= this.cacheMaxBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= entry.bytes;
    }
  }

  private forget(url: string): void {
    const entry = this.cache.get(url);
    if (entry === undefined) return;
    this.cache.delete(url);
    this.cachedBytes -= entry.bytes;
  }

  private touch(url: string, entry: CacheEntry): void {
    this.cache.delete(url);
    this.cache.set(url, entry);
  }

  /** RFC 9111 §5.2.2: max-age gives the freshness lifetime; no-cache (or none) means revalidate each use. */
  private freshUntil(cacheControl: string | null): number {
    const parsed = directives(cacheControl);
    if (parsed.has('no-cache')) return this.clock.now();
    const maxAge = Number.parseInt(parsed.get('max-age') ?? '', 10);
    return this.clock.now() + (Number.isFinite(maxAge) && maxAge > 0 ? maxAge * 1000 : 0);
  }
}

class TimeoutSignal extends Error {}

function directives(cacheControl: string | null): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of (cacheControl ?? '').split(',')) {
    const [name, value] = part.split('=', 2);
    const key = name?.trim().toLowerCase();
    if (key) result.set(key, (value ?? '').trim().replace(/^"|"$/g, ''));
  }
  return result;
}
