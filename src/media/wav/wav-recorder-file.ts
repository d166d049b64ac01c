/**
 * A WAV file written while the call goes on. Samples are appended as they come; the header's sizes are
 * rewritten on every flush, so a call that ends abruptly (or a killed process) leaves a playable file
 * holding everything flushed so far — and `repairWavFile` fixes one whose last header update was lost.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { pcm16WavHeader } from './wav-format.js';

export class WavRecorderFile {
  private dataBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly sampleRate: number,
    readonly channels: number,
  ) {}

  static async create(path: string, sampleRate: number, channels: number): Promise<WavRecorderFile> {
    const handle = await open(path, 'w', 0o640);
    await handle.write(pcm16WavHeader(sampleRate, channels, 0), 0, 44, 0);
    return new WavRecorderFile(handle, path, sampleRate, channels);
  }

  /** Queues interleaved 16-bit samples; written on the next flush. */
  append(samples: Int16Array): void {
    if (this.closed) return;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
  }

  /** Seconds of audio written or queued. */
  durationSeconds(): number {
    return (this.dataBytes + this.pendingBytes) / (2 * this.channels * this.sampleRate);
  }

  /** Writes queued samples and then the header sizes, in order with earlier flushes. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pending.length === 0) return;
      const chunk = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      await this.handle.write(chunk, 0, chunk.length, 44 + this.dataBytes);
      this.dataBytes += chunk.length;
      await this.handle.write(pcm16WavHeader(this.sampleRate, this.channels, this.dataBytes), 0, 44, 0);
    });
    return this.writing;
  }

  /** Flushes, syncs to disk and closes; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.writing;
    await this.flush();
    this.closed = true;
    await this.handle.sync();
    await this.handle.close();
  }
}

/** Rewrites the header sizes of a 16-bit PCM WAV from the file's real length (after a crash). */
export async function repairWavFile(path: string, sampleRate: number, channels: number): Promise<number> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    const frameBytes = 2 * channels;
    const dataBytes = Math.max(0, Math.floor((size - 44) / frameBytes) * frameBytes);
    await handle.write(pcm16WavHeader(sampleRate, channels, dataBytes), 0, 44, 0);
    await handle.truncate(44 + dataBytes);
    return dataBytes;
  } finally {
    await handle.close();
  }
}
