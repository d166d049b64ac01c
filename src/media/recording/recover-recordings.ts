/**
 * Start-up recovery for the recordings folder. A process that died mid-call leaves WAVs whose header
 * sizes lag the data written after the last header update (or, killed mid-trim, a `.trim.tmp` copy
 * beside an intact original). Each such WAV gets its header rewritten from the file's real length
 * (repairWavFile), so every second that reached the disk stays playable.
 */
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { repairWavFile } from '../wav/index.js';
import { TRIM_TEMP_SUFFIX } from './trim-silence.js';

export interface RecoveredRecording {
  path: string;
  /** intact: header matched the data; repaired: header rewritten; unreadable: not a recorder WAV. */
  status: 'intact' | 'repaired' | 'unreadable';
  durationSeconds: number;
}

/** The 44-byte header WavRecorderFile writes: 16-bit PCM, fmt then data. */
interface RecorderHeader {
  channels: number;
  sampleRate: number;
  riffSize: number;
  dataBytes: number;
}

function readHeader(header: Buffer): RecorderHeader | undefined {
  if (header.length < 44) return undefined;
  const isRecorderWav =
    header.toString('latin1', 0, 4) === 'RIFF' &&
    header.toString('latin1', 8, 16) === 'WAVEfmt ' &&
    header.readUInt16LE(20) === 1 &&
    header.readUInt16LE(34) === 16 &&
    header.toString('latin1', 36, 40) === 'data';
  const channels = header.readUInt16LE(22);
  const sampleRate = header.readUInt32LE(24);
  if (!isRecorderWav || channels < 1 || channels > 2 || sampleRate === 0) return undefined;
  return { channels, sampleRate, riffSize: header.readUInt32LE(4), dataBytes: header.readUInt32LE(40) };
}

/** Checks every .wav in `folder` (not recursively), repairing unfinished ones. */
export async function recoverRecordings(folder: string): Promise<RecoveredRecording[]> {
  const results: RecoveredRecording[] = [];
  for (const name of (await readdir(folder)).sort()) {
    const path = join(folder, name);
    if (name.endsWith(TRIM_TEMP_SUFFIX)) {
      // The rename never happened, so the original is complete: the copy is redundant.
      await rm(path, { force: true });
      continue;
    }
    if (!name.toLowerCase().endsWith('.wav')) continue;
    results.push(await recoverOne(path));
  }
  return results;
}

async function recoverOne(path: string): Promise<RecoveredRecording> {
  const handle = await open(path, 'r');
  let header: RecorderHeader | undefined;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const bytes = Buffer.alloc(44);
    const { bytesRead } = await handle.read(bytes, 0, 44, 0);
    header = readHeader(bytes.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  if (header === undefined) return { path, status: 'unreadable', durationSeconds: 0 };
  const frameBytes = 2 * header.channels;
  const bytesPerSecond = frameBytes * header.sampleRate;
  const dataOnDisk = Math.floor((size - 44) / frameBytes) * frameBytes;
  if (header.dataBytes === dataOnDisk && header.riffSize === 36 + dataOnDisk && size === 44 + dataOnDisk) {
    return { path, status: 'intact', durationSeconds: dataOnDisk / bytesPerSecond };
  }
  const dataBytes = await repairWavFile(path, header.sampleRate, header.channels);
  return { path, status: 'repaired', durationSeconds: dataBytes / bytesPerSecond };
}
